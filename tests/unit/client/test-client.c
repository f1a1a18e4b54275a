/* Unit tests of the station's pure pieces: hub URL handling and back-off. */
#include "sl-backoff.h"
#include "sl-hub-client.h"

#include <string.h>

static void
check_url (const gchar *in, const gchar *expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *out = sl_hub_client_websocket_url (in, &error);

  if (expected == NULL)
    {
      g_assert_null (out);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "ws"));
    }
  else
    {
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, expected);
    }
}

static void
test_hub_url (void)
{
  check_url ("ws://127.0.0.1:8443", "ws://127.0.0.1:8443/ws");
  check_url ("ws://127.0.0.1:8443/", "ws://127.0.0.1:8443/ws");
  check_url ("wss://hub.example:8443", "wss://hub.example:8443/ws");
  check_url ("https://hub.example", "wss://hub.example/ws");
  check_url ("http://[::1]:9000", "ws://[::1]:9000/ws");
  check_url ("wss://hub.example:8443/sonolink/ws",
             "wss://hub.example:8443/sonolink/ws");
  check_url ("", NULL);
  check_url ("127.0.0.1:8443", NULL);
  check_url ("ftp://hub.example", NULL);
  check_url ("ws://", NULL);
  check_url ("not a url", NULL);
}

static void
test_backoff (void)
{
  /* Doubling from 0.5 s, capped at 8 s, spread ±20 %. */
  g_assert_cmpuint (sl_backoff_delay_ms (0, 0.5), ==, 500);
  g_assert_cmpuint (sl_backoff_delay_ms (1, 0.5), ==, 1000);
  g_assert_cmpuint (sl_backoff_delay_ms (3, 0.5), ==, 4000);
  g_assert_cmpuint (sl_backoff_delay_ms (4, 0.5), ==, 8000);
  g_assert_cmpuint (sl_backoff_delay_ms (40, 0.5), ==, 8000);
  g_assert_cmpuint (sl_backoff_delay_ms (G_MAXUINT, 0.5), ==, 8000);
  g_assert_cmpuint (sl_backoff_delay_ms (0, 0.0), ==, 400);
  g_assert_cmpuint (sl_backoff_delay_ms (0, 0.999999), >=, 599);
  g_assert_cmpuint (sl_backoff_delay_ms (4, 1.0), ==, 9600);
  /* Out-of-range jitter is clamped. */
  g_assert_cmpuint (sl_backoff_delay_ms (0, -3), ==, 400);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/hub-url", test_hub_url);
  g_test_add_func ("/client/backoff", test_backoff);
  return g_test_run ();
}
