/* sl-keeper.c — when a probe has lost its picture.  See sl-keeper.h. */
#include "sl-keeper.h"

void
sl_keeper_init (SlKeeper *keeper, gint64 now_us)
{
  *keeper
      = (SlKeeper){ .state = SL_KEEPER_STARTING, .source_start_us = now_us };
}

static void
become_lost (SlKeeper *keeper, gint64 since_us, gint64 now_us)
{
  keeper->state = SL_KEEPER_LOST;
  keeper->lost_since_us = since_us;
  keeper->next_nosignal_us = now_us;
  keeper->next_retry_us = now_us + SL_KEEPER_RETRY_US;
  keeper->losses++;
}

gboolean
sl_keeper_frame (SlKeeper *keeper, gint64 now_us)
{
  gboolean back = keeper->state == SL_KEEPER_LOST;

  keeper->state = SL_KEEPER_LIVE;
  keeper->last_frame_us = now_us;
  return back;
}

gboolean
sl_keeper_fail (SlKeeper *keeper, gint64 now_us)
{
  if (keeper->state == SL_KEEPER_LOST)
    {
      /* A rebuilt source failed too: it gets a new try a RETRY from now,
       * not sooner, whatever its predecessor's schedule was. */
      keeper->next_retry_us = now_us + SL_KEEPER_RETRY_US;
      return FALSE;
    }
  become_lost (keeper,
               keeper->state == SL_KEEPER_LIVE ? keeper->last_frame_us
                                               : keeper->source_start_us,
               now_us);
  return TRUE;
}

guint
sl_keeper_tick (SlKeeper *keeper, gint64 now_us, gint64 *wake_us)
{
  guint actions = SL_KEEPER_DO_NOTHING;

  if (keeper->state == SL_KEEPER_STARTING
      && now_us - keeper->source_start_us >= SL_KEEPER_START_US)
    {
      become_lost (keeper, keeper->source_start_us, now_us);
      actions |= SL_KEEPER_DO_ANNOUNCE_LOST;
    }
  else if (keeper->state == SL_KEEPER_LIVE
           && now_us - keeper->last_frame_us >= SL_KEEPER_STALL_US)
    {
      become_lost (keeper, keeper->last_frame_us, now_us);
      actions |= SL_KEEPER_DO_ANNOUNCE_LOST;
    }

  switch (keeper->state)
    {
    case SL_KEEPER_STARTING:
      *wake_us = keeper->source_start_us + SL_KEEPER_START_US;
      break;
    case SL_KEEPER_LIVE:
      *wake_us = keeper->last_frame_us + SL_KEEPER_STALL_US;
      break;
    case SL_KEEPER_LOST:
    default:
      if (now_us >= keeper->next_nosignal_us)
        {
          actions |= SL_KEEPER_DO_NOSIGNAL;
          keeper->next_nosignal_us = now_us + SL_KEEPER_NOSIGNAL_INTERVAL_US;
        }
      if (now_us >= keeper->next_retry_us)
        {
          actions |= SL_KEEPER_DO_RESTART;
          /* Until sl_keeper_restarted() says when it was done. */
          keeper->next_retry_us = now_us + SL_KEEPER_RETRY_US;
        }
      *wake_us = MIN (keeper->next_nosignal_us, keeper->next_retry_us);
      break;
    }
  return actions;
}

void
sl_keeper_restarted (SlKeeper *keeper, gint64 now_us)
{
  keeper->source_start_us = now_us;
  keeper->next_retry_us = now_us + SL_KEEPER_RETRY_US;
  keeper->restarts++;
}

guint
sl_keeper_lost_seconds (const SlKeeper *keeper, gint64 now_us)
{
  if (keeper->state != SL_KEEPER_LOST || now_us < keeper->lost_since_us)
    return 0;
  return (guint)((now_us - keeper->lost_since_us) / G_USEC_PER_SEC);
}
