/* voice-room.c — the township's echo canceller in a simulated room.
 *
 * Builds the township's voice graph with sl_voice_build (the function
 * the township's capture uses, media/include/sl-voice.h) in a pipeline
 * that this program drives itself, 10 ms at a time, with no clock and no
 * sound card:
 *
 *   far-end speech ─► sl_voice_add_far ─► … ─► echo probe ─► "loudspeaker"
 *                                                                 │
 *        room: the loudspeaker's samples convolved with a synthetic
 *        impulse response (a direct path, then decaying reflections)
 *                                                                 │
 *   near-end speech ─────────────── + ◄───────────────────────────┘
 *                                   │
 *                             "microphone" ─► webrtcdsp ─► near tail (measured)
 *
 * The room acts on what really reached the loudspeaker's sink, so the
 * reference the canceller gets and the echo it hears are those of the
 * township.  The scene: far-end speech alone for --far-only seconds, then
 * both talking for --double-talk seconds.  It prints one JSON object:
 *
 *   erle_db          10·log10(E[mic²]/E[out²]) over the far-end-only
 *                    blocks after --converge seconds in which the echo is
 *                    audible (within 40 dB of its loudest block)
 *   near_change_db   10·log10(E[out²]/E[near²]) over the double-talk
 *                    blocks in which the near end speaks: how much of the
 *                    near-end speech the processing kept (0: all;
 *                    negative: attenuated; residual echo counts as kept)
 *   echo_to_near_db  the echo's level at the microphone against the
 *                    near-end speech's, over the double talk
 *   delay_ms         how late the near-end speech leaves the processing:
 *                    the lag (0..40 ms, to the sample) at which the output
 *                    over the double talk best matches the near-end speech,
 *                    the processing's own algorithmic delay
 *
 * Deterministic: the same inputs give the same figures.
 *
 *   sl-bench-voice-room --far FAR.wav --near NEAR.wav
 *                       [--processing off|aec|aec+ns] [--delay-ms 80]
 *                       [--far-only 10] [--double-talk 6] [--converge 2]
 */
#include "sl-media.h"
#include "sl-voice.h"

#include <gst/app/gstappsink.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (SL_VOICE_RATE / 100) /* 10 ms */
#define DIRECT_MS 5                 /* 1.7 m from loudspeaker to microphone */
#define TAIL_MS 250

typedef struct
{
  gfloat *s;
  gsize n;
} Signal;

/* Reads any audio file as 48 kHz mono, -1..1. */
static gboolean
read_audio (const gchar *path, Signal *out, GError **error)
{
  g_autofree gchar *desc = g_strdup_printf (
      "filesrc name=src ! decodebin ! audioconvert ! audioresample ! "
      "%s ! appsink name=sink sync=false",
      SL_VOICE_CAPS);
  g_autoptr (GstElement) pipe = gst_parse_launch (desc, error);
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (gfloat));
  g_autoptr (GstBus) bus = NULL;
  GstSample *sample;

  if (pipe == NULL)
    return FALSE;
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  g_object_set (src, "location", path, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipe);
  for (;;)
    {
      g_autoptr (GstMessage) msg = NULL;

      sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
                                             100 * GST_MSECOND);
      if (sample == NULL && gst_app_sink_is_eos (GST_APP_SINK (sink)))
        break;
      msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      if (msg != NULL)
        {
          g_autoptr (GError) bad = NULL;

          gst_message_parse_error (msg, &bad, NULL);
          g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_ARGUMENT,
                       "cannot read %s: %s", path, bad->message);
          g_clear_pointer (&sample, gst_sample_unref);
          gst_element_set_state (pipe, GST_STATE_NULL);
          return FALSE;
        }
      if (sample == NULL)
        continue;
      GstMapInfo map;
      GstBuffer *buffer = gst_sample_get_buffer (sample);

      if (gst_buffer_map (buffer, &map, GST_MAP_READ))
        {
          const gint16 *s = (const gint16 *)map.data;
          for (gsize i = 0; i < map.size / 2; i++)
            {
              gfloat v = s[i] / 32768.0f;
              g_array_append_val (samples, v);
            }
          gst_buffer_unmap (buffer, &map);
        }
      gst_sample_unref (sample);
    }
  gst_element_set_state (pipe, GST_STATE_NULL);
  if (samples->len == 0)
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_ARGUMENT,
                   "%s: no audio could be read", path);
      return FALSE;
    }
  out->n = samples->len;
  out->s = (gfloat *)g_array_free (g_steal_pointer (&samples), FALSE);
  return TRUE;
}

