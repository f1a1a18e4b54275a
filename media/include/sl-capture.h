/* sl-capture.h — a station's local picture and voice, shared by its sessions.
 *
 * SlCapture runs one capture pipeline per station: the probe source (from
 * probe-adapter/) and the audio source each end in an appsink whose samples
 * are handed, by reference and without copies, to every registered target
 * (the appsrc at the head of each SlSession's send branch).  Sessions can
 * then come and go without touching the running capture, and a microphone or
 * capture card is opened once however many peers watch.
 *
 * Threading: new/start/free and add/remove on the control thread; the tap
 * and the pushes to targets run on the capture's streaming threads.
 */
#pragma once

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include "sl-voice.h"

G_BEGIN_DECLS

typedef struct _SlCapture SlCapture;

typedef enum
{
  SL_CAPTURE_VIDEO,
  SL_CAPTURE_AUDIO,  /* the microphone (after the voice processing) */
  SL_CAPTURE_LESSON, /* with a voice graph: microphone and heard voices */
} SlCaptureKind;

/* Called on the streaming thread for every captured video frame before it
 * is handed to the targets.  The buffer is writable: a tap may write into it
 * (a latency stamp, say).  Must not block. */
typedef void (*SlCaptureTap) (GstBuffer *buffer, const GstVideoInfo *info,
                              gpointer user_data);

/* Builds the capture pipeline around @video_source and @audio_source
 * (either may be NULL; both transfer floating).  The audio source may
 * produce any raw format: it is converted to 48 kHz mono S16.
 * Returns NULL with @error if an element is missing. */
SlCapture *sl_capture_new (GstElement *video_source, GstElement *audio_source,
                           GError **error);

/* As sl_capture_new, and at the township: with @voice (nullable), the
 * township's voice graph (sl-voice.h) in the capture's pipeline, whose
 * speaker it takes (transfer floating).  The microphone (@audio_source,
 * nullable) goes through it to the SL_CAPTURE_AUDIO targets; the lesson's
 * mix goes to the SL_CAPTURE_LESSON ones. */
SlCapture *sl_capture_new_with_voice (GstElement *video_source,
                                      GstElement *audio_source,
                                      const SlVoiceConfig *voice,
                                      GError **error);

/* With a voice graph: a new input for a voice the township hears (a
 * session's decoded voice, through sl_voice_make_far_sink), played on the
 * loudspeaker and mixed into the lesson.  Returns a new reference, to be
 * given back with sl_capture_remove_heard_voice.  Control thread. */
GstAppSrc *sl_capture_add_heard_voice (SlCapture *capture, GError **error);
void sl_capture_remove_heard_voice (SlCapture *capture, GstAppSrc *voice);

/* Starts capturing.  Fails with @error if the pipeline cannot start (device
 * busy, file not found...).  A failure later is reported through
 * sl_capture_get_error. */
gboolean sl_capture_start (SlCapture *capture, GError **error);

/* Returns (transfer full) the first error the running pipeline posted, or
 * NULL while all is well. */
GError *sl_capture_get_error (SlCapture *capture);

/* With a voice graph: (transfer full) the loudspeaker's failure, once,
 * or NULL.  A failing loudspeaker is not a capture error: the capture
 * goes on without it. */
GError *sl_capture_take_speaker_error (SlCapture *capture);

void sl_capture_set_tap (SlCapture *capture, SlCaptureTap tap,
                         gpointer user_data);

/* Called on the control thread (from the bus watch) for every element
 * message the capture's sources post: a probe's "no signal" notices, say
 * (probe-adapter/keeper/sl-keeper-src.h). */
typedef void (*SlCaptureMessageFunc) (GstMessage *message, gpointer user_data);

void sl_capture_set_message_func (SlCapture *capture, SlCaptureMessageFunc func,
                                  gpointer user_data);

/* As SlCaptureTap, for every captured voice buffer (48 kHz mono S16LE)
 * as it leaves the microphone, before any voice processing; the buffer
 * is writable (a latency click, say).  Must not block. */
typedef void (*SlCaptureAudioTap) (GstBuffer *buffer, gpointer user_data);

void sl_capture_set_audio_tap (SlCapture *capture, SlCaptureAudioTap tap,
                               gpointer user_data);

/* Registers @target (an appsrc; a reference is taken) to receive every
 * sample of @kind from now on; removing drops the reference.  Safe while
 * streaming. */
void sl_capture_add_target (SlCapture *capture, SlCaptureKind kind,
                            GstAppSrc *target);
void sl_capture_remove_target (SlCapture *capture, SlCaptureKind kind,
                               GstAppSrc *target);

/* Raw frames kept for the guidance layer: the township's stills and its
 * annotated preview need the exact frame the probe adapter produced, not
 * what the encoder made of it.  After sl_capture_keep_frames (@n, 1 .. 16),
 * the capture keeps references to the last @n video frames, untouched by
 * any tap, with their media time: the capture pipeline's running time of
 * the frame, in ms (docs/guidance.md, THE ENVELOPE).  Only references are
 * kept, so the streaming thread does no copy.  Any thread. */
void sl_capture_keep_frames (SlCapture *capture, guint n);

/* Returns (transfer full) the kept frame whose media time is closest to
 * @media_ms (the newest if @media_ms < 0), setting *@frame_ms (nullable)
 * to its media time; NULL if none is kept.  Any thread. */
GstSample *sl_capture_get_frame (SlCapture *capture, gint64 media_ms,
                                 gint64 *frame_ms);

/* The capture's media time now, ms (its pipeline's running time), or -1
 * before it runs.  Any thread. */
gint64 sl_capture_media_now_ms (SlCapture *capture);

/* Counts frames captured so far (any thread). */
guint64 sl_capture_get_frames (SlCapture *capture);

void sl_capture_free (SlCapture *capture);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlCapture, sl_capture_free)

G_END_DECLS
