/* Unit tests of the mapping from the expert's mouse and keys to guidance
 * messages (sl-guide-input.h), with synthetic event sequences.  Every
 * message the mapping makes is also written and read back by the
 * protocol's codec, so that none of them would be refused by a peer. */
#include "sl-guide-input.h"

#include <math.h>
#include <string.h>

typedef struct
{
  SlGuideInput *in;
  GArray *sent;           /* of SlGuideMsg */
  const gchar *last_mark; /* what the last-mark function reports */
  gint64 t;               /* the events' clock */
} Fixture;

static void
record (const SlGuideMsg *msg, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *json = sl_guide_serialize (msg);
  g_auto (SlGuideMsg) back = { 0 };

  g_assert_true (sl_guide_parse (json, strlen (json), &back, &error));
  g_assert_no_error (error);
  g_assert_cmpint (back.type, ==, msg->type);
  g_array_append_vals (f->sent, msg, 1);
}

static gboolean
last_mark (gchar id[SL_GUIDE_MAX_ID_LEN + 1], gpointer user_data)
{
  Fixture *f = user_data;

  if (f->last_mark == NULL)
    return FALSE;
  g_strlcpy (id, f->last_mark, SL_GUIDE_MAX_ID_LEN + 1);
  return TRUE;
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->sent = g_array_new (FALSE, TRUE, sizeof (SlGuideMsg));
  f->in = sl_guide_input_new (record, last_mark, f);
  f->last_mark = NULL;
  f->t = 1000;
}

static void
teardown (Fixture *f, gconstpointer data)
{
  sl_guide_input_free (f->in);
  g_array_unref (f->sent);
}

static const SlGuideMsg *
nth (Fixture *f, guint i)
{
  g_assert_cmpuint (i, <, f->sent->len);
  return &g_array_index (f->sent, SlGuideMsg, i);
}

/* ---- synthetic events; each one 10 ms after the previous ---- */

static void
mouse (Fixture *f, SlGuideInputType type, guint button, gdouble x, gdouble y,
       gboolean shift)
{
  SlGuideInputEvent ev
      = { .type = type, .button = button, .x = x, .y = y, .shift = shift };

  f->t += 10;
  ev.time_ms = f->t;
  sl_guide_input_handle (f->in, &ev);
}

static void
move (Fixture *f, gdouble x, gdouble y)
{
  mouse (f, SL_GUIDE_INPUT_MOVE, 0, x, y, FALSE);
}

static void
drag (Fixture *f, guint button, gboolean shift, gdouble x0, gdouble y0,
      gdouble x1, gdouble y1)
{
  mouse (f, SL_GUIDE_INPUT_BUTTON_PRESS, button, x0, y0, shift);
  for (guint i = 1; i < 10; i++)
    move (f, x0 + (x1 - x0) * i / 10, y0 + (y1 - y0) * i / 10);
  mouse (f, SL_GUIDE_INPUT_BUTTON_RELEASE, button, x1, y1, shift);
}

static void
key_event (Fixture *f, SlGuideInputType type, const gchar *key)
{
  SlGuideInputEvent ev = { .type = type };

  f->t += 10;
  ev.time_ms = f->t;
  g_strlcpy (ev.key, key, sizeof ev.key);
  sl_guide_input_handle (f->in, &ev);
}

static void
key (Fixture *f, const gchar *name)
{
  key_event (f, SL_GUIDE_INPUT_KEY_PRESS, name);
  key_event (f, SL_GUIDE_INPUT_KEY_RELEASE, name);
}

/* The marks among what was sent, in order. */
static GPtrArray *
marks (Fixture *f)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < f->sent->len; i++)
    if (nth (f, i)->type == SL_GUIDE_MARK)
      g_ptr_array_add (out, (gpointer)&nth (f, i)->mark);
  return out;
}

/* ---- the pointer ---- */

