/* sl-hub-serve.c — `sonolink-hub serve`: run the hub.
 *
 * Every check that can refuse the configuration (secret, TLS policy,
 * limits, files) runs before the socket is bound, so a refused hub never
 * listens, not even for a moment.  Once listening it prints one line on
 * stdout for scripts and, with --port-file, writes the bound port
 * atomically (a temporary file renamed into place), so a reader never sees
 * a half-written number.
 */
#include <glib-unix.h>
#include <gio/gio.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

#include "sl-config.h"
#include "sl-hub-accept.h"
#include "sl-hub-cli.h"
#include "sl-hub-limits.h"
#include "sl-hub-listen.h"
#include "sl-hub-server.h"
#include "sl-hub.h"
#include "sl-proto.h"

#define DEFAULT_LISTEN "127.0.0.1:8443"

/* How long a shutdown waits for stations to answer the close handshake. */
#define SHUTDOWN_TIMEOUT_MS 2000

#define MIN_MESSAGE_SIZE 1024
#define MAX_RATE 100000.0
#define MAX_HELLO_TIMEOUT_S 3600
#define MAX_CONNECTIONS 1000000
/* A queue must hold at least a few messages of the largest size. */
#define MIN_QUEUED_KIB 256
#define MAX_QUEUED_KIB (1024 * 1024)

typedef struct
{
  gchar *listen;
  gchar *secret;
  gchar *tls_cert;
  gchar *tls_key;
  gboolean insecure;
  gchar *web_root;
  gchar *port_file;
  gint max_message_size;
  gdouble rate;
  gint burst;
  gint hello_timeout;
  gint max_connections;
  gint max_per_source;
  gint tls_timeout;
  gint request_timeout;
  gint idle_timeout;
  gint max_queued_kib;
  gboolean verbose;
  gboolean version;
} ServeOptions;

static void
serve_options_clear (ServeOptions *opt)
{
  g_free (opt->listen);
  g_free (opt->secret);
  g_free (opt->tls_cert);
  g_free (opt->tls_key);
  g_free (opt->web_root);
  g_free (opt->port_file);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ServeOptions, serve_options_clear)