static gdouble
energy (const gfloat *s, gsize n)
{
  gdouble e = 0;

  for (gsize i = 0; i < n; i++)
    e += (gdouble)s[i] * s[i];
  return e;
}

/* Scales @sig so that its active part (blocks within 30 dB of the
 * loudest) has an RMS of @rms. */
static void
normalise (Signal *sig, gdouble rms)
{
  gdouble peak = 0, sum = 0;
  gsize count = 0;

  for (gsize b = 0; b + BLOCK <= sig->n; b += BLOCK)
    peak = MAX (peak, energy (sig->s + b, BLOCK));
  for (gsize b = 0; b + BLOCK <= sig->n; b += BLOCK)
    if (energy (sig->s + b, BLOCK) > peak * 1e-3)
      {
        sum += energy (sig->s + b, BLOCK);
        count += BLOCK;
      }
  if (count == 0)
    return;
  for (gsize i = 0; i < sig->n; i++)
    sig->s[i] *= (gfloat)(rms / sqrt (sum / count));
}

/* The room between the loudspeaker's sink and the microphone: the sink's
 * output latency (@latency_ms, which the sink reports to the pipeline as
 * a sound card does), the direct path DIRECT_MS later, then reflections
 * every 1-3 ms decaying by 60 dB over 200 ms, with random signs (a fixed
 * seed), for TAIL_MS.  Sparse: @at[i] samples back, gain @gain[i]. */
typedef struct
{
  guint n;
  gsize at[TAIL_MS];
  gfloat gain[TAIL_MS];
  gsize len; /* the longest path, samples */
} Room;

static void
make_room (guint latency_ms, Room *room)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (18);
  gsize direct = (gsize)SL_VOICE_RATE * (latency_ms + DIRECT_MS) / 1000;
  gsize end = direct + (gsize)SL_VOICE_RATE * TAIL_MS / 1000;

  room->n = 0;
  room->at[room->n] = direct;
  room->gain[room->n++] = 0.6f;
  for (gsize i = direct + SL_VOICE_RATE / 1000; i < end && room->n < TAIL_MS;
       i += g_rand_int_range (rand, SL_VOICE_RATE / 1000,
                              3 * SL_VOICE_RATE / 1000))
    {
      gdouble t = (gdouble)(i - direct) / SL_VOICE_RATE;
      gdouble a = 0.4 * pow (10, -3.0 * t / 0.2);

      room->at[room->n] = i;
      room->gain[room->n++] = (gfloat)(g_rand_boolean (rand) ? a : -a);
    }
  room->len = end;
}

static GstBuffer *
block_buffer (const gfloat *s, guint64 index)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, BLOCK * 2, NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < BLOCK; i++)
    ((gint16 *)map.data)[i]
        = (gint16)CLAMP (lrintf (s[i] * 32768.0f), -32768, 32767);
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = index * 10 * GST_MSECOND;
  GST_BUFFER_DURATION (buffer) = 10 * GST_MSECOND;
  return buffer;
}

/* Pulls one block from @sink into @out (BLOCK samples); FALSE if none
 * came within 10 s (the graph stalled). */
static gboolean
pull_block (GstElement *sink, gfloat *out)
{
  g_autoptr (GstSample) sample
      = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 10 * GST_SECOND);
  GstMapInfo map;

  if (sample == NULL)
    return FALSE;
  gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
  for (gsize i = 0; i < BLOCK; i++)
    out[i] = i < map.size / 2 ? ((gint16 *)map.data)[i] / 32768.0f : 0;
  gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  return TRUE;
}

