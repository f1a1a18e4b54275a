/* test-guide.c — the guidance codec of sl-guide.h: every message type
 * survives a round trip, and every kind of bad message is refused with
 * the error code docs/guidance.md gives for it. */
#include "sl-guide.h"

#include <string.h>

static gboolean
parse (const gchar *text, SlGuideMsg *msg, GError **error)
{
  return sl_guide_parse (text, strlen (text), msg, error);
}

static void
new_msg (SlGuideMsg *msg, SlGuideType type, gint64 media_ms)
{
  memset (msg, 0, sizeof *msg);
  msg->type = type;
  msg->media_ms = media_ms;
}

static void
add_mark (GPtrArray *all, SlGuideMarkKind kind, const gchar *id, guint n,
          const gdouble *xy)
{
  SlGuideMsg *msg = g_new (SlGuideMsg, 1);

  new_msg (msg, SL_GUIDE_MARK, 40000 + all->len);
  g_strlcpy (msg->mark.id, id, sizeof msg->mark.id);
  msg->mark.kind = kind;
  msg->mark.color = (SlGuideColor)(all->len % SL_GUIDE_N_COLORS);
  msg->mark.width = 1.0 + 0.25 * (all->len % 4);
  msg->mark.n_points = n;
  for (guint i = 0; i < n; i++)
    {
      msg->mark.points[i].x = xy[2 * i];
      msg->mark.points[i].y = xy[2 * i + 1];
    }
  g_ptr_array_add (all, msg);
}

/* One message of every type (and every mark kind), with values that the
 * writer's precision keeps exactly. */
static GPtrArray *
every_message (void)
{
  static const gdouble two[] = { 0.125, 0.5, 0.87654, 0.03125 };
  GPtrArray *all = g_ptr_array_new_with_free_func (g_free);
  gdouble line[2 * SL_GUIDE_MAX_POINTS];
  SlGuideMsg *m;

  for (guint i = 0; i < SL_GUIDE_MAX_POINTS; i++)
    {
      line[2 * i] = i / 1000.0;
      line[2 * i + 1] = (i % 7) / 8.0;
    }
  add_mark (all, SL_GUIDE_KIND_ARROW, "a1", 2, two);
  add_mark (all, SL_GUIDE_KIND_ELLIPSE, "e-2", 2, two);
  add_mark (all, SL_GUIDE_KIND_POLYLINE, "p.3", SL_GUIDE_MAX_POINTS, line);
  add_mark (all, SL_GUIDE_KIND_BOX, "b:4", 2, two);
  add_mark (all, SL_GUIDE_KIND_CALIPER, "c_5", 2, two);
  add_mark (all, SL_GUIDE_KIND_TEXT, "t6", 1, two);
  m = all->pdata[all->len - 1];
  g_strlcpy (m->mark.text, "tendon \"tear\" \\ 2 cm — ça", sizeof m->mark.text);
  m->mark.ttl_ms = SL_GUIDE_MAX_TTL_MS;

  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_DELETE, 1);
  g_strlcpy (m->id, "a1", sizeof m->id);
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_UNDO, 2);
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_CLEAR, SL_GUIDE_MAX_INT);
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_POINTER, 3);
  m->pointer = (SlGuidePointer){
    SL_GUIDE_MAX_INT, TRUE, { 1, 0 }, SL_GUIDE_COLOR_RED
  };
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_POINTER, 4);
  m->pointer = (SlGuidePointer){ 7, FALSE, { 0, 0 }, SL_GUIDE_COLOR_CYAN };
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_CUE, 5);
  m->cue = (SlGuideCue){ SL_GUIDE_CUE_ROTATE, SL_GUIDE_DIR_CCW, 500 };
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_CUE, 6);
  m->cue = (SlGuideCue){ SL_GUIDE_CUE_NONE, SL_GUIDE_DIR_NONE, 0 };
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_PROMPT, 7);
  m->prompt = (SlGuidePrompt){ SL_GUIDE_PROMPT_HOLD, 30000 };
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_IMAGE, 8);
  m->image = (SlGuideImage){ 1280, 720, 0.258, 0.2575 };
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_IMAGE, 8);
  m->image = (SlGuideImage){ 640, 480, 0, 0 };
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_STILL_REQUEST, 9);
  g_strlcpy (m->req, "still-1", sizeof m->req);
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_STILL_META, 10);
  g_strlcpy (m->still.req, "still-1", sizeof m->still.req);
  m->still.width = 1920;
  m->still.height = 1080;
  m->still.bytes = SL_GUIDE_STILL_MAX_BYTES;
  memset (m->still.sha256, 'a', 64);
  m->still.mm_per_px_x = m->still.mm_per_px_y = 0.171875;
  g_ptr_array_add (all, m);
  new_msg (m = g_new (SlGuideMsg, 1), SL_GUIDE_STILL_END, 11);
  g_strlcpy (m->req, "still-1", sizeof m->req);
  g_ptr_array_add (all, m);
  return all;
}

