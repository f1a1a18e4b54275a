/* test-session-pair.c — the session's GStreamer glue, two sessions in one
 * process.
 *
 * A SENDER and a VIEWER SlSession on loopback, their SDP and candidates
 * handed across directly, frames pushed into the sender's appsrc from the
 * main loop.  Each test checks one piece of glue that only a real
 * webrtcbin pair exercises, in seconds rather than in a multi-process
 * run: negotiation and the control and guidance channels, NACK/RTX
 * answered, FEC repair at the viewer, the keyframe limiter on the
 * encoder's request path, a PLI from the viewer reaching the sender, a
 * short link making the sender drop frames and pack its voice in longer
 * frames, and teardown at any point without a GLib critical (g_test_init
 * makes criticals and warnings fatal) or a session that is never freed.
 *
 * Losses are made at the viewer, in front of its video jitter buffer, so
 * that every packet the link "lost" is one the session must recover.
 * Waits have deadlines; nothing asserts a time.
 */
#include "sl-capture.h"
#include "sl-machine.h"
#include "sl-playout-delay.h"
#include "sl-probe.h"
#include "sl-session-private.h"
#include "sonolink.h"

#include <gst/app/gstappsrc.h>
#include <gst/rtp/rtp.h>
#include <glib/gstdio.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#define WIDTH 320
#define HEIGHT 240
#define FPS 30

typedef struct
{
  SlSession *sender;
  SlSession *viewer;
  guint feed_timer;
  guint voice_timer;
  guint64 frame_no;
  gdouble voice_phase;
  GstCaps *caps;
  gint frames_decoded;   /* atomic: frames the viewer's callback saw */
  guint guide_received;  /* guidance messages at the sender */
  gboolean refuse_guide; /* the sender's application refuses them */
  gint nacks_seen;       /* atomic: nacks at the viewer */
  gint keyframes;        /* atomic: keyframes out of the sender's encoder */
  gint dropped;          /* atomic: packets the loss probe dropped */
  guint drop_every;      /* the loss probe drops one in this many */
  guint seen;            /* packets the loss probe saw (its thread only) */
  guint8 *lost_seqnums;  /* 65536 flags: dropped once, let through after */
  /* Guards lost_payloads: the loss probe and the check probe. */
  GMutex lock;
  GHashTable *lost_payloads; /* seqnum -> GBytes: what was dropped */
  gint rebuilt_right;        /* atomic: FEC rebuilt a dropped packet */
  gint rebuilt_wrong;        /* atomic: ... into other bytes */
  guint video_ssrc;          /* the stream gone_for_good works on */
  gint gone_seq;             /* atomic: the packet lost for good, -1: none */
  gint requests;             /* atomic: keyframe requests since */
  gint frames_mark;          /* frames_decoded when a wait began */
  guint video_kbps;          /* the sender's --bitrate (0: 1000) */
  gchar *offer;              /* the sender's offer */
} Pair;

/* ---- the pair ---- */

static SlSession *
other_of (Pair *p, SlSession *s)
{
  return s == p->sender ? p->viewer : p->sender;
}

static void
on_local_description (SlSession *s, const gchar *type, const gchar *sdp,
                      gpointer user_data)
{
  Pair *p = user_data;
  SlSession *other = other_of (p, s);
  g_autoptr (GError) error = NULL;

  if (s == p->sender && g_str_equal (type, "offer"))
    {
      g_free (p->offer);
      p->offer = g_strdup (sdp);
    }
  if (other != NULL && sl_session_get_state (other) != SL_SESSION_STATE_CLOSED)
    g_assert_true (
        sl_session_set_remote_description (other, type, sdp, &error));
}

static void
on_local_candidate (SlSession *s, guint mline, const gchar *candidate,
                    gpointer user_data)
{
  SlSession *other = other_of (user_data, s);

  if (other != NULL && sl_session_get_state (other) != SL_SESSION_STATE_CLOSED)
    sl_session_add_remote_candidate (other, mline, candidate);
}

static void
on_video_frame (SlSession *s, GstSample *sample, gpointer user_data)
{
  Pair *p = user_data;

  g_atomic_int_inc (&p->frames_decoded);
}

static void
on_guide_message (SlSession *s, const SlGuideMsg *msg, gpointer user_data)
{
  Pair *p = user_data;

  if (s == p->sender)
    {
      p->guide_received++;
      /* As a township refuses a trainee's mark (sl-station-guide.c). */
      if (p->refuse_guide)
        {
          g_autoptr (GError) error = g_error_new_literal (
              G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "not yours to send");

          sl_session_send_guide_nack (s, error, msg->media_ms,
                                      sl_guide_type_name (msg->type), NULL);
        }
    }
  else if (msg->type == SL_GUIDE_NACK)
    g_atomic_int_inc (&p->nacks_seen);
}

/* A moving gradient: no scene cut, so x264 makes no keyframe of its own. */
static gboolean
feed_frame (gpointer user_data)
{
  Pair *p = user_data;
  gsize size = WIDTH * HEIGHT * 3 / 2;
  guint8 *data = g_malloc (size);
  g_autoptr (GstBuffer) buffer = NULL;
  g_autoptr (GstSample) sample = NULL;
  GstAppSrc *src;

  for (guint y = 0; y < HEIGHT; y++)
    for (guint x = 0; x < WIDTH; x++)
      data[y * WIDTH + x] = (guint8)(x + y + p->frame_no * 4);
  memset (data + WIDTH * HEIGHT, 128, WIDTH * HEIGHT / 2);
  p->frame_no++;
  buffer = gst_buffer_new_wrapped (data, size);
  sample = gst_sample_new (buffer, p->caps, NULL, NULL);
  src = sl_session_get_video_source (p->sender);
  if (src != NULL)
    gst_app_src_push_sample (src, sample);
  return G_SOURCE_CONTINUE;
}

/* 20 ms of a 700 Hz tone, 48 kHz mono, into the sender's voice. */
static gboolean
feed_voice (gpointer user_data)
{
  Pair *p = user_data;
  g_autoptr (GstCaps) caps = gst_caps_from_string (
      "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved");
  gint16 *data = g_new (gint16, 960);
  g_autoptr (GstBuffer) buffer = NULL;
  g_autoptr (GstSample) sample = NULL;
  GstAppSrc *src;

  for (guint i = 0; i < 960; i++)
    {
      data[i] = (gint16)(8000 * sin (p->voice_phase));
      p->voice_phase += 2 * G_PI * 700 / 48000;
    }
  buffer = gst_buffer_new_wrapped (data, 960 * sizeof *data);
  sample = gst_sample_new (buffer, caps, NULL, NULL);
  src = sl_session_get_audio_source (p->sender);
  if (src != NULL)
    gst_app_src_push_sample (src, sample);
  return G_SOURCE_CONTINUE;
}

