/* sl-hub-listen.c — the hub's --listen address and the policy tied to it.
 *
 * The TLS rule exists because tokens travel in the hello: on a network
 * they must be encrypted, or anyone on the path can replay them until
 * they expire.  Loopback traffic never leaves the machine, so a hub behind
 * a local TLS-terminating proxy, and the tests, may use plain ws://.
 */
#include "sl-hub-listen.h"

#include <string.h>

static gboolean
invalid (GError **error, const gchar *text, const gchar *why)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "--listen '%s': %s; expected ADDR:PORT, e.g. 127.0.0.1:8443, "
               "[::1]:8443 or localhost:8443",
               text, why);
  return FALSE;
}

static gboolean
parse_port (const gchar *text, guint16 *port)
{
  guint64 value;

  if (text[0] == '\0' || strlen (text) > 5)
    return FALSE;
  for (const gchar *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  value = g_ascii_strtoull (text, NULL, 10);
  if (value > G_MAXUINT16)
    return FALSE;
  *port = (guint16)value;
  return TRUE;
}

/* Splits @text into a host (brackets removed) and a port string. */
static gboolean
split_host_port (const gchar *text, gchar **host, const gchar **port,
                 GError **error)
{
  const gchar *colon;

  if (text[0] == '[')
    {
      const gchar *close = strchr (text, ']');
      if (close == NULL || close[1] != ':')
        return invalid (error, text,
                        "an IPv6 address needs the form "
                        "[ADDR]:PORT");
      *host = g_strndup (text + 1, (gsize)(close - text - 1));
      *port = close + 2;
      return TRUE;
    }
  colon = strrchr (text, ':');
  if (colon == NULL)
    return invalid (error, text, "no port given");
  if (memchr (text, ':', (gsize)(colon - text)) != NULL)
    return invalid (error, text, "put an IPv6 address in brackets");
  *host = g_strndup (text, (gsize)(colon - text));
  *port = colon + 1;
  return TRUE;
}

gboolean
sl_hub_listen_parse (const gchar *text, SlHubListen *listen, GError **error)
{
  g_autofree gchar *host = NULL;
  const gchar *port_text = NULL;

  g_return_val_if_fail (listen != NULL, FALSE);
  memset (listen, 0, sizeof *listen);
  if (text == NULL || text[0] == '\0')
    return invalid (error, "", "empty");
  if (!split_host_port (text, &host, &port_text, error))
    return FALSE;
  if (!parse_port (port_text, &listen->port))
    return invalid (error, text, "the port must be a number from 0 to 65535");
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    {
      listen->is_localhost = TRUE;
      listen->host = g_strdup ("localhost");
      return TRUE;
    }
  listen->address = g_inet_address_new_from_string (host);
  if (listen->address == NULL)
    return invalid (error, text,
                    "the address must be an IP literal or "
                    "'localhost' (host names are not resolved)");
  if (g_inet_address_get_family (listen->address) == G_SOCKET_FAMILY_IPV6)
    listen->host = g_strdup_printf ("[%s]", host);
  else
    listen->host = g_strdup (host);
  return TRUE;
}

void
sl_hub_listen_clear (SlHubListen *listen)
{
  g_clear_pointer (&listen->host, g_free);
  g_clear_object (&listen->address);
}

gboolean
sl_hub_listen_is_loopback (const SlHubListen *listen)
{
  if (listen->is_localhost)
    return TRUE;
  return listen->address != NULL
         && g_inet_address_get_is_loopback (listen->address);
}

gboolean
sl_hub_listen_check_tls (const SlHubListen *listen, gboolean tls,
                         gboolean insecure, GError **error)
{
  if (tls || insecure || sl_hub_listen_is_loopback (listen))
    return TRUE;
  g_set_error (
      error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
      "refusing to serve plain ws:// on %s, which is not a loopback "
      "address: tokens would cross the network unencrypted.  Give "
      "--tls-cert FILE --tls-key FILE, listen on 127.0.0.1 behind a TLS "
      "proxy, or (for a closed test network only) add --insecure",
      listen->host);
  return FALSE;
}

gchar *
sl_hub_listen_url (const SlHubListen *listen, gboolean tls, guint port)
{
  return g_strdup_printf ("%s://%s:%u", tls ? "wss" : "ws", listen->host, port);
}
