/* sl-keeper.h — when a probe has lost its picture, and what to do about it.
 *
 * The decisions of the "keeper" that stands between a probe source that
 * can fail (a capture card unplugged, a cable pulled, a gst: pipeline that
 * posts an error, a file that cannot be read) and the engine, which must
 * keep receiving pictures so the consultation goes on.  Plain C over
 * microsecond timestamps; the GStreamer element that acts on it is
 * sl-keeper-src.c.  Not thread-safe: the element holds a lock around it.
 *
 *   STARTING --frame--> LIVE --error/end, or no frame for STALL--> LOST
 *   STARTING --error/end, or no first frame in START--> LOST
 *   LOST --frame--> LIVE
 *
 * While LOST the element sends a generated "no signal" picture every
 * NOSIGNAL_INTERVAL (few bits: a still picture, rarely) and rebuilds the
 * source every RETRY, until a frame comes.  A rebuilt source has RETRY to
 * deliver its first frame before it is rebuilt again.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A live source silent this long has lost its signal (a card whose HDMI
 * input goes dark may just stop delivering frames, without an error). */
#define SL_KEEPER_STALL_US (2 * G_USEC_PER_SEC)
/* A first frame should come within this (a file's decoder, a card
 * opening). */
#define SL_KEEPER_START_US (3 * G_USEC_PER_SEC)
/* How often a lost source is rebuilt: a replugged card resumes within
 * about this, and opening a missing device twice a second costs nothing. */
#define SL_KEEPER_RETRY_US (2 * G_USEC_PER_SEC)
/* The "no signal" picture's rate: 2 a second, enough for its clock of
 * seconds to move and for a receiver to see a live (not frozen) stream. */
#define SL_KEEPER_NOSIGNAL_INTERVAL_US (G_USEC_PER_SEC / 2)

typedef enum
{
  SL_KEEPER_STARTING,
  SL_KEEPER_LIVE,
  SL_KEEPER_LOST,
} SlKeeperState;

typedef enum
{
  SL_KEEPER_DO_NOTHING = 0,
  /* The source went quiet: announce the loss (the element says why). */
  SL_KEEPER_DO_ANNOUNCE_LOST = 1 << 0,
  /* Push a "no signal" picture now. */
  SL_KEEPER_DO_NOSIGNAL = 1 << 1,
  /* Tear the source down and build it again, then call
   * sl_keeper_restarted(). */
  SL_KEEPER_DO_RESTART = 1 << 2,
} SlKeeperAction;

typedef struct
{
  SlKeeperState state;
  gint64 lost_since_us;   /* LOST: when the last picture came (or start) */
  gint64 last_frame_us;   /* 0 before the first */
  gint64 source_start_us; /* when the current source was built */
  gint64 next_nosignal_us;
  gint64 next_retry_us;
  guint losses;   /* times LIVE (or STARTING) became LOST */
  guint restarts; /* times the source was rebuilt */
} SlKeeper;

/* Starts in STARTING with a source built at @now_us. */
void sl_keeper_init (SlKeeper *keeper, gint64 now_us);

/* A real frame arrived.  Returns TRUE when it ends a loss ("probe back"). */
gboolean sl_keeper_frame (SlKeeper *keeper, gint64 now_us);

/* The source failed (an error, or the end of its stream).  Returns TRUE
 * when this starts a loss, to be announced; FALSE while already lost (a
 * retry that failed too). */
gboolean sl_keeper_fail (SlKeeper *keeper, gint64 now_us);

/* What is due at @now_us (SlKeeperAction flags); sets *@wake_us to when to
 * call again at the latest. */
guint sl_keeper_tick (SlKeeper *keeper, gint64 now_us, gint64 *wake_us);

/* The source was rebuilt at @now_us. */
void sl_keeper_restarted (SlKeeper *keeper, gint64 now_us);

/* Whole seconds the picture has been lost at @now_us (0 unless LOST). */
guint sl_keeper_lost_seconds (const SlKeeper *keeper, gint64 now_us);

G_END_DECLS
