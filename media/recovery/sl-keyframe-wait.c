/* sl-keyframe-wait.c — keep asking for a keyframe until one comes.
 * See sl-keyframe-wait.h.
 */
#include "sl-keyframe-wait.h"

void
sl_keyframe_wait_init (SlKeyframeWait *wait)
{
  *wait = (SlKeyframeWait){ 0 };
}

void
sl_keyframe_wait_discont (SlKeyframeWait *wait, gint64 now_us)
{
  wait->waiting = TRUE;
  wait->asked_us = now_us;
}

void
sl_keyframe_wait_picture (SlKeyframeWait *wait, gboolean keyframe)
{
  if (keyframe)
    wait->waiting = FALSE;
}

gboolean
sl_keyframe_wait_due (SlKeyframeWait *wait, gint64 now_us)
{
  if (!wait->waiting
      || now_us - wait->asked_us < (gint64)SL_KEYFRAME_WAIT_REPEAT_MS * 1000)
    return FALSE;
  wait->asked_us = now_us;
  wait->repeats++;
  return TRUE;
}