/* @video_sink: the VIEWER's display (transfer floating; NULL: none). */
static SlSession *
make_session (Pair *p, SlSessionRole role, gboolean no_fec, gboolean voice,
              GstElement *video_sink)
{
  static const gchar *const loopback[] = { "127.0.0.1", NULL };
  SlSessionConfig config = { 0 };
  SlSessionCallbacks callbacks = { 0 };
  g_autoptr (GError) error = NULL;
  SlSession *s;

  config.role = role;
  config.peer_id = role == SL_SESSION_SENDER ? "viewer" : "sender";
  config.video_bitrate_kbps = p->video_kbps ? p->video_kbps : 1000;
  config.jitter_ms = 80;
  config.no_fec = no_fec;
  config.send_audio = voice && role == SL_SESSION_SENDER;
  config.recv_audio = voice && role == SL_SESSION_VIEWER;
  config.ice_addresses = loopback;
  config.video_sink = video_sink;
  callbacks.local_description = on_local_description;
  callbacks.local_candidate = on_local_candidate;
  callbacks.guide_message = on_guide_message;
  if (role == SL_SESSION_VIEWER)
    callbacks.video_frame = on_video_frame;
  s = sl_session_new (&config, &callbacks, p, &error);
  g_assert_no_error (error);
  return s;
}

static Pair *
pair_new_at (gboolean sender_no_fec, gboolean voice, GstElement *viewer_display,
             guint video_kbps)
{
  Pair *p = g_new0 (Pair, 1);
  g_autoptr (GError) error = NULL;

  p->video_kbps = video_kbps;
  p->caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
                                 "width", G_TYPE_INT, WIDTH, "height",
                                 G_TYPE_INT, HEIGHT, "framerate",
                                 GST_TYPE_FRACTION, FPS, 1, NULL);
  p->lost_seqnums = g_new0 (guint8, 65536);
  p->gone_seq = -1;
  g_mutex_init (&p->lock);
  p->lost_payloads
      = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)g_bytes_unref);
  p->viewer = make_session (p, SL_SESSION_VIEWER, FALSE, voice, viewer_display);
  p->sender = make_session (p, SL_SESSION_SENDER, sender_no_fec, voice, NULL);
  g_assert_true (sl_session_start (p->viewer, &error));
  g_assert_true (sl_session_start (p->sender, &error));
  p->feed_timer = g_timeout_add (1000 / FPS, feed_frame, p);
  if (voice)
    p->voice_timer = g_timeout_add (20, feed_voice, p);
  return p;
}

static Pair *
pair_new_full (gboolean sender_no_fec, gboolean voice,
               GstElement *viewer_display)
{
  return pair_new_at (sender_no_fec, voice, viewer_display, 0);
}

static Pair *
pair_new (gboolean sender_no_fec)
{
  return pair_new_full (sender_no_fec, FALSE, NULL);
}

static void
flush_main_context (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

/* Closes and frees both sessions; asserts that each is finalized once the
 * main context has run what was queued for it. */
static void
pair_free (Pair *p, gboolean viewer_first)
{
  gpointer sender = p->sender, viewer = p->viewer;

  g_clear_handle_id (&p->feed_timer, g_source_remove);
  g_clear_handle_id (&p->voice_timer, g_source_remove);
  g_object_add_weak_pointer (sender, &sender);
  g_object_add_weak_pointer (viewer, &viewer);
  sl_session_close (viewer_first ? p->viewer : p->sender);
  sl_session_close (viewer_first ? p->sender : p->viewer);
  g_clear_object (viewer_first ? &p->viewer : &p->sender);
  g_clear_object (viewer_first ? &p->sender : &p->viewer);
  for (guint i = 0; i < 200 && (sender != NULL || viewer != NULL); i++)
    flush_main_context (10);
  g_assert_null (sender);
  g_assert_null (viewer);
  gst_caps_unref (p->caps);
  g_free (p->lost_seqnums);
  g_hash_table_unref (p->lost_payloads);
  g_mutex_clear (&p->lock);
  g_free (p->offer);
  g_free (p);
}

typedef gboolean (*Condition) (Pair *p);

static gboolean
wait_for (Pair *p, Condition cond, guint seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64)seconds * G_USEC_PER_SEC;

  while (!cond (p))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  return TRUE;
}

static SlSessionStats
stats_of (SlSession *s)
{
  SlSessionStats stats;

  sl_session_get_stats (s, &stats);
  return stats;
}

/* The element made by @factory inside @s's pipeline whose src caps carry
 * @ssrc (0: any), transfer full; NULL if none. */
static GstElement *
find_element (SlSession *s, const gchar *factory, guint ssrc)
{
  GstBin *bin = GST_BIN (sl_session_get_pipeline (s));
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (bin);
  GValue item = G_VALUE_INIT;
  GstElement *found = NULL;

  while (found == NULL && gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *e = g_value_get_object (&item);
      GstElementFactory *f = gst_element_get_factory (e);
      g_autoptr (GstPad) pad = NULL;
      g_autoptr (GstCaps) caps = NULL;
      guint found_ssrc = 0;

      if (f != NULL && g_str_equal (GST_OBJECT_NAME (f), factory))
        {
          pad = gst_element_get_static_pad (e, "src");
          caps = pad ? gst_pad_get_current_caps (pad) : NULL;
          if (ssrc == 0
              || (caps != NULL && !gst_caps_is_empty (caps)
                  && gst_structure_get_uint (gst_caps_get_structure (caps, 0),
                                             "ssrc", &found_ssrc)
                  && found_ssrc == ssrc))
            found = gst_object_ref (e);
        }
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return found;
}

/* ---- conditions ---- */

static gboolean
both_connected (Pair *p)
{
  return sl_session_get_state (p->sender) == SL_SESSION_STATE_CONNECTED
         && sl_session_get_state (p->viewer) == SL_SESSION_STATE_CONNECTED;
}

static gboolean
thirty_frames (Pair *p)
{
  return g_atomic_int_get (&p->frames_decoded) >= 30
         && stats_of (p->viewer).video_ssrc_received != 0;
}

static gboolean
pings_both_ways (Pair *p)
{
  return stats_of (p->sender).dc_roundtrips >= 1
         && stats_of (p->viewer).dc_roundtrips >= 1;
}

static gboolean
guide_open (Pair *p)
{
  return sl_session_guide_is_open (p->viewer, SL_GUIDE_CLEAR)
         && sl_session_guide_is_open (p->sender, SL_GUIDE_CLEAR);
}

static gboolean
guide_arrived (Pair *p)
{
  return p->guide_received >= 1;
}

static gboolean
nack_arrived (Pair *p)
{
  return g_atomic_int_get (&p->nacks_seen) >= 1;
}

static void
start_flowing (Pair *p)
{
  g_assert_true (wait_for (p, both_connected, 20));
  g_assert_true (wait_for (p, thirty_frames, 20));
}

/* ---- negotiation, channels, stats ---- */

/* Counts the video packets arriving at the viewer's RTP session (after
 * SRTP, before RED is taken apart) and those with the playout delay
 * asked of a browser station: least and most 0. */
typedef struct
{
  gint video;
  gint with_delay;
} DelayCount;

static GstPadProbeReturn
count_playout_delay (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  DelayCount *count = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gpointer data = NULL;
  guint size = 0;
  guint min_ms = 1, max_ms = 1;

  if (!gst_rtp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ,
                           &rtp))
    return GST_PAD_PROBE_OK;
  if (gst_rtp_buffer_get_payload_type (&rtp) != SL_PT_OPUS)
    {
      g_atomic_int_inc (&count->video);
      if (gst_rtp_buffer_get_extension_onebyte_header (
              &rtp, SL_EXT_PLAYOUT_DELAY, 0, &data, &size)
          && sl_playout_delay_unpack (data, size, &min_ms, &max_ms)
          && min_ms == 0 && max_ms == 0)
        g_atomic_int_inc (&count->with_delay);
    }
  gst_rtp_buffer_unmap (&rtp);
  return GST_PAD_PROBE_OK;
}

