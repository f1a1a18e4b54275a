/* sl-guide-input.c — see sl-guide-input.h.
 *
 * A drag is the press, the moves and the release of one button.  Its
 * mark is sent once, on release, and not grown live: every update of a
 * mark is one step of the receiver's undo history (docs/guidance.md,
 * MARKS), so a line sent ten times while it was drawn would take ten
 * undos to take away.  The township sees the pen move meanwhile, because
 * the pointer follows the mouse during a drag too.
 *
 * A freehand line keeps a point only when the mouse has gone
 * SL_GUIDE_INPUT_FREEHAND_STEP from the last one it kept, which drops the
 * jitter of a hand that rests and keeps every bend that reads on screen.
 * Should a long line still reach the protocol's 256 points, every other
 * point is dropped and the step doubled, so the line stays whole at half
 * the detail, however long it goes on.
 *
 * A key arms a cue (1 to 5) and the arrow keys send it in their
 * direction; the cue stays armed, so that the next arrow key corrects the
 * direction without the digit again, until 0 or Escape.
 */
#include "sl-guide-input.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct _SlGuideInput
{
  SlGuideInputSendFunc send;
  SlGuideInputLastMarkFunc last_mark;
  gpointer user_data;

  SlGuideInputTool tool;
  SlGuideCueKind armed;
  gboolean shift_key; /* a Shift key is down, by its own key events */
  void (*record_toggle) (gpointer user_data); /* the R key, or NULL */
  gpointer record_data;

  /* The drag in progress: its button (0: none), what it draws, its
   * points (the press first) and how far it has gone from the press. */
  guint drag_button;
  SlGuideMarkKind drag_kind;
  SlGuidePoint points[SL_GUIDE_MAX_POINTS];
  guint n_points;
  gdouble step;
  gdouble reach;

  /* The pointer: whether the township is showing it, when it was last
   * sent, and a position held back by the rate limit. */
  gboolean pointer_shown;
  gboolean pointer_ever_sent;
  gint64 pointer_sent_ms;
  gboolean pointer_held;
  SlGuidePoint held_at;

  guint next_mark, next_still; /* to name them */
};

SlGuideInput *
sl_guide_input_new (SlGuideInputSendFunc send,
                    SlGuideInputLastMarkFunc last_mark, gpointer user_data)
{
  SlGuideInput *in = g_new0 (SlGuideInput, 1);

  g_return_val_if_fail (send != NULL, NULL);
  in->send = send;
  in->last_mark = last_mark;
  in->user_data = user_data;
  in->tool = SL_GUIDE_INPUT_TOOL_FREEHAND;
  in->armed = SL_GUIDE_CUE_NONE;
  return in;
}

void
sl_guide_input_free (SlGuideInput *in)
{
  g_free (in);
}

SlGuideInputTool
sl_guide_input_get_tool (const SlGuideInput *in)
{
  return in->tool;
}

SlGuideCueKind
sl_guide_input_get_armed_cue (const SlGuideInput *in)
{
  return in->armed;
}

static gboolean
on_picture (const SlGuideInputEvent *ev)
{
  return ev->x >= 0.0 && ev->x <= 1.0 && ev->y >= 0.0 && ev->y <= 1.0;
}

static SlGuidePoint
clamped (const SlGuideInputEvent *ev)
{
  SlGuidePoint p = { CLAMP (ev->x, 0.0, 1.0), CLAMP (ev->y, 0.0, 1.0) };
  return p;
}

static gdouble
distance (SlGuidePoint a, SlGuidePoint b)
{
  return hypot (a.x - b.x, a.y - b.y);
}

/* ---- the pointer ---- */

static void
send_pointer (SlGuideInput *in, SlGuidePoint at, gboolean visible,
              gint64 now_ms)
{
  SlGuideMsg msg = { .type = SL_GUIDE_POINTER };

  msg.pointer.visible = visible;
  msg.pointer.color = SL_GUIDE_COLOR_CYAN;
  if (visible)
    msg.pointer.at = at;
  in->pointer_shown = visible;
  in->pointer_ever_sent = TRUE;
  in->pointer_sent_ms = now_ms;
  in->pointer_held = FALSE;
  in->send (&msg, in->user_data);
}

