/* sl-station-private.h — what the station's files share.
 *
 * station/sl-station.c          main, hub, sessions, run loop
 * station/sl-station-setup.c    start-up checks, token, capture
 * station/sl-station-report.c   status lines, --stats JSON lines, snapshots
 * station/sl-station-window.c   the window: the township's own picture or
 *                               the picture a viewer receives
 * station/sl-profile-snapshot.c --profile-snapshot: a frame with a grid
 * guide/sl-station-guide.c      guidance: states, script, window input,
 *                               media time, drawing
 * guide/sl-station-still.c      guidance stills: sending (township), saving
 *                               (expert)
 * station/sl-station-record.c   --record and the R key (docs/recording.md)
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
#include "sl-status-view.h"
#include "sl-verify.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

G_BEGIN_DECLS

typedef struct _SlStationWindow SlStationWindow;
typedef struct _SlMachineProfile SlMachineProfile;

typedef struct _SlStationGuide SlStationGuide;
typedef struct _SlStationStills SlStationStills;
typedef struct _SlStationRecord SlStationRecord;

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
  /* Messages from the hub that could not be read, dropped. */
  guint64 hub_malformed;

  SlCapture *capture;
  gboolean capture_has_audio;
  gchar *voice_in; /* what the voice input is, for the log */
  /* Township: peer id → the GstAppSrc (owned) through which the session's
   * decoded voice reaches the loudspeaker and the lesson's mix. */
  GHashTable *heard_voices;
  /* Township: the probe image as the adapter reported it (sl-probe.h). */
  guint probe_width, probe_height, probe_fps;
  gdouble probe_mm_per_px; /* 0: unknown */
  SlStationGuide *guide;   /* sl-station-guide.c */
  SlStationStills *stills; /* sl-station-still.c, made on first use */
  SlStationRecord *record; /* sl-station-record.c, made on first use */
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
  gulong netmon_handler; /* GNetworkMonitor "network-changed" */
  /* The window (sl-station-window.c); set and cleared under sample_lock,
   * which the streaming thread holds to push a picture into it. */
  SlStationWindow *window;
  guint window_retry; /* pending retry of a refused window */
  guint window_tries;
  guint window_opened; /* how many times a viewer's window opened */
  /* What the window says about the station (sl-status-view.h): the
   * control thread fills it each second and on the window's keys, the
   * window's streaming thread draws it; status_lock guards it. */
  GMutex status_lock;
  SlStatusInfo status;
  gboolean had_peer;     /* a session existed once (control thread) */
  guint netchange_timer; /* pending check after a network change */
  guint ticks;
  gboolean snapshot_busy;

  /* Start-up time of a viewer: when it and a township were first both in
   * the room (control thread), and when its first picture was decoded
   * (written once by the streaming thread, __atomic). */
  gint64 together_us;
  gint64 first_picture_us;
  gboolean first_picture_logged;
  /* Viewer: when the last picture was decoded (streaming thread writes,
   * __atomic); 0: none yet. */
  gint64 last_picture_us;

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
/* Like sl_station_log for the first SL_STATION_LOG_SOME lines counted
 * in @count (bumped here), the last of them saying that further @further
 * are logged at debug level; then at debug level only, so that a flood
 * (of refused signals, of malformed hub messages) is not a flood of
 * lines. */
#define SL_STATION_LOG_SOME 10
void sl_station_log_some (SlStation *st, guint64 *count, const gchar *further,
                          const gchar *format, ...) G_GNUC_PRINTF (4, 5);
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
/* The mouse left the expert's window: its pointer is hidden. */
void sl_station_guide_mouse_left (SlStation *st);
/* Fills the expert's tool and armed cue into @info (and info->expert). */
void sl_station_guide_input_status (SlStation *st, SlStatusInfo *info);
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

/* sl-station-window.c: the station's window (township --preview, viewer
 * --sink), which lives as long as the station; after sl_station_prepare.
 * show: any thread, a viewer's decoded picture. */
SlExitStatus sl_station_window_start (SlStation *st);
void sl_station_window_stop (SlStation *st);
void sl_station_window_show (SlStation *st, GstSample *sample);
/* TRUE if the expert's window is watched (X) and the mouse is not over
 * it now; sl-station-window.c. */
gboolean sl_station_window_mouse_away (SlStation *st);
/* sl-station-report.c: fills st->status from the station's state now
 * (control thread). */
void sl_station_report_status (SlStation *st);

/* sl-station-record.c.  prepare: checks --record's folder
 * (SL_EXIT_USAGE if it cannot be written); on_joined: the hub's welcome
 * says whether this room may be recorded, and a recording starts (or is
 * announced again after a rejoin); the rest as named. */
SlExitStatus sl_station_record_prepare (SlStation *st);
void sl_station_record_on_joined (SlStation *st, gboolean record_allowed);
void sl_station_record_on_refused (SlStation *st, const gchar *why);
void sl_station_record_on_announce (SlStation *st, const SlMsg *msg);
void sl_station_record_start (SlStation *st);
void sl_station_record_stop (SlStation *st);
void sl_station_record_toggle (SlStation *st);
gboolean sl_station_record_running (SlStation *st);
/* How many other members of the room say they record. */
guint sl_station_record_others (SlStation *st);
/* A session was opened, or @session (not NULL) is about to go. */
void sl_station_record_session_changed (SlStation *st);
void sl_station_record_session_removed (SlStation *st, SlSession *session);
void sl_station_record_guide (SlStation *st, SlSession *session, gboolean sent,
                              const SlGuideMsg *msg);
void sl_station_record_still (SlStation *st, const gchar *path,
                              gint64 media_ms);
void sl_station_record_tick (SlStation *st);
/* A member left the room: it no longer records. */
void sl_station_record_peer_left (SlStation *st, const gchar *peer_id);
/* Adds "recording", "recorded_frames" and "recorded_by" to a --stats
 * record (docs/stats.md). */
void sl_station_record_add_stats (SlStation *st, JsonObject *record);
void sl_station_record_free (SlStation *st);

/* Township: loads --machine (sl-machine.h); NULL with @error naming the
 * option and the file.  Returns (transfer full). */
SlMachineProfile *sl_station_load_machine (const SlStationOptions *opt,
                                           GError **error);

/* Township --profile-snapshot: writes the PNG and returns how to exit,
 * without joining any hub (sl-profile-snapshot.c). */
SlExitStatus sl_profile_snapshot_run (SlStationOptions *opt);

G_END_DECLS
