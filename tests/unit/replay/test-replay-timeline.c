/* Unit tests for sl-replay-timeline.c: which marks show at a time, from
 * sidecar lines as the stations write them; the VTT; notes. */
#include "sl-replay-timeline.h"

#include <string.h>

#define MARK(id, extra)                                                        \
  "{\"v\":1,\"type\":\"mark\",\"media_ms\":1,\"id\":\"" id "\",\"kind\":"      \
  "\"box\",\"points\":[[0.1,0.1],[0.5,0.5]]" extra "}"

/* One sidecar line: a message sent by the recording station (or
 * received from @peer) keyed to the picture at @frame_ms. */
static gchar *
guide_line (gint64 frame_ms, const gchar *peer, const gchar *msg)
{
  return g_strdup_printf ("{\"type\":\"guide\",\"t_ms\":%" G_GINT64_FORMAT
                          ",\"frame_ms\":%" G_GINT64_FORMAT
                          ",\"dir\":\"%s\",\"peer\":\"%s\",\"msg\":%s}\n",
                          frame_ms + 20, frame_ms,
                          peer == NULL ? "sent" : "received",
                          peer == NULL ? "tw1" : peer, msg);
}

static SlReplayTimeline *
load (const gchar *const *lines, guint *skipped)
{
  SlReplayTimeline *tl = sl_replay_timeline_new ();
  g_autoptr (GString) s = g_string_new (
      "{\"type\":\"recording\",\"t_ms\":0,\"version\":1,\"station\":"
      "\"expert\",\"file\":\"x.mkv\"}\n");
  g_autoptr (GError) error = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    g_string_append (s, lines[i]);
  g_assert_true (sl_replay_timeline_load (tl, s->str, s->len, skipped, &error));
  g_assert_no_error (error);
  return tl;
}

static gboolean
shows (SlReplayTimeline *tl, gint64 t_ms, const gchar *id)
{
  sl_replay_timeline_seek (tl, t_ms);
  return sl_replay_timeline_has_mark (tl, id);
}

/* A mark shows from the picture it was drawn on, not one frame before;
 * an undo, a delete, a clear and a TTL take marks down at their
 * pictures; seeking back and forth gives the same answers. */
static void
test_visible (void)
{
  g_autofree gchar *l1 = guide_line (1000, NULL, MARK ("m1", ""));
  g_autofree gchar *l2
      = guide_line (2000, NULL, MARK ("m2", ",\"ttl_ms\":1500"));
  g_autofree gchar *l3 = guide_line (3000, NULL, MARK ("m3", ""));
  g_autofree gchar *l4
      = guide_line (4000, NULL, "{\"v\":1,\"type\":\"undo\",\"media_ms\":1}");
  g_autofree gchar *l5 = guide_line (
      5000, NULL, "{\"v\":1,\"type\":\"delete\",\"media_ms\":1,\"id\":\"m1\"}");
  g_autofree gchar *l6 = guide_line (6000, "exp2", MARK ("m6", ""));
  g_autofree gchar *l7 = guide_line (
      7000, "exp2", "{\"v\":1,\"type\":\"clear\",\"media_ms\":1}");
  const gchar *const lines[] = { l1, l2, l3, l4, l5, l6, l7, NULL };
  g_autoptr (SlReplayTimeline) tl = load (lines, NULL);

  for (guint pass = 0; pass < 2; pass++)
    {
      g_assert_false (shows (tl, 999, "m1"));
      g_assert_true (shows (tl, 1000, "m1"));
      g_assert_false (shows (tl, 1999, "m2"));
      g_assert_true (shows (tl, 2000, "m2"));
      g_assert_true (shows (tl, 3499, "m2"));
      g_assert_false (shows (tl, 3500, "m2")); /* its TTL */
      g_assert_true (shows (tl, 3999, "m3"));
      g_assert_false (shows (tl, 4000, "m3")); /* the undo */
      g_assert_true (shows (tl, 4999, "m1"));
      g_assert_false (shows (tl, 5000, "m1")); /* the delete */
      g_assert_true (shows (tl, 6000, "m6"));  /* another drawer's */
      g_assert_cmpuint (sl_replay_timeline_n_marks (tl), ==, 1);
      g_assert_false (shows (tl, 7000, "m6")); /* its clear */
      g_assert_cmpuint (sl_replay_timeline_n_marks (tl), ==, 0);
    }
  /* Backwards from the end. */
  g_assert_true (shows (tl, 1500, "m1"));
  g_assert_cmpuint (sl_replay_timeline_n_marks (tl), ==, 1);
}

/* Lines a crash cut short or a hand broke are skipped and counted; a
 * file that is not a sidecar is refused. */