static void
on_move (SlGuideInput *in, const SlGuideInputEvent *ev)
{
  if (!on_picture (ev) || ev->away)
    {
      /* Off the picture: the township hides the pointer at once rather
       * than leaving it where the mouse crossed the edge.  Not rate
       * limited: it happens once per exit. */
      if (in->pointer_shown || in->pointer_held)
        send_pointer (in, clamped (ev), FALSE, ev->time_ms);
      return;
    }
  if (!in->pointer_ever_sent
      || ev->time_ms - in->pointer_sent_ms
             >= SL_GUIDE_INPUT_POINTER_INTERVAL_MS)
    {
      send_pointer (in, clamped (ev), TRUE, ev->time_ms);
      return;
    }
  in->pointer_held = TRUE;
  in->held_at = clamped (ev);
}

gint64
sl_guide_input_due_ms (const SlGuideInput *in)
{
  if (!in->pointer_held)
    return -1;
  return in->pointer_sent_ms + SL_GUIDE_INPUT_POINTER_INTERVAL_MS;
}

void
sl_guide_input_flush (SlGuideInput *in, gint64 now_ms)
{
  if (in->pointer_held && now_ms >= sl_guide_input_due_ms (in))
    send_pointer (in, in->held_at, TRUE, now_ms);
}

/* ---- drags ---- */

/* Halves a full freehand line (see the top of the file). */
static void
decimate (SlGuideInput *in)
{
  guint n = 0;

  for (guint i = 0; i < in->n_points; i += 2)
    in->points[n++] = in->points[i];
  in->n_points = n;
  in->step *= 2;
}

static void
add_point (SlGuideInput *in, SlGuidePoint p, gboolean last)
{
  gdouble from_last = distance (in->points[in->n_points - 1], p);

  in->reach = MAX (in->reach, distance (in->points[0], p));
  if (from_last < in->step && !(last && from_last > 0.0))
    return;
  if (in->n_points == SL_GUIDE_MAX_POINTS)
    decimate (in);
  in->points[in->n_points++] = p;
}

static SlGuideMarkKind
kind_of_tool (SlGuideInputTool tool)
{
  switch (tool)
    {
    case SL_GUIDE_INPUT_TOOL_ARROW:
      return SL_GUIDE_KIND_ARROW;
    case SL_GUIDE_INPUT_TOOL_BOX:
      return SL_GUIDE_KIND_BOX;
    case SL_GUIDE_INPUT_TOOL_ELLIPSE:
      return SL_GUIDE_KIND_ELLIPSE;
    case SL_GUIDE_INPUT_TOOL_CALIPER:
      return SL_GUIDE_KIND_CALIPER;
    case SL_GUIDE_INPUT_TOOL_FREEHAND:
    default:
      return SL_GUIDE_KIND_POLYLINE;
    }
}

static void
on_press (SlGuideInput *in, const SlGuideInputEvent *ev)
{
  /* One drag at a time; a press off the picture starts none. */
  if (in->drag_button != 0 || !on_picture (ev))
    return;
  if (ev->button == 3)
    in->drag_kind = SL_GUIDE_KIND_ARROW;
  else if (ev->button == 1 && (ev->shift || in->shift_key))
    in->drag_kind = SL_GUIDE_KIND_BOX;
  else if (ev->button == 1)
    in->drag_kind = kind_of_tool (in->tool);
  else
    return;
  in->drag_button = ev->button;
  in->points[0] = clamped (ev);
  in->n_points = 1;
  in->step = SL_GUIDE_INPUT_FREEHAND_STEP;
  in->reach = 0.0;
}

/* The mark a finished drag draws; FALSE for a click. */
static gboolean
finish_drag (SlGuideInput *in, SlGuidePoint end, SlGuideMsg *msg)
{
  SlGuideMark *m = &msg->mark;

  msg->type = SL_GUIDE_MARK;
  m->kind = in->drag_kind;
  m->color = SL_GUIDE_COLOR_YELLOW;
  m->width = 1.0;
  if (in->drag_kind == SL_GUIDE_KIND_POLYLINE)
    {
      add_point (in, end, TRUE);
      if (in->reach < SL_GUIDE_INPUT_MIN_DRAG || in->n_points < 2)
        return FALSE;
      m->n_points = in->n_points;
      memcpy (m->points, in->points, in->n_points * sizeof in->points[0]);
    }
  else
    {
      if (distance (in->points[0], end) < SL_GUIDE_INPUT_MIN_DRAG)
        return FALSE;
      m->n_points = 2;
      m->points[0] = in->points[0];
      m->points[1] = end;
    }
  snprintf (m->id, sizeof m->id, "draw-%u", ++in->next_mark);
  return TRUE;
}

