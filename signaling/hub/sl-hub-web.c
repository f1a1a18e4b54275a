/* sl-hub-web.c — the static files sonolink-hub serves at "/".
 *
 * Path safety does not rest on string checks alone: after refusing dot
 * segments, the candidate is resolved with realpath() and must still lie
 * inside the root, which also stops a symlink placed in the web root from
 * exposing the rest of the disk.
 *
 * What was checked is not what is read unless the read checks again: the
 * file can be swapped between the two.  So the resolved path is opened
 * beneath the root with symbolic links refused (openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or O_NOFOLLOW on kernels before
 * 5.6), non-blocking — opening a FIFO with no writer would otherwise block
 * the hub's one thread, signals included — and served only if the
 * descriptor obtained is a regular file of acceptable size.
 */
#include "sl-hub-web.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sl-config.h"
#include "sl-proto.h"

/* Larger files are not part of a web client; refusing them bounds what one
 * request can make the hub read into memory. */
#define MAX_FILE_SIZE (32 * 1024 * 1024)

struct _SlHubWeb
{
  gchar *root_real; /* NULL: no static files */
};

static const struct
{
  const gchar *suffix;
  const gchar *type;
} content_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".htm", "text/html; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".mjs", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".json", "application/json" },
  { ".png", "image/png" },
  { ".svg", "image/svg+xml" },
  { ".ico", "image/x-icon" },
  { ".txt", "text/plain; charset=utf-8" },
  { ".wasm", "application/wasm" },
};

const gchar *
sl_hub_web_content_type (const gchar *filename)
{
  for (gsize i = 0; i < G_N_ELEMENTS (content_types); i++)
    if (g_str_has_suffix (filename, content_types[i].suffix))
      return content_types[i].type;
  return "application/octet-stream";
}

SlHubWeb *
sl_hub_web_new (const gchar *root)
{
  SlHubWeb *web = g_new0 (SlHubWeb, 1);
  char *real;

  if (root == NULL)
    return web;
  real = realpath (root, NULL);
  if (real == NULL)
    g_warning ("web root '%s' cannot be resolved (%s); serving no files", root,
               g_strerror (errno));
  else
    web->root_real = g_strdup (real);
  free (real);
  return web;
}

void
sl_hub_web_free (SlHubWeb *web)
{
  if (web == NULL)
    return;
  g_free (web->root_real);
  g_free (web);
}

/* realpath(), returning NULL unless the result lies inside @root_real. */
static gchar *
resolve_inside (const gchar *root_real, const gchar *candidate)
{
  char *real = realpath (candidate, NULL);
  gsize root_len = strlen (root_real);
  gchar *result = NULL;

  if (real != NULL && strncmp (real, root_real, root_len) == 0
      && (real[root_len] == '\0' || real[root_len] == '/'
          || (root_len > 0 && root_real[root_len - 1] == '/')))
    result = g_strdup (real);
  free (real);
  return result;
}

static gboolean
segment_is_safe (const gchar *segment)
{
  return segment[0] != '.' && strchr (segment, '\\') == NULL;
}

gchar *
sl_hub_web_resolve (const gchar *root_real, const gchar *path)
{
  g_auto (GStrv) parts = NULL;
  g_autoptr (GPtrArray) segments = g_ptr_array_new ();
  g_autofree gchar *candidate = NULL;
  g_autofree gchar *real = NULL;
  struct stat st;

  if (root_real == NULL || path == NULL || path[0] != '/')
    return NULL;
  parts = g_strsplit (path, "/", -1);
  g_ptr_array_add (segments, (gpointer)root_real);
  for (gchar **p = parts; *p != NULL; p++)
    {
      if ((*p)[0] == '\0')
        continue;
      if (!segment_is_safe (*p))
        return NULL;
      g_ptr_array_add (segments, *p);
    }
  g_ptr_array_add (segments, NULL);
  candidate = g_build_filenamev ((gchar **)segments->pdata);
  real = resolve_inside (root_real, candidate);
  if (real == NULL || stat (real, &st) != 0)
    return NULL;
  if (S_ISDIR (st.st_mode))
    {
      g_autofree gchar *index = g_build_filename (real, "index.html", NULL);
      g_free (real);
      real = resolve_inside (root_real, index);
      if (real == NULL || stat (real, &st) != 0)
        return NULL;
    }
  if (!S_ISREG (st.st_mode) || st.st_size > MAX_FILE_SIZE)
    return NULL;
  return g_steal_pointer (&real);
}

/* Opens @rel beneath the directory @dir_fd, refusing symbolic links. */
static int
open_beneath (int dir_fd, const gchar *rel)
{
  const int flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
  struct open_how how = {
    .flags = (guint64)flags,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
  };
  int fd = (int)syscall (SYS_openat2, dir_fd, rel, &how, sizeof how);

  if (fd < 0 && errno == ENOSYS)
    fd = openat (dir_fd, rel, flags);
  return fd;
}

/* Reads all of @fd (a regular file of @size bytes) into a new buffer. */
static gboolean
read_all (int fd, gsize size, gchar **contents, gsize *len)
{
  gchar *buf = g_malloc (size + 1);
  gsize done = 0;

  while (done < size)
    {
      ssize_t n = read (fd, buf + done, size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize)n;
    }
  buf[done] = '\0';
  *contents = buf;
  *len = done;
  return TRUE;
}

gboolean
sl_hub_web_read_file (const gchar *root_real, const gchar *file,
                      gchar **contents, gsize *len)
{
  gsize root_len = strlen (root_real);
  const gchar *rel = file + root_len;
  int dir_fd, fd;
  struct stat st;
  gboolean ok = FALSE;

  if (strncmp (file, root_real, root_len) != 0 || (*rel != '/' && *rel != 0))
    return FALSE;
  while (*rel == '/')
    rel++;
  dir_fd = open (root_real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return FALSE;
  fd = open_beneath (dir_fd, *rel ? rel : ".");
  close (dir_fd);
  if (fd < 0)
    return FALSE;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size >= 0
      && st.st_size <= MAX_FILE_SIZE)
    ok = read_all (fd, (gsize)st.st_size, contents, len);
  close (fd);
  return ok;
}

static void
respond_text (SoupServerMessage *msg, guint status, const gchar *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8",
                                    SOUP_MEMORY_COPY, text, strlen (text));
}

void
sl_hub_web_respond (SlHubWeb *web, SoupServerMessage *msg, const gchar *path)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree gchar *file = NULL;
  g_autofree gchar *page = NULL;
  gchar *contents = NULL;
  gsize len = 0;

  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  if (web->root_real == NULL)
    {
      if (g_strcmp0 (path, "/") != 0)
        {
          respond_text (msg, SOUP_STATUS_NOT_FOUND, "not found\n");
          return;
        }
      page = g_strdup_printf ("sonolink-hub %s\n\nWebSocket signalling: /ws "
                              "(protocol %d)\nHealth: /healthz\n",
                              SL_VERSION, SL_PROTO_VERSION);
      respond_text (msg, SOUP_STATUS_OK, page);
      return;
    }
  file = sl_hub_web_resolve (web->root_real, path);
  if (file == NULL
      || !sl_hub_web_read_file (web->root_real, file, &contents, &len))
    {
      respond_text (msg, SOUP_STATUS_NOT_FOUND, "not found\n");
      return;
    }
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, sl_hub_web_content_type (file),
                                    SOUP_MEMORY_TAKE, contents, len);
}
