/* Unit tests of the expert's guidance script reader (sl-guide-script.h)
 * and of drawing marks into a snapshot (sl-guide-view.h). */
#include "sl-guide-render.h"
#include "sl-guide-still.h"
#include "sl-guide-script.h"
#include "sl-guide-view.h"

#include <glib/gstdio.h>
#include <gst/video/video.h>
#include <string.h>

static GArray *
parse (const gchar *text, GError **error)
{
  return sl_guide_script_parse (text, strlen (text), "s.jsonl", error);
}

static void
test_good_script (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) entries = parse (
      "# a comment\n"
      "\n"
      "{\"at_ms\": 0, \"msg\": {\"type\": \"mark\", \"id\": \"a1\", "
      "\"kind\": \"arrow\", \"points\": [[0.1, 0.2], [0.3, 0.4]]}}\n"
      "  # indented comment\n"
      "{\"at_ms\": 40, \"msg\": {\"type\": \"pointer\", \"x\": 0.5, "
      "\"y\": 0.25}}\n"
      "{\"at_ms\": 40, \"msg\": {\"type\": \"still_request\", "
      "\"req\": \"s1\", \"media_ms\": 99, \"v\": 1}}\n"
      "{\"at_ms\": 900, \"msg\": {\"type\": \"cue\", \"cue\": \"rock\", "
      "\"dir\": \"left\"}}",
      &error);
  const SlGuideScriptEntry *e;

  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 4);
  e = &g_array_index (entries, SlGuideScriptEntry, 0);
  g_assert_cmpint (e->at_ms, ==, 0);
  g_assert_cmpuint (e->line, ==, 3);
  g_assert_cmpint (e->msg.type, ==, SL_GUIDE_MARK);
  g_assert_cmpstr (e->msg.mark.id, ==, "a1");
  g_assert_cmpfloat_with_epsilon (e->msg.mark.points[1].y, 0.4, 1e-9);
  e = &g_array_index (entries, SlGuideScriptEntry, 1);
  g_assert_cmpint (e->msg.type, ==, SL_GUIDE_POINTER);
  g_assert_cmpuint (e->msg.pointer.seq, ==, 0);
  g_assert_true (e->msg.pointer.visible);
  g_assert_cmpuint (e->line, ==, 5);
  /* "v" and "media_ms" in a script are overwritten. */
  e = &g_array_index (entries, SlGuideScriptEntry, 2);
  g_assert_cmpint (e->msg.type, ==, SL_GUIDE_STILL_REQUEST);
  g_assert_cmpint (e->msg.media_ms, ==, 0);
  e = &g_array_index (entries, SlGuideScriptEntry, 3);
  g_assert_cmpint (e->msg.cue.cue, ==, SL_GUIDE_CUE_ROCK);
  g_assert_cmpint (e->at_ms, ==, 900);
}

static void
check_bad (const gchar *text, const gchar *where, const gchar *why)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) entries = parse (text, &error);

  g_assert_null (entries);
  g_assert_nonnull (error);
  if (!g_str_has_prefix (error->message, where)
      || strstr (error->message, why) == NULL)
    g_error ("for %s: got \"%s\", wanted \"%s...%s\"", text, error->message,
             where, why);
}

