/* sl-guide-state.h — what a receiver of guidance shows right now.
 *
 * One SlGuideState holds what one peer has drawn: its live marks (in the
 * order they were added, which is the drawing order), an undo history,
 * its live pointer, its current cue and prompt, and what it said about
 * its probe image.  Messages from sl_guide_parse() are applied to it in
 * the order they arrive; the renderer (sl-guide-render.h) draws it.  A
 * sender applies every message it sends to a state of its own, so both
 * stations draw the same picture from the same code.
 *
 * Time is a number of milliseconds the caller supplies ("now"): a
 * monotonic clock for a live session, the media time for a replay.  TTLs,
 * display durations and the pointer's timeout are measured on it from
 * the moment a message is applied, never from the sender's clock, so a
 * clock offset between the stations changes nothing.
 *
 * Pure and single-threaded: not thread-safe; use from one thread or
 * under the caller's lock.
 */
#pragma once

#include "sl-guide.h"

G_BEGIN_DECLS

/* Undo reverts at most this many operations; older ones are forgotten.
 * Their saved marks number under 2 × SL_GUIDE_MAX_MARKS: only a CLEAR
 * saves more than one, every mark it saves was added by an operation
 * after the previous CLEAR, and those operations are in the history
 * too.  So the history stays under a megabyte. */
#define SL_GUIDE_MAX_UNDO 32
/* The pointer hides when no newer pointer message came for this long. */
#define SL_GUIDE_POINTER_TIMEOUT_MS 1000

typedef struct _SlGuideState SlGuideState;

/* Returns (transfer full) an empty state. */
SlGuideState *sl_guide_state_new (void);
void sl_guide_state_free (SlGuideState *state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlGuideState, sl_guide_state_free)

/* Applies @msg, received at @now_ms.  MARK adds a mark or replaces the one
 * with its id (in place: it keeps its drawing order); DELETE removes one
 * (an unknown id is ignored); CLEAR removes them all; UNDO reverts the
 * latest MARK, DELETE or CLEAR still in the history (none: ignored).
 * POINTER is taken only if its seq is above every seq seen since the last
 * sl_guide_state_reset_pointer(); CUE and PROMPT replace the current ones
 * (their NONE takes them down); IMAGE is kept.  Other types do not change
 * what is shown and are ignored.  Returns FALSE with SL_GUIDE_ERROR_LIMIT,
 * changing nothing, when a new mark would be SL_GUIDE_MAX_MARKS + 1. */
gboolean sl_guide_state_apply (SlGuideState *state, const SlGuideMsg *msg,
                               gint64 now_ms, GError **error);

/* Removes marks whose TTL has run out by @now_ms.  apply() does this
 * first; readers below also skip what has expired, so a caller need only
 * call it to free room. */
void sl_guide_state_expire (SlGuideState *state, gint64 now_ms);

/* Forgets the pointer and its last seq: call when the pointer channel is
 * (re)opened, since a new channel's sender starts its seq again. */
void sl_guide_state_reset_pointer (SlGuideState *state);

/* The marks, oldest first, including any that have expired but were not
 * yet removed: sl_guide_state_nth_mark() sets *@expires_ms (nullable) to
 * the time it expires, G_MAXINT64 for never.  The pointer is owned by the
 * state and valid until the next apply() or expire(). */
guint sl_guide_state_n_marks (const SlGuideState *state);
const SlGuideMark *sl_guide_state_nth_mark (const SlGuideState *state, guint i,
                                            gint64 *expires_ms);
/* The mark with @id alive at @now_ms, or NULL. */
const SlGuideMark *sl_guide_state_lookup (const SlGuideState *state,
                                          const gchar *id, gint64 now_ms);

/* The number of operations UNDO could revert now. */
guint sl_guide_state_n_undo (const SlGuideState *state);

/* TRUE, filling @out, if the pointer shows at @now_ms: its latest message
 * said visible and is younger than SL_GUIDE_POINTER_TIMEOUT_MS. */
gboolean sl_guide_state_get_pointer (const SlGuideState *state, gint64 now_ms,
                                     SlGuidePointer *out);

/* TRUE, filling @out, if a cue shows at @now_ms; *@since_ms (nullable)
 * is when it was applied. */
gboolean sl_guide_state_get_cue (const SlGuideState *state, gint64 now_ms,
                                 SlGuideCue *out, gint64 *since_ms);

/* TRUE, filling @out, if a prompt shows at @now_ms. */
gboolean sl_guide_state_get_prompt (const SlGuideState *state, gint64 now_ms,
                                    SlGuidePrompt *out);

/* TRUE, filling @out, once an IMAGE message was applied. */
gboolean sl_guide_state_get_image (const SlGuideState *state,
                                   SlGuideImage *out);

G_END_DECLS
