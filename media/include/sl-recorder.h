/* sl-recorder.h — a station's recording of a consultation
 * (docs/recording.md).
 *
 * An SlRecorder writes one recording: DIR/sonolink-STATION-TIME.mkv (the
 * probe video as encoded, both voices as Opus packets, the guidance
 * events as a text track) and, beside it, the same name with .jsonl (the
 * guidance events and stills, one JSON object a line).  Nothing is
 * decoded or encoded again: the sessions hand the recorder the H.264
 * access units and Opus packets they already have (sl_session_set_recorder).
 *
 * The folder is made mode 0700 if it does not exist, the files 0600:
 * a recording is patient data.  Clusters of about a second go to the disk
 * as they complete, from a thread of the recorder's own, and are synced
 * there, so a station killed outright loses at most the last two seconds.
 * A write that fails (a full disk) stops the recording, keeps what was
 * written, and says why through the failed callback; the consultation
 * goes on.
 *
 * Threading: sl_recorder_new, _stop, _unref of the last reference and
 * the guidance and still notes on the control thread (the thread-default
 * main context of sl_recorder_new); the tap functions
 * (sl_recorder_add_video, sl_recorder_add_voice) on any thread.
 */
#pragma once

#include <gst/gst.h>

#include "sl-guide.h"

G_BEGIN_DECLS

typedef struct _SlRecorder SlRecorder;

/* Control thread: the recording stopped on an error (@error says what
 * and where); no more is written. */
typedef void (*SlRecorderFailed) (SlRecorder *recorder, const GError *error,
                                  gpointer user_data);

/* Starts a recording in @dir for @station ("township" or "expert").
 * Returns NULL with @error if the folder cannot be
 * made or a file cannot be created there. */
SlRecorder *sl_recorder_new (const gchar *dir, const gchar *station,
                             SlRecorderFailed failed, gpointer user_data,
                             GError **error);
SlRecorder *sl_recorder_ref (SlRecorder *recorder);
void sl_recorder_unref (SlRecorder *recorder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlRecorder, sl_recorder_unref)

/* Ends the recording: the open cluster and a "stop" line are written and
 * the files closed (waits for the writes).  Further input is ignored. */
void sl_recorder_stop (SlRecorder *recorder);

/* The Matroska file's path (transfer none). */
const gchar *sl_recorder_get_path (SlRecorder *recorder);
/* The folder of the recording (transfer none). */
const gchar *sl_recorder_get_dir (SlRecorder *recorder);
/* Video frames written so far (any thread). */
guint64 sl_recorder_get_frames (SlRecorder *recorder);
/* Voice packets written so far to the township's track (@township) or
 * the expert's (any thread). */
guint64 sl_recorder_get_voice_packets (SlRecorder *recorder, gboolean township);
/* TRUE while the recording runs (not stopped, not failed). */
gboolean sl_recorder_is_running (SlRecorder *recorder);

/* How many bytes may wait for the disk (default 32 MiB,
 * SL_RECORD_BACKLOG_DEFAULT_BYTES in media/record/sl-record-backlog.h);
 * past that, what comes is dropped until the writer has caught up to half
 * of it, and the video resumes at a keyframe (docs/recording.md, A DISK
 * THAT STALLS).  Any thread. */
void sl_recorder_set_backlog_limit (SlRecorder *recorder, gsize bytes);
/* What was dropped because the disk did not keep up: @bytes in all, in
 * @gaps separate gaps.  TRUE while it is dropping now.  Any thread. */
gboolean sl_recorder_get_dropped (SlRecorder *recorder, guint64 *bytes,
                                  guint64 *gaps);
/* TRUE once after a gap has ended: the video waits for a keyframe, which
 * the caller should ask the encoder for (sl_session_record_keyframe).
 * Any thread. */
gboolean sl_recorder_take_keyframe_wanted (SlRecorder *recorder);

/* The township's capture: its media time now, ms (sl_capture_media_now_ms),
 * so that recorded pictures carry their media time and guidance that
 * names one is keyed to that picture. */
void sl_recorder_set_media_clock (SlRecorder *recorder, gint64 media_now_ms);

/* Any thread: one H.264 access unit as @caps describe it (byte-stream or
 * avc, alignment au); @capture_us is when its picture was taken on the
 * monotonic clock (g_get_monotonic_time), -1 if unknown. */
void sl_recorder_add_video (SlRecorder *recorder, GstBuffer *buffer,
                            GstCaps *caps, gint64 capture_us);
/* Any thread: one Opus packet of this station's own voice (@own) or of
 * the peer's. */
void sl_recorder_add_voice (SlRecorder *recorder, gboolean own,
                            GstBuffer *buffer);

/* Control thread: a guidance message sent to or received from @peer. */
void sl_recorder_add_guide (SlRecorder *recorder, gboolean sent,
                            const gchar *peer, const SlGuideMsg *msg);
/* Control thread: a still saved at @path, of media time @media_ms. */
void sl_recorder_add_still (SlRecorder *recorder, const gchar *path,
                            gint64 media_ms);

G_END_DECLS