static GOptionContext *
serve_context (ServeOptions *opt)
{
  const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &opt->listen,
      "Address and port: 127.0.0.1:PORT, [::1]:PORT, localhost:PORT or "
      "any IP literal; port 0 picks a free port (default " DEFAULT_LISTEN ")",
      "ADDR:PORT" },
    { "secret", 's', 0, G_OPTION_ARG_FILENAME, &opt->secret,
      "File holding the token secret (required; see `sonolink-hub "
      "secret`)",
      "FILE" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &opt->tls_cert,
      "PEM certificate (chain) for wss://; needs --tls-key", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &opt->tls_key,
      "PEM private key of --tls-cert", "FILE" },
    { "insecure", 0, 0, G_OPTION_ARG_NONE, &opt->insecure,
      "Allow plain ws:// on a non-loopback address (closed test networks "
      "only: tokens travel unencrypted)",
      NULL },
    { "web-root", 0, 0, G_OPTION_ARG_FILENAME, &opt->web_root,
      "Serve the static files of this directory at / (default: the "
      "browser station installed with the hub; `none`: no files)",
      "DIR" },
    { "port-file", 0, 0, G_OPTION_ARG_FILENAME, &opt->port_file,
      "Write the bound port number to FILE once listening", "FILE" },
    { "max-message-size", 0, 0, G_OPTION_ARG_INT, &opt->max_message_size,
      "Largest signalling message accepted, 1024-65536 (default 65536)",
      "BYTES" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt->rate,
      "Sustained messages per second allowed per connection (default 50)",
      "MSGS_PER_S" },
    { "burst", 0, 0, G_OPTION_ARG_INT, &opt->burst,
      "Messages a connection may send at once above the rate (default "
      "200)",
      "N" },
    { "hello-timeout", 0, 0, G_OPTION_ARG_INT, &opt->hello_timeout,
      "Seconds a new connection has to send its hello (default 10)", "S" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &opt->max_connections,
      "Connections held at once, in all (default 512); more are closed "
      "at once",
      "N" },
    { "max-connections-per-source", 0, 0, G_OPTION_ARG_INT,
      &opt->max_per_source,
      "Connections held at once from one IPv4 address or IPv6 /64 "
      "(default 64)",
      "N" },
    { "tls-timeout", 0, 0, G_OPTION_ARG_INT, &opt->tls_timeout,
      "Seconds a connection has to finish its TLS handshake (default 10)",
      "S" },
    { "request-timeout", 0, 0, G_OPTION_ARG_INT, &opt->request_timeout,
      "Seconds a connection has to send a complete HTTP request head "
      "(default 10)",
      "S" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &opt->idle_timeout,
      "Seconds a plain HTTP exchange may last after its request (default "
      "30; WebSockets are kept alive by pings instead)",
      "S" },
    { "max-queued", 0, 0, G_OPTION_ARG_INT, &opt->max_queued_kib,
      "KiB the hub queues toward a station that does not read before "
      "closing it with 4507 (default 1024)",
      "KIB" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt->verbose,
      "Log debug messages too", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &opt->version,
      "Print the version and exit", NULL },
    { NULL },
  };
  GOptionContext *context = g_option_context_new ("- the sonolink "
                                                  "signalling hub");

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (
      context, "Commands:\n"
               "  serve    run the hub (the default; these options)\n"
               "  token    print a token for a room and a role "
               "(sonolink-hub token --help)\n"
               "  secret   create a secret file (sonolink-hub secret --help)");
  g_option_context_set_description (
      context,
      "The hub relays SDP and ICE between the stations of a room over\n"
      "WebSocket (/ws), answers health checks (/healthz) and may serve a\n"
      "directory of static files (--web-root).  Plain ws:// is allowed on\n"
      "loopback only.\n"
      "Exit status: 0 after SIGINT/SIGTERM, 1 if it could not listen,\n"
      "2 if the options, the secret or the TLS files were refused.\n"
      "See docs/sonolink-hub.md.");
  return context;
}

/* The connection limits and deadlines (sl-hub-accept.h). */
static gboolean
check_connection_limits (const ServeOptions *opt, GError **error)
{
  const struct
  {
    const gchar *name;
    gint value, min, max;
  } checks[] = {
    { "--max-connections", opt->max_connections, 1, MAX_CONNECTIONS },
    { "--max-connections-per-source", opt->max_per_source, 1, MAX_CONNECTIONS },
    { "--tls-timeout", opt->tls_timeout, 1, MAX_HELLO_TIMEOUT_S },
    { "--request-timeout", opt->request_timeout, 1, MAX_HELLO_TIMEOUT_S },
    { "--idle-timeout", opt->idle_timeout, 1, MAX_HELLO_TIMEOUT_S },
    { "--max-queued", opt->max_queued_kib, MIN_QUEUED_KIB, MAX_QUEUED_KIB },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (checks); i++)
    if (checks[i].value < checks[i].min || checks[i].value > checks[i].max)
      {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "%s must be between %d and %d", checks[i].name,
                     checks[i].min, checks[i].max);
        return FALSE;
      }
  return TRUE;
}

/* Checks the numeric options; FALSE with an explanation if one is out of
 * range. */
static gboolean
check_limits (const ServeOptions *opt, GError **error)
{
  if (opt->max_message_size < MIN_MESSAGE_SIZE
      || opt->max_message_size > SL_PROTO_MAX_MESSAGE_SIZE)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--max-message-size must be between %d and %d bytes",
                 MIN_MESSAGE_SIZE, SL_PROTO_MAX_MESSAGE_SIZE);
  else if (!(opt->rate > 0 && opt->rate <= MAX_RATE))
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--rate must be above 0 and at most %.0f messages a second",
                 MAX_RATE);
  else if (opt->burst < 1)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--burst must be at least 1");
  else if (opt->hello_timeout < 1 || opt->hello_timeout > MAX_HELLO_TIMEOUT_S)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--hello-timeout must be between 1 and %d seconds",
                 MAX_HELLO_TIMEOUT_S);
  else
    return check_connection_limits (opt, error);
  return FALSE;
}

