/* sl-guide-script.c — see sl-guide-script.h.
 *
 * Each line is read with json-glib, checked for its two members, and its
 * message is completed ("v", "media_ms", a pointer's "seq") and passed
 * through the protocol's own parser, so a script can hold exactly what a
 * peer would accept and every error reads as the parser words it.
 */
#include "sl-guide-script.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* G_DEFINE_QUARK makes its first argument the domain's name. */
/* clang-format off */
G_DEFINE_QUARK (sl-guide-script-error-quark, sl_guide_script_error)
/* clang-format on */

#define MAX_FILE_BYTES (64 * 1024 * 1024)

/* What an expert may send; the rest is the township's (image, stills) or
 * the protocol's own (nack). */
static gboolean
type_is_scriptable (SlGuideType type)
{
  switch (type)
    {
    case SL_GUIDE_MARK:
    case SL_GUIDE_DELETE:
    case SL_GUIDE_UNDO:
    case SL_GUIDE_CLEAR:
    case SL_GUIDE_POINTER:
    case SL_GUIDE_CUE:
    case SL_GUIDE_PROMPT:
    case SL_GUIDE_STILL_REQUEST:
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
line_is_blank (const gchar *line)
{
  while (g_ascii_isspace (*line))
    line++;
  return *line == '\0' || *line == '#';
}

/* Fills @entry from one line; FALSE with a reason in @why. */
static gboolean
parse_line (const gchar *line, gint64 prev_at, SlGuideScriptEntry *entry,
            gchar **why)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) copy = NULL;
  g_autofree gchar *text = NULL;
  JsonObject *obj, *msg;
  JsonNode *root, *at;
  const gchar *type;

  if (!json_parser_load_from_data (parser, line, -1, &error))
    return (*why = g_strdup_printf ("not JSON: %s", error->message)), FALSE;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return (*why = g_strdup ("not a JSON object")), FALSE;
  obj = json_node_get_object (root);
  at = json_object_get_member (obj, "at_ms");
  if (at == NULL || !JSON_NODE_HOLDS_VALUE (at)
      || json_node_get_value_type (at) != G_TYPE_INT64)
    return (*why = g_strdup ("\"at_ms\" must be an integer")), FALSE;
  entry->at_ms = json_node_get_int (at);
  if (entry->at_ms < 0 || entry->at_ms > SL_GUIDE_SCRIPT_MAX_AT_MS)
    return (*why = g_strdup_printf ("\"at_ms\" must be 0 to %d",
                                    SL_GUIDE_SCRIPT_MAX_AT_MS)),
           FALSE;
  if (entry->at_ms < prev_at)
    return (*why = g_strdup ("\"at_ms\" is before the previous entry's")),
           FALSE;
  if (!json_object_has_member (obj, "msg")
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, "msg")))
    return (*why = g_strdup ("\"msg\" must be a JSON object")), FALSE;

  /* Complete the message as the station will when it sends it. */
  copy = json_node_copy (json_object_get_member (obj, "msg"));
  msg = json_node_get_object (copy);
  json_object_set_int_member (msg, "v", SL_GUIDE_VERSION);
  json_object_set_int_member (msg, "media_ms", 0);
  at = json_object_get_member (msg, "type");
  type = at != NULL && JSON_NODE_HOLDS_VALUE (at)
                 && json_node_get_value_type (at) == G_TYPE_STRING
             ? json_node_get_string (at)
             : NULL;
  if (g_strcmp0 (type, "pointer") == 0 && !json_object_has_member (msg, "seq"))
    json_object_set_int_member (msg, "seq", 0);
  text = json_to_string (copy, FALSE);
  if (!sl_guide_parse (text, strlen (text), &entry->msg, &error))
    {
      sl_guide_msg_clear (&entry->msg);
      return (*why = g_strdup_printf ("\"msg\": %s", error->message)), FALSE;
    }
  if (!type_is_scriptable (entry->msg.type))
    {
      *why = g_strdup_printf ("an expert does not send \"%s\" messages",
                              sl_guide_type_name (entry->msg.type));
      sl_guide_msg_clear (&entry->msg);
      return FALSE;
    }
  return TRUE;
}

GArray *
sl_guide_script_parse (const gchar *text, gsize len, const gchar *name,
                       GError **error)
{
  g_autoptr (GArray) entries
      = g_array_new (FALSE, TRUE, sizeof (SlGuideScriptEntry));
  g_autofree gchar *copy = g_strndup (text, len);
  g_auto (GStrv) lines = NULL;
  gint64 prev_at = 0;

  if (strlen (copy) != len)
    {
      g_set_error (error, SL_GUIDE_SCRIPT_ERROR, SL_GUIDE_SCRIPT_ERROR_INVALID,
                   "%s: holds a NUL byte", name);
      return NULL;
    }
  lines = g_strsplit (copy, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      SlGuideScriptEntry entry = { 0 };
      g_autofree gchar *why = NULL;

      if (line_is_blank (lines[i]))
        continue;
      if (entries->len >= SL_GUIDE_SCRIPT_MAX_ENTRIES)
        why = g_strdup_printf ("more than %d entries",
                               SL_GUIDE_SCRIPT_MAX_ENTRIES);
      else if (parse_line (lines[i], prev_at, &entry, &why))
        {
          entry.line = i + 1;
          prev_at = entry.at_ms;
          g_array_append_val (entries, entry);
          continue;
        }
      g_set_error (error, SL_GUIDE_SCRIPT_ERROR, SL_GUIDE_SCRIPT_ERROR_INVALID,
                   "%s:%u: %s", name, i + 1, why);
      return NULL;
    }
  if (entries->len == 0)
    {
      g_set_error (error, SL_GUIDE_SCRIPT_ERROR, SL_GUIDE_SCRIPT_ERROR_EMPTY,
                   "%s: no entries", name);
      return NULL;
    }
  return g_steal_pointer (&entries);
}

GArray *
sl_guide_script_load (const gchar *path, GError **error)
{
  g_autofree gchar *text = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  if (len > MAX_FILE_BYTES)
    {
      g_set_error (error, SL_GUIDE_SCRIPT_ERROR, SL_GUIDE_SCRIPT_ERROR_INVALID,
                   "%s: larger than %d MiB", path,
                   MAX_FILE_BYTES / (1024 * 1024));
      return NULL;
    }
  return sl_guide_script_parse (text, len, path, error);
}
