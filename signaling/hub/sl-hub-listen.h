/* sl-hub-listen.h — the hub's --listen address and the policy tied to it.
 *
 * "ADDR:PORT" where ADDR is an IPv4 literal, a bracketed IPv6 literal
 * ("[::1]:8443") or "localhost".  Host names are refused on purpose: the
 * decision "is this loopback?" must not depend on a resolver.  The policy
 * that goes with it: plain ws:// only on loopback; any other address needs
 * TLS, or --insecure as an explicit, logged choice.  Pure functions with
 * no I/O, callable from any thread.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *host;           /* as it appears in a URL: "127.0.0.1", "[::1]" */
  guint16 port;          /* 0 = let the kernel choose */
  gboolean is_localhost; /* "localhost": every loopback address */
  GInetAddress *address; /* the literal, or NULL for localhost */
} SlHubListen;

/* Parses @text into @listen (cleared first).  Returns FALSE with a
 * G_IO_ERROR_INVALID_ARGUMENT error a user can act on. */
gboolean sl_hub_listen_parse (const gchar *text, SlHubListen *listen,
                              GError **error);

void sl_hub_listen_clear (SlHubListen *listen);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SlHubListen, sl_hub_listen_clear)

/* TRUE for localhost, 127.0.0.0/8 and ::1. */
gboolean sl_hub_listen_is_loopback (const SlHubListen *listen);

/* Applies the TLS policy: FALSE with an error explaining the choices if
 * @listen is not loopback, @tls is FALSE and @insecure is FALSE. */
gboolean sl_hub_listen_check_tls (const SlHubListen *listen, gboolean tls,
                                  gboolean insecure, GError **error);

/* "ws://HOST:PORT" or "wss://HOST:PORT" (transfer full). */
gchar *sl_hub_listen_url (const SlHubListen *listen, gboolean tls, guint port);

G_END_DECLS