static void
test_round_trip (void)
{
  g_autoptr (GPtrArray) all = every_message ();
  guint types = 0;

  for (guint i = 0; i < all->len; i++)
    {
      const SlGuideMsg *in = all->pdata[i];
      g_autofree gchar *text = sl_guide_serialize (in);
      g_autofree gchar *again = NULL;
      g_autoptr (GError) error = NULL;
      g_auto (SlGuideMsg) out = { 0 };

      if (g_test_verbose ())
        g_printerr ("%s\n", text);
      g_assert_cmpuint (strlen (text), <=, SL_GUIDE_MAX_SIZE);
      g_assert_true (parse (text, &out, &error));
      g_assert_no_error (error);
      /* Every field (and the zeroed rest) comes back bit for bit. */
      g_assert_cmpmem (&out, sizeof out, in, sizeof *in);
      again = sl_guide_serialize (&out);
      g_assert_cmpstr (again, ==, text);
      types |= 1u << in->type;
    }
  /* Only the two types with allocated members are tested apart. */
  g_assert_cmpuint (types | 1u << SL_GUIDE_STILL_CHUNK | 1u << SL_GUIDE_NACK,
                    ==, (1u << SL_GUIDE_N_TYPES) - 1);
}

static void
test_round_trip_allocated (void)
{
  guint8 data[SL_GUIDE_STILL_CHUNK_SIZE];
  g_autoptr (GError) error = NULL, cause = NULL;
  g_auto (SlGuideMsg) chunk = { 0 }, nack = { 0 }, out = { 0 }, out2 = { 0 };
  g_autofree gchar *text = NULL, *text2 = NULL;

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8)(i * 7 + 3);
  new_msg (&chunk, SL_GUIDE_STILL_CHUNK, 12);
  g_strlcpy (chunk.chunk.req, "s", sizeof chunk.chunk.req);
  chunk.chunk.index = 1023;
  chunk.chunk.data = g_memdup2 (data, sizeof data);
  chunk.chunk.len = sizeof data;
  text = sl_guide_serialize (&chunk);
  g_assert_cmpuint (strlen (text), <=, SL_GUIDE_MAX_SIZE);
  g_assert_true (parse (text, &out, &error));
  g_assert_cmpint (out.type, ==, SL_GUIDE_STILL_CHUNK);
  g_assert_cmpstr (out.chunk.req, ==, "s");
  g_assert_cmpuint (out.chunk.index, ==, 1023);
  g_assert_cmpmem (out.chunk.data, out.chunk.len, data, sizeof data);

  g_set_error (&cause, SL_GUIDE_ERROR, SL_GUIDE_ERROR_OUT_OF_RANGE,
               "\"x\" is\tout of range");
  sl_guide_nack_init (&nack, cause, 77, "mark", "a1");
  text2 = sl_guide_serialize (&nack);
  g_assert_true (parse (text2, &out2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out2.type, ==, SL_GUIDE_NACK);
  g_assert_cmpint (out2.media_ms, ==, 77);
  g_assert_cmpint (out2.nack.reason, ==, SL_GUIDE_REASON_OUT_OF_RANGE);
  g_assert_cmpstr (out2.nack.ref_type, ==, "mark");
  g_assert_cmpstr (out2.nack.ref_id, ==, "a1");
  /* The control character became a space so the detail stays loggable. */
  g_assert_cmpstr (out2.nack.detail, ==, "\"x\" is out of range");
  sl_guide_msg_clear (&out2);
  sl_guide_msg_clear (&out2);
}

