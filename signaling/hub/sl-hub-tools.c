/* sl-hub-tools.c — `sonolink-hub token` and `sonolink-hub secret`, and the
 * helpers every command shares.
 *
 * A secret is 32 bytes from the kernel's random source, written as 64 hex
 * digits: text, so that it survives copying between machines, and the
 * hex text itself is the HMAC key (sl-token.h).  The file is created with
 * mode 0600 and O_EXCL, so an existing secret is never replaced by
 * accident (that would invalidate every token in circulation).
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl-hub-cli.h"
#include "sl-token.h"

#define SECRET_BYTES 32
#define DEFAULT_TTL "2h"

gboolean
sl_hub_cli_parse (GOptionContext *context, const gchar *command, int *argc,
                  char ***argv)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("sonolink-hub %s: %s\nRun 'sonolink-hub %s --help' to "
                  "see the options.\n",
                  command, error->message, command);
      return FALSE;
    }
  if (*argc > 1)
    {
      g_printerr ("sonolink-hub %s: unexpected argument '%s'\nRun "
                  "'sonolink-hub %s --help' to see the options.\n",
                  command, (*argv)[1], command);
      return FALSE;
    }
  return TRUE;
}

GBytes *
sl_hub_cli_load_secret (const gchar *path, GError **error)
{
  GBytes *secret = sl_token_load_secret (path, error);
  struct stat st;

  if (secret != NULL && stat (path, &st) == 0 && (st.st_mode & 077) != 0)
    g_warning ("the secret file '%s' can be read by other users (mode "
               "%04o); anyone who reads it can mint tokens: chmod 600 it",
               path, (guint)(st.st_mode & 07777));
  return secret;
}

/* ---- token ---- */

typedef struct
{
  gchar *secret;
  gchar *room;
  gchar *role;
  gchar *ttl;
  gboolean no_record;
} TokenOptions;

static void
token_options_clear (TokenOptions *opt)
{
  g_free (opt->secret);
  g_free (opt->room);
  g_free (opt->role);
  g_free (opt->ttl);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TokenOptions, token_options_clear)

static GOptionContext *
token_context (TokenOptions *opt)
{
  const GOptionEntry entries[] = {
    { "secret", 's', 0, G_OPTION_ARG_FILENAME, &opt->secret,
      "The hub's secret file (required)", "FILE" },
    { "room", 'r', 0, G_OPTION_ARG_STRING, &opt->room,
      "Room (consultation) name: 1-64 of A-Z a-z 0-9 - _ (required)", "NAME" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &opt->role,
      "township, expert, trainee or recorder (required; a recorder "
      "receives the township's picture and voice and records them: "
      "sonolink-expert --record DIR with this token)",
      "ROLE" },
    { "ttl", 't', 0, G_OPTION_ARG_STRING, &opt->ttl,
      "Lifetime: 90, 90s, 15m, 2h or 1d, at most 7d (default " DEFAULT_TTL ")",
      "DURATION" },
    { "no-record", 0, 0, G_OPTION_ARG_NONE, &opt->no_record,
      "Forbid recording: a station joining with this token may not record "
      "(its --record and R key are refused, the consultation goes on)",
      NULL },
    { NULL },
  };
  GOptionContext *context = g_option_context_new ("- print a room token");

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (
      context,
      "Prints a token granting ROLE in room NAME until the lifetime ends,\n"
      "signed with the secret; the token and a newline go to stdout.\n"
      "Give it to the station (e.g. its --token-file); treat it like a\n"
      "password until it expires.");
  return context;
}

/* Checks the token options; returns FALSE with a message on stderr. */
static gboolean
check_token_options (const TokenOptions *opt, SlRole *role, gint64 *ttl)
{
  if (opt->secret == NULL || opt->room == NULL || opt->role == NULL)
    g_printerr ("sonolink-hub token: --secret, --room and --role are "
                "required\n");
  else if (!sl_proto_id_is_valid (opt->room))
    g_printerr ("sonolink-hub token: the room name must be 1-%d characters "
                "from A-Z a-z 0-9 '-' '_'\n",
                SL_PROTO_MAX_ID_LEN);
  else if (!sl_role_from_name (opt->role, role))
    g_printerr ("sonolink-hub token: --role must be township, expert, "
                "trainee or recorder\n");
  else if (!sl_token_parse_ttl (opt->ttl ? opt->ttl : DEFAULT_TTL, ttl))
    g_printerr ("sonolink-hub token: --ttl must be a positive duration "
                "of at most 7 days, such as 90, 90s, 15m, 2h or 1d\n");
  else
    return TRUE;
  return FALSE;
}