static void
test_negotiation (void)
{
  Pair *p = pair_new (FALSE);
  SlSessionStats sent, seen;
  SlSessionGuideStats guide;
  SlGuideMsg clear = { 0 };

  start_flowing (p);
  g_assert_true (wait_for (p, pings_both_ways, 10));
  seen = stats_of (p->viewer);
  sent = stats_of (p->sender);
  g_assert_cmpuint (seen.video_width, ==, WIDTH);
  g_assert_cmpuint (seen.video_height, ==, HEIGHT);
  g_assert_cmpuint (sent.frames_sent, >, 0);
  g_assert_cmpuint (seen.jitter_buffer_ms, >, 0);
  g_assert_cmpint (seen.link_state, ==, SL_LINK_GOOD);
  g_assert_cmpuint (sent.fec_percent, ==, 0);
  /* The rate controller runs, and on loopback keeps the full size. */
  g_assert_cmpuint (sent.encoder_kbps, >, 0);
  /* The video offers the playout-delay extension a browser station
   * reads (recovery/sl-playout-delay.h). */
  g_assert_nonnull (p->offer);
  g_assert_nonnull (strstr (
      p->offer,
      "a=extmap:" G_STRINGIFY (SL_EXT_PLAYOUT_DELAY) " " SL_PLAYOUT_DELAY_URI));
  /* And every video packet carries it, RED's too (RED drops header
   * extensions: recovery/sl-session-fec.c writes it again after). */
  {
    g_autoptr (GstElement) rtpbin
        = gst_bin_get_by_name (GST_BIN (p->viewer->webrtc), "rtpbin");
    g_autoptr (GstPad) pad = NULL;
    DelayCount count = { 0 };
    gint64 end;
    gulong id;

    g_assert_nonnull (rtpbin);
    pad = gst_element_get_static_pad (rtpbin, "recv_rtp_sink_0");
    g_assert_nonnull (pad);
    id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_playout_delay,
                            &count, NULL);
    end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    while (g_atomic_int_get (&count.video) < 100
           && g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, TRUE);
    gst_pad_remove_probe (pad, id);
    g_assert_cmpint (g_atomic_int_get (&count.video), >, 10);
    g_assert_cmpint (g_atomic_int_get (&count.with_delay), ==,
                     g_atomic_int_get (&count.video));
  }

  /* The guidance channels carry a message from the viewer. */
  g_assert_true (wait_for (p, guide_open, 10));
  clear.type = SL_GUIDE_CLEAR;
  clear.media_ms = 1;
  g_assert_true (sl_session_send_guide (p->viewer, &clear));
  g_assert_true (wait_for (p, guide_arrived, 10));
  sl_session_get_guide_stats (p->sender, &guide);
  g_assert_cmpuint (guide.received, ==, 1);
  g_assert_cmpuint (guide.refused, ==, 0);

  /* One the sender's application refuses is nacked, and counted as
   * refused, not as taken. */
  p->refuse_guide = TRUE;
  g_assert_true (sl_session_send_guide (p->viewer, &clear));
  g_assert_true (wait_for (p, nack_arrived, 10));
  sl_session_get_guide_stats (p->sender, &guide);
  g_assert_cmpuint (guide.received, ==, 1);
  g_assert_cmpuint (guide.refused, ==, 1);
  g_assert_cmpuint (guide.nacks_sent, ==, 1);
  pair_free (p, FALSE);
}

/* The offer's H.264 profile-level-id; NULL if it names none. */
static gchar *
offer_profile_level_id (const gchar *sdp)
{
  const gchar *at = sdp != NULL ? strstr (sdp, "profile-level-id=") : NULL;

  return at != NULL ? g_strndup (at + strlen ("profile-level-id="), 6) : NULL;
}

/* Every encoder level makes Main profile and the offer says so: FAST
 * (4 Mbit/s here) as well as the stronger levels (1 Mbit/s), so that an
 * encoder reopened at another level keeps what was negotiated. */
static void
test_profile_follows_level (void)
{
  static const struct
  {
    guint kbps;
    const gchar *level;
  } cases[] = { { 1000, "strong" }, { 4000, "fast" } };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Pair *p = pair_new_at (TRUE, FALSE, NULL, cases[i].kbps);
      g_autofree gchar *id = NULL;

      start_flowing (p);
      id = offer_profile_level_id (p->offer);
      g_test_message ("%u kbit/s: level %s, profile-level-id %s", cases[i].kbps,
                      stats_of (p->sender).encoder_level, id ? id : "(none)");
      g_assert_cmpstr (stats_of (p->sender).encoder_level, ==, cases[i].level);
      g_assert_nonnull (id);
      g_assert_true (g_str_has_prefix (id, "4d"));
      pair_free (p, FALSE);
    }
}

/* The sender's x264enc and its speed-preset's nick now. */
static gchar *
encoder_preset (Pair *p)
{
  g_autoptr (GstElement) enc
      = gst_bin_get_by_name (GST_BIN (p->sender->pipeline), "encoder");
  GParamSpec *spec
      = g_object_class_find_property (G_OBJECT_GET_CLASS (enc), "speed-preset");
  GValue v = G_VALUE_INIT;
  gchar *nick;

  g_value_init (&v, spec->value_type);
  g_object_get_property (G_OBJECT (enc), "speed-preset", &v);
  nick = g_strdup (
      g_enum_get_value (G_ENUM_CLASS (g_type_class_peek (spec->value_type)),
                        g_value_get_enum (&v))
          ->value_nick);
  g_value_unset (&v);
  return nick;
}

