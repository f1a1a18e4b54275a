/* sl-replay-decode.h — a recording's pictures, decoded headless.
 *
 * One pipeline reads the video track of a recording (filesrc !
 * matroskademux ! h264parse ! avdec_h264 ! appsink) from a time on, as
 * fast as it decodes: for --snapshot-at (the picture shown at a time,
 * with the marks drawn by the stations' renderer) and --verify-phantom
 * (every picture against the phantom it came from).  h264parse and
 * avdec_h264 take a new SPS (a new picture size) at the keyframe it
 * comes with (docs/recording.md, THE FILE).
 *
 * Blocking calls; one thread.
 */
#pragma once

#include "sl-replay-file.h"

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _SlReplayDecoder SlReplayDecoder;

/* Opens @file's video at the keyframe at or before @from_ms.  NULL
 * with @error when GStreamer cannot read it. */
SlReplayDecoder *sl_replay_decoder_new (SlReplayFile *file, gint64 from_ms,
                                        GError **error);
void sl_replay_decoder_free (SlReplayDecoder *dec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlReplayDecoder, sl_replay_decoder_free)

/* Returns (transfer full) the next decoded picture (I420) and sets
 * *@pts_ms to its time on the recording's timeline; NULL at the end, or
 * with @error when the decoding failed. */
GstSample *sl_replay_decoder_next (SlReplayDecoder *dec, gint64 *pts_ms,
                                   GError **error);

/* @buf's time on the recording's timeline in ms; -1 when it has none. */
gint64 sl_replay_buffer_ms (GstBuffer *buf);

/* A pad probe (any thread) that drops every buffer whose time is before
 * *@limit_ms (a gint64 that outlives the probe). */
GstPadProbeReturn sl_replay_drop_before (GstPad *pad, GstPadProbeInfo *info,
                                         gpointer limit_ms);

/* Writes @at_ms's picture, with the marks that show on it, to @path as a
 * PNG (mode 0600): the last picture whose time is at most @at_ms.
 * @at_ms must be within the recording (SL_REPLAY_ERROR_RANGE). */
gboolean sl_replay_snapshot (SlReplayFile *file, gint64 at_ms,
                             const gchar *path, GError **error);

G_END_DECLS
