/* latency-ref.c — two reference latencies to read the engine's against.
 *
 * A latency figure for sonolink needs the codec's floor below it and what
 * a plain webrtcbin pipeline gives above it.  This measures both in one
 * process, with the product's own frame source and latency stamp: the
 * synthetic phantom runs in an SlCapture whose tap writes the monotonic
 * clock into each frame's top right corner (sl-stamp.h) as the frame is
 * handed to the sending appsrc; the receiving appsink reads it back from
 * the decoded picture.  Both ends read the same clock.  The pipelines are
 * gst-launch descriptions (FLOOR, SENDER, RECEIVER) so that what is
 * measured reads at a glance.  Warm-up counts decoded frames, so it also
 * covers ICE, DTLS and the first key frame.  Fidelity (luma PSNR and SSIM
 * against the regenerated phantom frame) runs on a low-priority thread so
 * that it neither delays the frames being timed nor takes CPU from them.
 */
#include "sl-capture.h"
#include "sl-fidelity.h"
#include "sl-media.h"
#include "sl-phantom.h"
#include "sl-probe.h"
#include "sl-stamp.h"

#include <gst/app/gstappsink.h>
#include <gst/webrtc/webrtc.h>
#include <math.h>
#include <nice/agent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define PROG "sl-bench-latency-ref"
#define SEED 1 /* the phantom's, at the source and for regeneration */
/* Pictures waiting for the fidelity worker beyond this many are not
 * compared (fidelity_frames says how many were): memory stays bounded. */
#define MAX_BACKLOG 120

/* As make_appsrc in media/session/sl-session-media.c. */
#define APPSRC                                                                 \
  "appsrc name=src is-live=true format=time do-timestamp=true "                \
  "max-buffers=2 max-bytes=0 leaky-type=downstream block=false"
/* The product's encoder and decoder: launch() applies the engine's own
 * settings (sl_media_configure_h264_encoder/decoder) to them, and x264
 * makes the profile they need. */
#define FLOOR                                                                  \
  APPSRC " ! x264enc name=encoder bitrate=%d "                                 \
         "! video/x-h264 ! h264parse "                                         \
         "! avdec_h264 name=decoder "                                          \
         "! video/x-raw,format=I420 ! appsink name=sink sync=false"
#define SENDER                                                                 \
  APPSRC " ! videoconvert ! x264enc name=encoder tune=zerolatency "            \
         "speed-preset=ultrafast bitrate=%d ! rtph264pay config-interval=-1 "  \
         "! application/x-rtp,media=video,encoding-name=H264,payload=96 "      \
         "! webrtcbin name=webrtc"
#define RECEIVER                                                               \
  "rtph264depay ! h264parse ! avdec_h264 ! videoconvert "                      \
  "! video/x-raw,format=I420 ! appsink name=sink sync=true"

typedef struct
{
  gchar *mode, *json;
  gboolean reference;
  gint width, height, fps, bitrate, frames, warmup, timeout;
} Options;

typedef struct
{
  guint64 index, stamp; /* phantom frame index, latency stamp (µs) */
  guint8 *luma;         /* width × height, tightly packed */
} Picture;

static Picture end_of_pictures;

typedef struct
{
  Options opt;
  GMainLoop *loop;
  gchar *failure; /* main thread only, as are the next two */
  gint64 deadline_us;
  gboolean timed_out;

  SlCapture *capture;
  GstElement *pipelines[2]; /* sending, receiving (reference only) */
  GstElement *appsrc, *webrtc_a, *webrtc_b; /* owned */
  gboolean offered, receiving;              /* atomic */

  /* Shared by the capture, encoder and receiving threads (atomics). */
  gint64 window_start_us; /* 0 until the warm-up is over */
  gint64 window_end_us;   /* 0 until the Nth frame is measured */
  guint64 frames_sent, encoded_bytes;

  /* The receiving thread's alone while the pipelines run. */
  guint warmup_seen;
  guint64 frames_decoded, stamp_errors, bytes_start, bytes_end;
  gint64 cpu_start_us, cpu_end_us;
  GArray *latency_ms; /* element-type gdouble */

  /* The worker's; read only once it is joined. */
  GThread *worker;
  GAsyncQueue *pictures; /* element-type Picture */
  guint fidelity_frames;
  gint64 fidelity_cpu_us;
  gdouble psnr_sum, psnr_min, ssim_sum, ssim_min;
} Bench;

