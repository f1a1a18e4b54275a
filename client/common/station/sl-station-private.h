/* sl-station-private.h — what the station's files share.
 *
 * station/sl-station.c          main, hub, sessions, run loop
 * station/sl-station-setup.c    start-up checks, token, capture
 * station/sl-station-report.c   status lines, --stats JSON lines, snapshots
 * station/sl-station-preview.c  the township's window on its own picture
 * guide/sl-station-guide.c      guidance: states, script, window input,
 *                               media time, drawing
 * guide/sl-station-still.c      guidance stills: sending (township), saving
 *                               (expert)
 *
 * (Paths under client/common.)
 */
#pragma once

#include "sl-station.h"
#include "sl-capture.h"
#include "sl-hub-client.h"
#include "sl-latency.h"
#include "sl-media.h"
#include "sl-peer-rights.h"
#include "sl-session.h"
#include "sl-sources.h"
#include "sl-verify.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

G_BEGIN_DECLS

typedef struct _SlStationPreview SlStationPreview;

typedef struct _SlStationGuide SlStationGuide;
typedef struct _SlStationStills SlStationStills;

typedef struct
{
  SlStationOptions *opt;
  const gchar *name; /* "township" or "expert": prefix of every line */
  GMainLoop *loop;
  SlExitStatus exit_status;

  SlHubClient *hub;
  SlRole my_role;
  GHashTable *room_peers; /* peer id → SlRole, as the hub reported */
  /* Peer id → the SlRole its peer had when its session was opened, for
   * every session in `sessions` (sl-peer-rights.h: the session's rights). */
  GHashTable *session_roles;
  /* Relayed SDP and candidates refused (sl_peer_judge_signal). */
  guint64 signals_refused;

  SlCapture *capture;
  gboolean capture_has_audio;
  /* Township: the probe image as the adapter reported it (sl-probe.h). */
  guint probe_width, probe_height, probe_fps;
  gdouble probe_mm_per_px; /* 0: unknown */
  SlStationGuide *guide;   /* sl-station-guide.c */
  SlStationStills *stills; /* sl-station-still.c, made on first use */
  GHashTable *sessions;    /* peer id → SlSession (owned) */
  GHashTable *prev_stats;  /* peer id → SlSessionStats, last report */

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
  gulong netmon_handler;     /* GNetworkMonitor "network-changed" */
  SlStationPreview *preview; /* township: its own picture, with the marks */
  guint preview_retry;       /* pending retry of a refused preview */
  guint preview_tries;
  guint netchange_timer; /* pending check after a network change */
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

/* sl-station.c.  init: a station with no hub, capture or guidance yet;
 * clear: undoes init and whatever the station made since.  The hub's
 * messages other than the welcome go through handle_hub_message (the
 * station's hub callback; tests feed it directly). */
void sl_station_init (SlStation *st, SlStationOptions *opt);
void sl_station_clear (SlStation *st);
void sl_station_handle_hub_message (SlStation *st, const SlMsg *msg);
/* The peer of @session with the role it had when the session was opened;
 * not known for a session the station does not hold. */
SlPeerRole sl_station_session_peer (SlStation *st, SlSession *session);

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

/* sl-station-guide.c.  prepare: after the capture is set up; loads the
 * --guidance-script and checks --stills-dir (SL_EXIT_USAGE on a bad one).
 * finish: before the capture goes (it keeps the township's last frame
 * for the final snapshot); free: last. */
SlExitStatus sl_station_guide_prepare (SlStation *st);
void sl_station_guide_finish (SlStation *st);
void sl_station_guide_free (SlStation *st);
void sl_station_guide_set_room (SlStation *st, const gchar *room);
/* The room's id (names the stills), "room" before the hub said it. */
const gchar *sl_station_guide_room (SlStation *st);
void sl_station_guide_on_message (SlStation *st, SlSession *session,
                                  const SlGuideMsg *msg);
void sl_station_guide_on_channel (SlStation *st, SlSession *session,
                                  const gchar *label, gboolean open);
void sl_station_guide_session_removed (SlStation *st, SlSession *session);
void sl_station_guide_tick (SlStation *st);
/* Expert: the display sink with the marks drawn in front of it and, for
 * an expert (not a trainee), its mouse and keys taken as guidance. */
GstElement *sl_station_guide_wrap_sink (SlStation *st, GstElement *sink,
                                        const gchar *description);
/* Adds the guidance fields of @session to a --stats record. */
void sl_station_guide_add_stats (SlStation *st, SlSession *session,
                                 JsonObject *record);
/* Any thread: writes @frame with the marks drawn over it to @path. */
gboolean sl_station_guide_write_png (SlStation *st, GstSample *frame,
                                     const gchar *path, GError **error);
/* The picture a snapshot shows: township, its newest raw frame; expert,
 * its newest decoded one (NULL: none yet, or none new if @only_new). */
GstSample *sl_station_guide_snapshot_frame (SlStation *st, gboolean only_new);

/* sl-station-still.c: the township answers still requests; the expert
 * saves what arrives. */
void sl_station_still_on_message (SlStation *st, SlSession *session,
                                  const SlGuideMsg *msg);
void sl_station_still_session_removed (SlStation *st, SlSession *session);
void sl_station_still_tick (SlStation *st);
void sl_station_still_add_stats (SlStation *st, JsonObject *record);
/* Returns (transfer full) where the expert saves stills. */
gchar *sl_station_still_dir (SlStation *st);
void sl_station_still_free (SlStation *st);

/* sl-station-preview.c: the township's window on its own picture with the
 * expert's marks (--preview); after sl_station_prepare. */
SlExitStatus sl_station_preview_start (SlStation *st);
void sl_station_preview_stop (SlStation *st);

G_END_DECLS
