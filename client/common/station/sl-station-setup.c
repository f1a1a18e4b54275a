/* sl-station-setup.c — from the command line to a ready station.
 *
 * Everything that can be wrong with the user's input is checked here
 * (the values of the options by sl-station-options.c), before the station
 * touches the network, so a typo fails in a second with a message naming
 * the option instead of minutes later in a call.
 */
#include "sl-station-private.h"
#include "sl-guide-still.h"
#include "sl-probe.h"

#include <errno.h>
#include <string.h>

/* The test tones each side sends when it has no microphone: distinct,
 * in the speech band, and not harmonics of each other, so each side can
 * tell the other's voice from an echo of its own. */
#define SL_TOWNSHIP_TONE_HZ 700
#define SL_EXPERT_TONE_HZ 1300

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
      st->probe_fps = info.fps;
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

/* Opens @path (nullable: nothing to open) for appending into @file, or
 * says why not, naming @option. */
static gboolean
open_for_append (SlStation *st, const gchar *option, const gchar *path,
                 FILE **file)
{
  if (path == NULL)
    return TRUE;
  *file = fopen (path, "a");
  if (*file == NULL)
    {
      g_printerr ("%s: cannot open %s %s: %s\n", st->name, option, path,
                  g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}
/* --stills-dir made and written to now, not when the first still
 * arrives: a still that cannot be saved is a patient's picture lost. */
static gboolean
stills_dir_writable (SlStation *st)
{
  const gchar *dir = st->opt->stills_dir;
  g_autoptr (GError) error = NULL;

  if (dir == NULL)
    return TRUE;
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_printerr ("%s: cannot use --stills-dir %s: %s\n", st->name, dir,
                  g_strerror (saved));
      return FALSE;
    }
  if (!sl_guide_still_dir_writable (dir, &error))
    {
      g_printerr ("%s: cannot write stills into --stills-dir %s: %s\n",
                  st->name, dir, error->message);
      return FALSE;
    }
  return TRUE;
}

/* The window's and the speaker's sinks given as gst:DESC (--sink,
 * --audio-out), built once and dropped: a bad description is refused
 * before joining, not when the first session opens.  (A --preview that
 * fails is reported and closed while the consultation goes on.) */
static gboolean
outputs_build (SlStation *st)
{
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < 2 && error == NULL; i++)
    {
      const gchar *spec = i == 0 ? st->opt->sink : st->opt->audio_out;
      g_autofree gchar *desc = NULL;
      GstElement *sink;

      if (spec == NULL || !g_str_has_prefix (spec, "gst:"))
        continue;
      sink = i == 0 ? sl_sources_make_video_sink (spec, &desc, &error)
                    : sl_sources_make_audio_out (spec, &desc, &error);
      if (sink != NULL)
        gst_object_unref (gst_object_ref_sink (sink));
    }
  if (error == NULL)
    return TRUE;
  g_printerr ("%s: %s\n", st->name, error->message);
  return FALSE;
}

SlExitStatus
sl_station_prepare (SlStation *st, gchar **token)
{
  SlStationOptions *opt = st->opt;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *ws_url = NULL;
  SlExitStatus status;

  if (!sl_station_options_check (opt, &error)
      || !sl_station_options_read_token (opt, token, &error)
      || (ws_url = sl_hub_client_websocket_url (opt->hub_url, &error)) == NULL)
    {
      g_printerr ("%s: %s\n", st->name, error->message);
      return SL_EXIT_USAGE;
    }
  if (!open_for_append (st, "--stats", opt->stats_path, &st->stats_file))
    return SL_EXIT_USAGE;
  if (st->stats_file != NULL)
    setvbuf (st->stats_file, NULL, _IOLBF, 0);
  if (!sl_media_check_plugins (&error))
    {
      g_printerr ("%s: %s\n", st->name, error->message);
      return SL_EXIT_MEDIA;
    }
  sl_media_prepare ();
  if (opt->verify_phantom)
    st->verifier = sl_verifier_new (opt->phantom_seed ? opt->phantom_seed : 1);
  if (!open_for_append (st, "--latency-log", opt->latency_log,
                        &st->latency_log))
    return SL_EXIT_USAGE;
  if (opt->kind == SL_STATION_EXPERT)
    {
      st->latency = sl_latency_meter_new (st->latency_log);
      st->clicks = sl_click_meter_new ();
    }
  if (!stills_dir_writable (st) || !outputs_build (st))
    return SL_EXIT_USAGE;
  status = setup_capture (st);
  if (status != SL_EXIT_OK)
    return status;
  return sl_station_guide_prepare (st);
}