/* Loads --tls-cert/--tls-key, or sets *@certificate to NULL without
 * either.  One without the other is an error. */
static gboolean
load_tls (const ServeOptions *opt, GTlsCertificate **certificate,
          GError **error)
{
  g_autoptr (GError) tls_error = NULL;

  *certificate = NULL;
  if (opt->tls_cert == NULL && opt->tls_key == NULL)
    return TRUE;
  if (opt->tls_cert == NULL || opt->tls_key == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--tls-cert and --tls-key go together; give both");
      return FALSE;
    }
  *certificate = g_tls_certificate_new_from_files (opt->tls_cert, opt->tls_key,
                                                   &tls_error);
  if (*certificate == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "cannot load the TLS certificate '%s' with key '%s': %s",
                   opt->tls_cert, opt->tls_key, tls_error->message);
      return FALSE;
    }
  return TRUE;
}

/* Everything that may refuse the configuration, in the order a user would
 * fix it.  Nothing here touches the network. */
static gboolean
check_config (const ServeOptions *opt, SlHubListen *listen, GBytes **secret,
              GTlsCertificate **certificate, GError **error)
{
  if (opt->secret == NULL)
    {
      g_set_error (
          error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "--secret FILE is required (create one with `sonolink-hub secret "
          "--out FILE`)");
      return FALSE;
    }
  if (!sl_hub_listen_parse (opt->listen ? opt->listen : DEFAULT_LISTEN, listen,
                            error)
      || !check_limits (opt, error) || !load_tls (opt, certificate, error)
      || !sl_hub_listen_check_tls (listen, *certificate != NULL, opt->insecure,
                                   error))
    return FALSE;
  if (opt->web_root != NULL && g_strcmp0 (opt->web_root, "none") != 0
      && !g_file_test (opt->web_root, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
                   "--web-root '%s' is not a directory", opt->web_root);
      return FALSE;
    }
  *secret = sl_hub_cli_load_secret (opt->secret, error);
  return *secret != NULL;
}

static gboolean
write_port_file (const gchar *path, guint port, GError **error)
{
  g_autofree gchar *text = g_strdup_printf ("%u\n", port);

  /* CONSISTENT writes a temporary file and renames it over @path. */
  return g_file_set_contents_full (path, text, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static gboolean
on_signal (gpointer user_data)
{
  g_message ("signal received; shutting down");
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/* The directory served at "/": --web-root's, none for `none`, else the
 * browser station (client/web).  A hub that runs from its build tree
 * serves the source tree's copy, so that the tests and a developer see the
 * files of this checkout; an installed hub serves the installed copy.  No
 * copy there is no error: the hub then serves signalling only. */
static gchar *
default_web_root (const gchar *given)
{
  g_autofree gchar *exe = NULL;
  const gchar *dir = SL_WEB_ROOT;

  if (given != NULL)
    return g_strcmp0 (given, "none") == 0 ? NULL : g_strdup (given);
  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe != NULL && g_str_has_prefix (exe, SL_BUILD_ROOT "/"))
    dir = SL_SOURCE_WEB_ROOT;
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_message ("no browser station at %s: serving signalling only", dir);
      return NULL;
    }
  return g_strdup (dir);
}

/* Descriptors the hub needs besides its client connections: standard
 * streams, listening sockets, the main loop's own, a web file. */
#define FD_RESERVE 32

/* A limit of descriptors below --max-connections makes accept() fail
 * before the hub's own limit applies.  The hub recovers from that, but an
 * operator should know. */
static void
warn_about_fd_limit (const ServeOptions *opt)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
      && limit.rlim_cur < (rlim_t)opt->max_connections + FD_RESERVE)
    g_warning ("the limit of open files (%lu) is below --max-connections "
               "(%d) + %d: beyond about %lu connections accept() will fail "
               "until some close; raise it (ulimit -n) or lower "
               "--max-connections",
               (gulong)limit.rlim_cur, opt->max_connections, FD_RESERVE,
               (gulong)(limit.rlim_cur > FD_RESERVE
                            ? limit.rlim_cur - FD_RESERVE
                            : 0));
}