static void
test_pointer_rate_limit (Fixture *f, gconstpointer data)
{
  move (f, 0.1, 0.1); /* t 1010: sent */
  g_assert_cmpuint (f->sent->len, ==, 1);
  g_assert_cmpint (nth (f, 0)->type, ==, SL_GUIDE_POINTER);
  g_assert_true (nth (f, 0)->pointer.visible);
  g_assert_cmpint (nth (f, 0)->pointer.color, ==, SL_GUIDE_COLOR_CYAN);
  g_assert_cmpint (sl_guide_input_due_ms (f->in), ==, -1);
  move (f, 0.2, 0.2); /* 1020, 1030: held, the latest wins */
  move (f, 0.3, 0.3);
  g_assert_cmpuint (f->sent->len, ==, 1);
  g_assert_cmpint (sl_guide_input_due_ms (f->in), ==,
                   1010 + SL_GUIDE_INPUT_POINTER_INTERVAL_MS);
  sl_guide_input_flush (f->in, 1030); /* not due yet */
  g_assert_cmpuint (f->sent->len, ==, 1);
  sl_guide_input_flush (f->in, 1043);
  g_assert_cmpuint (f->sent->len, ==, 2);
  g_assert_cmpfloat (nth (f, 1)->pointer.at.x, ==, 0.3);
  g_assert_cmpint (sl_guide_input_due_ms (f->in), ==, -1);

  /* A steady stream of moves every 10 ms: at most one per interval. */
  for (guint i = 0; i < 100; i++)
    {
      move (f, 0.5, i / 100.0);
      sl_guide_input_flush (f->in, f->t);
    }
  g_assert_cmpuint (f->sent->len - 2, <=,
                    1000 / SL_GUIDE_INPUT_POINTER_INTERVAL_MS + 1);
  g_assert_cmpuint (f->sent->len - 2, >=, 1000 / 50);
}

static void
test_pointer_leaves (Fixture *f, gconstpointer data)
{
  move (f, 0.5, 0.5);
  move (f, 1.2, 0.5); /* off the picture: hidden at once */
  move (f, 1.3, 0.5); /* and only once */
  g_assert_cmpuint (f->sent->len, ==, 2);
  g_assert_false (nth (f, 1)->pointer.visible);
  f->t += 100;
  move (f, 0.4, 0.6);
  g_assert_cmpuint (f->sent->len, ==, 3);
  g_assert_true (nth (f, 2)->pointer.visible);
  g_assert_cmpfloat (nth (f, 2)->pointer.at.y, ==, 0.6);
}

/* A move on the picture reported after the mouse left the window (the
 * station marks it away): the pointer hides, and a drag keeps its point. */
static void
test_pointer_away (Fixture *f, gconstpointer data)
{
  SlGuideInputEvent late = { .type = SL_GUIDE_INPUT_MOVE, .away = TRUE };
  g_autoptr (GPtrArray) m = NULL;

  move (f, 0.5, 0.5);
  g_assert_cmpuint (f->sent->len, ==, 1);
  f->t += 100;
  late.time_ms = f->t;
  late.x = late.y = 0.6;
  sl_guide_input_handle (f->in, &late);
  g_assert_cmpuint (f->sent->len, ==, 2);
  g_assert_false (nth (f, 1)->pointer.visible);
  f->t += 100;
  late.time_ms = f->t; /* hidden already: nothing more */
  sl_guide_input_handle (f->in, &late);
  g_assert_cmpuint (f->sent->len, ==, 2);
  g_assert_cmpint (sl_guide_input_due_ms (f->in), ==, -1);

  mouse (f, SL_GUIDE_INPUT_BUTTON_PRESS, 1, 0.1, 0.1, FALSE);
  f->t += 100;
  late.time_ms = f->t;
  late.x = late.y = 0.3;
  sl_guide_input_handle (f->in, &late);
  mouse (f, SL_GUIDE_INPUT_BUTTON_RELEASE, 1, 0.4, 0.4, FALSE);
  m = marks (f);
  g_assert_cmpuint (m->len, ==, 1);
  g_assert_cmpuint (((SlGuideMark *)m->pdata[0])->n_points, ==, 3);
  g_assert_cmpfloat (((SlGuideMark *)m->pdata[0])->points[1].x, ==, 0.3);
}

