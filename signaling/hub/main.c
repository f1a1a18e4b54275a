/* main.c — sonolink-hub: the signalling hub of sonolink.
 *
 * Dispatches to a command (serve, token, secret; serve when none is named)
 * and installs the log writer: every log line goes to stderr, so that
 * stdout carries only what scripts read (the "listening on" line, a
 * token).  Debug messages of the sl-* domains appear with --verbose.
 */
#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "sl-config.h"
#include "sl-hub-cli.h"
#include "sl-proto.h"

static gboolean verbose_logging;

void
sl_hub_cli_set_verbose (gboolean verbose)
{
  verbose_logging = verbose;
}

void
sl_hub_cli_print_version (void)
{
  g_print ("sonolink-hub %s (signalling protocol %d)\n", SL_VERSION,
           SL_PROTO_VERSION);
}

static const gchar *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "error";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "critical";
  if (level & G_LOG_LEVEL_WARNING)
    return "warning";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "info";
  if (level & G_LOG_LEVEL_INFO)
    return "info";
  return "debug";
}

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
            gpointer user_data)
{
  const gchar *message = "", *domain = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autofree gchar *stamp = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
        message = fields[i].value;
      else if (g_str_equal (fields[i].key, "GLIB_DOMAIN")
               && fields[i].length < 0)
        domain = fields[i].value;
    }
  if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
      && !(verbose_logging && domain && g_str_has_prefix (domain, "sl-")))
    return G_LOG_WRITER_HANDLED;

  now = g_date_time_new_now_local ();
  stamp = g_date_time_format (now, "%H:%M:%S.%f");
  /* Three decimals are enough to order events; %f gives six. */
  if (stamp != NULL && strlen (stamp) > 12)
    stamp[12] = '\0';
  fprintf (stderr, "%s sonolink-hub %s%s%s: %s\n", stamp ? stamp : "",
           domain && !g_str_equal (domain, "sl-hub") ? domain : "",
           domain && !g_str_equal (domain, "sl-hub") ? " " : "",
           level_name (level), message);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_log_set_writer_func (log_writer, NULL, NULL);

  if (argc >= 2 && g_str_equal (argv[1], "token"))
    return sl_hub_cmd_token (argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "secret"))
    return sl_hub_cmd_secret (argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "serve"))
    return sl_hub_cmd_serve (argc - 1, argv + 1);
  if (argc >= 2 && argv[1][0] != '-')
    {
      g_printerr ("sonolink-hub: unknown command '%s'; the commands are "
                  "serve, token and secret (see sonolink-hub --help)\n",
                  argv[1]);
      return SL_HUB_EXIT_USAGE;
    }
  return sl_hub_cmd_serve (argc, argv);
}
