/* sl-media.h — libsonolink, the sonolink media engine.
 *
 * The engine is a library with no main(): the station programs in client/
 * drive it.  One SlCapture per station produces the local probe picture and
 * voice; one SlSession per remote peer wraps a webrtcbin peer connection that
 * sends and receives them.  Threading rule: every function of the library is
 * called from the thread that runs the default GMainContext (the "control
 * thread") unless its comment says otherwise; callbacks to the application
 * arrive on that thread too, except where a comment says "streaming thread".
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SL_MEDIA_ERROR (sl_media_error_quark ())
GQuark sl_media_error_quark (void);

typedef enum
{
  SL_MEDIA_ERROR_MISSING_ELEMENT, /* a GStreamer plugin is not installed */
  SL_MEDIA_ERROR_PIPELINE,        /* a pipeline failed to start or broke */
  SL_MEDIA_ERROR_NEGOTIATION,     /* SDP or ICE could not be applied */
  SL_MEDIA_ERROR_ARGUMENT,        /* a bad option value from the user */
} SlMediaError;

/* Initialises GStreamer and the engine's debug categories; idempotent.
 * Call once from main() before anything else of the library. */
void sl_media_init (int *argc, char ***argv);

/* Starts, on worker threads, the one-off work a first call would wait for
 * (the DTLS certificate, loading the plugins).  Call once the station
 * knows it will make calls; returns at once.  sl_media_finish_prepare
 * waits for that work to end; call it before the process exits.  Control
 * thread. */
void sl_media_prepare (void);
void sl_media_finish_prepare (void);

/* Creates element @factory named @name, or fails with
 * SL_MEDIA_ERROR_MISSING_ELEMENT naming the Debian package that has it.
 * Returns (transfer floating). */
GstElement *sl_media_make_element (const gchar *factory, const gchar *name,
                                   GError **error);

/* Adds @elements (@n of them, transfer floating) to @bin and links them in
 * order after @first (nullable: the chain starts with elements[0]).
 * Returns the last element, or NULL with @error: if any element is NULL
 * (sl_media_make_element failed and said why) all are released; an
 * element @bin refuses (its name is taken there) fails the chain, and is
 * released with those not yet added; a link that fails leaves the
 * elements added so far in @bin. */
GstElement *sl_media_add_chain (GstBin *bin, GstElement *first,
                                GstElement **elements, guint n, GError **error);

/* Checks that every element the engine needs is installed, so a station
 * fails at start with one clear message instead of mid-call. */
gboolean sl_media_check_plugins (GError **error);

/* Makes @pipeline run on the monotonic system clock, whatever clock its
 * elements could provide (an audio device's, say).  The capture and every
 * session share this clock, so a capture timestamp can be moved to a
 * session's timeline exactly (sl-capture.c) and stamps written with
 * sl_media_now_us() compare with pipeline times. */
void sl_media_use_system_clock (GstElement *pipeline);

/* Sets the engine's H.264 encoding on @x264enc (an x264enc) at
 * @bitrate_kbps: zero latency (no lookahead, no B-frames, sliced
 * threads), a bounded VBV and a long intra period, and the preset and
 * options chosen for a @width x @height picture at @fps and that rate
 * (media/rate/sl-encoder-choice.h; 0 for any of the three: 1280x720 at
 * 30).  Returns the H.264 profile those settings make, as caps name it
 * ("constrained-baseline", "high"; static): the caps after the encoder
 * must say it, so that the payloader's profile-level-id and the SDP do.
 * The send pipeline and the latency benchmark's codec floor share it, so
 * the floor is the product's encoder.  Any thread, before the element
 * runs: x264enc takes no change but its bitrate and VBV once it plays. */
const gchar *sl_media_configure_h264_encoder (GstElement *x264enc,
                                              guint bitrate_kbps, guint width,
                                              guint height, gdouble fps);

/* The VBV that sets, in ms of the encoder's bitrate. */
#define SL_MEDIA_VBV_MS 300

/* Sets the engine's H.264 decoding on @avdec (an avdec_h264): slice
 * threads, no frame delay, corrupt pictures not shown. */
void sl_media_configure_h264_decoder (GstElement *avdec);

/* The monotonic clock in microseconds, as used in stats and data-channel
 * timing.  Any thread. */
gint64 sl_media_now_us (void);

G_END_DECLS