/* ---- drags ---- */

static void
test_freehand (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) m = NULL;
  const SlGuideMark *line;

  g_assert_cmpint (sl_guide_input_get_tool (f->in), ==,
                   SL_GUIDE_INPUT_TOOL_FREEHAND);
  mouse (f, SL_GUIDE_INPUT_BUTTON_PRESS, 1, 0.1, 0.1, FALSE);
  move (f, 0.2, 0.1);
  move (f, 0.2001, 0.1001); /* a hand's tremor: dropped */
  move (f, 0.3, 0.2);
  g_assert_cmpint (nth (f, f->sent->len - 1)->type, ==, SL_GUIDE_POINTER);
  for (guint i = 0; i < f->sent->len; i++) /* no mark before the release */
    g_assert_cmpint (nth (f, i)->type, ==, SL_GUIDE_POINTER);
  mouse (f, SL_GUIDE_INPUT_BUTTON_RELEASE, 1, 0.4, 0.4, FALSE);
  m = marks (f);
  g_assert_cmpuint (m->len, ==, 1);
  line = m->pdata[0];
  g_assert_cmpstr (line->id, ==, "draw-1");
  g_assert_cmpint (line->kind, ==, SL_GUIDE_KIND_POLYLINE);
  g_assert_cmpint (line->color, ==, SL_GUIDE_COLOR_YELLOW);
  g_assert_cmpfloat (line->width, ==, 1.0);
  g_assert_cmpint (line->ttl_ms, ==, 0);
  g_assert_cmpuint (line->n_points, ==, 4);
  g_assert_cmpfloat (line->points[0].x, ==, 0.1);
  g_assert_cmpfloat (line->points[1].x, ==, 0.2);
  g_assert_cmpfloat (line->points[2].x, ==, 0.3);
  g_assert_cmpfloat (line->points[3].y, ==, 0.4);

  /* The next mark has a new id. */
  drag (f, 1, FALSE, 0.5, 0.5, 0.9, 0.9);
  g_clear_pointer (&m, g_ptr_array_unref);
  m = marks (f);
  g_assert_cmpuint (m->len, ==, 2);
  g_assert_cmpstr (((SlGuideMark *)m->pdata[1])->id, ==, "draw-2");
}

static void
test_freehand_long (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) m = NULL;
  const SlGuideMark *line;
  const guint n = 20000;

  /* A spiral of 20000 moves, each well over the step. */
  mouse (f, SL_GUIDE_INPUT_BUTTON_PRESS, 1, 0.5, 0.5, FALSE);
  for (guint i = 1; i < n; i++)
    {
      gdouble a = i * 0.05, r = 0.45 * i / n;
      move (f, 0.5 + r * cos (a), 0.5 + r * sin (a));
    }
  mouse (f, SL_GUIDE_INPUT_BUTTON_RELEASE, 1, 0.95, 0.5, FALSE);
  m = marks (f);
  g_assert_cmpuint (m->len, ==, 1);
  line = m->pdata[0];
  g_assert_cmpuint (line->n_points, <=, SL_GUIDE_MAX_POINTS);
  g_assert_cmpuint (line->n_points, >=, SL_GUIDE_MAX_POINTS / 2);
  g_assert_cmpfloat (line->points[0].x, ==, 0.5);
  g_assert_cmpfloat (line->points[line->n_points - 1].x, ==, 0.95);
  for (guint i = 0; i < line->n_points; i++)
    {
      g_assert_cmpfloat (line->points[i].x, >=, 0.0);
      g_assert_cmpfloat (line->points[i].x, <=, 1.0);
    }
}

static void
test_click_draws_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) m = NULL;

  drag (f, 1, FALSE, 0.5, 0.5, 0.502, 0.501);
  key (f, "a");
  drag (f, 1, FALSE, 0.5, 0.5, 0.5, 0.5);
  drag (f, 3, FALSE, 0.3, 0.3, 0.301, 0.3);
  m = marks (f);
  g_assert_cmpuint (m->len, ==, 0);
}

