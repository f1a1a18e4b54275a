/* fuzz-replay-mkv.c — fuzzes the scan of a recording's Matroska file.
 *
 * sonolink-replay scans whatever file the user names, which a crash may
 * have cut anywhere.  Beyond "does not read out of bounds": a rejection
 * comes with SL_REPLAY_ERROR_NOT_RECORDING, an accepted file's times are
 * in order, and the keyframe lookup stays within what was found.
 */
#include <stdlib.h>

#include "sl-fuzz.h"
#include "sl-replay-mkv.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_auto (SlReplayMkvInfo) info = { 0 };
  g_autoptr (GError) error = NULL;
  guint64 blocks = 0;

  if (!sl_replay_mkv_scan (data, size, &info, &error))
    {
      if (error == NULL
          || !g_error_matches (error, SL_REPLAY_ERROR,
                               SL_REPLAY_ERROR_NOT_RECORDING))
        abort ();
      return 0;
    }
  for (guint i = 0; i <= SL_REPLAY_MAX_TRACK; i++)
    blocks += info.blocks[i];
  if (info.first_video_ms > info.last_video_ms
      || (info.blocks[1] > 0) != (info.first_video_ms >= 0)
      || info.keyframes > info.blocks[1] || (blocks > 0 && info.last_ms < 0))
    abort ();
  if (info.keyframes > 0
      && sl_replay_mkv_keyframe_before (&info, info.last_video_ms) < 0)
    abort ();
  return 0;
}
