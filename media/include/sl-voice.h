/* sl-voice.h — the township's voice: microphone, loudspeaker and the
 * lesson's mix, in one pipeline at one rate.
 *
 * The township's loudspeaker plays the expert next to its microphone, so
 * without care the expert hears themself 50-300 ms later.  SlVoice builds,
 * inside a caller's bin, the graph that keeps the two apart:
 *
 *   mic ! [webrtcdsp] ! tee ─ queue ───────────────────────── near tail
 *                           └ queue ─┐
 *   far voices (appsrc each) ─┐      ├ audiomixer ! caps ──── lesson tail
 *   [silence, live] ──────────┴ audiomixer ! caps ! tee ─ queue ─┘
 *                                                     └ queue ! [webrtcechoprobe] ! speaker
 *
 * Everything runs at 48 kHz, mono, S16LE (SL_VOICE_CAPS).  The echo probe
 * sits just before the loudspeaker's sink, after the mix of every voice
 * received, so the canceller is shown exactly what the room hears.  The
 * near tail (the microphone, cleaned) is what the expert receives; the
 * lesson tail (the microphone mixed with every received voice) is what a
 * trainee receives, so that a trainee hears both sides of the lesson
 * while the expert never hears itself.
 *
 * The township (media/capture/sl-capture.c) and the echo test
 * (tests/bench/voice-room.c) both build their graph with
 * sl_voice_build, so the test measures the code the township runs.
 *
 * Threading: every function on the control thread; the far sources are
 * fed from any thread.
 */
#pragma once

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define SL_VOICE_RATE 48000
#define SL_VOICE_CAPS                                                          \
  "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved"

typedef enum
{
  SL_VOICE_PROCESSING_OFF,
  SL_VOICE_PROCESSING_AEC,    /* echo cancellation */
  SL_VOICE_PROCESSING_AEC_NS, /* echo cancellation and noise suppression */
} SlVoiceProcessing;

/* Reads "off", "aec" or "aec+ns"; FALSE for anything else. */
gboolean sl_voice_processing_parse (const gchar *text, SlVoiceProcessing *mode);
const gchar *sl_voice_processing_name (SlVoiceProcessing mode);

typedef struct _SlVoice SlVoice;

typedef struct
{
  SlVoiceProcessing processing;
  /* The loudspeaker's sink (transfer floating); NULL: a fakesink. */
  GstElement *speaker;
  /* A live pipeline: a silent live source keeps the loudspeaker and the
   * lesson going while no voice arrives, and the far sources stamp what
   * they are given on arrival.  FALSE (tests): the caller stamps every
   * buffer and the mixers wait for all their inputs. */
  gboolean live;
} SlVoiceConfig;

/* Builds the graph above in @bin after @mic, an element already in @bin
 * whose source pad gives SL_VOICE_CAPS (NULL: no microphone; the lesson
 * then carries the received voices alone and there is no near tail).
 * The caller links the tails' source pads.  Elements belong to @bin;
 * the SlVoice only names them.  NULL with @error if an element is
 * missing. */
SlVoice *sl_voice_build (GstBin *bin, GstElement *mic,
                         const SlVoiceConfig *config, GError **error);

/* The element whose source pad carries the microphone after processing
 * (NULL without a microphone), and the one carrying the lesson's mix. */
GstElement *sl_voice_near_tail (SlVoice *voice);
GstElement *sl_voice_lesson_tail (SlVoice *voice);

/* The element the microphone's samples enter processing at (the
 * microphone's own source pad): where a latency click is written, so that
 * a measurement includes the processing.  NULL without a microphone. */
GstPad *sl_voice_near_entry (SlVoice *voice);

/* A new input for a received voice (SL_VOICE_CAPS), mixed with the
 * others into the loudspeaker and the lesson; the bin may be running.
 * Returns a new reference, which the caller keeps until after
 * sl_voice_remove_far has taken the input out of the bin. */
GstAppSrc *sl_voice_add_far (SlVoice *voice, GError **error);
void sl_voice_remove_far (SlVoice *voice, GstAppSrc *far);

/* A sink for another pipeline that forwards every buffer it receives to
 * @far (a reference is taken): a session's decoded voice goes into the
 * township's voice pipeline through it.  Transfer floating. */
GstElement *sl_voice_make_far_sink (GstAppSrc *far, GError **error);

/* Whether @object is the loudspeaker's sink or inside it (a bus
 * message's source, say). */
gboolean sl_voice_is_speaker (SlVoice *voice, GstObject *object);

/* The processing element (NULL when off): the echo test reads it. */
GstElement *sl_voice_processor (SlVoice *voice);

void sl_voice_free (SlVoice *voice);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlVoice, sl_voice_free)

G_END_DECLS
