/* sl-station-options.h — a station's command line: options in, exit
 * status out.
 *
 * sonolink-township and sonolink-expert take one set of options in common
 * (the hub, the token, ICE addresses, stats, durations, voice...) and a few
 * of their role's own.  The common set, the parsing of a whole command line
 * (with --version and GStreamer's options) and the checks of the values
 * live here, so that both programs accept, explain and refuse options
 * alike; each main() lists only its role's options.  The exit statuses are
 * the other half of that contract with the shell and the scripts that run
 * the stations.
 *
 * Control thread (before the station runs).
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
  gchar *machine_path;     /* --machine: a machine profile (sl-machine.h) */
  gchar *profile_snapshot; /* --profile-snapshot: PNG with a pixel grid */
  gint width, height, fps, seed;
  gint bitrate_kbps;
  gint min_bitrate_kbps, floor_kbps;
  gboolean fixed_rate;
  gboolean no_fec;
  gboolean latency_stamp;
  gchar *x264_options;
  /* --voice-processing: off, aec or aec+ns; NULL: by the devices */
  gchar *voice_processing;
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
  /* both: --record DIR (docs/recording.md) */
  gchar *record_dir;
} SlStationOptions;

/* Parses the command line of a station of @options->kind into @options:
 * the options of every station, then @role_entries (the role's own,
 * NULL-terminated, bound to fields of @options), --version and
 * GStreamer's options; @description ends the --help text.  Returns TRUE
 * when the station is to run.  Returns FALSE when the program is to exit
 * at once with *@exit_status: after --version, or after a message on
 * stderr for a command line it cannot parse.  The values are checked
 * later, by sl_station_options_check. */
gboolean sl_station_options_parse (SlStationOptions *options,
                                   const GOptionEntry *role_entries,
                                   const gchar *description, int *argc,
                                   char ***argv, SlExitStatus *exit_status);

/* Fills in the defaults the station relies on before it checks anything
 * (--jitter-ms) and checks that every number is in its range.  On FALSE,
 * @error (G_OPTION_ERROR) names the option. */
gboolean sl_station_options_check (SlStationOptions *options, GError **error);

/* Returns in @token (transfer full) the token of --token, else of
 * --token-file, else of SONOLINK_TOKEN, without surrounding white
 * space; FALSE with @error if there is none or the file cannot be read. */
gboolean sl_station_options_read_token (const SlStationOptions *options,
                                        gchar **token, GError **error);

/* Frees every string and list the command line stored in @options and
 * sets them to NULL; the numbers and flags are left.  Every way out of a
 * station, a refused option included, ends with it. */
void sl_station_options_clear (SlStationOptions *options);

G_END_DECLS