static void
check_two_points (const SlGuideMark *mark, SlGuideMarkKind kind, gdouble x0,
                  gdouble y0, gdouble x1, gdouble y1)
{
  g_assert_cmpint (mark->kind, ==, kind);
  g_assert_cmpuint (mark->n_points, ==, 2);
  g_assert_cmpfloat (mark->points[0].x, ==, x0);
  g_assert_cmpfloat (mark->points[0].y, ==, y0);
  g_assert_cmpfloat (mark->points[1].x, ==, x1);
  g_assert_cmpfloat (mark->points[1].y, ==, y1);
}

static void
test_tools (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const gchar *key;
    SlGuideInputTool tool;
    SlGuideMarkKind kind;
  } tools[] = {
    { "a", SL_GUIDE_INPUT_TOOL_ARROW, SL_GUIDE_KIND_ARROW },
    { "b", SL_GUIDE_INPUT_TOOL_BOX, SL_GUIDE_KIND_BOX },
    { "e", SL_GUIDE_INPUT_TOOL_ELLIPSE, SL_GUIDE_KIND_ELLIPSE },
    { "l", SL_GUIDE_INPUT_TOOL_CALIPER, SL_GUIDE_KIND_CALIPER },
    { "A", SL_GUIDE_INPUT_TOOL_ARROW, SL_GUIDE_KIND_ARROW },
  };
  g_autoptr (GPtrArray) m = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      key (f, tools[i].key);
      g_assert_cmpint (sl_guide_input_get_tool (f->in), ==, tools[i].tool);
      drag (f, 1, FALSE, 0.2, 0.3, 0.6, 0.7);
    }
  key (f, "f");
  g_assert_cmpint (sl_guide_input_get_tool (f->in), ==,
                   SL_GUIDE_INPUT_TOOL_FREEHAND);
  m = marks (f);
  g_assert_cmpuint (m->len, ==, G_N_ELEMENTS (tools));
  for (guint i = 0; i < m->len; i++)
    check_two_points (m->pdata[i], tools[i].kind, 0.2, 0.3, 0.6, 0.7);
}

static void
test_right_and_shift_drags (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) m = NULL;

  /* Whatever the tool: right is an arrow, shift+left a box. */
  key (f, "e");
  drag (f, 3, FALSE, 0.1, 0.2, 0.3, 0.4);
  drag (f, 1, TRUE, 0.5, 0.5, 0.8, 0.9);
  /* Shift known from its own key events, for a sink that does not
   * report modifiers. */
  key_event (f, SL_GUIDE_INPUT_KEY_PRESS, "Shift_L");
  drag (f, 1, FALSE, 0.1, 0.1, 0.2, 0.2);
  key_event (f, SL_GUIDE_INPUT_KEY_RELEASE, "Shift_L");
  drag (f, 1, FALSE, 0.3, 0.3, 0.4, 0.4);
  /* A drag leaving the picture ends on its edge. */
  drag (f, 3, FALSE, 0.5, 0.5, 1.4, -0.2);
  /* The middle button draws nothing. */
  drag (f, 2, FALSE, 0.1, 0.1, 0.9, 0.9);
  m = marks (f);
  g_assert_cmpuint (m->len, ==, 5);
  check_two_points (m->pdata[0], SL_GUIDE_KIND_ARROW, 0.1, 0.2, 0.3, 0.4);
  check_two_points (m->pdata[1], SL_GUIDE_KIND_BOX, 0.5, 0.5, 0.8, 0.9);
  check_two_points (m->pdata[2], SL_GUIDE_KIND_BOX, 0.1, 0.1, 0.2, 0.2);
  check_two_points (m->pdata[3], SL_GUIDE_KIND_ELLIPSE, 0.3, 0.3, 0.4, 0.4);
  check_two_points (m->pdata[4], SL_GUIDE_KIND_ARROW, 0.5, 0.5, 1.0, 0.0);
}

