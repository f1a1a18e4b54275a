/* sl-station-options.c — a station's command line (sl-station-options.h).
 *
 * Both programs build the same GOptionContext: the options of every
 * station as the main group, the role's own options after them, then
 * --version, then GStreamer's group.  Parsing only stores the values; the
 * ranges are checked by sl_station_options_check when the station starts,
 * so that every complaint about a value names its option in one style.
 */
#include "sl-station-options.h"
#include "sl-config.h"
#include "sl-probe.h"
#include "sl-voice.h"

#include <gst/gst.h>

/* The options of every station, the main group of both programs. */
static GOptionGroup *
common_options (SlStationOptions *o)
{
  const GOptionEntry entries[] = {
    { "hub", 0, 0, G_OPTION_ARG_STRING, &o->hub_url,
      "The hub's address, e.g. ws://127.0.0.1:8443 or "
      "wss://hub.example:8443 (required)",
      "URL" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &o->token,
      "The room token from `sonolink-hub token` (or use --token-file or the "
      "SONOLINK_TOKEN environment variable, which other users of this "
      "machine cannot read in the process list)",
      "TOKEN" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &o->token_file,
      "Read the token from FILE", "FILE" },
    { "peer-id", 0, 0, G_OPTION_ARG_STRING, &o->peer_id,
      "This station's id in the room (default: random per run)", "ID" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &o->ca_file,
      "Trust the hub certificate authority in FILE (PEM) for wss://", "FILE" },
    { "stats", 0, 0, G_OPTION_ARG_FILENAME, &o->stats_path,
      "Append one JSON object per second per session to FILE "
      "(docs/stats.md)",
      "FILE" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &o->duration_s,
      "Run for SECONDS, then stop cleanly (default: until Ctrl-C)", "SECONDS" },
    { "connect-timeout", 0, 0, G_OPTION_ARG_INT, &o->connect_timeout_s,
      "Give up if the hub cannot be reached at start within SECONDS "
      "(default 30; once joined, reconnection never gives up)",
      "SECONDS" },
    { "ice-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->ice_addresses,
      "Use only this local IP address for media (repeatable; default: "
      "every interface but loopback)",
      "ADDR" },
    { "jitter-ms", 0, 0, G_OPTION_ARG_INT, &o->jitter_ms,
      "Starting receive jitter-buffer latency in milliseconds (default "
      "80); adapted each second to the measured round trip and jitter",
      "MS" },
    { "restart-after", 0, 0, G_OPTION_ARG_DOUBLE, &o->restart_after_s,
      "When nothing has arrived from the other station for SECONDS, give "
      "the connection up and make it again through the hub (default 6; "
      "shorter gaps, such as a handover, are ridden through)",
      "SECONDS" },
    { "audio-in", 0, 0, G_OPTION_ARG_STRING, &o->audio_in,
      "Voice input: auto (microphone if present, else a test tone), none, "
      "test, test:HZ or gst:DESC (default auto)",
      "SPEC" },
    { "audio-out", 0, 0, G_OPTION_ARG_STRING, &o->audio_out,
      "Voice output: auto (speaker if present), none or gst:DESC", "SPEC" },
    { "record", 0, 0, G_OPTION_ARG_FILENAME, &o->record_dir,
      "Record the consultation into DIR (made readable by this user "
      "only): the video as sent or received, both voices and every mark, "
      "without re-encoding (docs/recording.md); the expert's R key stops "
      "and starts it again",
      "DIR" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet,
      "Print only errors (the --stats file is still written)", NULL },
    { NULL },
  };
  GOptionGroup *group = g_option_group_new (
      "station", "Options of every station:", "Show the station options", o,
      NULL);

  g_option_group_add_entries (group, entries);
  return group;
}

gboolean
sl_station_options_read_token (const SlStationOptions *opt, gchar **token,
                               GError **error)
{
  g_autofree gchar *contents = NULL;

  if (opt->token != NULL)
    *token = g_strstrip (g_strdup (opt->token));
  else if (opt->token_file != NULL)
    {
      if (!g_file_get_contents (opt->token_file, &contents, NULL, error))
        return FALSE;
      *token = g_strstrip (g_steal_pointer (&contents));
    }
  else if (g_getenv ("SONOLINK_TOKEN") != NULL)
    *token = g_strstrip (g_strdup (g_getenv ("SONOLINK_TOKEN")));
  if (*token == NULL || (*token)[0] == '\0')
    {
      g_set_error (
          error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
          "no token: give --token, --token-file or SONOLINK_TOKEN (mint one "
          "with `sonolink-hub token`)");
      return FALSE;
    }
  return TRUE;
}

/* A picture size: 0 for the default, else even and within the probe's
 * limits (sl-probe.h). */
