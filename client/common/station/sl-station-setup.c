/* sl-station-setup.c — from the command line to a ready station.
 *
 * Everything that can be wrong with the user's input is checked here,
 * before the station touches the network, so a typo fails in a second with
 * a message naming the option instead of minutes later in a call.
 */
#include "sl-station-private.h"
#include "sl-probe.h"

#include <errno.h>
#include <string.h>

/* The test tones each side sends when it has no microphone: distinct,
 * in the speech band, and not harmonics of each other, so each side can
 * tell the other's voice from an echo of its own. */
#define SL_TOWNSHIP_TONE_HZ 700
#define SL_EXPERT_TONE_HZ 1300

GOptionGroup *
sl_station_common_options (SlStationOptions *o)
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
      "the connection up and make it again through the hub (default 4; "
      "shorter gaps, such as a handover, are ridden through)",
      "SECONDS" },
    { "audio-in", 0, 0, G_OPTION_ARG_STRING, &o->audio_in,
      "Voice input: auto (microphone if present, else a test tone), none, "
      "test, test:HZ or gst:DESC (default auto)",
      "SPEC" },
    { "audio-out", 0, 0, G_OPTION_ARG_STRING, &o->audio_out,
      "Voice output: auto (speaker if present), none or gst:DESC", "SPEC" },
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

static gboolean
read_token (SlStationOptions *opt, gchar **token, GError **error)
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

static gboolean
check_numbers (SlStationOptions *opt, GError **error)
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
    { "--width", opt->width, 0, SL_PROBE_MAX_WIDTH },
    { "--height", opt->height, 0, SL_PROBE_MAX_HEIGHT },
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

static SlExitStatus
setup_capture (SlStation *st)
{
  SlStationOptions *opt = st->opt;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *audio_desc = NULL;
  GstElement *video = NULL, *audio;
  SlProbeInfo info = { 0 };

  if (opt->kind == SL_STATION_TOWNSHIP)
    {
      SlProbeConfig config
          = { opt->width, opt->height, opt->fps, (guint32)opt->seed };

      video = sl_probe_make_source (opt->probe, &config, &info, &error);
      if (video == NULL)
        {
          g_printerr ("%s: --probe: %s\n", st->name, error->message);
          return g_error_matches (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SPEC)
                     ? SL_EXIT_USAGE
                     : SL_EXIT_MEDIA;
        }
      st->probe_width = info.width;
      st->probe_height = info.height;
      st->probe_mm_per_px = info.mm_per_pixel;
      sl_station_log (st, "probe %s: %ux%u at %u fps%s",
                      opt->probe ? opt->probe : "synthetic", info.width,
                      info.height, info.fps,
                      info.mm_per_pixel > 0 ? ", pixel spacing known" : "");
    }
  audio = sl_sources_make_audio_in (opt->audio_in,
                                    opt->kind == SL_STATION_TOWNSHIP
                                        ? SL_TOWNSHIP_TONE_HZ
                                        : SL_EXPERT_TONE_HZ,
                                    &audio_desc, &error);
  if (error != NULL)
    {
      if (video != NULL)
        gst_object_unref (gst_object_ref_sink (video));
      g_printerr ("%s: %s\n", st->name, error->message);
      return SL_EXIT_USAGE;
    }
  st->capture_has_audio = audio != NULL;
  sl_station_log (st, "voice in: %s", audio_desc ? audio_desc : "none");
  if (video == NULL && audio == NULL)
    return SL_EXIT_OK;

  st->capture = sl_capture_new (video, audio, &error);
  if (st->capture != NULL && st->opt->latency_stamp)
    {
      sl_capture_set_tap (st->capture, sl_latency_stamp_frame, NULL);
      sl_capture_set_audio_tap (st->capture, sl_latency_click_audio, NULL);
    }
  if (st->capture == NULL || !sl_capture_start (st->capture, &error))
    {
      g_printerr ("%s: %s\n", st->name, error->message);
      return SL_EXIT_MEDIA;
    }
  return SL_EXIT_OK;
}

SlExitStatus
sl_station_prepare (SlStation *st, gchar **token)
{
  SlStationOptions *opt = st->opt;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *ws_url = NULL;
  SlExitStatus status;

  /* Until the first round trip is measured: enough for a retransmission
   * on a cellular path, and free while no packet is missing. */
  if (opt->jitter_ms == 0)
    opt->jitter_ms = 80;
  if (!check_numbers (opt, &error) || !read_token (opt, token, &error)
      || (ws_url = sl_hub_client_websocket_url (opt->hub_url, &error)) == NULL)
    {
      g_printerr ("%s: %s\n", st->name, error->message);
      return SL_EXIT_USAGE;
    }
  if (opt->stats_path != NULL)
    {
      st->stats_file = fopen (opt->stats_path, "a");
      if (st->stats_file == NULL)
        {
          g_printerr ("%s: cannot open --stats %s: %s\n", st->name,
                      opt->stats_path, g_strerror (errno));
          return SL_EXIT_USAGE;
        }
      setvbuf (st->stats_file, NULL, _IOLBF, 0);
    }
  if (!sl_media_check_plugins (&error))
    {
      g_printerr ("%s: %s\n", st->name, error->message);
      return SL_EXIT_MEDIA;
    }
  sl_media_prepare ();
  if (opt->verify_phantom)
    st->verifier = sl_verifier_new (opt->phantom_seed ? opt->phantom_seed : 1);
  if (opt->latency_log != NULL)
    {
      st->latency_log = fopen (opt->latency_log, "a");
      if (st->latency_log == NULL)
        {
          g_printerr ("%s: cannot open --latency-log %s: %s\n", st->name,
                      opt->latency_log, g_strerror (errno));
          return SL_EXIT_USAGE;
        }
    }
  if (opt->kind == SL_STATION_EXPERT)
    {
      st->latency = sl_latency_meter_new (st->latency_log);
      st->clicks = sl_click_meter_new ();
    }
  if (opt->stills_dir != NULL && g_mkdir_with_parents (opt->stills_dir, 0700))
    {
      g_printerr ("%s: cannot use --stills-dir %s: %s\n", st->name,
                  opt->stills_dir, g_strerror (errno));
      return SL_EXIT_USAGE;
    }
  status = setup_capture (st);
  if (status != SL_EXIT_OK)
    return status;
  return sl_station_guide_prepare (st);
}