/* Listens, announces, and runs until a signal arrives. */
static int
run (SlHubServer *server, const SlHubListen *listen, gboolean tls,
     const ServeOptions *opt)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *url = NULL;
  guint port = 0, sigint, sigterm;

  if (!sl_hub_server_listen (server, listen, &port, &error))
    {
      g_printerr ("sonolink-hub: %s\n", error->message);
      return SL_HUB_EXIT_FAILURE;
    }
  url = sl_hub_listen_url (listen, tls, port);
  g_print ("sonolink-hub: listening on %s\n", url);
  fflush (stdout);
  if (opt->port_file != NULL && !write_port_file (opt->port_file, port, &error))
    {
      g_printerr ("sonolink-hub: cannot write the port file: %s\n",
                  error->message);
      return SL_HUB_EXIT_FAILURE;
    }
  g_message ("sonolink-hub %s listening on %s (protocol %d)", SL_VERSION, url,
             SL_PROTO_VERSION);
  warn_about_fd_limit (opt);

  sigint = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  sl_hub_server_shutdown (server, SHUTDOWN_TIMEOUT_MS);
  return SL_HUB_EXIT_OK;
}

int
sl_hub_cmd_serve (int argc, char **argv)
{
  g_auto (ServeOptions) opt = {
    .max_message_size = SL_PROTO_MAX_MESSAGE_SIZE,
    .rate = SL_HUB_DEFAULT_RATE,
    .burst = SL_HUB_DEFAULT_BURST,
    .hello_timeout = SL_HUB_SERVER_HELLO_TIMEOUT_S,
    .max_connections = SL_HUB_DEFAULT_MAX_CONNECTIONS,
    .max_per_source = SL_HUB_DEFAULT_MAX_PER_SOURCE,
    .tls_timeout = SL_HUB_DEFAULT_TLS_TIMEOUT_S,
    .request_timeout = SL_HUB_DEFAULT_REQUEST_TIMEOUT_S,
    .idle_timeout = SL_HUB_DEFAULT_IDLE_TIMEOUT_S,
    .max_queued_kib = SL_HUB_SERVER_DEFAULT_MAX_QUEUED / 1024,
  };
  g_autoptr (GOptionContext) context = serve_context (&opt);
  g_auto (SlHubListen) listen = { 0 };
  g_autoptr (GBytes) secret = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (SlHubServer) server = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *web_root = NULL;

  g_set_prgname ("sonolink-hub");
  if (!sl_hub_cli_parse (context, "serve", &argc, &argv))
    return SL_HUB_EXIT_USAGE;
  if (opt.version)
    {
      sl_hub_cli_print_version ();
      return SL_HUB_EXIT_OK;
    }
  sl_hub_cli_set_verbose (opt.verbose);
  if (!check_config (&opt, &listen, &secret, &certificate, &error))
    {
      g_printerr ("sonolink-hub: %s\n", error->message);
      return SL_HUB_EXIT_USAGE;
    }
  if (certificate == NULL && !sl_hub_listen_is_loopback (&listen))
    g_warning ("INSECURE: serving plain ws:// on %s because of --insecure; "
               "tokens and SDP cross the network unencrypted and can be "
               "stolen and replayed. Use --tls-cert/--tls-key.",
               listen.host);

  web_root = default_web_root (opt.web_root);
  server = sl_hub_server_new (&(SlHubServerConfig){
      .secret = secret,
      .certificate = certificate,
      .web_root = web_root,
      .max_message_size = (gsize)opt.max_message_size,
      .rate = opt.rate,
      .burst = (guint)opt.burst,
      .hello_timeout_s = (guint)opt.hello_timeout,
      .max_connections = (guint)opt.max_connections,
      .max_per_source = (guint)opt.max_per_source,
      .tls_timeout_s = (guint)opt.tls_timeout,
      .request_timeout_s = (guint)opt.request_timeout,
      .idle_timeout_s = (guint)opt.idle_timeout,
      .max_queued = (gsize)opt.max_queued_kib * 1024,
  });
  return run (server, &listen, certificate != NULL, &opt);
}