static GstElement *
make_appsink (void)
{
  GstElement *sink = gst_element_factory_make ("appsink", NULL);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  return sink;
}

/* The lag, in samples (0 .. @max_lag), at which @out best matches @ref
 * over @n samples (normalised cross-correlation). */
static gsize
best_lag (const gfloat *ref, const gfloat *out, gsize n, gsize max_lag)
{
  gdouble best = -G_MAXDOUBLE;
  gsize lag_best = 0;

  for (gsize lag = 0; lag <= max_lag && lag < n; lag++)
    {
      gdouble xy = 0, yy = 0;

      for (gsize i = 0; i + lag < n; i++)
        {
          xy += (gdouble)ref[i] * out[i + lag];
          yy += (gdouble)out[i + lag] * out[i + lag];
        }
      if (yy > 0 && xy / sqrt (yy) > best)
        {
          best = xy / sqrt (yy);
          lag_best = lag;
        }
    }
  return lag_best;
}

/* The township's voice graph in a pipeline this program drives. */
typedef struct
{
  GstElement *pipe;
  SlVoice *voice;
  GstElement *mic;     /* appsrc: the microphone */
  GstElement *speaker; /* appsink: the loudspeaker's sink */
  GstElement *near;    /* appsink: the microphone after processing */
  GstAppSrc *far;      /* the far end's voice */
} Graph;

static void
graph_clear (Graph *g)
{
  if (g->pipe != NULL)
    gst_element_set_state (g->pipe, GST_STATE_NULL);
  g_clear_object (&g->far);
  g_clear_pointer (&g->voice, sl_voice_free);
  g_clear_object (&g->pipe);
}

static gboolean
graph_build (Graph *g, SlVoiceProcessing mode, guint latency_ms, GStrv dsp_sets,
             GError **error)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (SL_VOICE_CAPS);
  SlVoiceConfig config = { mode, NULL, FALSE };
  GstElement *lesson = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) pad = NULL;

  g->pipe = gst_object_ref_sink (gst_pipeline_new ("room"));
  g->mic = gst_element_factory_make ("appsrc", "mic");
  g_object_set (g->mic, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  gst_bin_add (GST_BIN (g->pipe), g->mic);
  config.speaker = g->speaker = make_appsink ();
  g->voice = sl_voice_build (GST_BIN (g->pipe), g->mic, &config, error);
  if (g->voice == NULL)
    return FALSE;
  g->near = make_appsink ();
  g_object_set (lesson, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (g->pipe), g->near, lesson, NULL);
  gst_element_link (sl_voice_near_tail (g->voice), g->near);
  gst_element_link (sl_voice_lesson_tail (g->voice), lesson);
  for (guint i = 0; dsp_sets && dsp_sets[i] && sl_voice_processor (g->voice);
       i++)
    {
      g_auto (GStrv) kv = g_strsplit (dsp_sets[i], "=", 2);
      if (kv[1] != NULL)
        gst_util_set_object_arg (G_OBJECT (sl_voice_processor (g->voice)),
                                 kv[0], kv[1]);
    }
  g->far = sl_voice_add_far (g->voice, error);
  if (g->far == NULL)
    return FALSE;
  if (gst_element_set_state (g->pipe, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "the pipeline did not start");
      return FALSE;
    }
  /* The loudspeaker's latency, as a sound card's sink reports it: the
   * echo probe learns when what it saw is heard. */
  pad = gst_element_get_static_pad (g->speaker, "sink");
  gst_pad_push_event (pad, gst_event_new_latency (latency_ms * GST_MSECOND));
  return TRUE;
}

/* The scene: far-end speech alone for far_only blocks, then both. */
typedef struct
{
  Signal far, near_speech;
  Room room;
  gsize blocks, far_only, converge;
  gfloat *mic, *out, *echo, *near; /* blocks * BLOCK samples each */
} Scene;

static void
scene_clear (Scene *s)
{
  g_free (s->far.s);
  g_free (s->near_speech.s);
  g_free (s->mic);
  g_free (s->out);
  g_free (s->echo);
  g_free (s->near);
}