static guint reopen_target;

static gboolean
decoded_past_target (Pair *p)
{
  return (guint)g_atomic_int_get (&p->frames_decoded) >= reopen_target;
}

/* The encoder reopened at another level while the picture flows (the rate
 * concern does it when the bitrate moves into another band): the new
 * settings are in force, and the viewer decodes on through the new
 * parameter sets and keyframe without asking for a keyframe (a decoder
 * that lost the stream would, and a stream the encoder stopped would
 * decode nothing more). */
static void
test_encoder_reopened (void)
{
  static const struct
  {
    SlEncoderLevel level;
    const gchar *preset;
  } steps[] = { { SL_ENCODER_STRONG, "superfast" },
                { SL_ENCODER_FAST, "ultrafast" },
                { SL_ENCODER_BASE, "ultrafast" } };
  Pair *p = pair_new_at (TRUE, FALSE, NULL, 4000);

  start_flowing (p);
  /* A second of steady pictures first. */
  reopen_target = (guint)g_atomic_int_get (&p->frames_decoded) + 30;
  g_assert_true (wait_for (p, decoded_past_target, 20));
  g_assert_cmpstr (stats_of (p->sender).encoder_level, ==, "fast");
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      guint64 requests = stats_of (p->sender).keyframe_requests;
      guint64 freezes = stats_of (p->viewer).freezes;
      g_autofree gchar *preset = NULL;
      gint64 reopened_us = sl_media_now_us ();
      SlSessionStats viewer;

      sl_session_media_reopen_encoder (p->sender, steps[i].level);
      reopen_target = (guint)g_atomic_int_get (&p->frames_decoded) + 60;
      g_assert_true (wait_for (p, decoded_past_target, 20));
      preset = encoder_preset (p);
      viewer = stats_of (p->viewer);
      g_test_message ("reopened at %s: preset %s, %" G_GUINT64_FORMAT
                      " keyframe requests, %" G_GUINT64_FORMAT
                      " freezes (the last %.0f ms, ended %.0f ms after the "
                      "reopening)",
                      sl_encoder_level_name (steps[i].level), preset,
                      stats_of (p->sender).keyframe_requests - requests,
                      viewer.freezes - freezes, viewer.last_freeze_ms,
                      (viewer.last_freeze_end_us - reopened_us) / 1000.0);
      g_assert_cmpstr (preset, ==, steps[i].preset);
      g_assert_cmpuint (stats_of (p->sender).keyframe_requests, ==, requests);
      /* How long the picture paused is a matter of time, printed above
       * and not asserted: none on a normal build, about 200 ms under
       * ASan with its slow unwinder on every malloc (x264 allocates its
       * frames anew). */
    }
  pair_free (p, FALSE);
}

/* ---- loss at the viewer ---- */

/* The packet's sequence number if it is one to drop: one in drop_every,
 * each only the first time it is seen (a retransmission or a repair of
 * it passes). */