#define ENV "\"v\":1,\"media_ms\":0,"
#define MARK(rest) "{" ENV "\"type\":\"mark\",\"id\":\"m\"," rest "}"
#define ARROW(pts) MARK ("\"kind\":\"arrow\",\"points\":" pts)

static const struct
{
  const gchar *text;
  SlGuideError code;
} bad[] = {
  /* Not JSON, or not an object. */
  { "", SL_GUIDE_ERROR_MALFORMED },
  { "[1]", SL_GUIDE_ERROR_MALFORMED },
  { "{\"v\":1", SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"undo\"} {}", SL_GUIDE_ERROR_MALFORMED },
  { "{'v':1,'media_ms':0,'type':'undo'}", SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"undo\",\"x\":0x10}", SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"undo\",\"x\":NaN}", SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"undo\",\"x\":[[[[[[[[[1]]]]]]]]]}",
    SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"un\\u0000do\"}", SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"undo\",\"x\":\"\xff\"}", SL_GUIDE_ERROR_MALFORMED },
  /* The envelope. */
  { "{\"media_ms\":0,\"type\":\"undo\"}", SL_GUIDE_ERROR_MALFORMED },
  { "{\"v\":\"1\",\"media_ms\":0,\"type\":\"undo\"}",
    SL_GUIDE_ERROR_MALFORMED },
  { "{\"v\":1.0,\"media_ms\":0,\"type\":\"undo\"}", SL_GUIDE_ERROR_MALFORMED },
  { "{\"v\":2,\"media_ms\":0,\"type\":\"undo\"}",
    SL_GUIDE_ERROR_UNKNOWN_VERSION },
  { "{\"v\":0,\"media_ms\":0,\"type\":\"undo\"}",
    SL_GUIDE_ERROR_UNKNOWN_VERSION },
  { "{\"v\":2,\"type\":\"hologram\"}", SL_GUIDE_ERROR_UNKNOWN_VERSION },
  { "{" ENV "\"type\":\"hologram\"}", SL_GUIDE_ERROR_UNKNOWN_TYPE },
  { "{" ENV "\"type\":1}", SL_GUIDE_ERROR_MALFORMED },
  { "{\"v\":1,\"type\":\"undo\"}", SL_GUIDE_ERROR_MALFORMED },
  { "{\"v\":1,\"type\":\"undo\",\"media_ms\":-1}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{\"v\":1,\"type\":\"undo\",\"media_ms\":9007199254740992}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{\"v\":1,\"type\":\"undo\",\"media_ms\":18446744073709551617}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{\"v\":1,\"type\":\"undo\",\"media_ms\":1.5}", SL_GUIDE_ERROR_MALFORMED },
  /* Marks. */
  { MARK ("\"kind\":\"star\",\"points\":[[0,0]]"),
    SL_GUIDE_ERROR_UNKNOWN_TYPE },
  { ARROW ("[[0,0],[1.5,0]]"), SL_GUIDE_ERROR_OUT_OF_RANGE },
  { ARROW ("[[0,0],[-0.1,0]]"), SL_GUIDE_ERROR_OUT_OF_RANGE },
  { ARROW ("[[0,0],[1e400,0]]"), SL_GUIDE_ERROR_OUT_OF_RANGE },
  { ARROW ("[[0,0],[0,0],[0,0]]"), SL_GUIDE_ERROR_MALFORMED },
  { ARROW ("[[0,0],[0]]"), SL_GUIDE_ERROR_MALFORMED },
  { ARROW ("[[0,0],[\"0\",0]]"), SL_GUIDE_ERROR_MALFORMED },
  { ARROW ("{\"x\":0}"), SL_GUIDE_ERROR_MALFORMED },
  { MARK ("\"kind\":\"arrow\""), SL_GUIDE_ERROR_MALFORMED },
  { MARK ("\"kind\":\"polyline\",\"points\":[[0,0]]"),
    SL_GUIDE_ERROR_MALFORMED },
  { MARK ("\"kind\":\"text\",\"points\":[[0,0]]"), SL_GUIDE_ERROR_MALFORMED },
  { MARK ("\"kind\":\"text\",\"points\":[[0,0]],\"text\":\"\""),
    SL_GUIDE_ERROR_MALFORMED },
  { MARK ("\"kind\":\"text\",\"points\":[[0,0]],\"text\":\"a\\nb\""),
    SL_GUIDE_ERROR_MALFORMED },
  { MARK ("\"kind\":\"arrow\",\"points\":[[0,0],[1,1]],\"color\":\"puce\""),
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { MARK ("\"kind\":\"arrow\",\"points\":[[0,0],[1,1]],\"width\":10"),
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { MARK ("\"kind\":\"arrow\",\"points\":[[0,0],[1,1]],\"width\":\"1\""),
    SL_GUIDE_ERROR_MALFORMED },
  { MARK ("\"kind\":\"arrow\",\"points\":[[0,0],[1,1]],\"ttl_ms\":0"),
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { MARK ("\"kind\":\"arrow\",\"points\":[[0,0],[1,1]],\"ttl_ms\":600001"),
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { MARK ("\"kind\":\"arrow\",\"points\":[[0,0],[1,1]],\"ttl_ms\":null"),
    SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"mark\",\"kind\":\"arrow\",\"points\":[[0,0],[1,1]]}",
    SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"delete\",\"id\":\"has space\"}",
    SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"delete\",\"id\":\"\"}", SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"delete\",\"id\":7}", SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"delete\",\"id\":\"12345678901234567890123456789012"
    "345678901234567890123456789012345\"}",
    SL_GUIDE_ERROR_TOO_LARGE },
  /* The pointer, cues, prompts, the image. */
  { "{" ENV "\"type\":\"pointer\",\"seq\":-1,\"x\":0,\"y\":0}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{" ENV "\"type\":\"pointer\",\"seq\":1,\"x\":0}",
    SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"pointer\",\"seq\":1,\"x\":0,\"y\":2}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{" ENV "\"type\":\"pointer\",\"seq\":1,\"visible\":\"no\"}",
    SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"cue\",\"cue\":\"jump\",\"dir\":\"up\"}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{" ENV "\"type\":\"cue\",\"cue\":\"slide\",\"dir\":\"cw\"}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{" ENV "\"type\":\"cue\",\"cue\":\"rock\",\"dir\":\"up\"}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{" ENV "\"type\":\"cue\",\"cue\":\"slide\"}", SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"cue\",\"cue\":\"tilt\",\"dir\":\"up\","
    "\"duration_ms\":100}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{" ENV "\"type\":\"prompt\",\"prompt\":\"dance\"}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{" ENV "\"type\":\"prompt\"}", SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"image\",\"width\":0,\"height\":720}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{" ENV "\"type\":\"image\",\"width\":1280,\"height\":720,"
    "\"mm_per_px\":[0,0.2]}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{" ENV "\"type\":\"image\",\"width\":1280,\"height\":720,"
    "\"mm_per_px\":[0.2]}",
    SL_GUIDE_ERROR_MALFORMED },
  /* Stills and nacks. */
  { "{" ENV "\"type\":\"still_meta\",\"req\":\"r\",\"width\":8,\"height\":8,"
    "\"format\":\"jpeg\",\"bytes\":1,\"sha256\":\""
    "0123456789abcdef"
    "0123456789abcdef0123456789abcdef0123456789abcdef\"}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{" ENV "\"type\":\"still_meta\",\"req\":\"r\",\"width\":8,\"height\":8,"
    "\"format\":\"png\",\"bytes\":16777217,\"sha256\":\""
    "0123456789abcdef"
    "0123456789abcdef0123456789abcdef0123456789abcdef\"}",
    SL_GUIDE_ERROR_TOO_LARGE },
  { "{" ENV "\"type\":\"still_meta\",\"req\":\"r\",\"width\":8,\"height\":8,"
    "\"format\":\"png\",\"bytes\":1,\"sha256\":\"0123456789ABCDEF"
    "0123456789abcdef0123456789abcdef0123456789abcdef\"}",
    SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"still_chunk\",\"req\":\"r\",\"index\":0,"
    "\"data\":\"abc\"}",
    SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"still_chunk\",\"req\":\"r\",\"index\":0,"
    "\"data\":\"a=bc\"}",
    SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"still_chunk\",\"req\":\"r\",\"index\":1024,"
    "\"data\":\"AAAA\"}",
    SL_GUIDE_ERROR_OUT_OF_RANGE },
  { "{" ENV "\"type\":\"still_end\"}", SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"nack\"}", SL_GUIDE_ERROR_MALFORMED },
  { "{" ENV "\"type\":\"nack\",\"reason\":\"busy\",\"detail\":\"a\\u001bb\"}",
    SL_GUIDE_ERROR_MALFORMED },
};

static void
test_rejects (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_auto (SlGuideMsg) msg = { 0 };

      if (g_test_verbose ())
        g_printerr ("%s\n", bad[i].text);
      g_assert_false (parse (bad[i].text, &msg, &error));
      g_assert_error (error, SL_GUIDE_ERROR, (gint)bad[i].code);
    }
}

/* A message of @n points, each "[0.5,0.5]". */
static gchar *
polyline (guint n)
{
  GString *s = g_string_new (MARK ("\"kind\":\"polyline\",\"points\":["));

  g_string_truncate (s, s->len - 1);
  for (guint i = 0; i < n; i++)
    g_string_append (s, i ? ",[0.5,0.5]" : "[0.5,0.5]");
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

static void
test_limits (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *big = g_strnfill (SL_GUIDE_MAX_SIZE + 1, ' ');
  g_autofree gchar *max_line = polyline (SL_GUIDE_MAX_POINTS);
  g_autofree gchar *long_line = polyline (SL_GUIDE_MAX_POINTS + 1);
  g_autofree gchar *text = NULL, *max_text = NULL, *long_text = NULL;
  static const gchar with_nul[] = "{" ENV "\"type\":\"undo\"}\0x";
  g_auto (SlGuideMsg) msg = { 0 };

  big[0] = '{';
  g_assert_false (sl_guide_parse (big, strlen (big), &msg, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_false (sl_guide_parse (with_nul, sizeof with_nul - 1, &msg, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_MALFORMED);
  g_clear_error (&error);

  g_assert_true (parse (max_line, &msg, &error));
  g_assert_cmpuint (msg.mark.n_points, ==, SL_GUIDE_MAX_POINTS);
  g_assert_false (parse (long_line, &msg, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_TOO_LARGE);
  g_clear_error (&error);

  text = g_strnfill (SL_GUIDE_MAX_TEXT_LEN, 'x');
  max_text = g_strdup_printf (
      MARK ("\"kind\":\"text\",\"points\":[[0,0]],\"text\":\"%s\""), text);
  long_text = g_strdup_printf (
      MARK ("\"kind\":\"text\",\"points\":[[0,0]],\"text\":\"%sx\""), text);
  g_assert_false (parse (long_text, &msg, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_true (parse (max_text, &msg, &error));
  g_assert_cmpstr (msg.mark.text, ==, text);
}

static void
test_tolerance (void)
{
  g_autoptr (GError) error = NULL;
  g_auto (SlGuideMsg) msg = { 0 };

  /* Unknown members, however nested, are ignored; defaults fill in. */
  g_assert_true (parse (MARK ("\"kind\":\"box\",\"points\":[[0,1],[1,0]],"
                              "\"future\":{\"a\":[1,{\"b\":null}]}"),
                        &msg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (msg.mark.color, ==, SL_GUIDE_COLOR_YELLOW);
  g_assert_cmpfloat (msg.mark.width, ==, 1.0);
  g_assert_cmpint (msg.mark.ttl_ms, ==, 0);
  g_assert_cmpfloat (msg.mark.points[0].y, ==, 1.0);
  /* A hidden pointer needs no position; its colour defaults to cyan. */
  g_assert_true (parse ("{" ENV "\"type\":\"pointer\",\"seq\":3,"
                        "\"visible\":false}",
                        &msg, &error));
  g_assert_false (msg.pointer.visible);
  g_assert_cmpint (msg.pointer.color, ==, SL_GUIDE_COLOR_CYAN);
  /* A reason from a later version is still a nack. */
  g_assert_true (
      parse ("{" ENV "\"type\":\"nack\",\"reason\":\"tired\"}", &msg, &error));
  g_assert_cmpint (msg.nack.reason, ==, SL_GUIDE_REASON_OTHER);
  g_assert_null (msg.nack.detail);
  /* A cue's default display time. */
  g_assert_true (parse ("{" ENV "\"type\":\"cue\",\"cue\":\"compress\","
                        "\"dir\":\"press\"}",
                        &msg, &error));
  g_assert_cmpint (msg.cue.duration_ms, ==, SL_GUIDE_DEFAULT_DURATION_MS);
}

/* What json-glib reads leniently and strict JSON (RFC 8259) refuses:
 * before the check, "\377" came through as a raw 0xff byte, "\0" cut a
 * label short ("v=0\0HIDDEN" read as "v=0"), "\q" read as "q", and of two
 * "type" members the last won. */
static void
test_strict_json (void)
{
  static const gchar *const refused[] = {
    MARK ("\"kind\":\"text\",\"points\":[[0,0]],\"text\":\"a\\377b\""),
    MARK ("\"kind\":\"text\",\"points\":[[0,0]],"
          "\"text\":\"v=0\\0HIDDEN\""),
    MARK ("\"kind\":\"text\",\"points\":[[0,0]],\"text\":\"a\\qb\""),
    "{" ENV "\"type\":\"undo\",\"type\":\"clear\"}",
    "{" ENV "\"type\":\"delete\",\"id\":\"a\",\"i\\u0064\":\"b\"}",
    MARK ("\"kind\":\"text\",\"points\":[[0,0]],\"text\":\"a\tb\""),
    MARK ("\"kind\":\"text\",\"points\":[[0,0]],\"text\":\"\\ud800\""),
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;
      g_auto (SlGuideMsg) msg = { 0 };

      if (g_test_verbose ())
        g_printerr ("%s\n", refused[i]);
      g_assert_false (parse (refused[i], &msg, &error));
      g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_MALFORMED);
    }
}

static void
test_error_names_no_value (void)
{
  g_autoptr (GError) error = NULL;
  g_auto (SlGuideMsg) msg = { 0 };

  /* Errors name the member, never echo what the peer put in it. */
  g_assert_false (parse ("{" ENV "\"type\":\"delete\",\"id\":\"secret id\"}",
                         &msg, &error));
  g_assert_nonnull (strstr (error->message, "\"id\""));
  g_assert_null (strstr (error->message, "secret"));
}

static void
test_helpers (void)
{
  g_assert_cmpstr (sl_guide_channel_for (SL_GUIDE_POINTER), ==, "sl-pointer");
  g_assert_cmpstr (sl_guide_channel_for (SL_GUIDE_MARK), ==, "sl-guide");
  g_assert_cmpstr (sl_guide_channel_for (SL_GUIDE_STILL_CHUNK), ==, "sl-guide");
  g_assert_cmpstr (sl_guide_type_name (SL_GUIDE_STILL_META), ==, "still_meta");
  g_assert_cmpstr (sl_guide_type_name ((SlGuideType)99), ==, "unknown");
  g_assert_true (sl_guide_cue_allows (SL_GUIDE_CUE_TILT, SL_GUIDE_DIR_DOWN));
  g_assert_false (sl_guide_cue_allows (SL_GUIDE_CUE_TILT, SL_GUIDE_DIR_LEFT));
  g_assert_true (sl_guide_id_is_valid ("3f9a-1c2e:7_x.y"));
  g_assert_false (sl_guide_id_is_valid ("a/b"));
  g_assert_false (sl_guide_id_is_valid (""));
  g_assert_false (sl_guide_id_is_valid (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/guide/round-trip", test_round_trip);
  g_test_add_func ("/guide/round-trip-allocated", test_round_trip_allocated);
  g_test_add_func ("/guide/rejects", test_rejects);
  g_test_add_func ("/guide/limits", test_limits);
  g_test_add_func ("/guide/tolerance", test_tolerance);
  g_test_add_func ("/guide/strict-json", test_strict_json);
  g_test_add_func ("/guide/error-names-no-value", test_error_names_no_value);
  g_test_add_func ("/guide/helpers", test_helpers);
  return g_test_run ();
}