static void
on_release (SlGuideInput *in, const SlGuideInputEvent *ev)
{
  SlGuideMsg msg = { 0 };

  if (in->drag_button == 0 || ev->button != in->drag_button)
    return;
  in->drag_button = 0;
  if (finish_drag (in, clamped (ev), &msg))
    in->send (&msg, in->user_data);
}

/* ---- keys ---- */

static void
send_simple (SlGuideInput *in, SlGuideType type)
{
  SlGuideMsg msg = { .type = type };

  in->send (&msg, in->user_data);
}

static void
send_cue (SlGuideInput *in, SlGuideCueKind cue, SlGuideDir dir)
{
  SlGuideMsg msg = { .type = SL_GUIDE_CUE };

  msg.cue.cue = cue;
  msg.cue.dir = dir;
  msg.cue.duration_ms = SL_GUIDE_DEFAULT_DURATION_MS;
  in->send (&msg, in->user_data);
}

static void
send_prompt (SlGuideInput *in, SlGuidePromptKind prompt)
{
  SlGuideMsg msg = { .type = SL_GUIDE_PROMPT };

  msg.prompt.prompt = prompt;
  msg.prompt.duration_ms = SL_GUIDE_DEFAULT_DURATION_MS;
  in->send (&msg, in->user_data);
}

static void
send_delete_last (SlGuideInput *in)
{
  SlGuideMsg msg = { .type = SL_GUIDE_DELETE };

  if (in->last_mark != NULL && in->last_mark (msg.id, in->user_data))
    in->send (&msg, in->user_data);
}

static void
send_still_request (SlGuideInput *in)
{
  SlGuideMsg msg = { .type = SL_GUIDE_STILL_REQUEST };

  snprintf (msg.req, sizeof msg.req, "still-%u", ++in->next_still);
  in->send (&msg, in->user_data);
}

/* The direction an arrow key gives the armed cue, in the probe's frame
 * (docs/guidance.md, CUES AND PROMPTS): the arrow that points the way
 * the handle or the probe goes; rotate is clockwise to the right,
 * compress presses down.  NONE: that arrow means nothing for the cue. */
static SlGuideDir
arrow_dir (SlGuideCueKind cue, const gchar *key)
{
  const gboolean l = g_str_equal (key, "Left"), r = g_str_equal (key, "Right");
  const gboolean u = g_str_equal (key, "Up"), d = g_str_equal (key, "Down");

  switch (cue)
    {
    case SL_GUIDE_CUE_SLIDE:
      return l   ? SL_GUIDE_DIR_LEFT
             : r ? SL_GUIDE_DIR_RIGHT
             : u ? SL_GUIDE_DIR_UP
             : d ? SL_GUIDE_DIR_DOWN
                 : SL_GUIDE_DIR_NONE;
    case SL_GUIDE_CUE_ROCK:
      return l ? SL_GUIDE_DIR_LEFT : r ? SL_GUIDE_DIR_RIGHT : SL_GUIDE_DIR_NONE;
    case SL_GUIDE_CUE_TILT:
      return u ? SL_GUIDE_DIR_UP : d ? SL_GUIDE_DIR_DOWN : SL_GUIDE_DIR_NONE;
    case SL_GUIDE_CUE_ROTATE:
      return r ? SL_GUIDE_DIR_CW : l ? SL_GUIDE_DIR_CCW : SL_GUIDE_DIR_NONE;
    case SL_GUIDE_CUE_COMPRESS:
      return d   ? SL_GUIDE_DIR_PRESS
             : u ? SL_GUIDE_DIR_RELEASE
                 : SL_GUIDE_DIR_NONE;
    default:
      return SL_GUIDE_DIR_NONE;
    }
}