static gboolean
drop_this (Pair *p, GstBuffer *buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq;
  GBytes *payload;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return FALSE;
  seq = gst_rtp_buffer_get_seq (&rtp);
  payload = gst_rtp_buffer_get_payload_bytes (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  if (p->lost_seqnums[seq] || ++p->seen % p->drop_every != 0)
    {
      g_bytes_unref (payload);
      return FALSE;
    }
  p->lost_seqnums[seq] = 1;
  g_mutex_lock (&p->lock);
  g_hash_table_replace (p->lost_payloads, GUINT_TO_POINTER (seq), payload);
  g_mutex_unlock (&p->lock);
  g_atomic_int_inc (&p->dropped);
  return TRUE;
}

/* Drops the packets @drop says to, whether they come one by one or in
 * a list. */
typedef gboolean (*DropFunc) (Pair *p, GstBuffer *buf);

typedef struct
{
  Pair *p;
  DropFunc drop;
} PacketFilter;

static gboolean
filter_list_item (GstBuffer **buf, guint idx, gpointer user_data)
{
  PacketFilter *filter = user_data;

  if (filter->drop (filter->p, *buf))
    gst_clear_buffer (buf);
  return TRUE;
}

static GstPadProbeReturn
filter_packets (GstPadProbeInfo *info, Pair *p, DropFunc drop)
{
  PacketFilter filter = { p, drop };

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    {
      GstBufferList *list = gst_buffer_list_make_writable (
          GST_PAD_PROBE_INFO_BUFFER_LIST (info));

      GST_PAD_PROBE_INFO_DATA (info) = list;
      gst_buffer_list_foreach (list, filter_list_item, &filter);
      return GST_PAD_PROBE_OK;
    }
  return drop (p, GST_PAD_PROBE_INFO_BUFFER (info)) ? GST_PAD_PROBE_DROP
                                                    : GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_video_packet (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return filter_packets (info, user_data, drop_this);
}

/* One packet in drop_every, and every copy of it after (retransmissions
 * included): a loss that NACK/RTX cannot repair. */
static gboolean
drop_for_good (Pair *p, GstBuffer *buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return FALSE;
  seq = gst_rtp_buffer_get_seq (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  if (p->lost_seqnums[seq])
    return TRUE;
  if (++p->seen % p->drop_every != 0)
    return FALSE;
  p->lost_seqnums[seq] = 1;
  g_atomic_int_inc (&p->dropped);
  return TRUE;
}

static GstPadProbeReturn
on_video_packet_for_good (GstPad *pad, GstPadProbeInfo *info,
                          gpointer user_data)
{
  return filter_packets (info, user_data, drop_for_good);
}

/* On the jitter buffer's own input, after the session's FEC repair: a
 * dropped packet that comes back not as a retransmission was rebuilt from
 * FEC, and must be the very packet that was lost. */
static GstPadProbeReturn
check_rebuilt (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Pair *p = user_data;
  GstBuffer *buf;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  g_autoptr (GBytes) payload = NULL;
  GBytes *lost;
  guint16 seq;

  if (!(info->type & GST_PAD_PROBE_TYPE_BUFFER))
    return GST_PAD_PROBE_OK;
  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_RTP_BUFFER_FLAG_RETRANSMISSION)
      || !gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  seq = gst_rtp_buffer_get_seq (&rtp);
  payload = gst_rtp_buffer_get_payload_bytes (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  g_mutex_lock (&p->lock);
  lost = g_hash_table_lookup (p->lost_payloads, GUINT_TO_POINTER (seq));
  if (lost != NULL)
    g_atomic_int_inc (g_bytes_equal (lost, payload) ? &p->rebuilt_right
                                                    : &p->rebuilt_wrong);
  g_hash_table_remove (p->lost_payloads, GUINT_TO_POINTER (seq));
  g_mutex_unlock (&p->lock);
  return GST_PAD_PROBE_OK;
}

/* Loses one video packet in @every, in front of the viewer's video jitter
 * buffer (on the pad that feeds it, so before the session's own probes
 * on the jitter buffer). */
static void
start_losing_by (Pair *p, guint every, GstPadProbeCallback drop)
{
  guint ssrc = stats_of (p->viewer).video_ssrc_received;
  g_autoptr (GstElement) jb = find_element (p->viewer, "rtpjitterbuffer", ssrc);
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstPad) feeder = NULL;

  g_assert_nonnull (jb);
  sink = gst_element_get_static_pad (jb, "sink");
  feeder = gst_pad_get_peer (sink);
  g_assert_nonnull (feeder);
  p->drop_every = every;
  gst_pad_add_probe (feeder,
                     GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     drop, p, NULL);
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, check_rebuilt, p, NULL);
}

static void
start_losing (Pair *p, guint every)
{
  start_losing_by (p, every, on_video_packet);
}

static gboolean
recovered_by_rtx (Pair *p)
{
  SlSessionStats seen = stats_of (p->viewer), sent = stats_of (p->sender);

  return g_atomic_int_get (&p->dropped) >= 10 && seen.video_nacks >= 5
         && seen.video_packets_recovered >= 5
         && sent.video_packets_retransmitted >= 5;
}

/* The viewer's loss figure reached the sender through its ping: both
 * show what the link lost and what was repaired. */
static gboolean
loss_shown_at_sender (Pair *p)
{
  SlSessionStats sent = stats_of (p->sender);

  return sent.video_lost_pct > 0 && sent.video_repaired_pct > 0
         && sent.video_repaired_pct <= sent.video_lost_pct;
}

/* NACK/RTX: the viewer's jitter buffers ask, the sender's rtprtxsend
 * answers, the counts reach both stations' stats, and the loss figure
 * the viewer measures reaches the sender. */
static void
test_nack_rtx (void)
{
  Pair *p = pair_new (FALSE);
  gint before;

  start_flowing (p);
  start_losing (p, 25);
  g_assert_true (wait_for (p, recovered_by_rtx, 20));
  g_assert_true (wait_for (p, loss_shown_at_sender, 10));
  /* The picture goes on. */
  before = g_atomic_int_get (&p->frames_decoded);
  flush_main_context (1000);
  g_assert_cmpint (g_atomic_int_get (&p->frames_decoded), >, before + 10);
  pair_free (p, TRUE);
}

/* The sender's link state judges the loss the viewer reports: degraded
 * by the loss left after repair, which only the viewer measures. */
static gboolean
sender_degraded_by_loss (Pair *p)
{
  SlSessionStats sent = stats_of (p->sender);

  g_test_message ("sender: link %s (%s), loss %.1f %% (%.1f %% repaired)",
                  sl_link_state_name (sent.link_state), sent.link_reason,
                  sent.video_lost_pct, sent.video_repaired_pct);
  return sent.link_state == SL_LINK_DEGRADED
         && strstr (sent.link_reason, "loss after recovery") != NULL;
}

/* Loss NACK/RTX cannot repair (every copy of one packet in 20 dropped,
 * FEC off): the viewer's residual loss, sent in its ping, makes the
 * sender's link degraded too, so that the township does not call a link
 * good beside a status line showing the expert losing the picture. */
static void
test_residual_loss_at_sender (void)
{
  Pair *p = pair_new (TRUE);

  start_flowing (p);
  start_losing_by (p, 20, on_video_packet_for_good);
  g_assert_true (wait_for (p, sender_degraded_by_loss, 20));
  pair_free (p, TRUE);
}

static gboolean
recovered_by_fec (Pair *p)
{
  SlSessionStats seen = stats_of (p->viewer);

  g_test_message ("dropped %d, FEC recovered %" G_GUINT64_FORMAT
                  " (%d right, %d wrong), NACKs %" G_GUINT64_FORMAT,
                  g_atomic_int_get (&p->dropped),
                  seen.video_packets_fec_recovered,
                  g_atomic_int_get (&p->rebuilt_right),
                  g_atomic_int_get (&p->rebuilt_wrong), seen.video_nacks);
  return seen.video_packets_fec_recovered >= 5
         && g_atomic_int_get (&p->rebuilt_right) >= 5;
}

/* FEC: with the sender's FEC encoder at 50 % (set by hand: its policy
 * would only add FEC on a long round trip), the viewer rebuilds lost
 * packets in front of its jitter buffer.  This needs the sender's
 * extension handling around rtpulpfecenc and rtpredenc, the payload type
 * from the offer, and the repair probe. */
static void
test_fec_repair (void)
{
  Pair *p = pair_new (TRUE);
  GstElement *fec = NULL;
  GstBin *bin;
  g_autoptr (GstIterator) it = NULL;
  GValue item = G_VALUE_INIT;

  start_flowing (p);
  bin = GST_BIN (sl_session_get_pipeline (p->sender));
  it = gst_bin_iterate_recurse (bin);
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *e = g_value_get_object (&item);
      GstElementFactory *f = gst_element_get_factory (e);
      guint pt = 255;

      if (f != NULL && g_str_equal (GST_OBJECT_NAME (f), "rtpulpfecenc"))
        {
          g_object_get (e, "pt", &pt, NULL);
          if (pt < 128)
            fec = e;
        }
      if (fec != e)
        g_value_reset (&item);
      else
        break;
    }
  g_assert_nonnull (fec);
  g_object_set (fec, "percentage", 50, NULL);
  g_value_unset (&item);
  start_losing (p, 40);
  g_assert_true (wait_for (p, recovered_by_fec, 20));
  g_assert_cmpint (g_atomic_int_get (&p->rebuilt_wrong), ==, 0);
  pair_free (p, FALSE);
}

/* ---- a keyframe request that comes to nothing ---- */

/* Drops the next video packet, and every copy of it after (its
 * retransmissions): a loss nothing can repair.  Whichever packet it is,
 * a whole frame or a part of one, the loss is one of video
 * (sl-h264-gap.h). */
static gboolean
gone_for_good (Pair *p, GstBuffer *buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gboolean drop = FALSE;
  gint gone = g_atomic_int_get (&p->gone_seq);

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return FALSE;
  if (gst_rtp_buffer_get_ssrc (&rtp) == p->video_ssrc)
    {
      guint16 seq = gst_rtp_buffer_get_seq (&rtp);

      if (gone < 0)
        {
          g_atomic_int_set (&p->gone_seq, seq);
          drop = TRUE;
        }
      else
        drop = gone == seq;
    }
  gst_rtp_buffer_unmap (&rtp);
  return drop;
}

static GstPadProbeReturn
on_stored_packet (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return filter_packets (info, user_data, gone_for_good);
}