int
sl_hub_cmd_token (int argc, char **argv)
{
  g_auto (TokenOptions) opt = { 0 };
  g_autoptr (GOptionContext) context = token_context (&opt);
  g_autoptr (GBytes) secret = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *token = NULL;
  SlRole role = SL_ROLE_TOWNSHIP;
  gint64 ttl = 0;

  g_set_prgname ("sonolink-hub token");
  if (!sl_hub_cli_parse (context, "token", &argc, &argv)
      || !check_token_options (&opt, &role, &ttl))
    return SL_HUB_EXIT_USAGE;
  secret = sl_hub_cli_load_secret (opt.secret, &error);
  if (secret != NULL)
    token = sl_token_mint_full (secret, opt.room, role,
                                g_get_real_time () / G_USEC_PER_SEC, ttl,
                                opt.no_record, &error);
  if (token == NULL)
    {
      g_printerr ("sonolink-hub token: %s\n", error->message);
      return SL_HUB_EXIT_USAGE;
    }
  g_print ("%s\n", token);
  return SL_HUB_EXIT_OK;
}

/* ---- secret ---- */

static gboolean
random_bytes (guint8 *buf, gsize len, GError **error)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = getrandom (buf + done, len - done, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "the kernel's random source failed: %s",
                       g_strerror (errno));
          return FALSE;
        }
      done += (gsize)n;
    }
  return TRUE;
}

/* Writes @text to a new file @path, which must not exist yet. */
static gboolean
write_new_file (const gchar *path, const gchar *text, GError **error)
{
  gsize len = strlen (text), done = 0;
  int fd
      = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot create '%s': %s%s", path, g_strerror (saved),
                   saved == EEXIST
                       ? " (use --force to replace it, which invalidates "
                         "every token signed with it)"
                       : "");
      return FALSE;
    }
  while (done < len)
    {
      ssize_t n = write (fd, text + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize)n;
    }
  if (done < len || fsync (fd) != 0)
    {
      int saved = errno;
      close (fd);
      unlink (path);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot write '%s': %s", path, g_strerror (saved));
      return FALSE;
    }
  if (close (fd) != 0)
    {
      int saved = errno;
      unlink (path);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot write '%s': %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

int
sl_hub_cmd_secret (int argc, char **argv)
{
  g_autofree gchar *out = NULL;
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
      "File to create, with mode 0600 (required)", "FILE" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      "Replace FILE if it exists (every token signed with the old secret "
      "stops working)",
      NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- create a secret file");
  g_autoptr (GError) error = NULL;
  guint8 bytes[SECRET_BYTES];
  g_autoptr (GString) text = g_string_new (NULL);
  gboolean ok;

  g_set_prgname ("sonolink-hub secret");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (
      context,
      "Writes 32 random bytes as 64 hex digits and a newline.  Give the\n"
      "file to `sonolink-hub serve --secret` and `sonolink-hub token`.");
  if (!sl_hub_cli_parse (context, "secret", &argc, &argv))
    return SL_HUB_EXIT_USAGE;
  if (out == NULL)
    {
      g_printerr ("sonolink-hub secret: --out FILE is required\n");
      return SL_HUB_EXIT_USAGE;
    }
  if (!random_bytes (bytes, sizeof bytes, &error))
    {
      g_printerr ("sonolink-hub secret: %s\n", error->message);
      return SL_HUB_EXIT_FAILURE;
    }
  for (gsize i = 0; i < sizeof bytes; i++)
    g_string_append_printf (text, "%02x", bytes[i]);
  g_string_append_c (text, '\n');
  if (force)
    ok = g_file_set_contents_full (out, text->str, (gssize)text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                   &error);
  else
    ok = write_new_file (out, text->str, &error);
  /* The secret lives on in the file only. */
  explicit_bzero (bytes, sizeof bytes);
  explicit_bzero (text->str, text->len);
  if (!ok)
    {
      g_printerr ("sonolink-hub secret: %s\n", error->message);
      return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS)
                 ? SL_HUB_EXIT_USAGE
                 : SL_HUB_EXIT_FAILURE;
    }
  return SL_HUB_EXIT_OK;
}
