/* sl-v4l2-uri.c — parses "v4l2:DEVICE?KEY=VALUE&...".  See sl-v4l2-uri.h.
 *
 * The device path ends up inside a GStreamer description (v4l2src
 * device="..."), so only a conservative set of characters is accepted:
 * nothing that could close the quotes or start another element.
 */
#include "sl-v4l2-uri.h"
#include "sl-v4l2-mode.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (sl-v4l2-uri-error-quark, sl_v4l2_uri_error)
/* clang-format on */

#define KEYS "width, height, fps, format"

static gboolean
path_ok (const gchar *path, gsize len)
{
  if (len < 2 || len > SL_V4L2_MAX_PATH || path[0] != '/')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (path[i]) && strchr ("/._-", path[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* Reads @text as a decimal number from @min to @max: digits only, no
 * sign, no spaces, no leading zero. */
static gboolean
number (const gchar *text, guint min, guint max, guint *out)
{
  guint64 v = 0;

  if (text[0] == '\0' || (text[0] == '0' && text[1] != '\0')
      || strlen (text) > 6)
    return FALSE;
  for (const gchar *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      v = v * 10 + (guint64)(*p - '0');
    }
  if (v < min || v > max)
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

static gboolean
set_key (SlV4l2Uri *uri, const gchar *key, const gchar *value, guint *seen,
         GError **error)
{
  static const gchar *const names[] = { "width", "height", "fps", "format" };
  guint which = G_N_ELEMENTS (names);
  guint *field;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (key, names[i]) == 0)
      which = i;
  if (which == G_N_ELEMENTS (names))
    {
      g_set_error (error, SL_V4L2_URI_ERROR, 0,
                   "unknown key \"%s\": the keys are " KEYS, key);
      return FALSE;
    }
  if (*seen & (1u << which))
    {
      g_set_error (error, SL_V4L2_URI_ERROR, 0, "%s is given twice", key);
      return FALSE;
    }
  *seen |= 1u << which;
  if (which == 3)
    {
      const gchar *name = sl_v4l2_format_canonical (value);

      if (name == NULL)
        {
          g_set_error (error, SL_V4L2_URI_ERROR, 0,
                       "format \"%s\" is not a raw format sonolink takes: "
                       "use one of " SL_V4L2_FORMATS,
                       value);
          return FALSE;
        }
      uri->format = g_strdup (name);
      return TRUE;
    }
  field = which == 0 ? &uri->width : which == 1 ? &uri->height : &uri->fps;
  if (which == 2 && !number (value, 1, 120, field))
    {
      g_set_error (error, SL_V4L2_URI_ERROR, 0,
                   "fps=%s: give a whole number of frames per second from 1 "
                   "to 120",
                   value);
      return FALSE;
    }
  if (which < 2
      && (!number (value, 64, SL_V4L2_MAX_SIDE, field) || *field % 2 != 0))
    {
      g_set_error (error, SL_V4L2_URI_ERROR, 0,
                   "%s=%s: give an even number of pixels from 64 to %u", key,
                   value, SL_V4L2_MAX_SIDE);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_query (SlV4l2Uri *uri, const gchar *query, GError **error)
{
  g_auto (GStrv) pairs = NULL;
  guint seen = 0;

  /* g_strsplit gives no pair at all for "": a "?" with nothing after it
   * is refused like an empty pair. */
  if (query[0] == '\0')
    {
      g_set_error (
          error, SL_V4L2_URI_ERROR, 0,
          "nothing after \"?\": it is not KEY=VALUE (the keys are " KEYS ")");
      return FALSE;
    }
  pairs = g_strsplit (query, "&", -1);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      gchar *eq = strchr (pairs[i], '=');

      if (eq == NULL || eq == pairs[i] || eq[1] == '\0')
        {
          g_set_error (error, SL_V4L2_URI_ERROR, 0,
                       "\"%s\" is not KEY=VALUE (the keys are " KEYS ")",
                       pairs[i]);
          return FALSE;
        }
      *eq = '\0';
      if (!set_key (uri, pairs[i], eq + 1, &seen, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
sl_v4l2_uri_parse (const gchar *text, SlV4l2Uri *uri, GError **error)
{
  const gchar *query;
  gsize path_len;

  memset (uri, 0, sizeof *uri);
  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, SL_V4L2_URI_ERROR, 0, "the spec is not text");
      return FALSE;
    }
  query = strchr (text, '?');
  path_len = query != NULL ? (gsize)(query - text) : strlen (text);
  if (!path_ok (text, path_len))
    {
      g_set_error (error, SL_V4L2_URI_ERROR, 0,
                   "\"%.*s\" is not a device path: give an absolute path "
                   "such as /dev/video0 (letters, digits, / . _ - only)",
                   (int)MIN (path_len, 64), text);
      return FALSE;
    }
  uri->device = g_strndup (text, path_len);
  if (query != NULL && !parse_query (uri, query + 1, error))
    {
      sl_v4l2_uri_clear (uri);
      return FALSE;
    }
  return TRUE;
}

void
sl_v4l2_uri_clear (SlV4l2Uri *uri)
{
  g_clear_pointer (&uri->device, g_free);
  g_clear_pointer (&uri->format, g_free);
  uri->width = uri->height = uri->fps = 0;
}