/* The viewer's keyframe requests after the loss, on their way out of its
 * depayloader: the first comes to nothing, as one the township's
 * rtpsession ignores or one lost with its RTCP packet. */
static GstPadProbeReturn
on_keyframe_request (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Pair *p = user_data;

  if (!gst_video_event_is_force_key_unit (GST_PAD_PROBE_INFO_EVENT (info))
      || g_atomic_int_get (&p->gone_seq) < 0)
    return GST_PAD_PROBE_OK;
  return g_atomic_int_add (&p->requests, 1) == 0 ? GST_PAD_PROBE_DROP
                                                 : GST_PAD_PROBE_OK;
}

static gboolean
asked_again (Pair *p)
{
  return g_atomic_int_get (&p->requests) >= 2;
}

static gboolean
pictures_again (Pair *p)
{
  return g_atomic_int_get (&p->frames_decoded) > p->frames_mark + 10;
}

/* One video packet is lost for good, in front of the viewer's packet
 * store so that nothing finds it again; its depayloader waits for a
 * keyframe and asks for one, and that request comes to nothing.  The
 * viewer must ask again while it waits, and the picture come back.
 * Without a second request the picture would return only with the
 * sender's own next keyframe, ten seconds on (key-int-max); the test
 * waits for the request itself, which then never comes, so it does not
 * depend on that time. */
static void
test_keyframe_asked_again (void)
{
  Pair *p = pair_new (FALSE);
  g_autoptr (GstElement) storage = NULL;
  g_autoptr (GstElement) depay = NULL;
  g_autoptr (GstPad) stored = NULL;
  g_autoptr (GstPad) depay_sink = NULL;

  start_flowing (p);
  p->video_ssrc = stats_of (p->viewer).video_ssrc_received;
  storage = find_element (p->viewer, "rtpstorage", 0);
  g_assert_nonnull (storage);
  depay = gst_bin_get_by_name (GST_BIN (sl_session_get_pipeline (p->viewer)),
                               "video-depay");
  g_assert_nonnull (depay);
  depay_sink = gst_element_get_static_pad (depay, "sink");
  gst_pad_add_probe (depay_sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                     on_keyframe_request, p, NULL);
  stored = gst_element_get_static_pad (storage, "sink");
  gst_pad_add_probe (stored,
                     GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_stored_packet, p, NULL);
  g_assert_true (wait_for (p, asked_again, 30));
  p->frames_mark = g_atomic_int_get (&p->frames_decoded);
  g_assert_true (wait_for (p, pictures_again, 20));
  pair_free (p, FALSE);
}

/* ---- keyframes ---- */

static GstPadProbeReturn
count_keyframe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Pair *p = user_data;

  if (!GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info),
                               GST_BUFFER_FLAG_DELTA_UNIT))
    g_atomic_int_inc (&p->keyframes);
  return GST_PAD_PROBE_OK;
}

/* The keyframe limiter on the encoder's request path: ten requests in
 * 100 ms (as rtpsession turns PLIs into force-key-unit events) make one
 * keyframe at once and one when the gap has passed, no more, and all ten
 * are counted. */
static void
test_keyframe_limit (void)
{
  Pair *p = pair_new (FALSE);
  GstBin *bin;
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstPad) src = NULL;
  guint64 before;

  start_flowing (p);
  bin = GST_BIN (sl_session_get_pipeline (p->sender));
  encoder = gst_bin_get_by_name (bin, "encoder");
  g_assert_nonnull (encoder);
  src = gst_element_get_static_pad (encoder, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, count_keyframe, p, NULL);
  /* Well after the start's own keyframe. */
  flush_main_context (600);
  before = stats_of (p->sender).keyframe_requests;
  g_atomic_int_set (&p->keyframes, 0);
  for (guint i = 0; i < 10; i++)
    {
      gst_pad_send_event (src, gst_video_event_new_upstream_force_key_unit (
                                   GST_CLOCK_TIME_NONE, TRUE, 0));
      flush_main_context (10);
    }
  flush_main_context (1000);
  g_assert_cmpint (g_atomic_int_get (&p->keyframes), ==, 2);
  g_assert_cmpuint (stats_of (p->sender).keyframe_requests - before, ==, 10);
  pair_free (p, FALSE);
}

static gboolean
sender_asked (Pair *p)
{
  return stats_of (p->sender).keyframe_requests >= 1;
}

/* A keyframe request from the viewer's depayloader travels as a PLI and
 * reaches the sender's encoder. */
static void
test_pli_reaches_sender (void)
{
  Pair *p = pair_new (FALSE);
  GstBin *bin;
  g_autoptr (GstElement) depay = NULL;
  g_autoptr (GstPad) sink = NULL;

  start_flowing (p);
  bin = GST_BIN (sl_session_get_pipeline (p->viewer));
  depay = gst_bin_get_by_name (bin, "video-depay");
  g_assert_nonnull (depay);
  sink = gst_element_get_static_pad (depay, "sink");
  g_assert_cmpuint (stats_of (p->sender).keyframe_requests, ==, 0);
  gst_pad_push_event (sink, gst_video_event_new_upstream_force_key_unit (
                                GST_CLOCK_TIME_NONE, TRUE, 0));
  g_assert_true (wait_for (p, sender_asked, 10));
  pair_free (p, FALSE);
}

/* ---- a short link ---- */

static gboolean
voice_heard (Pair *p)
{
  return stats_of (p->viewer).audio_packets_decoded >= 20;
}

static gboolean
sender_adapted (Pair *p)
{
  SlSessionStats sent = stats_of (p->sender);

  return sent.voice_frame_ms == 60 && sent.send_fps > 0 && sent.send_fps < FPS;
}

/* The rate controller's target held at its floor (as a link of 70
 * kbit/s would): the voice goes to 60 ms Opus frames with DTX, the
 * picture to its smaller size and a lower frame rate by frames dropped in
 * front of the encoder, and both still reach the viewer. */
