/* sl-record-sidecar.c — the sidecar's lines and the timeline
 * (sl-record-sidecar.h; docs/recording.md, THE SIDECAR).
 *
 * Lines are read the way peer JSON is (media/json): the strict check
 * first, then json-glib with an explicit type check on every member, so
 * a sidecar edited by hand or cut by a crash gives a clear error, never
 * a half-filled event.
 */
#include "sl-record-sidecar.h"
#include "sl-json-check.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (sl-record-error-quark, sl_record_error)
/* clang-format on */

/* A line is an object holding at most one guidance message (itself at
 * most a few levels deep). */
#define MAX_DEPTH 16
#define MAX_LINE (256 * 1024)
/* 2^53 - 1: the largest integer every JSON reader keeps exact. */
#define MAX_INT G_GINT64_CONSTANT (9007199254740991)

static const gchar *const type_names[] = {
  [SL_RECORD_EVENT_RECORDING] = "recording", [SL_RECORD_EVENT_GUIDE] = "guide",
  [SL_RECORD_EVENT_STILL] = "still",         [SL_RECORD_EVENT_STOP] = "stop",
  [SL_RECORD_EVENT_NOTE] = "note",
};

void
sl_record_event_clear (SlRecordEvent *event)
{
  g_clear_pointer (&event->peer, g_free);
  g_clear_pointer (&event->msg, g_free);
  g_clear_pointer (&event->path, g_free);
  g_clear_pointer (&event->station, g_free);
  g_clear_pointer (&event->file, g_free);
  g_clear_pointer (&event->started, g_free);
  g_clear_pointer (&event->text, g_free);
  memset (event, 0, sizeof *event);
}

/* ---- writing ---- */

static void
add_time (JsonBuilder *b, const gchar *name, gint64 ms)
{
  if (ms < 0)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, ms);
}