static void
test_escape_and_press_off_picture (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) m = NULL;

  mouse (f, SL_GUIDE_INPUT_BUTTON_PRESS, 1, 0.1, 0.1, FALSE);
  move (f, 0.5, 0.5);
  key (f, "Escape");
  mouse (f, SL_GUIDE_INPUT_BUTTON_RELEASE, 1, 0.9, 0.9, FALSE);
  drag (f, 1, FALSE, -0.1, 0.5, 0.5, 0.5);
  /* A second button during a drag does not start another. */
  mouse (f, SL_GUIDE_INPUT_BUTTON_PRESS, 1, 0.1, 0.1, FALSE);
  mouse (f, SL_GUIDE_INPUT_BUTTON_PRESS, 3, 0.2, 0.2, FALSE);
  mouse (f, SL_GUIDE_INPUT_BUTTON_RELEASE, 3, 0.6, 0.6, FALSE);
  mouse (f, SL_GUIDE_INPUT_BUTTON_RELEASE, 1, 0.7, 0.7, FALSE);
  m = marks (f);
  g_assert_cmpuint (m->len, ==, 1);
  g_assert_cmpint (((SlGuideMark *)m->pdata[0])->kind, ==,
                   SL_GUIDE_KIND_POLYLINE);
}

/* ---- keys ---- */

static void
expect_cue (Fixture *f, guint *i, SlGuideCueKind cue, SlGuideDir dir)
{
  const SlGuideMsg *msg = nth (f, (*i)++);

  g_assert_cmpint (msg->type, ==, SL_GUIDE_CUE);
  g_assert_cmpint (msg->cue.cue, ==, cue);
  g_assert_cmpint (msg->cue.dir, ==, dir);
}

static void
test_cues (Fixture *f, gconstpointer data)
{
  guint i = 0;

  key (f, "Left"); /* no cue armed: nothing */
  g_assert_cmpuint (f->sent->len, ==, 0);
  key (f, "1");
  g_assert_cmpint (sl_guide_input_get_armed_cue (f->in), ==,
                   SL_GUIDE_CUE_SLIDE);
  g_assert_cmpuint (f->sent->len, ==, 0); /* the digit only arms */
  key (f, "Left");
  key (f, "Up"); /* still armed: corrects the direction */
  key (f, "Right");
  key (f, "Down");
  key (f, "2");
  key (f, "Up"); /* rock takes no up */
  key (f, "Right");
  key (f, "3");
  key (f, "Left"); /* tilt takes no left */
  key (f, "Down");
  key (f, "4");
  key (f, "Right");
  key (f, "Left");
  key (f, "5");
  key (f, "Down");
  key (f, "Up");
  key (f, "0");
  key (f, "Left"); /* disarmed */
  key (f, "3");
  key (f, "Escape");
  key (f, "Up"); /* disarmed */
  expect_cue (f, &i, SL_GUIDE_CUE_SLIDE, SL_GUIDE_DIR_LEFT);
  expect_cue (f, &i, SL_GUIDE_CUE_SLIDE, SL_GUIDE_DIR_UP);
  expect_cue (f, &i, SL_GUIDE_CUE_SLIDE, SL_GUIDE_DIR_RIGHT);
  expect_cue (f, &i, SL_GUIDE_CUE_SLIDE, SL_GUIDE_DIR_DOWN);
  expect_cue (f, &i, SL_GUIDE_CUE_ROCK, SL_GUIDE_DIR_RIGHT);
  expect_cue (f, &i, SL_GUIDE_CUE_TILT, SL_GUIDE_DIR_DOWN);
  expect_cue (f, &i, SL_GUIDE_CUE_ROTATE, SL_GUIDE_DIR_CW);
  expect_cue (f, &i, SL_GUIDE_CUE_ROTATE, SL_GUIDE_DIR_CCW);
  expect_cue (f, &i, SL_GUIDE_CUE_COMPRESS, SL_GUIDE_DIR_PRESS);
  expect_cue (f, &i, SL_GUIDE_CUE_COMPRESS, SL_GUIDE_DIR_RELEASE);
  expect_cue (f, &i, SL_GUIDE_CUE_NONE, SL_GUIDE_DIR_NONE);
  g_assert_cmpuint (f->sent->len, ==, i);
  g_assert_cmpint (sl_guide_input_get_armed_cue (f->in), ==, SL_GUIDE_CUE_NONE);
  g_assert_cmpint (nth (f, 0)->cue.duration_ms, ==,
                   SL_GUIDE_DEFAULT_DURATION_MS);
}

