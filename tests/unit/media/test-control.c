/* test-control.c — the control-channel codec of sl-control.h. */
#include "sl-control.h"

#include <math.h>

#include <string.h>

static gboolean
parse (const gchar *text, SlControlMsg *msg, GError **error)
{
  return sl_control_parse (text, strlen (text), msg, error);
}

static void
test_round_trip (void)
{
  SlControlMsg in[] = {
    { SL_CONTROL_PING, 1, -1, -1, -1 },
    { SL_CONTROL_PONG, G_MAXINT64, -1, -1, -1 },
    { SL_CONTROL_PING, 7, 4.25, -1, -1 },
    { SL_CONTROL_PING, 0, SL_CONTROL_MAX_SEND_MS, -1, -1 },
    /* The expert's loss figures. */
    { SL_CONTROL_PING, 9, -1, 12.5, 11.25 },
    { SL_CONTROL_PING, 10, -1, 100, 0 },
    { SL_CONTROL_PING, 11, -1, 3.5, -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    {
      g_autofree gchar *text = sl_control_serialize (&in[i]);
      g_autoptr (GError) error = NULL;
      SlControlMsg out;

      g_assert_true (parse (text, &out, &error));
      g_assert_no_error (error);
      g_assert_cmpint (out.type, ==, in[i].type);
      g_assert_cmpuint (out.seq, ==, in[i].seq);
      g_assert_cmpfloat_with_epsilon (out.send_ms, in[i].send_ms, 1e-9);
      g_assert_cmpfloat_with_epsilon (out.lost_pct, in[i].lost_pct, 1e-9);
      g_assert_cmpfloat_with_epsilon (out.repaired_pct, in[i].repaired_pct,
                                      1e-9);
    }
}

/* What the expert sends is what the township reads, and reads back the
 * same: loss figures at a hundredth, the repair never above the loss. */
static void
test_loss_text_stable (void)
{
  static const gdouble lost[] = { 8.125, 8.12, 0.29, 99.999, 100, 0.005 };

  for (guint i = 0; i < G_N_ELEMENTS (lost); i++)
    {
      SlControlMsg msg = { SL_CONTROL_PING, 1, -1, lost[i], lost[i] };
      SlControlMsg back;
      g_autofree gchar *text = sl_control_serialize (&msg);
      g_autofree gchar *again = NULL;

      g_assert_true (parse (text, &back, NULL));
      again = sl_control_serialize (&back);
      g_assert_cmpstr (again, ==, text);
      g_assert_cmpfloat (back.repaired_pct, <=, back.lost_pct);
      g_assert_cmpfloat (fabs (back.lost_pct - MIN (lost[i], 100)), <, 0.0051);
    }
}

static void
test_rejects (void)
{
  static const struct
  {
    const gchar *text;
    gint code;
  } bad[] = {
    { "", SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\"", SL_CONTROL_ERROR_MALFORMED },
    { "[\"ping\",1]", SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":1,\"seq\":1}", SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":{\"a\":1},\"seq\":1}", SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\",\"seq\":\"1\"}", SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\",\"seq\":-3}", SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\",\"seq\":1.5}", SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\"}", SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\",\"seq\":1,\"send_ms\":-1}",
      SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\",\"seq\":1,\"send_ms\":1e308}",
      SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\",\"seq\":1,\"send_ms\":\"4\"}",
      SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\",\"seq\":1,\"lost_pct\":101}",
      SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\",\"seq\":1,\"lost_pct\":\"3\"}",
      SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\",\"seq\":1,\"lost_pct\":-0.5}",
      SL_CONTROL_ERROR_MALFORMED },
    /* A repair without a loss, or above it. */
    { "{\"type\":\"ping\",\"seq\":1,\"repaired_pct\":2}",
      SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"ping\",\"seq\":1,\"lost_pct\":2,\"repaired_pct\":3}",
      SL_CONTROL_ERROR_MALFORMED },
    { "{\"type\":\"annotate\",\"seq\":1}", SL_CONTROL_ERROR_UNKNOWN_TYPE },
    { "{\"type\":\"pi\\u0000ng\",\"seq\":1}", SL_CONTROL_ERROR_MALFORMED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      SlControlMsg msg;

      g_assert_false (parse (bad[i].text, &msg, &error));
      g_assert_error (error, SL_CONTROL_ERROR, bad[i].code);
    }
}

static void
test_limits (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *big = g_strnfill (SL_CONTROL_MAX_SIZE + 1, ' ');
  static const gchar with_nul[] = "{\"type\":\"ping\",\"seq\":1}\0x";
  SlControlMsg msg;

  g_assert_false (sl_control_parse (big, strlen (big), &msg, &error));
  g_assert_error (error, SL_CONTROL_ERROR, SL_CONTROL_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_false (
      sl_control_parse (with_nul, sizeof with_nul - 1, &msg, &error));
  g_assert_error (error, SL_CONTROL_ERROR, SL_CONTROL_ERROR_MALFORMED);
  g_clear_error (&error);
  /* Unknown members are ignored; send_ms on a pong is not read. */
  g_assert_true (parse ("{\"type\":\"pong\",\"seq\":3,\"send_ms\":4,"
                        "\"x\":[1,{\"y\":2}]}",
                        &msg, &error));
  g_assert_cmpint (msg.type, ==, SL_CONTROL_PONG);
  g_assert_cmpfloat (msg.send_ms, <, 0);
}

/* Strict JSON (RFC 8259) before json-glib: before the check, "\377" came
 * through as a raw byte, "\0" cut a string short, "\q" read as "q", and
 * of two "seq" members the last won. */
static void
test_strict_json (void)
{
  static const gchar *const refused[] = {
    "{\"type\":\"ping\",\"seq\":1,\"x\":\"a\\377b\"}",
    "{\"type\":\"pi\\0ng\",\"seq\":1}",
    "{\"type\":\"ping\",\"seq\":1,\"x\":\"a\\qb\"}",
    "{\"type\":\"ping\",\"seq\":1,\"seq\":2}",
    "{\"type\":\"ping\",\"type\":\"pong\",\"seq\":1}",
    "{\"type\":\"ping\",\"seq\":1,\"x\":[[[[[[[[[1]]]]]]]]]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;
      SlControlMsg msg;

      g_assert_false (parse (refused[i], &msg, &error));
      g_assert_error (error, SL_CONTROL_ERROR, SL_CONTROL_ERROR_MALFORMED);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/control/round-trip", test_round_trip);
  g_test_add_func ("/control/loss-text-stable", test_loss_text_stable);
  g_test_add_func ("/control/rejects", test_rejects);
  g_test_add_func ("/control/limits", test_limits);
  g_test_add_func ("/control/strict-json", test_strict_json);
  return g_test_run ();
}
