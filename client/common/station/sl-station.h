/* sl-station.h — what sonolink-township and sonolink-expert have in common.
 *
 * A station joins a room through the hub, keeps one SlSession per remote
 * peer it exchanges media with, prints a status line a second and writes
 * the same as JSON lines.  The township sends the probe to every expert and
 * trainee in the room; the expert (or trainee) views what the township
 * offers.  The programs' main() fill SlStationOptions from their command
 * lines and call sl_station_run.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses, documented in docs/sonolink-township.md and
 * docs/sonolink-expert.md. */
typedef enum
{
  SL_EXIT_OK = 0,
  SL_EXIT_FAILURE = 1,     /* internal or unexpected failure */
  SL_EXIT_USAGE = 2,       /* bad command line */
  SL_EXIT_AUTH = 3,        /* the hub refused the token or the role */
  SL_EXIT_UNREACHABLE = 4, /* the hub could not be reached in time */
  SL_EXIT_ROOM = 5,        /* the room already has a township */
  SL_EXIT_PROTOCOL = 6,    /* the hub speaks another protocol version */
  SL_EXIT_MEDIA = 7,       /* a device or media pipeline failed */
} SlExitStatus;

typedef enum
{
  SL_STATION_TOWNSHIP,
  SL_STATION_EXPERT,
} SlStationKind;

typedef struct
{
  SlStationKind kind;
  /* common */
  gchar *hub_url;
  gchar *token;
  gchar *token_file;
  gchar *peer_id;
  gchar *ca_file;
  gchar *stats_path;
  gchar **ice_addresses;
  gint duration_s;
  gint connect_timeout_s;
  gint jitter_ms;
  gdouble restart_after_s;
  guint restart_after_ms; /* from restart_after_s, 0: default */
  gchar *audio_in;
  gchar *audio_out;
  gboolean quiet;
  /* township */
  gchar *probe;
  gint width, height, fps, seed;
  gint bitrate_kbps;
  gint min_bitrate_kbps, floor_kbps;
  gboolean fixed_rate;
  gboolean no_fec;
  gboolean latency_stamp;
  gchar *x264_options;
  /* both: --snapshot (township: its raw probe picture with the marks;
   * expert: what it shows) and --stills-dir (township: a copy of every
   * still it sends; expert: where stills are saved) */
  gchar *snapshot_path;
  gchar *stills_dir;
  gchar *guide_log; /* --guide-log: guidance events with their times */
  /* expert */
  gchar *sink;
  gchar *guidance_script;
  gboolean paced; /* --paced: the display waits for the clock */
  gchar *preview; /* township --preview: auto, none or gst:DESC */
  gboolean verify_phantom;
  gint phantom_seed;
  gchar *latency_log;
} SlStationOptions;

/* The options both programs take, bound to @options. */
GOptionGroup *sl_station_common_options (SlStationOptions *options);

/* Runs the station until --duration ends, Ctrl-C, or a fatal error.
 * Returns the exit status. */
SlExitStatus sl_station_run (SlStationOptions *options);

G_END_DECLS
