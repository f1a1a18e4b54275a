/* sl-replay-window.h — a recording played in a window.
 *
 * The picture with the marks drawn by the stations' renderer (blended
 * in front of the video sink, as at the live stations), both voices,
 * the time and the notes; keys to pause, seek, step and add a note
 * (docs/sonolink-replay.md, KEYS).  Runs its own main loop until the
 * recording ends, the window is closed, or q is pressed.
 */
#pragma once

#include "sl-replay-file.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 from_ms;
  gboolean no_audio; /* voices not played (no sound device) */
  const gchar *sink; /* a GStreamer video sink description, or NULL */
} SlReplayWindowOptions;

/* Plays @file.  FALSE with @error when it cannot. */
gboolean sl_replay_window_run (SlReplayFile *file,
                               const SlReplayWindowOptions *opt,
                               GError **error);

G_END_DECLS