static void
test_commands (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const gchar *key;
    SlGuidePromptKind prompt;
  } prompts[] = {
    { "d", SL_GUIDE_PROMPT_DOPPLER }, { "h", SL_GUIDE_PROMPT_HOLD },
    { "z", SL_GUIDE_PROMPT_FREEZE },  { "x", SL_GUIDE_PROMPT_UNFREEZE },
    { "n", SL_GUIDE_PROMPT_NONE },
  };
  guint i = 0;

  key (f, "u");
  key (f, "c");
  key (f, "Delete"); /* no live mark: nothing */
  f->last_mark = "a1";
  key (f, "Delete");
  f->last_mark = "draw-3";
  key (f, "BackSpace");
  key (f, "s");
  key (f, "s");
  for (guint k = 0; k < G_N_ELEMENTS (prompts); k++)
    key (f, prompts[k].key);
  key (f, "q"); /* not a key of ours */
  key (f, "F12");
  g_assert_cmpint (nth (f, i++)->type, ==, SL_GUIDE_UNDO);
  g_assert_cmpint (nth (f, i++)->type, ==, SL_GUIDE_CLEAR);
  g_assert_cmpint (nth (f, i)->type, ==, SL_GUIDE_DELETE);
  g_assert_cmpstr (nth (f, i++)->id, ==, "a1");
  g_assert_cmpstr (nth (f, i++)->id, ==, "draw-3");
  g_assert_cmpint (nth (f, i)->type, ==, SL_GUIDE_STILL_REQUEST);
  g_assert_cmpstr (nth (f, i++)->req, ==, "still-1");
  g_assert_cmpstr (nth (f, i++)->req, ==, "still-2");
  for (guint k = 0; k < G_N_ELEMENTS (prompts); k++, i++)
    {
      g_assert_cmpint (nth (f, i)->type, ==, SL_GUIDE_PROMPT);
      g_assert_cmpint (nth (f, i)->prompt.prompt, ==, prompts[k].prompt);
    }
  g_assert_cmpuint (f->sent->len, ==, i);
}

static void
count_toggle (gpointer user_data)
{
  (*(guint *)user_data)++;
}

/* R (either case) toggles the recording and sends nothing; without a
 * toggle set it does nothing. */
static void
test_record_key (Fixture *f, gconstpointer data)
{
  guint toggles = 0;

  key (f, "r");
  sl_guide_input_set_record_toggle (f->in, count_toggle, &toggles);
  key (f, "r");
  key (f, "R");
  g_assert_cmpuint (toggles, ==, 2);
  g_assert_cmpuint (f->sent->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn)                                                          \
  g_test_add ("/guide-input/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("pointer-rate-limit", test_pointer_rate_limit);
  ADD ("record-key", test_record_key);
  ADD ("pointer-leaves", test_pointer_leaves);
  ADD ("pointer-away", test_pointer_away);
  ADD ("freehand", test_freehand);
  ADD ("freehand-long", test_freehand_long);
  ADD ("click-draws-nothing", test_click_draws_nothing);
  ADD ("tools", test_tools);
  ADD ("right-and-shift-drags", test_right_and_shift_drags);
  ADD ("escape-and-press-off-picture", test_escape_and_press_off_picture);
  ADD ("cues", test_cues);
  ADD ("commands", test_commands);
#undef ADD
  return g_test_run ();
}
