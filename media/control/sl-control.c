/* sl-control.c — see sl-control.h.
 *
 * The raw text passes the strict JSON check (sl-json-check.h) before
 * json-glib sees it: json-glib alone reads "\377" as a raw byte, cuts a
 * string at "\0" or "\u0000", lets "\q" pass and keeps the last of two
 * equal members, so the message it builds need not be the one sent.
 */
#include "sl-control.h"
#include "sl-json-check.h"

#include <json-glib/json-glib.h>
#include <math.h>

/* A ping or a pong is one flat object; a few levels leave room for
 * members of a later version, which are ignored. */
#define MAX_DEPTH 8

/* G_DEFINE_QUARK makes its first argument the domain's name. */
/* clang-format off */
G_DEFINE_QUARK (sl-control-error-quark, sl_control_error)
/* clang-format on */

static gboolean
malformed (GError **error, const gchar *why)
{
  g_set_error (error, SL_CONTROL_ERROR, SL_CONTROL_ERROR_MALFORMED,
               "malformed control message: %s", why);
  return FALSE;
}

/* The value of member @name if it is a JSON number; FALSE otherwise. */
static gboolean
get_number (JsonObject *obj, const gchar *name, gboolean *is_int, gint64 *i,
            gdouble *d)
{
  JsonNode *node = json_object_get_member (obj, name);
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    {
      *is_int = TRUE;
      *i = json_node_get_int (node);
      *d = (gdouble)*i;
      return TRUE;
    }
  if (type == G_TYPE_DOUBLE)
    {
      *is_int = FALSE;
      *d = json_node_get_double (node);
      return TRUE;
    }
  return FALSE;
}

/* A percentage member of a ping, if present: FALSE if it is not a number
 * from 0 to 100. */
static gboolean
read_pct (JsonObject *obj, const gchar *name, gdouble *out)
{
  gboolean is_int;
  gint64 i;
  gdouble d;

  if (!json_object_has_member (obj, name))
    return TRUE;
  if (!get_number (obj, name, &is_int, &i, &d) || !isfinite (d) || d < 0
      || d > 100)
    return FALSE;
  *out = d;
  return TRUE;
}

static gboolean
read_loss (JsonObject *obj, SlControlMsg *out, GError **error)
{
  if (out->type != SL_CONTROL_PING)
    return TRUE;
  if (!read_pct (obj, "lost_pct", &out->lost_pct)
      || !read_pct (obj, "repaired_pct", &out->repaired_pct))
    return malformed (error, "a loss figure is not a percentage");
  /* A repair without a loss, or more repaired than lost, is not a
   * figure to show. */
  if (out->repaired_pct >= 0
      && (out->lost_pct < 0 || out->repaired_pct > out->lost_pct))
    return malformed (error, "\"repaired_pct\" does not fit \"lost_pct\"");
  return TRUE;
}

static gboolean
read_fields (JsonObject *obj, SlControlMsg *out, GError **error)
{
  JsonNode *type_node = json_object_get_member (obj, "type");
  const gchar *type;
  gboolean is_int;
  gint64 seq;
  gdouble d;

  if (type_node == NULL || !JSON_NODE_HOLDS_VALUE (type_node)
      || json_node_get_value_type (type_node) != G_TYPE_STRING)
    return malformed (error, "\"type\" is missing or not a string");
  type = json_node_get_string (type_node);
  if (g_strcmp0 (type, "ping") == 0)
    out->type = SL_CONTROL_PING;
  else if (g_strcmp0 (type, "pong") == 0)
    out->type = SL_CONTROL_PONG;
  else
    {
      g_set_error (error, SL_CONTROL_ERROR, SL_CONTROL_ERROR_UNKNOWN_TYPE,
                   "unknown control message type");
      return FALSE;
    }
  if (!get_number (obj, "seq", &is_int, &seq, &d) || !is_int || seq < 0)
    return malformed (error, "\"seq\" is not a non-negative integer");
  out->seq = (guint64)seq;
  out->send_ms = out->lost_pct = out->repaired_pct = -1;
  if (out->type == SL_CONTROL_PING && json_object_has_member (obj, "send_ms"))
    {
      if (!get_number (obj, "send_ms", &is_int, &seq, &d) || !isfinite (d)
          || d < 0 || d > SL_CONTROL_MAX_SEND_MS)
        return malformed (error, "\"send_ms\" is not a number in range");
      out->send_ms = d;
    }
  return read_loss (obj, out, error);
}

gboolean
sl_control_parse (const gchar *text, gsize len, SlControlMsg *out,
                  GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) json_error = NULL;
  JsonNode *root;

  if (len > SL_CONTROL_MAX_SIZE)
    {
      g_set_error (error, SL_CONTROL_ERROR, SL_CONTROL_ERROR_TOO_LARGE,
                   "control message of %" G_GSIZE_FORMAT " bytes (at most %d)",
                   len, SL_CONTROL_MAX_SIZE);
      return FALSE;
    }
  if (!sl_json_check (text, len, MAX_DEPTH, &json_error))
    /* The check's message gives an offset and a rule, never content. */
    return malformed (error, json_error->message);
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, (gssize)len, NULL))
    return malformed (error, "not JSON");
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return malformed (error, "not a JSON object");
  return read_fields (json_node_get_object (root), out, error);
}

gchar *
sl_control_serialize (const SlControlMsg *msg)
{
  const gboolean ping = msg->type == SL_CONTROL_PING;
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "{\"type\":\"%s\",\"seq\":%" G_GUINT64_FORMAT,
                          ping ? "ping" : "pong", msg->seq);
  if (ping && msg->send_ms >= 0)
    g_string_append_printf (s, ",\"send_ms\":%.3f", msg->send_ms);
  /* Rounded to the nearest hundredth by printf: rounding keeps order, so
   * a repair never reads above its loss, and the text reads back to the
   * same text.  Rounding down with floor (x * 100) / 100 did not: 8.12
   * times 100 is 811.99…, so "8.12" came back as "8.11". */
  if (ping && msg->lost_pct >= 0)
    g_string_append_printf (s, ",\"lost_pct\":%.2f", MIN (msg->lost_pct, 100));
  if (ping && msg->lost_pct >= 0 && msg->repaired_pct >= 0)
    g_string_append_printf (s, ",\"repaired_pct\":%.2f",
                            MIN (msg->repaired_pct, msg->lost_pct));
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}