static void
test_short_link (void)
{
  Pair *p = pair_new_full (FALSE, TRUE, NULL);
  GstBin *bin;
  GstElement *bwe = NULL;
  g_autoptr (GstElement) opus = NULL;
  g_autoptr (GstIterator) it = NULL;
  GValue item = G_VALUE_INIT;
  SlSessionStats sent, seen;
  gint frame_size = 0, decoded;
  guint64 frames_sent, voice;
  gboolean dtx = FALSE;

  start_flowing (p);
  g_assert_true (wait_for (p, voice_heard, 10));
  g_assert_cmpuint (stats_of (p->sender).voice_frame_ms, ==, 10);
  bin = GST_BIN (sl_session_get_pipeline (p->sender));
  it = gst_bin_iterate_recurse (bin);
  while (bwe == NULL && gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *e = g_value_get_object (&item);

      if (g_str_equal (G_OBJECT_TYPE_NAME (e), "SlBweSender"))
        bwe = gst_object_ref (e);
      g_value_reset (&item);
    }
  g_value_unset (&item);
  g_assert_nonnull (bwe);
  g_object_set (bwe, "max-bitrate", 1, NULL);
  gst_object_unref (bwe);
  g_assert_true (wait_for (p, sender_adapted, 10));

  /* The frame duration is set as the encoder takes its next input
   * (sl-opus-packing.h). */
  opus = gst_bin_get_by_name (bin, "audio-encoder");
  for (guint i = 0; i < 40 && frame_size != 60; i++)
    {
      flush_main_context (50);
      g_object_get (opus, "frame-size", &frame_size, "dtx", &dtx, NULL);
    }
  g_assert_cmpint (frame_size, ==, 60);
  g_assert_true (dtx);
  sent = stats_of (p->sender);
  g_assert_cmpuint (sent.voice_cost_kbps, <, 40);
  g_assert_cmpuint (sent.send_width, <, WIDTH);
  /* Over two seconds: fewer frames sent, and they and the voice arrive. */
  flush_main_context (500);
  frames_sent = stats_of (p->sender).frames_sent;
  decoded = g_atomic_int_get (&p->frames_decoded);
  voice = stats_of (p->viewer).audio_packets_decoded;
  flush_main_context (2000);
  sent = stats_of (p->sender);
  seen = stats_of (p->viewer);
  g_test_message ("at %.1f fps: %" G_GUINT64_FORMAT " frames sent, %d "
                  "decoded, %" G_GUINT64_FORMAT " voice packets in 2 s",
                  sent.send_fps, sent.frames_sent - frames_sent,
                  g_atomic_int_get (&p->frames_decoded) - decoded,
                  seen.audio_packets_decoded - voice);
  g_assert_cmpuint (sent.frames_sent - frames_sent, <, 2 * 0.75 * FPS);
  g_assert_cmpint (g_atomic_int_get (&p->frames_decoded) - decoded, >, 5);
  g_assert_cmpuint (seen.audio_packets_decoded - voice, >, 10);
  pair_free (p, FALSE);
}

/* ---- teardown ---- */

static gboolean
viewer_failed (Pair *p)
{
  return sl_session_get_state (p->viewer) == SL_SESSION_STATE_FAILED;
}

/* A display that cannot start, as the expert's window when the X server
 * refuses it: a bin (autovideosink is one, and the station wraps it in
 * another for the guidance overlay) around a sink that posts an error and
 * fails its change to READY, as ximagesink does; a file sink without a
 * file name does just that. */
static GstElement *
failing_display (void)
{
  GstElement *bin = gst_bin_new ("failing-display");
  GstElement *sink = gst_element_factory_make ("filesink", NULL);
  g_autoptr (GstPad) pad = NULL;

  g_assert_nonnull (sink);
  gst_bin_add (GST_BIN (bin), sink);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  return bin;
}

/* The display fails as the first picture arrives: the session fails,
 * and closing it brings its whole pipeline down to NULL.  A bin left
 * half started in a running pipeline is set up again by the pipeline's
 * own way down (GstBin sets child bins to each intermediate state), fails
 * again there and used to leave the pipeline PLAYING, to be disposed so
 * with a critical for every element. */
static void
test_display_fails (void)
{
  Pair *p = pair_new_full (FALSE, FALSE, failing_display ());
  GstState state = GST_STATE_VOID_PENDING;

  g_assert_true (wait_for (p, viewer_failed, 20));
  sl_session_close (p->viewer);
  g_assert_cmpint (gst_element_get_state (sl_session_get_pipeline (p->viewer),
                                          &state, NULL, 0),
                   ==, GST_STATE_CHANGE_SUCCESS);
  g_assert_cmpint (state, ==, GST_STATE_NULL);
  pair_free (p, TRUE);
}

/* ---- a machine profile's masks at the encoder ---- */

typedef struct
{
  SlMachineRect inner[2]; /* the masks in the sent picture, less 2 px */
  gint frames;            /* atomic: frames the encoder took */
  gint unmasked;          /* atomic: frames with a pixel of a mask not black */
} EncoderWatch;

static gboolean
luma_is_fill (const GstVideoFrame *f, const SlMachineRect *r)
{
  for (guint y = r->y; y < r->y + r->height; y++)
    {
      const guint8 *row = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (f, 0)
                          + y * GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);

      for (guint x = r->x; x < r->x + r->width; x++)
        if (row[x] != SL_MACHINE_FILL_Y)
          return FALSE;
    }
  return TRUE;
}

/* On the encoder's input: every frame must be black inside the masks. */
static GstPadProbeReturn
check_encoder_input (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  EncoderWatch *w = user_data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  GstVideoInfo vinfo;
  GstVideoFrame frame;

  if (caps == NULL || !gst_video_info_from_caps (&vinfo, caps)
      || !gst_video_frame_map (&frame, &vinfo, GST_PAD_PROBE_INFO_BUFFER (info),
                               GST_MAP_READ))
    {
      g_atomic_int_inc (&w->unmasked);
      return GST_PAD_PROBE_OK;
    }
  if (!luma_is_fill (&frame, &w->inner[0])
      || !luma_is_fill (&frame, &w->inner[1]))
    g_atomic_int_inc (&w->unmasked);
  g_atomic_int_inc (&w->frames);
  gst_video_frame_unmap (&frame);
  return GST_PAD_PROBE_OK;
}

/* The station's path, capture to encoder: the phantom's 1280x720 frame
 * through a machine profile with two masks over speckle, fed by an
 * SlCapture to the sender.  A pad probe on the sender's encoder sees
 * every frame it encodes: not one pixel inside a mask (less the scaler's
 * 2-pixel edge) may be anything but black. */