/* ---- fidelity ---- */

static void
picture_free (Picture *p)
{
  g_free (p->luma);
  g_free (p);
}

/* The source frame is regenerated and given the latency stamp the tap
 * wrote into it (read back from the decoded picture), which makes it the
 * sent picture byte for byte.  That is simpler than cutting the stamp
 * rectangles out of PSNR and SSIM, and every pixel sent is compared. */
static gpointer
fidelity_worker (gpointer data)
{
  Bench *b = data;
  guint w = (guint)b->opt.width, h = (guint)b->opt.height;
  gsize luma = (gsize)w * h;
  g_autoptr (SlPhantom) phantom = sl_phantom_new (w, h, SEED);
  g_autofree guint8 *ref = g_malloc (luma * 3 / 2);
  struct timespec cpu;
  Picture *p;

  /* Nice 10 for this thread only (Linux): the pipelines come first. */
  setpriority (PRIO_PROCESS, (id_t)gettid (), 10);
  while ((p = g_async_queue_pop (b->pictures)) != &end_of_pictures)
    {
      gdouble psnr, ssim;

      sl_phantom_render (phantom, p->index, ref, (gint)w, ref + luma,
                         (gint)w / 2, ref + luma * 5 / 4, (gint)w / 2);
      sl_stamp_write_at (SL_STAMP_TOP_RIGHT, ref, (gint)w, w, h, p->stamp);
      psnr = sl_fidelity_psnr (p->luma, (gint)w, ref, (gint)w, w, h);
      ssim = sl_fidelity_ssim (p->luma, (gint)w, ref, (gint)w, w, h);
      b->psnr_min = b->fidelity_frames ? MIN (b->psnr_min, psnr) : psnr;
      b->ssim_min = b->fidelity_frames ? MIN (b->ssim_min, ssim) : ssim;
      b->psnr_sum += psnr;
      b->ssim_sum += ssim;
      b->fidelity_frames++;
      picture_free (p);
    }
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &cpu);
  b->fidelity_cpu_us = cpu.tv_sec * G_USEC_PER_SEC + cpu.tv_nsec / 1000;
  return NULL;
}

/* A copy of the luma, so that the decoder's buffer goes back at once. */
static void
queue_picture (Bench *b, const GstVideoFrame *frame, guint64 index,
               guint64 stamp)
{
  guint w = (guint)b->opt.width, h = (guint)b->opt.height;
  const guint8 *y = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  Picture *p;

  if (g_async_queue_length (b->pictures) >= MAX_BACKLOG)
    return;
  p = g_new (Picture, 1);
  p->index = index;
  p->stamp = stamp;
  p->luma = g_malloc ((gsize)w * h);
  for (guint row = 0; row < h; row++)
    memcpy (p->luma + (gsize)row * w, y + (gsize)row * stride, w);
  g_async_queue_push (b->pictures, p);
}

/* ---- the two ends ---- */

static gint64
cpu_now_us (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * G_USEC_PER_SEC
         + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* Capture tap (capture thread): the frame is handed to the appsrc next. */
static void
stamp_frame (GstBuffer *buffer, const GstVideoInfo *info, gpointer user_data)
{
  Bench *b = user_data;
  GstVideoFrame frame;
  gint64 now, start;

  if (!gst_video_frame_map (&frame, info, buffer, GST_MAP_WRITE))
    return;
  /* Read the clock last: the stamp marks the hand-off, not the mapping. */
  now = sl_media_now_us ();
  sl_stamp_write_at (SL_STAMP_TOP_RIGHT, GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
                     GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0),
                     GST_VIDEO_INFO_WIDTH (info), GST_VIDEO_INFO_HEIGHT (info),
                     (guint64)now);
  gst_video_frame_unmap (&frame);
  start = __atomic_load_n (&b->window_start_us, __ATOMIC_ACQUIRE);
  if (start != 0 && now >= start
      && __atomic_load_n (&b->window_end_us, __ATOMIC_ACQUIRE) == 0)
    __atomic_fetch_add (&b->frames_sent, 1, __ATOMIC_RELAXED);
}

static GstPadProbeReturn
count_encoded_bytes (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Bench *b = user_data;

  __atomic_fetch_add (&b->encoded_bytes,
                      gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info)),
                      __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

/* Opens the window after the warm-up, or measures a picture inside it
 * (both stamps read) and closes the window at the Nth. */