static void
test_bad_lines (void)
{
  g_autofree gchar *l1 = guide_line (1000, NULL, MARK ("m1", ""));
  const gchar *const lines[]
      = { "{\"type\":\"guide\",\"t_ms\":5\n",
          l1,
          "not json\n",
          "{\"type\":\"guide\",\"t_ms\":1,\"dir\":\"sent\",\"peer\":\"a\","
          "\"msg\":{\"type\":\"mark\"}}\n",
          "{\"type\":\"note\",\"t_ms\":1200,\"text\":\"cut",
          NULL };
  guint skipped = 0;
  g_autoptr (SlReplayTimeline) tl = load (lines, &skipped);
  g_autoptr (SlReplayTimeline) other = sl_replay_timeline_new ();
  g_autoptr (GError) error = NULL;
  guint n;

  g_assert_cmpuint (skipped, ==, 4);
  g_assert_true (shows (tl, 1000, "m1"));
  sl_replay_timeline_notes (tl, &n);
  g_assert_cmpuint (n, ==, 0);
  g_assert_false (
      sl_replay_timeline_load (other, "{\"a\":1}\n", 8, NULL, &error));
  g_assert_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_NOT_RECORDING);
}

static void
test_vtt (void)
{
  g_autofree gchar *l1 = guide_line (2000, NULL, MARK ("m1", ""));
  g_autofree gchar *l2
      = guide_line (3000, NULL, MARK ("m2", ",\"ttl_ms\":1500"));
  g_autofree gchar *l3
      = guide_line (6000, NULL, "{\"v\":1,\"type\":\"clear\",\"media_ms\":1}");
  const gchar *const lines[]
      = { l1, l2, l3,
          "{\"type\":\"note\",\"t_ms\":2500,\"text\":\"probe <too> lateral "
          "--> here\"}\n",
          NULL };
  g_autoptr (SlReplayTimeline) tl = load (lines, NULL);
  g_autofree gchar *vtt = sl_replay_timeline_to_vtt (tl, 1000, 10000);

  g_assert_cmpstr (vtt, ==,
                   "WEBVTT\n"
                   "\n00:00:01.000 --> 00:00:05.000\nmark m1 (box)\n"
                   "\n00:00:01.500 --> 00:00:06.500\nnote: probe &lt;too> "
                   "lateral --&gt; here\n"
                   "\n00:00:02.000 --> 00:00:03.500\nmark m2 (box)\n");
}

static void
test_notes (void)
{
  static const struct
  {
    const gchar *arg;
    gint64 ms;
    const gchar *text;
  } good[] = {
    { "12.4: probe too lateral", 12400, "probe too lateral" },
    { "0:probe", 0, "probe" },
    { "1:02.25:  slide up  ", 62250, "slide up" },
    { "7.125: é", 7125, "é" },
  };
  static const gchar *const bad[] = {
    "probe too lateral", "12.4 probe", "12.4:",      "12.4:   ",   "1:2: x",
    "1:75: x",           "12.: x",     "12.1234: x", "12.4: a\tb", "12.4: \xff",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree gchar *text = NULL;
      gint64 ms = -1;

      g_assert_true (sl_replay_note_parse (good[i].arg, &ms, &text, NULL));
      g_assert_cmpint (ms, ==, good[i].ms);
      g_assert_cmpstr (text, ==, good[i].text);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree gchar *text = NULL;
      g_autoptr (GError) error = NULL;
      gint64 ms;

      g_assert_false (sl_replay_note_parse (bad[i], &ms, &text, &error));
      g_assert_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_NOTE);
      g_assert_null (text);
    }
  {
    gint64 ms;

    g_assert_true (sl_replay_time_parse ("1:02.5", &ms, NULL));
    g_assert_cmpint (ms, ==, 62500);
    g_assert_false (sl_replay_time_parse ("12s", &ms, NULL));
    g_assert_false (sl_replay_time_parse ("-1", &ms, NULL));
  }
}

/* A note shows for SL_REPLAY_NOTE_SHOW_MS from its time. */
static void
test_note_at (void)
{
  const gchar *const lines[]
      = { "{\"type\":\"note\",\"t_ms\":9000,\"text\":\"b\"}\n",
          "{\"type\":\"note\",\"t_ms\":2000,\"text\":\"a\"}\n", NULL };
  g_autoptr (SlReplayTimeline) tl = load (lines, NULL);
  const SlReplayNote *notes;
  guint n;

  notes = sl_replay_timeline_notes (tl, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (notes[0].text, ==, "a");
  g_assert_null (sl_replay_timeline_note_at (tl, 1999));
  g_assert_cmpstr (sl_replay_timeline_note_at (tl, 2000)->text, ==, "a");
  g_assert_cmpstr (sl_replay_timeline_note_at (tl, 6999)->text, ==, "a");
  g_assert_null (sl_replay_timeline_note_at (tl, 7000));
  g_assert_cmpstr (sl_replay_timeline_note_at (tl, 9500)->text, ==, "b");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/replay/timeline/visible", test_visible);
  g_test_add_func ("/replay/timeline/bad-lines", test_bad_lines);
  g_test_add_func ("/replay/timeline/vtt", test_vtt);
  g_test_add_func ("/replay/timeline/notes", test_notes);
  g_test_add_func ("/replay/timeline/note-at", test_note_at);
  return g_test_run ();
}