static void
test_masks_at_encoder (void)
{
  static const gchar text[]
      = "{\"frame\": [1280, 720], \"image\": [256, 32, 792, 632],"
        " \"masks\": [[700, 400, 120, 80], [480, 480, 96, 64]]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) profile
      = sl_machine_profile_parse (text, strlen (text), &error);
  SlProbeConfig config = { WIDTH, HEIGHT, FPS, 0, profile };
  EncoderWatch watch = { 0 };
  Pair *p = pair_new (FALSE);
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstPad) sink = NULL;
  SlCapture *capture;
  GstElement *source;
  gulong probe;

  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      SlMachineRect *r = &watch.inner[i];

      sl_machine_output_rect (profile, &profile->masks[i], WIDTH, HEIGHT, r);
      g_assert_cmpuint (r->width, >, 8);
      g_assert_cmpuint (r->height, >, 8);
      *r = (SlMachineRect){ r->x + 2, r->y + 2, r->width - 4, r->height - 4 };
    }
  /* The capture feeds the sender instead of the test's gradient. */
  g_clear_handle_id (&p->feed_timer, g_source_remove);
  encoder = gst_bin_get_by_name (GST_BIN (sl_session_get_pipeline (p->sender)),
                                 "encoder");
  g_assert_nonnull (encoder);
  sink = gst_element_get_static_pad (encoder, "sink");
  probe = gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER,
                             check_encoder_input, &watch, NULL);
  source = sl_probe_make_source ("synthetic", &config, NULL, &error);
  g_assert_no_error (error);
  capture = sl_capture_new (source, NULL, &error);
  g_assert_no_error (error);
  sl_capture_add_target (capture, SL_CAPTURE_VIDEO,
                         sl_session_get_video_source (p->sender));
  g_assert_true (sl_capture_start (capture, &error));
  start_flowing (p);
  g_assert_cmpint (g_atomic_int_get (&watch.frames), >=, 30);
  g_assert_cmpint (g_atomic_int_get (&watch.unmasked), ==, 0);
  sl_capture_free (capture);
  gst_pad_remove_probe (sink, probe);
  pair_free (p, FALSE);
}

/* ---- recording (record/sl-session-record.c) ---- */

static SlRecorder *recorders[2]; /* the sender's, the viewer's */

static gboolean
both_recorded (Pair *p)
{
  for (guint i = 0; i < 2; i++)
    if (sl_recorder_get_frames (recorders[i]) < 30
        || sl_recorder_get_voice_packets (recorders[i], TRUE) < 20)
      return FALSE;
  return TRUE;
}

/* Recorders set on a running pair get, without waiting for a periodic
 * keyframe, the sender's encoded pictures and its voice as encoded, and
 * the viewer's pictures as received and the voice as received; no
 * voice of the expert's (the viewer sends none here). */
static void
test_record (void)
{
  Pair *p = pair_new_full (FALSE, TRUE, NULL);
  g_autofree gchar *dir = g_dir_make_tmp ("sl-pair-rec-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  const gchar *station[2] = { "township", "expert" };
  SlSession *session[2];

  start_flowing (p);
  session[0] = p->sender;
  session[1] = p->viewer;
  for (guint i = 0; i < 2; i++)
    {
      recorders[i] = sl_recorder_new (dir, station[i], NULL, NULL, &error);
      g_assert_no_error (error);
      sl_session_set_recorder (session[i], recorders[i]);
    }
  g_assert_true (wait_for (p, both_recorded, 10));
  for (guint i = 0; i < 2; i++)
    {
      g_autofree gchar *sidecar = NULL;
      const gchar *path = sl_recorder_get_path (recorders[i]);

      sl_session_set_recorder (session[i], NULL);
      sl_recorder_stop (recorders[i]);
      g_assert_cmpuint (sl_recorder_get_voice_packets (recorders[i], FALSE), ==,
                        0);
      sidecar = g_strdup_printf ("%.*sjsonl", (int)strlen (path) - 3, path);
      g_unlink (path);
      g_unlink (sidecar);
      g_clear_pointer (&recorders[i], sl_recorder_unref);
    }
  g_rmdir (dir);
  pair_free (p, FALSE);
}

/* Closing at every point of a session's life, either side first, frees
 * both sessions and logs no critical. */
static void
test_teardown (void)
{
  for (guint round = 0; round < 3; round++)
    {
      Pair *p;

      /* Before anything was exchanged. */
      p = pair_new (FALSE);
      pair_free (p, round % 2 == 0);
      /* While negotiating. */
      p = pair_new (FALSE);
      flush_main_context (5 + round * 40);
      pair_free (p, round % 2 == 1);
      /* Media, pings and guidance flowing. */
      p = pair_new (FALSE);
      start_flowing (p);
      if (wait_for (p, guide_open, 10))
        {
          SlGuideMsg clear = { .type = SL_GUIDE_CLEAR, .media_ms = 1 };

          sl_session_send_guide (p->viewer, &clear);
        }
      pair_free (p, round % 2 == 0);
    }
}

/* A get-stats of the test's own, whose reply holds webrtcbin's thread
 * until the test has closed the sessions (and a second more): what is
 * queued behind it is what webrtcbin drops when it stops. */
typedef struct
{
  gint started, closing;
} Blocker;

static void
hold_webrtc_thread (GstPromise *promise, gpointer user_data)
{
  Blocker *b = user_data;

  g_atomic_int_set (&b->started, TRUE);
  while (!g_atomic_int_get (&b->closing))
    g_usleep (1000);
  g_usleep (G_USEC_PER_SEC);
}

/* What webrtcbin still has queued when a session closes (report requests
 * here; in the field an offer, or a description being set, when a peer
 * leaves mid-negotiation) is dropped by it unreplied.  Every promise the
 * session handed it must still be released, none freed pending (a fatal
 * warning), and the sessions finalized (pair_free asserts it). */
static void
test_close_with_work_queued (void)
{
  Pair *p = pair_new (FALSE);
  Blocker b = { 0 };
  GstPromise *promise
      = gst_promise_new_with_change_func (hold_webrtc_thread, &b, NULL);

  start_flowing (p);
  g_signal_emit_by_name (p->sender->webrtc, "get-stats", NULL, promise);
  while (!g_atomic_int_get (&b.started))
    g_usleep (1000);
  for (guint i = 0; i < 20; i++)
    sl_session_measure_request_report (p->sender);
  g_atomic_int_set (&b.closing, TRUE);
  pair_free (p, FALSE);
  gst_promise_unref (promise);
}

int
main (int argc, char **argv)
{
  sl_media_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/session-pair/negotiation", test_negotiation);
  g_test_add_func ("/session-pair/profile", test_profile_follows_level);
  g_test_add_func ("/session-pair/encoder-reopened", test_encoder_reopened);
  g_test_add_func ("/session-pair/nack-rtx", test_nack_rtx);
  g_test_add_func ("/session-pair/fec-repair", test_fec_repair);
  g_test_add_func ("/session-pair/residual-loss-at-sender",
                   test_residual_loss_at_sender);
  g_test_add_func ("/session-pair/keyframe-limit", test_keyframe_limit);
  g_test_add_func ("/session-pair/pli-reaches-sender", test_pli_reaches_sender);
  g_test_add_func ("/session-pair/short-link", test_short_link);
  g_test_add_func ("/session-pair/keyframe-asked-again",
                   test_keyframe_asked_again);
  g_test_add_func ("/session-pair/teardown", test_teardown);
  g_test_add_func ("/session-pair/close-with-work-queued",
                   test_close_with_work_queued);
  g_test_add_func ("/session-pair/record", test_record);
  g_test_add_func ("/session-pair/masks-at-encoder", test_masks_at_encoder);
  g_test_add_func ("/session-pair/display-fails", test_display_fails);
  return g_test_run ();
}
