/* sl-hub-web.h — the static files sonolink-hub serves at "/".
 *
 * With --web-root DIR the hub serves the web station's files from DIR
 * (GET and HEAD only); without it, "/" answers with a short text page
 * saying where the WebSocket endpoint is.  Files are read on the main
 * thread: they are the few small files of a browser client, not a media
 * library, and are opened so that nothing there can block (a FIFO, a
 * symbolic link swapped in).  Not thread-safe.
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _SlHubWeb SlHubWeb;

/* @root: a directory, or NULL for no static files.  Returns (transfer
 * full) a web handler; a @root that cannot be resolved serves nothing. */
SlHubWeb *sl_hub_web_new (const gchar *root);
void sl_hub_web_free (SlHubWeb *web);

/* Answers a GET or HEAD request for @path. */
void sl_hub_web_respond (SlHubWeb *web, SoupServerMessage *msg,
                         const gchar *path);

/* Maps the request @path to a regular file inside the directory
 * @root_real (an absolute path without symlinks), or returns NULL: for a
 * "." or ".." segment, a hidden file, a backslash, a symlink leading out
 * of the root, or anything that is not a readable regular file.  A
 * directory maps to its index.html.  Returns (transfer full). */
gchar *sl_hub_web_resolve (const gchar *root_real, const gchar *path);

/* Reads @file, a path sl_hub_web_resolve() returned for @root_real,
 * opening it again beneath the root without following symbolic links and
 * without blocking: FALSE unless what was opened is a regular file of at
 * most 32 MiB (it may have been swapped since it was resolved).  On
 * success *@contents (transfer full, NUL-terminated) holds *@len bytes. */
gboolean sl_hub_web_read_file (const gchar *root_real, const gchar *file,
                               gchar **contents, gsize *len);

/* The Content-Type for @filename, by extension. */
const gchar *sl_hub_web_content_type (const gchar *filename);

G_END_DECLS