static gboolean
is_shift (const gchar *key)
{
  return g_str_equal (key, "Shift_L") || g_str_equal (key, "Shift_R");
}

/* Keys of one character: tools, cues, prompts and commands. */
static void
on_letter (SlGuideInput *in, gchar c)
{
  static const SlGuideCueKind digits[] = {
    SL_GUIDE_CUE_SLIDE,  SL_GUIDE_CUE_ROCK,     SL_GUIDE_CUE_TILT,
    SL_GUIDE_CUE_ROTATE, SL_GUIDE_CUE_COMPRESS,
  };

  switch (c)
    {
    case 'f':
      in->tool = SL_GUIDE_INPUT_TOOL_FREEHAND;
      break;
    case 'a':
      in->tool = SL_GUIDE_INPUT_TOOL_ARROW;
      break;
    case 'b':
      in->tool = SL_GUIDE_INPUT_TOOL_BOX;
      break;
    case 'e':
      in->tool = SL_GUIDE_INPUT_TOOL_ELLIPSE;
      break;
    case 'l':
      in->tool = SL_GUIDE_INPUT_TOOL_CALIPER;
      break;
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
      in->armed = digits[c - '1'];
      break;
    case '0':
      in->armed = SL_GUIDE_CUE_NONE;
      send_cue (in, SL_GUIDE_CUE_NONE, SL_GUIDE_DIR_NONE);
      break;
    case 'u':
      send_simple (in, SL_GUIDE_UNDO);
      break;
    case 'c':
      send_simple (in, SL_GUIDE_CLEAR);
      break;
    case 's':
      send_still_request (in);
      break;
    case 'd':
      send_prompt (in, SL_GUIDE_PROMPT_DOPPLER);
      break;
    case 'h':
      send_prompt (in, SL_GUIDE_PROMPT_HOLD);
      break;
    case 'z':
      send_prompt (in, SL_GUIDE_PROMPT_FREEZE);
      break;
    case 'x':
      send_prompt (in, SL_GUIDE_PROMPT_UNFREEZE);
      break;
    case 'n':
      send_prompt (in, SL_GUIDE_PROMPT_NONE);
      break;
    case 'r':
      if (in->record_toggle != NULL)
        in->record_toggle (in->record_data);
      break;
    default:
      break;
    }
}

static void
on_key_press (SlGuideInput *in, const gchar *key)
{
  SlGuideDir dir;

  if (is_shift (key))
    in->shift_key = TRUE;
  else if (g_str_equal (key, "Delete") || g_str_equal (key, "BackSpace"))
    send_delete_last (in);
  else if (g_str_equal (key, "Escape"))
    {
      /* Drops the drag in progress and disarms the cue. */
      in->drag_button = 0;
      in->armed = SL_GUIDE_CUE_NONE;
    }
  else if ((dir = arrow_dir (in->armed, key)) != SL_GUIDE_DIR_NONE)
    {
      if (sl_guide_cue_allows (in->armed, dir))
        send_cue (in, in->armed, dir);
    }
  else if (key[0] != '\0' && key[1] == '\0')
    on_letter (in, g_ascii_tolower (key[0]));
}

void
sl_guide_input_handle (SlGuideInput *in, const SlGuideInputEvent *event)
{
  switch (event->type)
    {
    case SL_GUIDE_INPUT_MOVE:
      if (in->drag_button != 0 && in->drag_kind == SL_GUIDE_KIND_POLYLINE)
        add_point (in, clamped (event), FALSE);
      on_move (in, event);
      break;
    case SL_GUIDE_INPUT_BUTTON_PRESS:
      on_press (in, event);
      break;
    case SL_GUIDE_INPUT_BUTTON_RELEASE:
      on_release (in, event);
      break;
    case SL_GUIDE_INPUT_KEY_PRESS:
      on_key_press (in, event->key);
      break;
    case SL_GUIDE_INPUT_KEY_RELEASE:
      if (is_shift (event->key))
        in->shift_key = FALSE;
      break;
    default:
      break;
    }
}

void
sl_guide_input_set_record_toggle (SlGuideInput *in,
                                  void (*toggle) (gpointer user_data),
                                  gpointer user_data)
{
  in->record_toggle = toggle;
  in->record_data = user_data;
}
