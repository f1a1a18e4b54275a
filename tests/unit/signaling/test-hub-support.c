/* test-hub-support.c — the hub's small pure pieces: the token bucket, the
 * --listen parser with its TLS policy, and the static file resolver.
 */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sl-hub-listen.h"
#include "sl-hub-web.h"
#include "sl-ratelimit.h"

static void
test_rate_limit (void)
{
  SlRateLimit limit;
  gint64 t = 5 * G_USEC_PER_SEC;

  sl_rate_limit_init (&limit, 10, 3, t);
  for (guint i = 0; i < 3; i++)
    g_assert_true (sl_rate_limit_take (&limit, t));
  g_assert_false (sl_rate_limit_take (&limit, t));
  /* 10 a second: one token per 100 ms. */
  g_assert_false (sl_rate_limit_take (&limit, t + 90000));
  g_assert_true (sl_rate_limit_take (&limit, t + 100000));
  g_assert_false (sl_rate_limit_take (&limit, t + 100000));
  /* A long pause refills to the burst size, not beyond. */
  t += 60 * G_USEC_PER_SEC;
  for (guint i = 0; i < 3; i++)
    g_assert_true (sl_rate_limit_take (&limit, t));
  g_assert_false (sl_rate_limit_take (&limit, t));
  /* Time running backwards adds nothing. */
  g_assert_false (sl_rate_limit_take (&limit, t - G_USEC_PER_SEC));
}

static void
test_listen_parse (void)
{
  static const struct
  {
    const gchar *text;
    const gchar *host;
    guint port;
    gboolean loopback;
  } good[] = {
    { "127.0.0.1:8443", "127.0.0.1", 8443, TRUE },
    { "127.1.2.3:0", "127.1.2.3", 0, TRUE },
    { "[::1]:9000", "[::1]", 9000, TRUE },
    { "localhost:65535", "localhost", 65535, TRUE },
    { "LocalHost:1", "localhost", 1, TRUE },
    { "0.0.0.0:443", "0.0.0.0", 443, FALSE },
    { "[::]:443", "[::]", 443, FALSE },
    { "192.0.2.1:80", "192.0.2.1", 80, FALSE },
    { "[2001:db8::1]:80", "[2001:db8::1]", 80, FALSE },
  };
  static const gchar *bad[] = {
    "",
    "127.0.0.1",
    "127.0.0.1:",
    ":80",
    "127.0.0.1:65536",
    "127.0.0.1:-1",
    "127.0.0.1:8x",
    "::1:80",
    "[::1]80",
    "[::1",
    "[]:80",
    "example.org:443",
    "localhost.:80",
    "127.0.0.1:123456",
    "256.0.0.1:80",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_auto (SlHubListen) listen = { 0 };
      g_autoptr (GError) error = NULL;

      g_assert_true (sl_hub_listen_parse (good[i].text, &listen, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (listen.host, ==, good[i].host);
      g_assert_cmpuint (listen.port, ==, good[i].port);
      g_assert_cmpint (sl_hub_listen_is_loopback (&listen), ==,
                       good[i].loopback);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto (SlHubListen) listen = { 0 };
      g_autoptr (GError) error = NULL;

      if (sl_hub_listen_parse (bad[i], &listen, &error))
        g_error ("'%s' parsed", bad[i]);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_tls_policy (void)
{
  g_auto (SlHubListen) loop = { 0 };
  g_auto (SlHubListen) any = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *url = NULL;

  g_assert_true (sl_hub_listen_parse ("[::1]:0", &loop, NULL));
  g_assert_true (sl_hub_listen_parse ("0.0.0.0:0", &any, NULL));
  g_assert_true (sl_hub_listen_check_tls (&loop, FALSE, FALSE, NULL));
  g_assert_true (sl_hub_listen_check_tls (&any, TRUE, FALSE, NULL));
  g_assert_true (sl_hub_listen_check_tls (&any, FALSE, TRUE, NULL));
  g_assert_false (sl_hub_listen_check_tls (&any, FALSE, FALSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, "--tls-cert"));
  url = sl_hub_listen_url (&loop, TRUE, 8443);
  g_assert_cmpstr (url, ==, "wss://[::1]:8443");
}

static gchar *
make_file (const gchar *dir, const gchar *name, const gchar *text)
{
  gchar *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
test_web_resolve (void)
{
  g_autofree gchar *tmp = g_dir_make_tmp ("sl-web-XXXXXX", NULL);
  g_autofree gchar *root = g_build_filename (tmp, "root", NULL);
  g_autofree gchar *sub = g_build_filename (root, "sub", NULL);
  g_autofree gchar *secret = make_file (tmp, "secret", "s");
  g_autofree gchar *index = NULL, *app = NULL, *hidden = NULL;
  g_autofree gchar *sub_index = NULL, *link = NULL, *real_root = NULL;
  static const gchar *refused[] = {
    "/../secret", "/sub/../../secret", "/.hidden",
    "/sub/.",     "/sub/..",           "/link/secret",
    "/link",      "/missing.js",       "/sub\\..\\..\\secret",
    "",           "relative",
  };

  g_assert_cmpint (g_mkdir (root, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  index = make_file (root, "index.html", "<html>");
  app = make_file (root, "app.js", "1");
  hidden = make_file (root, ".hidden", "h");
  sub_index = make_file (sub, "index.html", "<html>");
  link = g_build_filename (root, "link", NULL);
  g_assert_cmpint (symlink (tmp, link), ==, 0);
  real_root = realpath (root, NULL);

  {
    g_autofree gchar *a = sl_hub_web_resolve (real_root, "/");
    g_autofree gchar *b = sl_hub_web_resolve (real_root, "/app.js");
    g_autofree gchar *c = sl_hub_web_resolve (real_root, "//sub/");
    g_assert_true (g_str_has_suffix (a, "/root/index.html"));
    g_assert_true (g_str_has_suffix (b, "/root/app.js"));
    g_assert_true (g_str_has_suffix (c, "/root/sub/index.html"));
  }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree gchar *path = sl_hub_web_resolve (real_root, refused[i]);
      if (path != NULL)
        g_error ("'%s' resolved to '%s'", refused[i], path);
    }
  g_assert_null (sl_hub_web_resolve (NULL, "/"));

  g_assert_cmpstr (sl_hub_web_content_type ("a.html"), ==,
                   "text/html; charset=utf-8");
  g_assert_cmpstr (sl_hub_web_content_type ("a.js"), ==,
                   "text/javascript; charset=utf-8");
  g_assert_cmpstr (sl_hub_web_content_type ("a.css"), ==,
                   "text/css; charset=utf-8");
  g_assert_cmpstr (sl_hub_web_content_type ("a.png"), ==, "image/png");
  g_assert_cmpstr (sl_hub_web_content_type ("a.svg"), ==, "image/svg+xml");
  g_assert_cmpstr (sl_hub_web_content_type ("a.json"), ==, "application/json");
  g_assert_cmpstr (sl_hub_web_content_type ("a.bin"), ==,
                   "application/octet-stream");

  g_unlink (link);
  g_unlink (sub_index);
  g_unlink (hidden);
  g_unlink (app);
  g_unlink (index);
  g_unlink (secret);
  g_rmdir (sub);
  g_rmdir (root);
  g_rmdir (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hub/rate-limit", test_rate_limit);
  g_test_add_func ("/hub/listen/parse", test_listen_parse);
  g_test_add_func ("/hub/listen/tls-policy", test_tls_policy);
  g_test_add_func ("/hub/web/resolve", test_web_resolve);
  return g_test_run ();
}
