/* test-guide-state.c — what a receiver shows (sl-guide-state.h): marks
 * added, updated, deleted, undone and cleared; TTLs; the bound on marks;
 * the pointer's latest-wins rule and timeout; cues and prompts. */
#include "sl-guide-state.h"

#include <string.h>

static SlGuideMsg
mark_msg (const gchar *id, gdouble x)
{
  SlGuideMsg msg = { 0 };

  msg.type = SL_GUIDE_MARK;
  g_strlcpy (msg.mark.id, id, sizeof msg.mark.id);
  msg.mark.kind = SL_GUIDE_KIND_ARROW;
  msg.mark.width = 1;
  msg.mark.n_points = 2;
  msg.mark.points[0] = (SlGuidePoint){ x, 0.5 };
  msg.mark.points[1] = (SlGuidePoint){ x, 0.6 };
  return msg;
}

static SlGuideMsg
simple_msg (SlGuideType type, const gchar *id)
{
  SlGuideMsg msg = { 0 };

  msg.type = type;
  if (id != NULL)
    g_strlcpy (msg.id, id, sizeof msg.id);
  return msg;
}

static void
apply_ok (SlGuideState *state, SlGuideMsg msg, gint64 now)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sl_guide_state_apply (state, &msg, now, &error));
  g_assert_no_error (error);
}

/* The ids of the marks, in drawing order, joined with spaces, and each
 * mark's first x after a colon when @with_x. */
static gchar *
ids (SlGuideState *state, gboolean with_x)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < sl_guide_state_n_marks (state); i++)
    {
      const SlGuideMark *m = sl_guide_state_nth_mark (state, i, NULL);

      g_string_append_printf (s, "%s%s", i ? " " : "", m->id);
      if (with_x)
        g_string_append_printf (s, ":%g", m->points[0].x);
    }
  return g_string_free (s, FALSE);
}

#define ASSERT_IDS(state, with_x, want)                                        \
  G_STMT_START                                                                 \
  {                                                                            \
    g_autofree gchar *got_ = ids (state, with_x);                              \
    g_assert_cmpstr (got_, ==, want);                                          \
  }                                                                            \
  G_STMT_END

static void
test_marks_and_undo (void)
{
  g_autoptr (SlGuideState) s = sl_guide_state_new ();

  apply_ok (s, mark_msg ("a", 0.1), 0);
  apply_ok (s, mark_msg ("b", 0.2), 1);
  apply_ok (s, mark_msg ("c", 0.3), 2);
  /* An update replaces in place: "a" keeps its place under the others. */
  apply_ok (s, mark_msg ("a", 0.4), 3);
  ASSERT_IDS (s, TRUE, "a:0.4 b:0.2 c:0.3");
  apply_ok (s, simple_msg (SL_GUIDE_DELETE, "b"), 4);
  ASSERT_IDS (s, FALSE, "a c");
  /* Deleting an unknown id is no operation and leaves nothing to undo. */
  apply_ok (s, simple_msg (SL_GUIDE_DELETE, "zz"), 5);
  g_assert_cmpuint (sl_guide_state_n_undo (s), ==, 5);
  apply_ok (s, simple_msg (SL_GUIDE_CLEAR, NULL), 6);
  g_assert_cmpuint (sl_guide_state_n_marks (s), ==, 0);
  /* A clear of nothing is not an operation either. */
  apply_ok (s, simple_msg (SL_GUIDE_CLEAR, NULL), 7);
  g_assert_cmpuint (sl_guide_state_n_undo (s), ==, 6);

  /* Undo walks back through every step. */
  apply_ok (s, simple_msg (SL_GUIDE_UNDO, NULL), 8);
  ASSERT_IDS (s, TRUE, "a:0.4 c:0.3");
  apply_ok (s, simple_msg (SL_GUIDE_UNDO, NULL), 9);
  ASSERT_IDS (s, TRUE, "a:0.4 b:0.2 c:0.3");
  apply_ok (s, simple_msg (SL_GUIDE_UNDO, NULL), 10);
  ASSERT_IDS (s, TRUE, "a:0.1 b:0.2 c:0.3");
  apply_ok (s, simple_msg (SL_GUIDE_UNDO, NULL), 11);
  ASSERT_IDS (s, FALSE, "a b");
  apply_ok (s, simple_msg (SL_GUIDE_UNDO, NULL), 12);
  apply_ok (s, simple_msg (SL_GUIDE_UNDO, NULL), 13);
  ASSERT_IDS (s, FALSE, "");
  g_assert_cmpuint (sl_guide_state_n_undo (s), ==, 0);
  /* With nothing left, undo is ignored. */
  apply_ok (s, simple_msg (SL_GUIDE_UNDO, NULL), 14);
  ASSERT_IDS (s, FALSE, "");
}