static void
add_string (JsonBuilder *b, const gchar *name, const gchar *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

gchar *
sl_record_event_to_line (const SlRecordEvent *event)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonParser) parser = NULL;

  g_return_val_if_fail (event->type <= SL_RECORD_EVENT_NOTE, NULL);
  json_builder_begin_object (b);
  add_string (b, "type", type_names[event->type]);
  add_time (b, "t_ms", event->t_ms);
  switch (event->type)
    {
    case SL_RECORD_EVENT_RECORDING:
      json_builder_set_member_name (b, "version");
      json_builder_add_int_value (b, SL_RECORD_SIDECAR_VERSION);
      add_string (b, "station", event->station);
      add_string (b, "file", event->file);
      add_string (b, "started", event->started);
      break;
    case SL_RECORD_EVENT_GUIDE:
      add_time (b, "frame_ms", event->frame_ms);
      add_time (b, "media_ms", event->media_ms);
      add_string (b, "dir", event->sent ? "sent" : "received");
      add_string (b, "peer", event->peer);
      parser = json_parser_new ();
      if (event->msg == NULL
          || !json_parser_load_from_data (parser, event->msg, -1, NULL)
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        return NULL;
      json_builder_set_member_name (b, "msg");
      json_builder_add_value (b,
                              json_node_copy (json_parser_get_root (parser)));
      break;
    case SL_RECORD_EVENT_STILL:
      add_time (b, "frame_ms", event->frame_ms);
      add_time (b, "media_ms", event->media_ms);
      add_string (b, "path", event->path);
      break;
    case SL_RECORD_EVENT_STOP:
      json_builder_set_member_name (b, "frames");
      json_builder_add_int_value (b, (gint64)event->frames);
      break;
    case SL_RECORD_EVENT_NOTE:
      add_string (b, "text", event->text);
      break;
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* ---- reading ---- */

static gboolean
bad (GError **error, const gchar *why)
{
  g_set_error (error, SL_RECORD_ERROR, SL_RECORD_ERROR_PARSE,
               "not a recording sidecar line: %s", why);
  return FALSE;
}

/* An optional integer member from 0 to 2^53 - 1; -1 when absent. */
static gboolean
get_time (JsonObject *obj, const gchar *name, gint64 *out)
{
  JsonNode *node = json_object_get_member (obj, name);
  gint64 v;

  *out = -1;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0 || v > MAX_INT)
    return FALSE;
  *out = v;
  return TRUE;
}

/* An optional string member of at most SL_RECORD_MAX_TEXT bytes with no
 * control characters; NULL when absent. */
static gboolean
get_text (JsonObject *obj, const gchar *name, gchar **out)
{
  JsonNode *node = json_object_get_member (obj, name);
  const gchar *s;

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;
  s = json_node_get_string (node);
  if (strlen (s) > SL_RECORD_MAX_TEXT)
    return FALSE;
  for (const gchar *p = s; *p != '\0'; p++)
    if ((guchar)*p < 0x20)
      return FALSE;
  *out = g_strdup (s);
  return TRUE;
}

static gboolean
read_type (JsonObject *obj, SlRecordEvent *out)
{
  g_autofree gchar *type = NULL;

  if (!get_text (obj, "type", &type) || type == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (g_strcmp0 (type, type_names[i]) == 0)
      {
        out->type = (SlRecordEventType)i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
read_guide (JsonObject *obj, SlRecordEvent *out, GError **error)
{
  g_autofree gchar *dir = NULL;
  JsonNode *msg = json_object_get_member (obj, "msg");

  if (!get_text (obj, "dir", &dir) || !get_text (obj, "peer", &out->peer))
    return bad (error, "\"dir\" or \"peer\" is not a string");
  if (g_strcmp0 (dir, "sent") == 0)
    out->sent = TRUE;
  else if (g_strcmp0 (dir, "received") != 0)
    return bad (error, "\"dir\" is neither \"sent\" nor \"received\"");
  if (msg == NULL || !JSON_NODE_HOLDS_OBJECT (msg))
    return bad (error, "\"msg\" is not an object");
  out->msg = json_to_string (msg, FALSE);
  return TRUE;
}

static gboolean
read_fields (JsonObject *obj, SlRecordEvent *out, GError **error)
{
  gint64 version, frames;

  if (!read_type (obj, out))
    return bad (error, "\"type\" is missing or unknown");
  if (!get_time (obj, "t_ms", &out->t_ms))
    return bad (error, "a time is not an integer in range");
  /* The picture's times belong to guidance and stills only; on another
   * line they are members this version does not know, and ignored. */
  out->frame_ms = out->media_ms = -1;
  if ((out->type == SL_RECORD_EVENT_GUIDE || out->type == SL_RECORD_EVENT_STILL)
      && (!get_time (obj, "frame_ms", &out->frame_ms)
          || !get_time (obj, "media_ms", &out->media_ms)))
    return bad (error, "a time is not an integer in range");
  switch (out->type)
    {
    case SL_RECORD_EVENT_RECORDING:
      if (!get_time (obj, "version", &version)
          || version != SL_RECORD_SIDECAR_VERSION)
        return bad (error, "not version 1");
      if (!get_text (obj, "station", &out->station)
          || !get_text (obj, "file", &out->file)
          || !get_text (obj, "started", &out->started) || out->file == NULL)
        return bad (error, "\"station\", \"file\" or \"started\" is wrong");
      return TRUE;
    case SL_RECORD_EVENT_GUIDE:
      return read_guide (obj, out, error);
    case SL_RECORD_EVENT_STILL:
      if (!get_text (obj, "path", &out->path) || out->path == NULL)
        return bad (error, "\"path\" is missing or not a string");
      return TRUE;
    case SL_RECORD_EVENT_STOP:
      if (!get_time (obj, "frames", &frames) || frames < 0)
        return bad (error, "\"frames\" is missing or not a count");
      out->frames = (guint64)frames;
      return TRUE;
    case SL_RECORD_EVENT_NOTE:
      if (!get_text (obj, "text", &out->text) || out->text == NULL
          || out->t_ms < 0 || !g_utf8_validate (out->text, -1, NULL))
        return bad (error, "a note needs \"t_ms\" and a \"text\"");
      return TRUE;
    }
  return bad (error, "unknown type");
}

gboolean
sl_record_event_parse (const gchar *line, gsize len, SlRecordEvent *out,
                       GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) json_error = NULL;
  JsonNode *root;

  memset (out, 0, sizeof *out);
  if (len > MAX_LINE)
    return bad (error, "line too long");
  if (!sl_json_check (line, len, MAX_DEPTH, &json_error))
    return bad (error, json_error->message);
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, line, (gssize)len, NULL))
    return bad (error, "not JSON");
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return bad (error, "not a JSON object");
  if (!read_fields (json_node_get_object (root), out, error))
    {
      sl_record_event_clear (out);
      return FALSE;
    }
  return TRUE;
}

/* ---- the timeline ---- */

void
sl_record_timeline_init (SlRecordTimeline *tl)
{
  memset (tl, 0, sizeof *tl);
}

void
sl_record_timeline_add (SlRecordTimeline *tl, gint64 media_ms, gint64 t_ms)
{
  tl->media_ms[tl->next] = media_ms;
  tl->t_ms[tl->next] = t_ms;
  tl->next = (tl->next + 1) % SL_RECORD_TIMELINE_SIZE;
  if (tl->n < SL_RECORD_TIMELINE_SIZE)
    tl->n++;
}

gint64
sl_record_timeline_frame_for (const SlRecordTimeline *tl, gint64 media_ms,
                              gint64 tolerance_ms)
{
  gint64 best = -1, best_dist = G_MAXINT64;

  for (guint i = 0; i < tl->n; i++)
    {
      gint64 dist = ABS (tl->media_ms[i] - media_ms);

      if (dist < best_dist)
        {
          best_dist = dist;
          best = tl->t_ms[i];
        }
    }
  return best_dist <= tolerance_ms ? best : -1;
}