/* Block @b: the far end to the loudspeaker, the loudspeaker's output
 * through the room, plus the near end, into the microphone; what the
 * processing made of it into s->out. */
static gboolean
play_block (Graph *g, Scene *s, gfloat *history, gsize b, GError **error)
{
  const gsize len = s->room.len;
  gfloat far_block[BLOCK], played[BLOCK];
  gfloat *echo = s->echo + b * BLOCK, *near = s->near + b * BLOCK;
  gfloat *mic = s->mic + b * BLOCK;

  for (gsize i = 0; i < BLOCK; i++)
    far_block[i] = s->far.s[(b * BLOCK + i) % s->far.n];
  gst_app_src_push_buffer (g->far, block_buffer (far_block, b));
  if (!pull_block (g->speaker, played))
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "the loudspeaker stalled at block %zu", b);
      return FALSE;
    }
  /* history: the loudspeaker's last len samples, then this block. */
  memmove (history, history + BLOCK, len * sizeof *history);
  memcpy (history + len, played, sizeof played);
  for (gsize i = 0; i < BLOCK; i++)
    {
      gdouble acc = 0;

      for (guint k = 0; k < s->room.n; k++)
        acc += s->room.gain[k] * history[len + i - s->room.at[k]];
      echo[i] = (gfloat)acc;
      near[i]
          = b < s->far_only
                ? 0
                : s->near_speech
                      .s[((b - s->far_only) * BLOCK + i) % s->near_speech.n];
      mic[i] = echo[i] + near[i];
    }
  gst_app_src_push_buffer (GST_APP_SRC (g->mic), block_buffer (mic, b));
  if (!pull_block (g->near, s->out + b * BLOCK))
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "the microphone's path stalled at block %zu", b);
      return FALSE;
    }
  return TRUE;
}

static gboolean
play_scene (Graph *g, Scene *s, GError **error)
{
  g_autofree gfloat *history = g_new0 (gfloat, s->room.len + BLOCK);

  s->mic = g_new0 (gfloat, s->blocks * BLOCK);
  s->out = g_new0 (gfloat, s->blocks * BLOCK);
  s->echo = g_new0 (gfloat, s->blocks * BLOCK);
  s->near = g_new0 (gfloat, s->blocks * BLOCK);
  for (gsize b = 0; b < s->blocks; b++)
    if (!play_block (g, s, history, b, error))
      return FALSE;
  return TRUE;
}

