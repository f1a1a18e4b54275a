/* sl-station-private.h — what the station's files share.
 *
 * sl-station.c         hub, sessions, run loop
 * sl-station-setup.c   options, token, capture
 * sl-station-report.c  status lines, --stats JSON lines, snapshots
 */
#pragma once

#include "sl-station.h"
#include "sl-capture.h"
#include "sl-hub-client.h"
#include "sl-latency.h"
#include "sl-media.h"
#include "sl-session.h"
#include "sl-sources.h"
#include "sl-verify.h"

#include <stdio.h>

G_BEGIN_DECLS

typedef struct
{
  SlStationOptions *opt;
  const gchar *name; /* "township" or "expert": prefix of every line */
  GMainLoop *loop;
  SlExitStatus exit_status;

  SlHubClient *hub;
  SlRole my_role;
  GHashTable *room_peers; /* peer id → SlRole, as the hub reported */

  SlCapture *capture;
  gboolean capture_has_audio;
  GHashTable *sessions;   /* peer id → SlSession (owned) */
  GHashTable *prev_stats; /* peer id → SlSessionStats, last report */

  FILE *stats_file;
  SlVerifier *verifier;
  SlLatencyMeter *latency;        /* viewer: always; reads --latency-stamp */
  FILE *latency_log;              /* --latency-log, or NULL */
  SlLatencyWindow latency_window; /* this tick's, taken once per tick */
  SlClickMeter *clicks;           /* viewer: voice latency clicks */
  guint clicks_found;             /* this tick's */
  gdouble click_latency_ms;       /* this tick's median */
  guint64 clicks_total;
  guint stats_timer;
  guint duration_timer;
  guint sigint, sigterm;
  gulong netmon_handler;  /* GNetworkMonitor "network-changed" */
  guint netchange_timer;  /* pending check after a network change */
  guint ticks;
  gboolean snapshot_busy;

  /* Start-up time of a viewer: when it and a township were first both in
   * the room (control thread), and when its first picture was decoded
   * (written once by the streaming thread, __atomic). */
  gint64 together_us;
  gint64 first_picture_us;
  gboolean first_picture_logged;

  /* Guards last_sample and sample_is_new (streaming thread writes). */
  GMutex sample_lock;
  GstSample *last_sample;
  gboolean sample_is_new;
} SlStation;

/* Prints a timestamped line "[name] ..." on stderr unless --quiet. */
void sl_station_log (SlStation *st, const gchar *format, ...)
    G_GNUC_PRINTF (2, 3);
void sl_station_quit (SlStation *st, SlExitStatus status);

/* sl-station-setup.c: validates options, reads the token, starts the
 * capture.  Returns SL_EXIT_OK or the status to exit with. */
SlExitStatus sl_station_prepare (SlStation *st, gchar **token);

/* sl-station-report.c */
void sl_station_report_start (SlStation *st);
void sl_station_report_finish (SlStation *st);

G_END_DECLS
