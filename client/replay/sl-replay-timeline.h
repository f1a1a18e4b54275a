/* sl-replay-timeline.h — what a recording shows at any moment of it.
 *
 * A recording's sidecar (docs/recording.md, THE SIDECAR) lists every
 * guidance message with the recording time of the picture it was drawn
 * on (frame_ms), and the reviewers' notes with the time they are about.
 * SlReplayTimeline holds them in time order and answers "what is drawn
 * on the picture shown at t": it applies, to one SlGuideState per
 * drawer (sl-guide-state.h), every message keyed to t or before, each as
 * if it arrived at its own frame_ms, so marks appear on the frame they
 * were drawn on and go at the frame where an undo, a delete, a clear, a
 * TTL or the pointer's timeout took them down — the same rules, in the
 * same code, as at the live stations.  The states are drawn with the
 * stations' renderer (sl-guide-render.h).
 *
 * It also reads a note as a reviewer types it ("12.4: probe too
 * lateral") and writes the WebVTT track of an export: a cue for each
 * mark, probe cue and prompt for as long as it shows, and one for each
 * note.
 *
 * Times are milliseconds on the recording's timeline.  Plain C (GLib,
 * the guidance codec and state, cairo for the renderer); not
 * thread-safe: one caller at a time.
 */
#pragma once

#include "sl-record-sidecar.h"
#include "sl-replay-mkv.h"

#include <cairo.h>

G_BEGIN_DECLS

/* How long a note shows in a replay's window and in an export's VTT. */
#define SL_REPLAY_NOTE_SHOW_MS 5000

typedef struct
{
  gint64 t_ms;
  gchar *text;
} SlReplayNote;

typedef struct _SlReplayTimeline SlReplayTimeline;

SlReplayTimeline *sl_replay_timeline_new (void);
void sl_replay_timeline_free (SlReplayTimeline *tl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlReplayTimeline, sl_replay_timeline_free)

/* Adds one sidecar event, in the sidecar's order.  GUIDE events are
 * keyed to their frame_ms (t_ms when it is unknown), by the drawer:
 * "self" for what the recording station sent, the peer's id for what it
 * received.  Returns FALSE with @error (SL_REPLAY_ERROR_NOTE) for a
 * GUIDE event whose message the guidance codec refuses; other types
 * than GUIDE and NOTE are accepted and ignored. */
gboolean sl_replay_timeline_add (SlReplayTimeline *tl,
                                 const SlRecordEvent *event, GError **error);

/* Adds every line of a sidecar's @len bytes.  A line that is not a
 * sidecar line (the one a crash cut short, one edited by hand) is
 * skipped and counted in *@skipped (nullable).  Returns FALSE with
 * @error (SL_REPLAY_ERROR_NOT_RECORDING) if the first line is not the
 * `recording` line. */
gboolean sl_replay_timeline_load (SlReplayTimeline *tl, const gchar *data,
                                  gsize len, guint *skipped, GError **error);

/* The states as they show at @t_ms.  Forward seeks apply what came
 * since; a seek backwards starts again from the beginning. */
void sl_replay_timeline_seek (SlReplayTimeline *tl, gint64 t_ms);

/* The number of marks alive at the time of the last seek, over every
 * drawer; and whether one with @id is among them. */
guint sl_replay_timeline_n_marks (SlReplayTimeline *tl);
gboolean sl_replay_timeline_has_mark (SlReplayTimeline *tl, const gchar *id);

/* Draws the states as they show at the last seek onto a @width ×
 * @height picture (sl_guide_render, each drawer in the order it first
 * drew). */
void sl_replay_timeline_render (SlReplayTimeline *tl, cairo_t *cr, guint width,
                                guint height);

/* The notes, in time order; valid until the next add. */
const SlReplayNote *sl_replay_timeline_notes (SlReplayTimeline *tl,
                                              guint *n_notes);

/* The newest note whose time is at most @t_ms and less than
 * SL_REPLAY_NOTE_SHOW_MS before it; NULL if none. */
const SlReplayNote *sl_replay_timeline_note_at (SlReplayTimeline *tl,
                                                gint64 t_ms);

/* Returns (transfer full) a WebVTT file of what shows from @from_ms to
 * @to_ms, its cue times counted from @from_ms. */
gchar *sl_replay_timeline_to_vtt (SlReplayTimeline *tl, gint64 from_ms,
                                  gint64 to_ms);

/* Reads a note as typed: "SECONDS: TEXT" or "MINUTES:SECONDS: TEXT"
 * (seconds with up to three decimals), the text one line of at most
 * SL_RECORD_MAX_TEXT bytes of UTF-8 without control characters, spaces
 * around it dropped.  Fills *@t_ms and *@text (transfer full) or returns
 * FALSE with @error (SL_REPLAY_ERROR_NOTE) saying what is wrong. */
gboolean sl_replay_note_parse (const gchar *arg, gint64 *t_ms, gchar **text,
                               GError **error);

/* Reads a time as a user types it: "SECONDS" or "MINUTES:SECONDS", with
 * up to three decimals.  FALSE with @error (SL_REPLAY_ERROR_RANGE). */
gboolean sl_replay_time_parse (const gchar *arg, gint64 *ms, GError **error);

/* TRUE if @text may be a note's text (as sl_replay_note_parse checks). */
gboolean sl_replay_note_text_is_valid (const gchar *text, GError **error);

G_END_DECLS