static void
print_measures (Scene *s, SlVoiceProcessing mode, guint latency_ms)
{
  gdouble erle_mic = 0, erle_out = 0, dt_out = 0, dt_near = 0, dt_echo = 0;
  gdouble echo_peak = 0, near_peak = 0;
  const gsize dt = (s->blocks - s->far_only) * BLOCK;
  gsize lag;

  for (gsize b = s->converge; b < s->far_only; b++)
    echo_peak = MAX (echo_peak, energy (s->echo + b * BLOCK, BLOCK));
  for (gsize b = s->far_only; b < s->blocks; b++)
    near_peak = MAX (near_peak, energy (s->near + b * BLOCK, BLOCK));
  for (gsize b = s->converge; b < s->far_only; b++)
    if (energy (s->echo + b * BLOCK, BLOCK) > echo_peak * 1e-4)
      {
        erle_mic += energy (s->mic + b * BLOCK, BLOCK);
        erle_out += energy (s->out + b * BLOCK, BLOCK);
      }
  for (gsize b = s->far_only; b < s->blocks; b++)
    if (energy (s->near + b * BLOCK, BLOCK) > near_peak * 1e-3)
      {
        dt_near += energy (s->near + b * BLOCK, BLOCK);
        dt_out += energy (s->out + b * BLOCK, BLOCK);
        dt_echo += energy (s->echo + b * BLOCK, BLOCK);
      }
  lag = best_lag (s->near + s->far_only * BLOCK, s->out + s->far_only * BLOCK,
                  dt, (gsize)SL_VOICE_RATE * 40 / 1000);
  printf ("{\"processing\": \"%s\", \"echo_path_ms\": %u, \"erle_db\": %.2f, "
          "\"near_change_db\": %.2f, \"echo_to_near_db\": %.2f, "
          "\"delay_ms\": %.2f}\n",
          sl_voice_processing_name (mode), latency_ms + DIRECT_MS,
          10 * log10 (erle_mic / MAX (erle_out, 1e-12)),
          10 * log10 (MAX (dt_out, 1e-12) / MAX (dt_near, 1e-12)),
          10 * log10 (MAX (dt_echo, 1e-12) / MAX (dt_near, 1e-12)),
          lag * 1000.0 / SL_VOICE_RATE);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *far_path = NULL, *near_path = NULL, *mode_text = NULL;
  g_auto (GStrv) dsp_sets = NULL;
  gint latency_ms = 100;
  gdouble far_only_s = 10, double_talk_s = 6, converge_s = 2;
  const GOptionEntry entries[] = {
    { "far", 0, 0, G_OPTION_ARG_FILENAME, &far_path, "far-end speech", "FILE" },
    { "near", 0, 0, G_OPTION_ARG_FILENAME, &near_path, "near-end speech",
      "FILE" },
    { "processing", 0, 0, G_OPTION_ARG_STRING, &mode_text,
      "off, aec or aec+ns (default aec+ns)", "MODE" },
    { "speaker-latency", 0, 0, G_OPTION_ARG_INT, &latency_ms,
      "the loudspeaker's output latency, 0..280 ms (default 100)", "MS" },
    { "far-only", 0, 0, G_OPTION_ARG_DOUBLE, &far_only_s,
      "seconds of far-end speech alone (default 10)", "S" },
    { "double-talk", 0, 0, G_OPTION_ARG_DOUBLE, &double_talk_s,
      "seconds of both talking (default 6)", "S" },
    { "converge", 0, 0, G_OPTION_ARG_DOUBLE, &converge_s,
      "seconds left out of the ERLE (default 2)", "S" },
    { "dsp", 0, 0, G_OPTION_ARG_STRING_ARRAY, &dsp_sets,
      "set a webrtcdsp property (to explore other settings)", "PROP=VALUE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx
      = g_option_context_new ("- the township's echo canceller in a room");
  g_autoptr (GError) error = NULL;
  SlVoiceProcessing mode = SL_VOICE_PROCESSING_AEC_NS;
  Scene scene = { 0 };
  Graph graph = { 0 };
  int status = 1;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || far_path == NULL
      || near_path == NULL
      || (mode_text && !sl_voice_processing_parse (mode_text, &mode))
      || latency_ms < 0 || latency_ms > 280 || far_only_s <= converge_s
      || converge_s < 0 || double_talk_s <= 0 || far_only_s > 600
      || double_talk_s > 600)
    {
      fprintf (stderr, "sl-bench-voice-room: %s\n",
               error ? error->message
                     : "needs --far and --near; see --help for the ranges");
      return 2;
    }
  if (read_audio (far_path, &scene.far, &error)
      && read_audio (near_path, &scene.near_speech, &error))
    {
      /* Speech at -26 dBFS RMS, about a headset's level. */
      normalise (&scene.far, 0.05);
      normalise (&scene.near_speech, 0.05);
      make_room ((guint)latency_ms, &scene.room);
      scene.far_only = (gsize)(far_only_s * 100);
      scene.converge = (gsize)(converge_s * 100);
      scene.blocks = scene.far_only + (gsize)(double_talk_s * 100);
      if (graph_build (&graph, mode, (guint)latency_ms, dsp_sets, &error)
          && play_scene (&graph, &scene, &error))
        {
          print_measures (&scene, mode, (guint)latency_ms);
          status = 0;
        }
    }
  if (error != NULL)
    fprintf (stderr, "sl-bench-voice-room: %s\n", error->message);
  graph_clear (&graph);
  scene_clear (&scene);
  return status;
}
