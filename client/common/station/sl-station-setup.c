/* sl-station-setup.c — from the command line to a ready station.
 *
 * Everything that can be wrong with the user's input is checked here
 * (the values of the options by sl-station-options.c), before the station
 * touches the network, so a typo fails in a second with a message naming
 * the option instead of minutes later in a call.
 */
#include "sl-station-private.h"
#include "sl-guide-still.h"
#include "sl-keeper-src.h"
#include "sl-machine.h"
#include "sl-probe.h"

#include <errno.h>
#include <string.h>

/* The test tones each side sends when it has no microphone: distinct,
 * in the speech band, and not harmonics of each other, so each side can
 * tell the other's voice from an echo of its own. */
#define SL_TOWNSHIP_TONE_HZ 700
#define SL_EXPERT_TONE_HZ 1300

/* The probe's keeper says when the picture is lost and when it is back
 * (probe-adapter/keeper/): the township's operator reads why here. */
static void
on_capture_message (GstMessage *message, gpointer user_data)
{
  SlStation *st = user_data;
  const gchar *reason = NULL;
  gboolean lost;

  if (!sl_keeper_parse_message (message, &lost, &reason))
    return;
  if (lost)
    sl_station_log (st, "probe lost: %s; showing NO SIGNAL, retrying",
                    reason ? reason : "unknown reason");
  else
    sl_station_log (st, "probe back");
}

/* The township's voice graph: the loudspeaker it plays the expert on,
 * and what cleans the microphone.  Unless --voice-processing says, echo
 * cancellation is on when a microphone and a loudspeaker share the room
 * (a test tone or a silent sink has no room to clean).  Noise suppression
 * is asked for: it adds 6 ms more to the voice's delay than the 8 of the
 * echo canceller, past the 10 ms the voice may lose to processing
 * (docs/PERFORMANCE.md).  @mic is the voice input (nullable).  FALSE with the message
 * printed on a bad --audio-out. */
static gboolean
township_voice (SlStation *st, GstElement *mic, SlVoiceConfig *voice)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *out_desc = NULL;
  gboolean room;

  voice->live = TRUE;
  voice->speaker
      = sl_sources_make_audio_out (st->opt->audio_out, &out_desc, &error);
  if (voice->speaker == NULL)
    {
      g_printerr ("%s: %s\n", st->name,
                  error ? error->message : "no voice output");
      return FALSE;
    }
  room = !sl_sources_is_stand_in (voice->speaker)
         && !sl_sources_is_stand_in (mic);
  if (st->opt->voice_processing != NULL)
    sl_voice_processing_parse (st->opt->voice_processing, &voice->processing);
  else
    voice->processing
        = room ? SL_VOICE_PROCESSING_AEC : SL_VOICE_PROCESSING_OFF;
  sl_station_log (st, "voice out: %s; voice processing: %s%s", out_desc,
                  sl_voice_processing_name (voice->processing),
                  mic == NULL && voice->processing != SL_VOICE_PROCESSING_OFF
                      ? " (nothing to process: no voice input)"
                      : "");
  return TRUE;
}

SlMachineProfile *
sl_station_load_machine (const SlStationOptions *opt, GError **error)
{
  g_autoptr (GError) local = NULL;
  SlMachineProfile *profile;

  profile = sl_machine_profile_load (opt->machine_path, &local);
  if (profile == NULL)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--machine %s", local->message);
  return profile;
}

/* Says which profile applies and what it does, never what it hides. */
static void
log_machine (SlStation *st, const SlMachineProfile *m)
{
  sl_station_log (st,
                  "machine %s: %ux%u screen, image %ux%u at %u,%u, %u "
                  "masked rectangle%s, %s",
                  m->name ? m->name : st->opt->machine_path, m->frame_width,
                  m->frame_height, m->image.width, m->image.height, m->image.x,
                  m->image.y, m->n_masks, m->n_masks == 1 ? "" : "s",
                  m->mm_per_px > 0 ? "pixel spacing given" : "no spacing");
}

static SlExitStatus
setup_capture (SlStation *st)
{
  SlStationOptions *opt = st->opt;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *audio_desc = NULL;
  GstElement *video = NULL, *audio;
  SlProbeInfo info = { 0 };
  g_autoptr (SlMachineProfile) machine = NULL;

  if (opt->kind == SL_STATION_TOWNSHIP)
    {
      SlProbeConfig config
          = { opt->width, opt->height, opt->fps, (guint32)opt->seed, NULL };

      if (opt->machine_path != NULL)
        {
          machine = sl_station_load_machine (opt, &error);
          if (machine == NULL)
            {
              g_printerr ("%s: %s\n", st->name, error->message);
              return SL_EXIT_USAGE;
            }
          log_machine (st, machine);
          config.machine = machine;
        }
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
      sl_station_log (st, "probe %s: %ux%u at %u fps%s%s%s",
                      opt->probe ? opt->probe : "synthetic", info.width,
                      info.height, info.fps,
                      info.mm_per_pixel > 0 ? ", pixel spacing known" : "",
                      info.detail[0] ? ", " : "", info.detail);
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
  /* A viewer learns at the hub whether it is the expert, whose voice is
   * sent, or a trainee, who only listens (sl-station.c, on_joined). */
  g_clear_pointer (&st->voice_in, g_free);
  st->voice_in = g_strdup (audio_desc ? audio_desc : "none");
  if (opt->kind == SL_STATION_TOWNSHIP)
    {
      SlVoiceConfig voice = { 0 };

      sl_station_log (st, "voice in: %s", st->voice_in);
      if (!township_voice (st, audio, &voice))
        {
          gst_object_unref (gst_object_ref_sink (video));
          if (audio != NULL)
            gst_object_unref (gst_object_ref_sink (audio));
          return SL_EXIT_USAGE;
        }
      st->capture = sl_capture_new_with_voice (video, audio, &voice, &error);
    }
  else if (audio != NULL)
    st->capture = sl_capture_new (NULL, audio, &error);
  else
    return SL_EXIT_OK;
  if (st->capture != NULL)
    sl_capture_set_message_func (st->capture, on_capture_message, st);
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
  status = sl_station_record_prepare (st);
  if (status != SL_EXIT_OK)
    return status;
  status = setup_capture (st);
  if (status != SL_EXIT_OK)
    return status;
  return sl_station_guide_prepare (st);
}