static void
test_undo_history_bound (void)
{
  g_autoptr (SlGuideState) s = sl_guide_state_new ();

  for (guint i = 0; i < SL_GUIDE_MAX_UNDO + 8; i++)
    apply_ok (s, mark_msg ("a", i / 100.0), i);
  g_assert_cmpuint (sl_guide_state_n_undo (s), ==, SL_GUIDE_MAX_UNDO);
  for (guint i = 0; i < SL_GUIDE_MAX_UNDO + 8; i++)
    apply_ok (s, simple_msg (SL_GUIDE_UNDO, NULL), 100 + i);
  /* The oldest operations (the add and the first updates) were
   * forgotten, so "a" stays at the version the history starts from. */
  ASSERT_IDS (s, TRUE, "a:0.07");
}

static void
test_ttl (void)
{
  g_autoptr (SlGuideState) s = sl_guide_state_new ();
  SlGuideMsg a = mark_msg ("a", 0.1);
  gint64 expires;

  a.mark.ttl_ms = 1000;
  apply_ok (s, a, 5000);
  apply_ok (s, mark_msg ("b", 0.2), 5000);
  sl_guide_state_nth_mark (s, 0, &expires);
  g_assert_cmpint (expires, ==, 6000);
  sl_guide_state_nth_mark (s, 1, &expires);
  g_assert_cmpint (expires, ==, G_MAXINT64);
  g_assert_nonnull (sl_guide_state_lookup (s, "a", 5999));
  g_assert_null (sl_guide_state_lookup (s, "a", 6000));
  /* Readers skip it at once; expire() frees its slot. */
  g_assert_cmpuint (sl_guide_state_n_marks (s), ==, 2);
  sl_guide_state_expire (s, 6000);
  ASSERT_IDS (s, FALSE, "b");
  /* An update restarts the TTL from when it is applied. */
  apply_ok (s, a, 7000);
  apply_ok (s, a, 7900);
  g_assert_nonnull (sl_guide_state_lookup (s, "a", 8500));
  /* Undoing a delete does not bring back a mark whose TTL ran out. */
  apply_ok (s, simple_msg (SL_GUIDE_DELETE, "a"), 8600);
  apply_ok (s, simple_msg (SL_GUIDE_UNDO, NULL), 8700);
  g_assert_nonnull (sl_guide_state_lookup (s, "a", 8700));
  apply_ok (s, simple_msg (SL_GUIDE_DELETE, "a"), 8800);
  apply_ok (s, simple_msg (SL_GUIDE_UNDO, NULL), 9000);
  ASSERT_IDS (s, FALSE, "b");
}

