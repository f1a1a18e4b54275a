/* sl-replay-export.h — a recording exported as an MP4 file.
 *
 * docs/sonolink-replay.md, EXPORT.  Without burn_marks the H.264 access
 * units are copied (no video re-encode, so the picture is exactly what
 * was recorded) and the marks, probe cues, prompts and notes go into a
 * WebVTT file beside the MP4; with it the pictures are decoded, the
 * marks drawn into them by the stations' renderer, and the result
 * encoded again with x264 at high quality.  A range the picture changes
 * size in cannot be copied into MP4 (mp4mux 1.22): it is encoded again
 * as for burn_marks but with no marks drawn, and stderr says so.  Either
 * way both voices are
 * decoded and mixed into one AAC track, which every player and slide
 * program plays (two Opus tracks would be a stream copy, but most
 * players play only the first track, and few slide programs take Opus
 * in MP4 at all).
 *
 * Blocking: runs its own main loop.  The file is written under a
 * temporary name, mode 0600 (it is patient data), and renamed into
 * place once complete.
 */
#pragma once

#include "sl-replay-file.h"

G_BEGIN_DECLS

typedef struct
{
  const gchar *out_path;
  gint64 from_ms, to_ms; /* within the recording, from < to */
  gboolean burn_marks;
  gboolean progress_tty; /* progress as one line rewritten in place */
} SlReplayExportOptions;

/* Writes the export.  FALSE with @error: G_FILE_ERROR when the output
 * cannot be written, SL_REPLAY_ERROR when the recording cannot be read. */
gboolean sl_replay_export (SlReplayFile *file, const SlReplayExportOptions *opt,
                           GError **error);

G_END_DECLS