static void
test_bad_scripts (void)
{
  const gchar *mark = "{\"at_ms\": 0, \"msg\": {\"type\": \"clear\"}}\n";
  g_autofree gchar *two = NULL;

  check_bad ("", "s.jsonl: ", "no entries");
  check_bad ("# only a comment\n", "s.jsonl: ", "no entries");
  check_bad ("{\"at_ms\": 0", "s.jsonl:1: ", "not JSON");
  check_bad ("[1, 2]", "s.jsonl:1: ", "not a JSON object");
  check_bad ("{\"msg\": {\"type\": \"clear\"}}", "s.jsonl:1: ", "at_ms");
  check_bad ("{\"at_ms\": 1.5, \"msg\": {\"type\": \"clear\"}}",
             "s.jsonl:1: ", "integer");
  check_bad ("{\"at_ms\": -1, \"msg\": {\"type\": \"clear\"}}",
             "s.jsonl:1: ", "at_ms");
  check_bad ("{\"at_ms\": 0, \"msg\": 3}", "s.jsonl:1: ", "msg");
  two = g_strconcat (mark, "{\"at_ms\": 5, \"msg\": {\"type\": \"undo\"}}\n",
                     "{\"at_ms\": 4, \"msg\": {\"type\": \"undo\"}}\n", NULL);
  check_bad (two, "s.jsonl:3: ", "before the previous");
  check_bad ("{\"at_ms\": 0, \"msg\": {\"type\": \"mark\", \"id\": \"a\", "
             "\"kind\": \"arrow\", \"points\": [[0.1, 0.1]]}}",
             "s.jsonl:1: ", "points");
  check_bad ("{\"at_ms\": 0, \"msg\": {\"type\": \"wave\"}}",
             "s.jsonl:1: ", "msg");
  check_bad ("{\"at_ms\": 0, \"msg\": {\"type\": \"image\", \"width\": 2, "
             "\"height\": 2}}",
             "s.jsonl:1: ", "does not send \"image\"");
  check_bad ("{\"at_ms\": 0, \"msg\": {\"type\": \"nack\", \"reason\": "
             "\"limit\"}}",
             "s.jsonl:1: ", "nack");
  /* A NUL byte inside the text. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) entries
        = sl_guide_script_parse ("{\"a\0", 4, "s.jsonl", &error);

    g_assert_null (entries);
    g_assert_error (error, SL_GUIDE_SCRIPT_ERROR,
                    SL_GUIDE_SCRIPT_ERROR_INVALID);
  }
}

static void
draw_box (cairo_t *cr, guint width, guint height, gpointer user_data)
{
  sl_guide_render (cr, width, height, user_data, NULL, 0);
}

/* A mark drawn into a snapshot lands at its relative place, in its
 * colour, over a grey frame. */
static void
test_view_png (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlGuideState) state = sl_guide_state_new ();
  g_autoptr (GstCaps) caps = gst_caps_from_string (
      "video/x-raw,format=I420,width=320,height=180,framerate=30/1");
  g_autoptr (GstBuffer) buffer = NULL;
  g_autoptr (GstSample) sample = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("sl-guide-view-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "s.png", NULL);
  g_autofree gchar *png = NULL;
  g_autofree guint8 *rgb = NULL;
  SlGuideMsg msg = { .type = SL_GUIDE_MARK };
  GstVideoInfo info;
  GstMapInfo map;
  gsize len;
  guint w, h;

  g_assert_nonnull (dir);
  gst_video_info_from_caps (&info, caps);
  buffer = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  memset (map.data, 128, map.size); /* mid grey, neutral chroma */
  gst_buffer_unmap (buffer, &map);
  sample = gst_sample_new (buffer, caps, NULL, NULL);

  g_strlcpy (msg.mark.id, "b", sizeof msg.mark.id);
  msg.mark.kind = SL_GUIDE_KIND_BOX;
  msg.mark.color = SL_GUIDE_COLOR_GREEN;
  msg.mark.width = 2;
  msg.mark.n_points = 2;
  msg.mark.points[0] = (SlGuidePoint){ 0.25, 0.5 };
  msg.mark.points[1] = (SlGuidePoint){ 0.75, 0.9 };
  g_assert_true (sl_guide_state_apply (state, &msg, 0, NULL));

  g_assert_true (
      sl_guide_view_write_png (sample, draw_box, state, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &png, &len, NULL));
  rgb = sl_guide_png_decode ((guint8 *)png, len, &w, &h, NULL);
  g_assert_cmpuint (w, ==, 320);
  g_assert_cmpuint (h, ==, 180);
  /* The top edge's middle is green, the box's inside still grey. */
  {
    const guint8 *edge = rgb + 3 * (90 * w + 160);
    const guint8 *inside = rgb + 3 * (130 * w + 160);

    g_assert_cmpint (ABS (edge[0] - 77), <=, 3);
    g_assert_cmpint (edge[1], >=, 250);
    g_assert_cmpint (ABS (inside[0] - inside[1]), <=, 2);
    g_assert_cmpint (ABS (inside[1] - inside[2]), <=, 2);
  }
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/guide-script/good", test_good_script);
  g_test_add_func ("/guide-script/bad", test_bad_scripts);
  g_test_add_func ("/guide-view/png", test_view_png);
  return g_test_run ();
}
