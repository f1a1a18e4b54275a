/* sl-replay-file.h — a recording as sonolink-replay opens it.
 *
 * The user names either file of a recording (FILE.mkv or FILE.jsonl,
 * docs/recording.md); the other is found beside it.  Opening scans the
 * Matroska file (sl-replay-mkv.h) and loads the sidecar into a timeline
 * (sl-replay-timeline.h); notes are appended to the sidecar.
 *
 * Control thread (or any one thread).
 */
#pragma once

#include "sl-replay-timeline.h"

G_BEGIN_DECLS

typedef struct
{
  gchar *mkv_path;
  gchar *sidecar_path;
  SlReplayMkvInfo info;
  SlReplayTimeline *timeline;
  guint skipped_lines; /* sidecar lines that could not be read */
  gchar *station;      /* "township" or "expert", from the sidecar */
} SlReplayFile;

/* Opens the recording named by @path.  NULL with @error: SL_REPLAY_ERROR
 * NOT_RECORDING or EMPTY, or G_FILE_ERROR when a file cannot be read. */
SlReplayFile *sl_replay_file_open (const gchar *path, GError **error);
void sl_replay_file_free (SlReplayFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlReplayFile, sl_replay_file_free)

/* The recording's pictures span from start to end (ms). */
gint64 sl_replay_file_start_ms (const SlReplayFile *file);
gint64 sl_replay_file_end_ms (const SlReplayFile *file);

/* Appends a note at @t_ms with @text (valid: sl_replay_note_text_is_valid)
 * to the sidecar, in one write(2) on a descriptor opened O_APPEND, then
 * fdatasync: a concurrent writer's lines and this one never interleave,
 * and a crash leaves at most this line cut, which readers skip.  When the
 * sidecar ends inside a line (a crash cut it), the note begins on a line
 * of its own.  The file keeps its mode (0600); it is never created. */
gboolean sl_replay_file_add_note (SlReplayFile *file, gint64 t_ms,
                                  const gchar *text, GError **error);

G_END_DECLS
