/* sl-hub-cli.h — the commands of the sonolink-hub program.
 *
 * main.c picks a command from the first argument and hands it the rest;
 * each command parses its own options and returns the process's exit
 * status.  They run on the main thread only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses (docs/sonolink-hub.md). */
typedef enum
{
  SL_HUB_EXIT_OK = 0,
  SL_HUB_EXIT_FAILURE = 1, /* could not do it: bind, I/O, ... */
  SL_HUB_EXIT_USAGE = 2,   /* refused: bad options, secret, TLS policy */
} SlHubExit;

/* `sonolink-hub [serve] ...`: runs the hub until SIGINT or SIGTERM. */
int sl_hub_cmd_serve (int argc, char **argv);
/* `sonolink-hub token ...`: prints a token for a room and a role. */
int sl_hub_cmd_token (int argc, char **argv);
/* `sonolink-hub secret ...`: writes a new random secret file. */
int sl_hub_cmd_secret (int argc, char **argv);

/* Parses @argv with @context; on an error or a stray argument prints a
 * one-line explanation naming @command and returns FALSE. */
gboolean sl_hub_cli_parse (GOptionContext *context, const gchar *command,
                           int *argc, char ***argv);

/* Loads a secret file (sl_token_load_secret) and warns when other users
 * may read it. */
GBytes *sl_hub_cli_load_secret (const gchar *path, GError **error);

/* Prints "sonolink-hub VERSION (signalling protocol N)" on stdout. */
void sl_hub_cli_print_version (void);

/* Shows debug messages of the sl-* log domains. */
void sl_hub_cli_set_verbose (gboolean verbose);

G_END_DECLS