static gboolean
check_size (const gchar *name, gint value, gint min, gint max, gint fallback,
            GError **error)
{
  if (value == 0 || (value >= min && value <= max && value % 2 == 0))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s must be an even number from %d to %d (default %d)", name,
               min, max, fallback);
  return FALSE;
}

static gboolean
check_ranges (SlStationOptions *opt, GError **error)
{
  const struct
  {
    const gchar *name;
    gint value, min, max;
  } checks[] = {
    { "--duration", opt->duration_s, 0, 7 * 24 * 3600 },
    { "--connect-timeout", opt->connect_timeout_s, 0, 3600 },
    { "--jitter-ms", opt->jitter_ms, 0, 2000 },
    { "--bitrate", opt->bitrate_kbps, 0, 50000 },
    { "--min-bitrate", opt->min_bitrate_kbps, 0, 50000 },
    { "--floor-bitrate", opt->floor_kbps, 0, 50000 },
    { "--fps", opt->fps, 0, 60 },
    { "--seed", opt->seed, 0, G_MAXINT },
    { "--phantom-seed", opt->phantom_seed, 0, G_MAXINT },
  };

  if (opt->restart_after_s != 0
      && !(opt->restart_after_s >= 1.5 && opt->restart_after_s <= 600))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--restart-after must be between 1.5 and 600 seconds");
      return FALSE;
    }
  opt->restart_after_ms = (guint)(opt->restart_after_s * 1000);
  if (!check_size ("--width", opt->width, SL_PROBE_MIN_WIDTH,
                   SL_PROBE_MAX_WIDTH, SL_PROBE_DEFAULT_WIDTH, error)
      || !check_size ("--height", opt->height, SL_PROBE_MIN_HEIGHT,
                      SL_PROBE_MAX_HEIGHT, SL_PROBE_DEFAULT_HEIGHT, error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (checks); i++)
    if (checks[i].value < checks[i].min || checks[i].value > checks[i].max)
      {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "%s must be between %d and %d", checks[i].name,
                     checks[i].min, checks[i].max);
        return FALSE;
      }
  return TRUE;
}

gboolean
sl_station_options_check (SlStationOptions *opt, GError **error)
{
  /* Until the first round trip is measured: enough for a retransmission
   * on a cellular path, and free while no packet is missing. */
  SlVoiceProcessing mode;

  if (opt->jitter_ms == 0)
    opt->jitter_ms = 80;
  if (opt->voice_processing != NULL
      && !sl_voice_processing_parse (opt->voice_processing, &mode))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--voice-processing '%s' is not one of off, aec, aec+ns",
                   opt->voice_processing);
      return FALSE;
    }
  return check_ranges (opt, error);
}

void
sl_station_options_clear (SlStationOptions *opt)
{
  gchar **strings[] = {
    &opt->hub_url,
    &opt->token,
    &opt->token_file,
    &opt->peer_id,
    &opt->ca_file,
    &opt->stats_path,
    &opt->audio_in,
    &opt->audio_out,
    &opt->probe,
    &opt->machine_path,
    &opt->profile_snapshot,
    &opt->x264_options,
    &opt->voice_processing,
    &opt->snapshot_path,
    &opt->stills_dir,
    &opt->guide_log,
    &opt->sink,
    &opt->guidance_script,
    &opt->preview,
    &opt->latency_log,
    &opt->record_dir,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
  g_clear_pointer (&opt->ice_addresses, g_strfreev);
}

gboolean
sl_station_options_parse (SlStationOptions *opt,
                          const GOptionEntry *role_entries,
                          const gchar *description, int *argc, char ***argv,
                          SlExitStatus *exit_status)
{
  const gchar *role = opt->kind == SL_STATION_TOWNSHIP ? "township" : "expert";
  gboolean version = FALSE;
  const GOptionEntry version_entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &version,
      "Print the version and exit", NULL },
    { NULL },
  };
  g_autofree gchar *summary = g_strdup_printf ("- sonolink %s station", role);
  g_autoptr (GOptionContext) context = g_option_context_new (summary);
  g_autoptr (GError) error = NULL;

  g_option_context_set_description (context, description);
  g_option_context_set_main_group (context, common_options (opt));
  g_option_context_add_main_entries (context, role_entries, NULL);
  g_option_context_add_main_entries (context, version_entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  *exit_status = SL_EXIT_USAGE;
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("sonolink-%s: %s (try --help)\n", role, error->message);
      return FALSE;
    }
  if (version)
    {
      g_print ("sonolink-%s %s\n", role, SL_VERSION);
      *exit_status = SL_EXIT_OK;
      return FALSE;
    }
  if (*argc > 1)
    {
      g_printerr ("sonolink-%s: unexpected argument '%s' (try --help)\n", role,
                  (*argv)[1]);
      return FALSE;
    }
  return TRUE;
}
