/* sl-guide-state.c — see sl-guide-state.h.
 *
 * Marks live in one array in drawing order.  Every MARK, DELETE and CLEAR
 * that changes the array pushes an operation on the undo history with
 * what it replaced or removed, so UNDO restores exactly that; the
 * history is strictly last-in first-out, so when an operation is undone
 * the array is as that operation left it, except for marks whose TTL ran
 * out in between, which stay gone (restoring an expired mark would only
 * make it blink).
 */
#include "sl-guide-state.h"

#include <string.h>

typedef struct
{
  SlGuideMark mark;
  gint64 expires_ms; /* G_MAXINT64: never */
} Entry;

typedef enum
{
  OP_ADD,    /* undo removes the mark with id */
  OP_UPDATE, /* undo puts back before[0] */
  OP_DELETE, /* undo reinserts before[0] at index */
  OP_CLEAR,  /* undo reinserts all of before */
} OpKind;

typedef struct
{
  OpKind kind;
  gchar id[SL_GUIDE_MAX_ID_LEN + 1];
  guint index;
  GArray *before; /* Entry; NULL for OP_ADD */
} Op;

struct _SlGuideState
{
  GArray *marks; /* Entry, drawing order */
  GQueue undo;   /* Op *, newest at the tail */

  gboolean have_seq; /* a pointer message was taken since the last reset */
  SlGuidePointer pointer;
  gint64 pointer_ms; /* when it was taken */

  gboolean have_cue;
  SlGuideCue cue;
  gint64 cue_ms;

  gboolean have_prompt;
  SlGuidePrompt prompt;
  gint64 prompt_ms;

  gboolean have_image;
  SlGuideImage image;
};

static void
op_free (Op *op)
{
  if (op->before != NULL)
    g_array_unref (op->before);
  g_free (op);
}

SlGuideState *
sl_guide_state_new (void)
{
  SlGuideState *state = g_new0 (SlGuideState, 1);

  state->marks = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_queue_init (&state->undo);
  return state;
}

void
sl_guide_state_free (SlGuideState *state)
{
  if (state == NULL)
    return;
  g_array_unref (state->marks);
  g_queue_clear_full (&state->undo, (GDestroyNotify)op_free);
  g_free (state);
}

static gint
find (const SlGuideState *state, const gchar *id)
{
  for (guint i = 0; i < state->marks->len; i++)
    if (strcmp (g_array_index (state->marks, Entry, i).mark.id, id) == 0)
      return (gint)i;
  return -1;
}

/* Pushes @op (taking it), forgetting the oldest operation beyond
 * SL_GUIDE_MAX_UNDO. */
static void
push_op (SlGuideState *state, Op *op)
{
  g_queue_push_tail (&state->undo, op);
  if (state->undo.length > SL_GUIDE_MAX_UNDO)
    op_free (g_queue_pop_head (&state->undo));
}

static Op *
new_op (OpKind kind, const gchar *id, guint index)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  g_strlcpy (op->id, id, sizeof op->id);
  op->index = index;
  if (kind != OP_ADD)
    op->before = g_array_new (FALSE, FALSE, sizeof (Entry));
  return op;
}

/* @now_ms + @ttl_ms, saturated: "now" is the caller's and may be any
 * number. */
static gint64
expiry (gint64 now_ms, gint64 ttl_ms)
{
  if (ttl_ms <= 0 || now_ms > G_MAXINT64 - ttl_ms)
    return G_MAXINT64;
  return now_ms + ttl_ms;
}

/* TRUE if at least @ms have passed from @since to @now, without
 * overflowing whatever the two are; never if the clock went back. */
static gboolean
elapsed (gint64 since, gint64 now, gint64 ms)
{
  return now >= since && (guint64)now - (guint64)since >= (guint64)ms;
}

static gboolean
apply_mark (SlGuideState *state, const SlGuideMark *mark, gint64 now_ms,
            GError **error)
{
  gint i = find (state, mark->id);
  Entry entry = { .mark = *mark, .expires_ms = expiry (now_ms, mark->ttl_ms) };
  Op *op;

  if (i >= 0)
    {
      Entry *old = &g_array_index (state->marks, Entry, i);

      op = new_op (OP_UPDATE, mark->id, (guint)i);
      g_array_append_val (op->before, *old);
      *old = entry;
      push_op (state, op);
      return TRUE;
    }
  if (state->marks->len >= SL_GUIDE_MAX_MARKS)
    {
      g_set_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_LIMIT,
                   "already %d marks alive", SL_GUIDE_MAX_MARKS);
      return FALSE;
    }
  g_array_append_val (state->marks, entry);
  push_op (state, new_op (OP_ADD, mark->id, state->marks->len - 1));
  return TRUE;
}

static void
apply_delete (SlGuideState *state, const gchar *id)
{
  gint i = find (state, id);
  Op *op;

  if (i < 0)
    return;
  op = new_op (OP_DELETE, id, (guint)i);
  g_array_append_val (op->before, g_array_index (state->marks, Entry, i));
  g_array_remove_index (state->marks, (guint)i);
  push_op (state, op);
}

static void
apply_clear (SlGuideState *state)
{
  Op *op;

  if (state->marks->len == 0)
    return;
  op = new_op (OP_CLEAR, "", 0);
  g_array_append_vals (op->before, state->marks->data, state->marks->len);
  g_array_set_size (state->marks, 0);
  push_op (state, op);
}

/* Puts @entry back at @index (or the end), unless it has expired, its id
 * is alive again, or the array is full. */
static void
restore (SlGuideState *state, const Entry *entry, guint index, gint64 now_ms)
{
  if (entry->expires_ms <= now_ms || find (state, entry->mark.id) >= 0
      || state->marks->len >= SL_GUIDE_MAX_MARKS)
    return;
  g_array_insert_val (state->marks, MIN (index, state->marks->len), *entry);
}