static void
test_limit (void)
{
  g_autoptr (SlGuideState) s = sl_guide_state_new ();
  g_autoptr (GError) error = NULL;
  SlGuideMsg extra = mark_msg ("extra", 0.5);

  for (guint i = 0; i < SL_GUIDE_MAX_MARKS; i++)
    {
      g_autofree gchar *id = g_strdup_printf ("m%u", i);
      apply_ok (s, mark_msg (id, 0.5), i);
    }
  g_assert_false (sl_guide_state_apply (s, &extra, 100, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_LIMIT);
  g_assert_cmpuint (sl_guide_state_n_marks (s), ==, SL_GUIDE_MAX_MARKS);
  g_assert_null (sl_guide_state_lookup (s, "extra", 100));
  /* Updating a mark that exists is still allowed; so is a new one once a
   * slot is free. */
  apply_ok (s, mark_msg ("m3", 0.9), 101);
  apply_ok (s, simple_msg (SL_GUIDE_DELETE, "m0"), 102);
  apply_ok (s, extra, 103);
  g_assert_nonnull (sl_guide_state_lookup (s, "extra", 103));
}

static SlGuideMsg
pointer_msg (guint64 seq, gdouble x, gboolean visible)
{
  SlGuideMsg msg = { 0 };

  msg.type = SL_GUIDE_POINTER;
  msg.pointer
      = (SlGuidePointer){ seq, visible, { x, 0.5 }, SL_GUIDE_COLOR_CYAN };
  return msg;
}

static void
test_pointer (void)
{
  g_autoptr (SlGuideState) s = sl_guide_state_new ();
  SlGuidePointer p;

  g_assert_false (sl_guide_state_get_pointer (s, 0, &p));
  apply_ok (s, pointer_msg (5, 0.5, TRUE), 1000);
  g_assert_true (sl_guide_state_get_pointer (s, 1000, &p));
  g_assert_cmpfloat (p.at.x, ==, 0.5);
  /* An older message that arrives late, or a repeat, changes nothing. */
  apply_ok (s, pointer_msg (3, 0.1, TRUE), 1010);
  apply_ok (s, pointer_msg (5, 0.2, FALSE), 1010);
  g_assert_true (sl_guide_state_get_pointer (s, 1010, &p));
  g_assert_cmpfloat (p.at.x, ==, 0.5);
  g_assert_cmpuint (p.seq, ==, 5);
  apply_ok (s, pointer_msg (9, 0.7, TRUE), 1020);
  g_assert_true (sl_guide_state_get_pointer (s, 1020, &p));
  g_assert_cmpfloat (p.at.x, ==, 0.7);
  /* It hides on its own when no newer message comes. */
  g_assert_true (sl_guide_state_get_pointer (
      s, 1020 + SL_GUIDE_POINTER_TIMEOUT_MS - 1, &p));
  g_assert_false (
      sl_guide_state_get_pointer (s, 1020 + SL_GUIDE_POINTER_TIMEOUT_MS, &p));
  /* And at once when told so. */
  apply_ok (s, pointer_msg (10, 0.7, TRUE), 3000);
  apply_ok (s, pointer_msg (11, 0, FALSE), 3001);
  g_assert_false (sl_guide_state_get_pointer (s, 3001, &p));
  /* A reopened channel starts its seq again. */
  apply_ok (s, pointer_msg (1, 0.3, TRUE), 3002);
  g_assert_false (sl_guide_state_get_pointer (s, 3002, &p));
  sl_guide_state_reset_pointer (s);
  apply_ok (s, pointer_msg (1, 0.3, TRUE), 3003);
  g_assert_true (sl_guide_state_get_pointer (s, 3003, &p));
  g_assert_cmpfloat (p.at.x, ==, 0.3);
}

static void
test_cue_prompt_image (void)
{
  g_autoptr (SlGuideState) s = sl_guide_state_new ();
  SlGuideMsg cue = { 0 }, prompt = { 0 }, image = { 0 }, other = { 0 };
  SlGuideCue c;
  SlGuidePrompt p;
  SlGuideImage im;
  gint64 since;

  cue.type = SL_GUIDE_CUE;
  cue.cue = (SlGuideCue){ SL_GUIDE_CUE_SLIDE, SL_GUIDE_DIR_UP, 2000 };
  apply_ok (s, cue, 100);
  g_assert_true (sl_guide_state_get_cue (s, 2099, &c, &since));
  g_assert_cmpint (c.dir, ==, SL_GUIDE_DIR_UP);
  g_assert_cmpint (since, ==, 100);
  g_assert_false (sl_guide_state_get_cue (s, 2100, &c, NULL));
  /* A newer cue replaces it; NONE takes it down. */
  apply_ok (s, cue, 3000);
  cue.cue = (SlGuideCue){ SL_GUIDE_CUE_ROCK, SL_GUIDE_DIR_LEFT, 2000 };
  apply_ok (s, cue, 3500);
  g_assert_true (sl_guide_state_get_cue (s, 5000, &c, NULL));
  g_assert_cmpint (c.cue, ==, SL_GUIDE_CUE_ROCK);
  cue.cue = (SlGuideCue){ SL_GUIDE_CUE_NONE, SL_GUIDE_DIR_NONE, 0 };
  apply_ok (s, cue, 5001);
  g_assert_false (sl_guide_state_get_cue (s, 5001, &c, NULL));

  prompt.type = SL_GUIDE_PROMPT;
  prompt.prompt = (SlGuidePrompt){ SL_GUIDE_PROMPT_FREEZE, 500 };
  apply_ok (s, prompt, 0);
  g_assert_true (sl_guide_state_get_prompt (s, 499, &p));
  g_assert_cmpint (p.prompt, ==, SL_GUIDE_PROMPT_FREEZE);
  g_assert_false (sl_guide_state_get_prompt (s, 500, &p));
  apply_ok (s, prompt, 600);
  prompt.prompt = (SlGuidePrompt){ SL_GUIDE_PROMPT_NONE, 0 };
  apply_ok (s, prompt, 601);
  g_assert_false (sl_guide_state_get_prompt (s, 601, &p));

  g_assert_false (sl_guide_state_get_image (s, &im));
  image.type = SL_GUIDE_IMAGE;
  image.image = (SlGuideImage){ 1280, 720, 0.258, 0.258 };
  apply_ok (s, image, 0);
  g_assert_true (sl_guide_state_get_image (s, &im));
  g_assert_cmpuint (im.width, ==, 1280);
  g_assert_cmpfloat (im.mm_per_px_y, ==, 0.258);

  /* Stills and nacks are not for the picture. */
  other.type = SL_GUIDE_STILL_REQUEST;
  apply_ok (s, other, 0);
  other.type = SL_GUIDE_NACK;
  apply_ok (s, other, 0);
  g_assert_cmpuint (sl_guide_state_n_marks (s), ==, 0);
  g_assert_cmpuint (sl_guide_state_n_undo (s), ==, 0);
}

static void
test_extreme_times (void)
{
  g_autoptr (SlGuideState) s = sl_guide_state_new ();
  SlGuideMsg a = mark_msg ("a", 0.1);
  SlGuidePointer p;

  /* "now" is the caller's: no time may overflow. */
  a.mark.ttl_ms = SL_GUIDE_MAX_TTL_MS;
  apply_ok (s, a, G_MAXINT64 - 5);
  g_assert_nonnull (sl_guide_state_lookup (s, "a", G_MAXINT64 - 1));
  apply_ok (s, pointer_msg (1, 0.5, TRUE), G_MININT64);
  g_assert_false (sl_guide_state_get_pointer (s, G_MAXINT64, &p));
  g_assert_true (sl_guide_state_get_pointer (s, G_MININT64 + 10, &p));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/guide-state/marks-and-undo", test_marks_and_undo);
  g_test_add_func ("/guide-state/undo-history-bound", test_undo_history_bound);
  g_test_add_func ("/guide-state/ttl", test_ttl);
  g_test_add_func ("/guide-state/limit", test_limit);
  g_test_add_func ("/guide-state/pointer", test_pointer);
  g_test_add_func ("/guide-state/cue-prompt-image", test_cue_prompt_image);
  g_test_add_func ("/guide-state/extreme-times", test_extreme_times);
  return g_test_run ();
}