static void
count_frame (Bench *b, gint64 now, const GstVideoFrame *frame, guint64 index,
             guint64 stamp)
{
  gdouble ms = (now - (gint64)stamp) / 1000.0;

  if (b->window_start_us == 0)
    {
      if (++b->warmup_seen < (guint)b->opt.warmup)
        return;
      b->cpu_start_us = cpu_now_us ();
      b->bytes_start = __atomic_load_n (&b->encoded_bytes, __ATOMIC_RELAXED);
      __atomic_store_n (&b->window_start_us, now, __ATOMIC_RELEASE);
      return;
    }
  b->frames_decoded++;
  g_array_append_val (b->latency_ms, ms);
  queue_picture (b, frame, index, stamp);
  if (b->latency_ms->len < (guint)b->opt.frames)
    return;
  b->cpu_end_us = cpu_now_us ();
  b->bytes_end = __atomic_load_n (&b->encoded_bytes, __ATOMIC_RELAXED);
  __atomic_store_n (&b->window_end_us, now, __ATOMIC_RELEASE);
  g_main_loop_quit (b->loop); /* thread-safe */
}

/* The appsink's new-sample (receiving streaming thread).  A picture with
 * either stamp unreadable is a stamp error and counts for nothing else:
 * its latency or its source frame would be a guess.  One whose latency
 * stamp predates the window was sent during the warm-up. */
static GstFlowReturn
on_decoded (GstAppSink *sink, gpointer user_data)
{
  Bench *b = user_data;
  gint64 now = sl_media_now_us ();
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  guint64 stamp = 0, index = 0;
  gboolean timed, indexed;
  GstVideoFrame frame;
  GstVideoInfo info;
  const guint8 *y;
  gint stride;
  guint w, h;

  if (sample == NULL)
    return GST_FLOW_EOS;
  if (b->window_end_us != 0
      || !gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
                               GST_MAP_READ))
    return GST_FLOW_OK;
  w = GST_VIDEO_INFO_WIDTH (&info);
  h = GST_VIDEO_INFO_HEIGHT (&info);
  y = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  timed = sl_stamp_read_at (SL_STAMP_TOP_RIGHT, y, stride, w, h, &stamp);
  indexed = sl_stamp_read_at (SL_STAMP_TOP_LEFT, y, stride, w, h, &index);
  if (timed && indexed
      && (gint64)stamp
             >= __atomic_load_n (&b->window_start_us, __ATOMIC_RELAXED))
    count_frame (b, now, &frame, index, stamp);
  else if (b->window_start_us != 0 && (!timed || !indexed))
    {
      b->frames_decoded++;
      b->stamp_errors++;
    }
  gst_video_frame_unmap (&frame);
  return GST_FLOW_OK;
}

/* ---- the pipelines ---- */

static void
watch_sink (Bench *b, GstElement *bin)
{
  static GstAppSinkCallbacks callbacks = { .new_sample = on_decoded };
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (bin), "sink");

  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, b, NULL);
}

static gboolean
launch (Bench *b, GError **error)
{
  g_autofree gchar *desc
      = g_strdup_printf (b->opt.reference ? SENDER : FLOOR, b->opt.bitrate);
  GstElement *pipeline = gst_parse_launch (desc, error);
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstPad) pad = NULL;

  b->pipelines[0] = pipeline;
  if (pipeline == NULL || *error != NULL)
    return FALSE;
  b->appsrc = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  encoder = gst_bin_get_by_name (GST_BIN (pipeline), "encoder");
  if (!b->opt.reference)
    {
      g_autoptr (GstElement) decoder
          = gst_bin_get_by_name (GST_BIN (pipeline), "decoder");

      sl_media_configure_h264_encoder (encoder, b->opt.bitrate, b->opt.width,
                                       b->opt.height, b->opt.fps);
      sl_media_configure_h264_decoder (decoder);
    }
  pad = gst_element_get_static_pad (encoder, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_encoded_bytes, b,
                     NULL);
  if (!b->opt.reference)
    watch_sink (b, pipeline);
  return TRUE;
}

/* webrtcbin thread.  Adds the receiving branch, as a bin brought up on
 * its own, once the stream's pad appears.  gst_bin_sync_children_states()
 * on the pipeline instead would, once the new sink waits for preroll, set
 * webrtcbin to PAUSED too, and its paused jitter buffer would never give
 * the sink the frame it waits for. */