static void
apply_undo (SlGuideState *state, gint64 now_ms)
{
  Op *op = g_queue_pop_tail (&state->undo);
  const Entry *before;
  gint i;

  if (op == NULL)
    return;
  switch (op->kind)
    {
    case OP_ADD:
      if ((i = find (state, op->id)) >= 0)
        g_array_remove_index (state->marks, (guint)i);
      break;
    case OP_UPDATE:
      before = &g_array_index (op->before, Entry, 0);
      if ((i = find (state, op->id)) >= 0)
        g_array_remove_index (state->marks, (guint)i);
      restore (state, before, i >= 0 ? (guint)i : op->index, now_ms);
      break;
    case OP_DELETE:
      restore (state, &g_array_index (op->before, Entry, 0), op->index, now_ms);
      break;
    case OP_CLEAR:
      for (guint k = 0; k < op->before->len; k++)
        restore (state, &g_array_index (op->before, Entry, k), k, now_ms);
      break;
    }
  op_free (op);
}

static void
apply_pointer (SlGuideState *state, const SlGuidePointer *p, gint64 now_ms)
{
  /* The channel is unordered: an older message arriving late must not
   * move the pointer back. */
  if (state->have_seq && p->seq <= state->pointer.seq)
    return;
  state->have_seq = TRUE;
  state->pointer = *p;
  state->pointer_ms = now_ms;
}

gboolean
sl_guide_state_apply (SlGuideState *state, const SlGuideMsg *msg, gint64 now_ms,
                      GError **error)
{
  sl_guide_state_expire (state, now_ms);
  switch (msg->type)
    {
    case SL_GUIDE_MARK:
      return apply_mark (state, &msg->mark, now_ms, error);
    case SL_GUIDE_DELETE:
      apply_delete (state, msg->id);
      break;
    case SL_GUIDE_UNDO:
      apply_undo (state, now_ms);
      break;
    case SL_GUIDE_CLEAR:
      apply_clear (state);
      break;
    case SL_GUIDE_POINTER:
      apply_pointer (state, &msg->pointer, now_ms);
      break;
    case SL_GUIDE_CUE:
      state->have_cue = msg->cue.cue != SL_GUIDE_CUE_NONE;
      state->cue = msg->cue;
      state->cue_ms = now_ms;
      break;
    case SL_GUIDE_PROMPT:
      state->have_prompt = msg->prompt.prompt != SL_GUIDE_PROMPT_NONE;
      state->prompt = msg->prompt;
      state->prompt_ms = now_ms;
      break;
    case SL_GUIDE_IMAGE:
      state->have_image = TRUE;
      state->image = msg->image;
      break;
    case SL_GUIDE_STILL_REQUEST:
    case SL_GUIDE_STILL_META:
    case SL_GUIDE_STILL_CHUNK:
    case SL_GUIDE_STILL_END:
    case SL_GUIDE_NACK:
      break;
    }
  return TRUE;
}

void
sl_guide_state_expire (SlGuideState *state, gint64 now_ms)
{
  for (guint i = state->marks->len; i-- > 0;)
    if (g_array_index (state->marks, Entry, i).expires_ms <= now_ms)
      g_array_remove_index (state->marks, i);
}

void
sl_guide_state_reset_pointer (SlGuideState *state)
{
  state->have_seq = FALSE;
  memset (&state->pointer, 0, sizeof state->pointer);
}

guint
sl_guide_state_n_marks (const SlGuideState *state)
{
  return state->marks->len;
}

const SlGuideMark *
sl_guide_state_nth_mark (const SlGuideState *state, guint i, gint64 *expires_ms)
{
  const Entry *entry;

  g_return_val_if_fail (i < state->marks->len, NULL);
  entry = &g_array_index (state->marks, Entry, i);
  if (expires_ms != NULL)
    *expires_ms = entry->expires_ms;
  return &entry->mark;
}

const SlGuideMark *
sl_guide_state_lookup (const SlGuideState *state, const gchar *id,
                       gint64 now_ms)
{
  gint i = find (state, id);
  const Entry *entry;

  if (i < 0)
    return NULL;
  entry = &g_array_index (state->marks, Entry, i);
  return entry->expires_ms > now_ms ? &entry->mark : NULL;
}

guint
sl_guide_state_n_undo (const SlGuideState *state)
{
  return state->undo.length;
}

gboolean
sl_guide_state_get_pointer (const SlGuideState *state, gint64 now_ms,
                            SlGuidePointer *out)
{
  if (!state->have_seq || !state->pointer.visible
      || elapsed (state->pointer_ms, now_ms, SL_GUIDE_POINTER_TIMEOUT_MS))
    return FALSE;
  *out = state->pointer;
  return TRUE;
}

gboolean
sl_guide_state_get_cue (const SlGuideState *state, gint64 now_ms,
                        SlGuideCue *out, gint64 *since_ms)
{
  if (!state->have_cue
      || elapsed (state->cue_ms, now_ms, state->cue.duration_ms))
    return FALSE;
  *out = state->cue;
  if (since_ms != NULL)
    *since_ms = state->cue_ms;
  return TRUE;
}

gboolean
sl_guide_state_get_prompt (const SlGuideState *state, gint64 now_ms,
                           SlGuidePrompt *out)
{
  if (!state->have_prompt
      || elapsed (state->prompt_ms, now_ms, state->prompt.duration_ms))
    return FALSE;
  *out = state->prompt;
  return TRUE;
}

gboolean
sl_guide_state_get_image (const SlGuideState *state, SlGuideImage *out)
{
  if (!state->have_image)
    return FALSE;
  *out = state->image;
  return TRUE;
}