static void
on_pad_added (GstElement *webrtc, GstPad *pad, Bench *b)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstPad) sink = NULL;
  GstElement *bin;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC
      || __atomic_exchange_n (&b->receiving, TRUE, __ATOMIC_ACQ_REL))
    return;
  bin = gst_parse_bin_from_description (RECEIVER, TRUE, &error);
  if (bin == NULL)
    {
      g_printerr (PROG ": cannot receive: %s\n", error->message);
      return; /* the deadline reports it */
    }
  watch_sink (b, bin);
  gst_bin_add (GST_BIN (b->pipelines[1]), bin);
  gst_element_sync_state_with_parent (bin);
  sink = gst_element_get_static_pad (bin, "sink");
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    g_printerr (PROG ": could not link the received stream\n");
}

/* Hands each candidate straight to the other peer (webrtcbin thread). */
static void
on_ice_candidate (GstElement *webrtc, guint mline, gchar *candidate, Bench *b)
{
  GstElement *peer = webrtc == b->webrtc_a ? b->webrtc_b : b->webrtc_a;

  if (candidate == NULL || candidate[0] == '\0')
    return;
  if (strstr (candidate, " 127.0.0.1 ") == NULL)
    g_printerr (PROG ": dropped a non-loopback candidate: %s\n", candidate);
  else
    g_signal_emit_by_name (peer, "add-ice-candidate", mline, candidate);
}

/* As set_up_ice in media/session/sl-session.c, with 127.0.0.1. */
static void
setup_webrtc (Bench *b, GstElement *webrtc)
{
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;
  NiceAddress addr;

  g_object_get (webrtc, "ice-agent", &ice, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  nice_address_set_from_string (&addr, "127.0.0.1");
  nice_agent_add_local_address (NICE_AGENT (agent), &addr);
  g_signal_connect (webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate),
                    b);
}

/* (transfer full) the description a create-offer or create-answer
 * promise was replied with, or NULL. */
static GstWebRTCSessionDescription *
take_reply (GstPromise *promise, const gchar *field)
{
  GstWebRTCSessionDescription *desc = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    gst_structure_get (gst_promise_get_reply (promise), field,
                       GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
  gst_promise_unref (promise);
  if (desc == NULL)
    g_printerr (PROG ": webrtcbin made no %s\n", field);
  return desc;
}

/* The signalling, in-process and on webrtcbin's threads as in the usual
 * examples: offer A → B, answer B → A. */
static void
on_answer (GstPromise *promise, gpointer user_data)
{
  Bench *b = user_data;
  GstWebRTCSessionDescription *answer = take_reply (promise, "answer");

  if (answer == NULL)
    return;
  g_signal_emit_by_name (b->webrtc_b, "set-local-description", answer, NULL);
  g_signal_emit_by_name (b->webrtc_a, "set-remote-description", answer, NULL);
  gst_webrtc_session_description_free (answer);
}

static void
on_offer (GstPromise *promise, gpointer user_data)
{
  Bench *b = user_data;
  GstWebRTCSessionDescription *offer = take_reply (promise, "offer");

  if (offer == NULL)
    return;
  g_signal_emit_by_name (b->webrtc_a, "set-local-description", offer, NULL);
  /* Each webrtcbin runs its operations in order: the answer is made after
   * the offer is applied. */
  g_signal_emit_by_name (b->webrtc_b, "set-remote-description", offer, NULL);
  g_signal_emit_by_name (b->webrtc_b, "create-answer", NULL,
                         gst_promise_new_with_change_func (on_answer, b, NULL));
  gst_webrtc_session_description_free (offer);
}

static void
on_negotiation_needed (GstElement *webrtc, Bench *b)
{
  if (!__atomic_exchange_n (&b->offered, TRUE, __ATOMIC_ACQ_REL))
    g_signal_emit_by_name (
        webrtc, "create-offer", NULL,
        gst_promise_new_with_change_func (on_offer, b, NULL));
}

/* Peer A sends (its transceiver sendonly, as in the examples), peer B, in
 * a pipeline of its own as each peer of the engine has, receives. */
static gboolean
build_reference (Bench *b, GError **error)
{
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;

  if (!launch (b, error))
    return FALSE;
  b->webrtc_a = gst_bin_get_by_name (GST_BIN (b->pipelines[0]), "webrtc");
  b->webrtc_b
      = gst_object_ref_sink (gst_element_factory_make ("webrtcbin", "b"));
  b->pipelines[1] = gst_pipeline_new ("receiver");
  gst_bin_add (GST_BIN (b->pipelines[1]), b->webrtc_b);
  setup_webrtc (b, b->webrtc_a);
  setup_webrtc (b, b->webrtc_b);
  g_signal_connect (b->webrtc_a, "on-negotiation-needed",
                    G_CALLBACK (on_negotiation_needed), b);
  g_signal_connect (b->webrtc_b, "pad-added", G_CALLBACK (on_pad_added), b);
  pad = gst_element_get_static_pad (b->webrtc_a, "sink_0");
  g_object_get (pad, "transceiver", &trans, NULL);
  g_object_set (trans, "direction",
                GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
  return TRUE;
}

/* ---- running ---- */

/* (transfer full) the first error @pipeline posted, or NULL.  Other
 * messages are dropped: nothing else on these buses is of interest. */
static gchar *
pipeline_error (GstElement *pipeline)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_autoptr (GError) error = NULL;

  if (msg == NULL)
    return NULL;
  gst_message_parse_error (msg, &error, NULL);
  return g_strdup_printf ("%s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
                          error->message);
}

/* Every 200 ms: errors, ICE failure and the deadline. */
static gboolean
on_check (gpointer user_data)
{
  Bench *b = user_data;
  g_autoptr (GError) error = sl_capture_get_error (b->capture);
  GstWebRTCPeerConnectionState pc = GST_WEBRTC_PEER_CONNECTION_STATE_NEW;

  for (guint i = 0; i < 2 && b->failure == NULL; i++)
    if (b->pipelines[i] != NULL)
      b->failure = pipeline_error (b->pipelines[i]);
  if (b->failure == NULL && error != NULL)
    b->failure = g_strdup (error->message);
  if (b->webrtc_a != NULL)
    g_object_get (b->webrtc_a, "connection-state", &pc, NULL);
  if (b->failure == NULL && pc == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    b->failure = g_strdup ("the WebRTC connection failed (ICE or DTLS)");
  /* The timeout's message is written once the receiving thread stopped. */
  b->timed_out = sl_media_now_us () > b->deadline_us;
  if (b->failure != NULL || b->timed_out)
    g_main_loop_quit (b->loop);
  return G_SOURCE_CONTINUE;
}

/* The receiving end starts first, so that it is ready when the sender is;
 * the capture last, with the appsrc as its target. */
static gboolean
start (Bench *b, GError **error)
{
  SlProbeConfig config = { (guint)b->opt.width, (guint)b->opt.height,
                           (guint)b->opt.fps, SEED, NULL };
  GstElement *video;

  if (!sl_media_check_plugins (error)
      || !(b->opt.reference ? build_reference (b, error) : launch (b, error)))
    return FALSE;
  for (gint i = 1; i >= 0; i--)
    {
      g_autofree gchar *why = NULL;

      if (b->pipelines[i] == NULL)
        continue;
      sl_media_use_system_clock (b->pipelines[i]);
      if (gst_element_set_state (b->pipelines[i], GST_STATE_PLAYING)
          != GST_STATE_CHANGE_FAILURE)
        continue;
      why = pipeline_error (b->pipelines[i]);
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "a pipeline could not start: %s", why ? why : "?");
      return FALSE;
    }
  video = sl_probe_make_source ("synthetic", &config, NULL, error);
  if (video == NULL
      || (b->capture = sl_capture_new (video, NULL, error)) == NULL)
    return FALSE;
  sl_capture_set_tap (b->capture, stamp_frame, b);
  sl_capture_add_target (b->capture, SL_CAPTURE_VIDEO, GST_APP_SRC (b->appsrc));
  return sl_capture_start (b->capture, error);
}

static void
stop (Bench *b)
{
  g_clear_pointer (&b->capture, sl_capture_free);
  for (guint i = 0; i < 2; i++)
    if (b->pipelines[i] != NULL)
      {
        gst_element_set_state (b->pipelines[i], GST_STATE_NULL);
        gst_clear_object (&b->pipelines[i]);
      }
  gst_clear_object (&b->appsrc);
  gst_clear_object (&b->webrtc_a);
  gst_clear_object (&b->webrtc_b);
  g_async_queue_push (b->pictures, &end_of_pictures);
  g_thread_join (b->worker);
}

/* ---- the result ---- */

static int
compare_doubles (const void *a, const void *b)
{
  gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;

  return (x > y) - (x < y);
}

/* Nearest rank on sorted @v: the smallest value with at least @p % of the
 * values at or below it. */
static gdouble
percentile (const gdouble *v, guint n, gdouble p)
{
  guint rank = (guint)ceil (p / 100.0 * n);

  return v[rank > 0 ? rank - 1 : 0];
}

/* One line of JSON.  The program never calls setlocale(), so printf
 * writes numbers in the C locale, with a decimal point. */
static gchar *
result_json (Bench *b)
{
  gdouble *ms = (gdouble *)b->latency_ms->data, sum = 0;
  guint n = b->latency_ms->len, f = MAX (b->fidelity_frames, 1);
  gdouble secs = (b->window_end_us - b->window_start_us) / 1e6;

  qsort (ms, n, sizeof *ms, compare_doubles);
  for (guint i = 0; i < n; i++)
    sum += ms[i];
  return g_strdup_printf (
      "{\"mode\":\"%s\",\"width\":%d,\"height\":%d,\"fps\":%d,"
      "\"bitrate_kbps\":%d,\"frames_sent\":%" G_GUINT64_FORMAT
      ",\"frames_decoded\":%" G_GUINT64_FORMAT
      ",\"stamp_errors\":%" G_GUINT64_FORMAT
      ",\"latency_ms\":{\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,"
      "\"max\":%.3f,\"mean\":%.3f},\"psnr_db\":{\"mean\":%.3f,\"min\":%.3f},"
      "\"ssim\":{\"mean\":%.5f,\"min\":%.5f},\"fidelity_frames\":%u,"
      "\"actual_bitrate_kbps\":%.1f,\"cpu_s\":%.3f,\"fidelity_cpu_s\":%.3f}",
      b->opt.reference ? "reference" : "floor", b->opt.width, b->opt.height,
      b->opt.fps, b->opt.bitrate, b->frames_sent, b->frames_decoded,
      b->stamp_errors, percentile (ms, n, 50), percentile (ms, n, 95),
      percentile (ms, n, 99), ms[n - 1], sum / n, b->psnr_sum / f, b->psnr_min,
      b->ssim_sum / f, b->ssim_min, b->fidelity_frames,
      (b->bytes_end - b->bytes_start) * 8 / 1000.0 / secs,
      (b->cpu_end_us - b->cpu_start_us) / 1e6, b->fidelity_cpu_us / 1e6);
}

/* ---- options ---- */

static const gchar summary[]
    = "Measures the latency from a frame handed to the sending pipeline to "
      "the decoded frame, with the synthetic phantom and the engine's "
      "latency stamp.  --mode floor: x264enc and avdec_h264 as the engine "
      "sets them, linked directly.  --mode reference: webrtcbin to webrtcbin "
      "on 127.0.0.1 as the common examples are copied (200 ms jitter buffer, "
      "a sink that waits for the clock).\n\n"
      "Prints one line of JSON: latency_ms {p50, p95, p99, max, mean}, luma "
      "psnr_db and ssim {mean, min} against the source frames, frames_sent "
      "(handed to the appsrc in the measured window), frames_decoded, "
      "stamp_errors (pictures with an unreadable stamp, otherwise ignored), "
      "fidelity_frames (pictures compared), actual_bitrate_kbps (encoder "
      "output over the window), cpu_s (process CPU time over the window) "
      "and fidelity_cpu_s (the fidelity measures' share).  Exit status 0 on "
      "success, 1 on failure.";

static gboolean
parse_options (Options *o, int *argc, char ***argv, GError **error)
{
  GOptionEntry entries[]
      = { { "mode", 0, 0, G_OPTION_ARG_STRING, &o->mode,
            "floor or reference (default floor)", "MODE" },
          { "width", 0, 0, G_OPTION_ARG_INT, &o->width,
            "Picture width, even, 464 to 1920 (default 1280)", "W" },
          { "height", 0, 0, G_OPTION_ARG_INT, &o->height,
            "Picture height, even, 64 to 1080 (default 720)", "H" },
          { "fps", 0, 0, G_OPTION_ARG_INT, &o->fps,
            "Frame rate of the phantom, 1 to 120 (default 30)", "FPS" },
          { "bitrate", 0, 0, G_OPTION_ARG_INT, &o->bitrate,
            "x264enc target bitrate in kbit/s (default 4000)", "KBPS" },
          { "frames", 0, 0, G_OPTION_ARG_INT, &o->frames,
            "Frames to measure, after the warm-up (default 1000)", "N" },
          { "warmup", 0, 0, G_OPTION_ARG_INT, &o->warmup,
            "Decoded frames to discard first, connection set-up included "
            "(default 60)",
            "N" },
          { "timeout", 0, 0, G_OPTION_ARG_INT, &o->timeout,
            "Fail if the frames have not arrived after S seconds (default 120)",
            "S" },
          { "json", 0, 0, G_OPTION_ARG_FILENAME, &o->json,
            "Also write the result object to FILE", "FILE" },
          G_OPTION_ENTRY_NULL };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- reference latencies: codec floor, webrtcbin");

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  o->reference = g_strcmp0 (o->mode, "reference") == 0;
  if (!o->reference && o->mode != NULL && g_strcmp0 (o->mode, "floor") != 0)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--mode must be floor or reference");
  else if (o->width % 2 || o->height % 2 || o->width > SL_PROBE_MAX_WIDTH
           || o->height > SL_PROBE_MAX_HEIGHT
           || !sl_stamp_fits_at (SL_STAMP_TOP_RIGHT, (guint)o->width,
                                 (guint)o->height))
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%dx%d: the size must be even, at most %dx%d and large "
                 "enough for the two stamps",
                 o->width, o->height, SL_PROBE_MAX_WIDTH, SL_PROBE_MAX_HEIGHT);
  else if (o->fps < 1 || o->fps > SL_PROBE_MAX_FPS || o->bitrate < 1
           || o->frames < 1 || o->warmup < 0 || o->timeout < 1)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--fps must be 1 to %d, --bitrate, --frames and --timeout "
                 "positive, --warmup not negative",
                 SL_PROBE_MAX_FPS);
  return *error == NULL;
}

static void
finish (Bench *b)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *result = NULL, *line = NULL;

  if (b->timed_out && b->failure == NULL)
    b->failure = g_strdup_printf (
        "timed out after %d s: %u of %d warm-up frames, then %u of %d "
        "measured frames arrived (%" G_GUINT64_FORMAT " stamp errors)",
        b->opt.timeout, MIN (b->warmup_seen, (guint)b->opt.warmup),
        b->opt.warmup, b->latency_ms->len, b->opt.frames, b->stamp_errors);
  if (b->failure != NULL)
    return;
  result = result_json (b);
  line = g_strconcat (result, "\n", NULL);
  fputs (line, stdout);
  if (b->opt.json != NULL
      && !g_file_set_contents (b->opt.json, line, -1, &error))
    b->failure = g_strdup (error->message);
}

static void
run (Bench *b)
{
  g_autoptr (GError) error = NULL;
  guint check;

  b->loop = g_main_loop_new (NULL, FALSE);
  b->latency_ms = g_array_sized_new (FALSE, FALSE, sizeof (gdouble),
                                     (guint)b->opt.frames);
  b->pictures = g_async_queue_new_full ((GDestroyNotify)picture_free);
  b->worker = g_thread_new ("fidelity", fidelity_worker, b);
  b->deadline_us = sl_media_now_us () + (gint64)b->opt.timeout * G_USEC_PER_SEC;
  check = g_timeout_add (200, on_check, b);
  if (start (b, &error))
    g_main_loop_run (b->loop);
  else
    b->failure = g_strdup (error->message);
  g_source_remove (check);
  stop (b);
  finish (b);
  g_array_unref (b->latency_ms);
  g_async_queue_unref (b->pictures);
  g_main_loop_unref (b->loop);
}

int
main (int argc, char **argv)
{
  Bench b = { .opt = { .width = 1280,
                       .height = 720,
                       .fps = 30,
                       .bitrate = 4000,
                       .frames = 1000,
                       .warmup = 60,
                       .timeout = 120 } };
  g_autoptr (GError) error = NULL;
  int status;

  if (parse_options (&b.opt, &argc, &argv, &error))
    {
      sl_media_init (&argc, &argv);
      run (&b);
    }
  else
    b.failure = g_strdup (error->message);
  if (b.failure != NULL)
    g_printerr (PROG ": %s\n", b.failure);
  status = b.failure != NULL;
  g_free (b.failure);
  g_free (b.opt.mode);
  g_free (b.opt.json);
  gst_deinit ();
  return status;
}
