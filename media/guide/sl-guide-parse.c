/* sl-guide-parse.c — the guidance parser; see sl-guide.h and
 * docs/guidance.md.
 *
 * Parsing treats every message as hostile, in the order of sl-proto.c:
 * the size first, then the strict JSON check of the raw text
 * (sl-json-check.h: UTF-8, no NUL, only RFC 8259 escapes, no member twice,
 * nesting at most MAX_DEPTH), then an outline scan (one object, integer
 * lengths), and only then json-glib builds a tree.  The check exists
 * because json-glib 1.6 is lenient where a peer could use it: "\377"
 * becomes a raw byte, "\0" cuts a string short, "\q" passes, the last of
 * two equal members wins, and it recurses without bound.  The outline
 * scan catches what strict JSON allows and json-glib mishandles: integers
 * that overflow 64 bits, which it wraps into small plausible values.
 * Each member is then read by one helper that checks its JSON type, its
 * length and its range, so no value reaches the caller unchecked.
 */
#include "sl-guide-private.h"
#include "sl-json-check.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

/* The deepest message is mark.points[i], at depth 3; more is an attack. */
#define MAX_DEPTH 8
/* Integers of more digits than 2^53 - 1 has are refused before json-glib
 * can wrap them. */
#define MAX_INT_DIGITS 16
/* Base64 text of the largest chunk. */
#define MAX_CHUNK_B64 (4 * ((SL_GUIDE_STILL_CHUNK_SIZE + 2) / 3))

static gboolean fail (GError **error, SlGuideError code, const gchar *format,
                      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError **error, SlGuideError code, const gchar *format, ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL && *error == NULL)
    *error = g_error_new_valist (SL_GUIDE_ERROR, code, format, args);
  va_end (args);
  return FALSE;
}

/* ---- the raw text ---- */

/* Returns the index just past the string that opens at @i, or @len. */
static gsize
skip_string (const gchar *p, gsize len, gsize i)
{
  for (i++; i < len; i++)
    {
      if (p[i] == '\\')
        i++;
      else if (p[i] == '"')
        return i + 1;
    }
  return len;
}

/* Checks the number at @i; sets *@next past it. */
static gboolean
check_number (const gchar *p, gsize len, gsize i, gsize *next, GError **error)
{
  gsize j = i, digits = 0;
  gboolean integer = TRUE;

  for (; j < len && (g_ascii_isdigit (p[j]) || strchr ("+-.eE", p[j]) != NULL);
       j++)
    if (g_ascii_isdigit (p[j]))
      digits++;
    else if (p[j] != '-')
      integer = FALSE;
  if (integer && digits > MAX_INT_DIGITS)
    return fail (error, SL_GUIDE_ERROR_OUT_OF_RANGE,
                 "an integer of more than %d digits", MAX_INT_DIGITS);
  *next = j;
  return TRUE;
}

/* Checks what strict JSON allows and this protocol does not, on a text
 * the strict check passed: it is one object, and no integer has more than
 * MAX_INT_DIGITS digits. */
static gboolean
check_outline (const gchar *p, gsize len, GError **error)
{
  gsize i = 0;

  while (i < len && g_ascii_isspace (p[i]))
    i++;
  if (i == len || p[i] != '{')
    return fail (error, SL_GUIDE_ERROR_MALFORMED, "not a JSON object");
  while (i < len)
    {
      if (p[i] == '"')
        i = skip_string (p, len, i);
      else if (g_ascii_isdigit (p[i]) || p[i] == '-')
        {
          if (!check_number (p, len, i, &i, error))
            return FALSE;
        }
      else
        i++;
    }
  return TRUE;
}

static gboolean
check_text (const gchar *text, gsize len, GError **error)
{
  g_autoptr (GError) json_error = NULL;

  if (len > SL_GUIDE_MAX_SIZE)
    return fail (error, SL_GUIDE_ERROR_TOO_LARGE,
                 "message of %" G_GSIZE_FORMAT " bytes (at most %d)", len,
                 SL_GUIDE_MAX_SIZE);
  if (text == NULL || len == 0)
    return fail (error, SL_GUIDE_ERROR_MALFORMED, "empty message");
  /* The check's message gives an offset and a rule, never content. */
  if (!sl_json_check (text, len, MAX_DEPTH, &json_error))
    return fail (error, SL_GUIDE_ERROR_MALFORMED, "%s", json_error->message);
  return check_outline (text, len, error);
}

/* ---- members ---- */

/* The value node of member @name: NULL (and *@present FALSE) if absent,
 * NULL with *@present TRUE if it is not a plain value. */
static JsonNode *
member (JsonObject *obj, const gchar *name, gboolean *present)
{
  JsonNode *node = json_object_get_member (obj, name);

  *present = node != NULL;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  return node;
}

static gboolean
read_int (JsonObject *obj, const gchar *name, gboolean required, gint64 min,
          gint64 max, gint64 def, gint64 *out, GError **error)
{
  gboolean present;
  JsonNode *node = member (obj, name, &present);
  gint64 v;

  if (!present && !required)
    {
      *out = def;
      return TRUE;
    }
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return fail (error, SL_GUIDE_ERROR_MALFORMED,
                 "\"%s\" is missing or not an integer", name);
  v = json_node_get_int (node);
  if (v < min || v > max)
    return fail (error, SL_GUIDE_ERROR_OUT_OF_RANGE,
                 "\"%s\" is not in %" G_GINT64_FORMAT " .. %" G_GINT64_FORMAT,
                 name, min, max);
  *out = v;
  return TRUE;
}

static gboolean
number_value (JsonNode *node, gdouble *out)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *out = (gdouble)json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    *out = json_node_get_double (node);
  else
    return FALSE;
  return TRUE;
}

static gboolean
read_double (JsonObject *obj, const gchar *name, gdouble min, gdouble max,
             gdouble def, gdouble *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  gdouble v;

  if (node == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (!number_value (node, &v))
    return fail (error, SL_GUIDE_ERROR_MALFORMED, "\"%s\" is not a number",
                 name);
  if (!isfinite (v) || v < min || v > max)
    return fail (error, SL_GUIDE_ERROR_OUT_OF_RANGE,
                 "\"%s\" is not in %g .. %g", name, min, max);
  *out = v;
  return TRUE;
}

/* Reads string member @name of at most @max_len bytes; *@out is NULL if
 * it is absent and not @required. */
static gboolean
read_string (JsonObject *obj, const gchar *name, gboolean required,
             gsize max_len, const gchar **out, GError **error)
{
  gboolean present;
  JsonNode *node = member (obj, name, &present);

  *out = NULL;
  if (!present && !required)
    return TRUE;
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (error, SL_GUIDE_ERROR_MALFORMED,
                 "\"%s\" is missing or not a string", name);
  *out = json_node_get_string (node);
  /* The text was valid UTF-8, but json-glib turns a lone surrogate escape
   * ("\ud83d" without its pair) into bytes that are not. */
  if (!g_utf8_validate (*out, -1, NULL))
    return fail (error, SL_GUIDE_ERROR_MALFORMED, "\"%s\" is not valid UTF-8",
                 name);
  if (strlen (*out) > max_len)
    return fail (error, SL_GUIDE_ERROR_TOO_LARGE,
                 "\"%s\" is longer than %" G_GSIZE_FORMAT " bytes", name,
                 max_len);
  return TRUE;
}

/* Reads an id into @dst (SL_GUIDE_MAX_ID_LEN + 1 bytes). */
static gboolean
read_id (JsonObject *obj, const gchar *name, gboolean required, gchar *dst,
         GError **error)
{
  const gchar *s;

  dst[0] = '\0';
  if (!read_string (obj, name, required, SL_GUIDE_MAX_ID_LEN, &s, error))
    return FALSE;
  if (s == NULL)
    return TRUE;
  if (!sl_guide_id_is_valid (s))
    return fail (error, SL_GUIDE_ERROR_MALFORMED,
                 "\"%s\" is not an id (letters, digits, -_.:)", name);
  g_strlcpy (dst, s, SL_GUIDE_MAX_ID_LEN + 1);
  return TRUE;
}

/* Reads a member whose value is one of @names; an unknown one is
 * @unknown_code. */
static gboolean
read_enum (JsonObject *obj, const gchar *name, gboolean required,
           const gchar *const *names, guint n, gint def,
           SlGuideError unknown_code, gint *out, GError **error)
{
  const gchar *s;

  if (!read_string (obj, name, required, 32, &s, error))
    {
      /* A value longer than any known one is simply not known. */
      if (error != NULL
          && g_error_matches (*error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_TOO_LARGE))
        (*error)->code = unknown_code;
      return FALSE;
    }
  *out = s == NULL ? def : sl_guide_lookup (names, n, s);
  if (*out < 0)
    return fail (error, unknown_code, "unknown \"%s\"", name);
  return TRUE;
}

static gboolean
read_bool (JsonObject *obj, const gchar *name, gboolean def, gboolean *out,
           GError **error)
{
  gboolean present;
  JsonNode *node = member (obj, name, &present);

  if (!present)
    *out = def;
  else if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fail (error, SL_GUIDE_ERROR_MALFORMED, "\"%s\" is not a boolean",
                 name);
  else
    *out = json_node_get_boolean (node);
  return TRUE;
}

/* Reads a [a, b] pair of numbers in @min .. @max from @node. */
static gboolean
read_pair (JsonNode *node, const gchar *name, gdouble min, gdouble max,
           gdouble *a, gdouble *b, GError **error)
{
  JsonArray *array;
  gdouble v[2];

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (array = json_node_get_array (node)) != 2
      || !number_value (json_array_get_element (array, 0), &v[0])
      || !number_value (json_array_get_element (array, 1), &v[1]))
    return fail (error, SL_GUIDE_ERROR_MALFORMED,
                 "\"%s\" holds something other than [number, number]", name);
  for (guint i = 0; i < 2; i++)
    if (!isfinite (v[i]) || v[i] < min || v[i] > max)
      return fail (error, SL_GUIDE_ERROR_OUT_OF_RANGE,
                   "\"%s\" holds a number outside %g .. %g", name, min, max);
  *a = v[0];
  *b = v[1];
  return TRUE;
}

/* Reads the optional "mm_per_px": [x, y]; 0, 0 when absent. */
static gboolean
read_spacing (JsonObject *obj, gdouble *x, gdouble *y, GError **error)
{
  *x = *y = 0;
  if (!json_object_has_member (obj, "mm_per_px"))
    return TRUE;
  return read_pair (json_object_get_member (obj, "mm_per_px"), "mm_per_px",
                    SL_GUIDE_MIN_MM_PER_PX, SL_GUIDE_MAX_MM_PER_PX, x, y,
                    error);
}

/* Refuses control characters in text meant for a screen or a log. */
static gboolean
check_printable (const gchar *s, const gchar *name, GError **error)
{
  for (; *s != '\0'; s++)
    if ((guchar)*s < 0x20 || *s == 0x7f)
      return fail (error, SL_GUIDE_ERROR_MALFORMED,
                   "\"%s\" holds a control character", name);
  return TRUE;
}

/* ---- messages ---- */

static gboolean
read_points (JsonObject *obj, SlGuideMark *m, GError **error)
{
  JsonNode *node = json_object_get_member (obj, "points");
  JsonArray *array;
  guint n, want = m->kind == SL_GUIDE_KIND_TEXT ? 1 : 2;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return fail (error, SL_GUIDE_ERROR_MALFORMED,
                 "\"points\" is missing or not an array");
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > SL_GUIDE_MAX_POINTS)
    return fail (error, SL_GUIDE_ERROR_TOO_LARGE, "more than %d points",
                 SL_GUIDE_MAX_POINTS);
  if (m->kind == SL_GUIDE_KIND_POLYLINE ? n < 2 : n != want)
    return fail (error, SL_GUIDE_ERROR_MALFORMED,
                 "wrong number of points for a %s",
                 sl_guide_kind_names[m->kind]);
  for (guint i = 0; i < n; i++)
    if (!read_pair (json_array_get_element (array, i), "points", 0.0, 1.0,
                    &m->points[i].x, &m->points[i].y, error))
      return FALSE;
  m->n_points = n;
  return TRUE;
}

static gboolean
read_mark (JsonObject *obj, SlGuideMark *m, GError **error)
{
  gint kind, color;
  const gchar *text;

  if (!read_id (obj, "id", TRUE, m->id, error)
      || !read_enum (obj, "kind", TRUE, sl_guide_kind_names, SL_GUIDE_N_KINDS,
                     0, SL_GUIDE_ERROR_UNKNOWN_TYPE, &kind, error)
      || !read_enum (obj, "color", FALSE, sl_guide_color_names,
                     SL_GUIDE_N_COLORS, SL_GUIDE_COLOR_YELLOW,
                     SL_GUIDE_ERROR_OUT_OF_RANGE, &color, error)
      || !read_double (obj, "width", SL_GUIDE_MIN_WIDTH, SL_GUIDE_MAX_WIDTH,
                       1.0, &m->width, error)
      || !read_int (obj, "ttl_ms", FALSE, 1, SL_GUIDE_MAX_TTL_MS, 0, &m->ttl_ms,
                    error))
    return FALSE;
  m->kind = (SlGuideMarkKind)kind;
  m->color = (SlGuideColor)color;
  if (!read_points (obj, m, error))
    return FALSE;
  if (m->kind != SL_GUIDE_KIND_TEXT)
    return TRUE;
  if (!read_string (obj, "text", TRUE, SL_GUIDE_MAX_TEXT_LEN, &text, error)
      || !check_printable (text, "text", error))
    return FALSE;
  if (*text == '\0')
    return fail (error, SL_GUIDE_ERROR_MALFORMED, "\"text\" is empty");
  g_strlcpy (m->text, text, sizeof m->text);
  return TRUE;
}

static gboolean
read_pointer (JsonObject *obj, SlGuidePointer *p, GError **error)
{
  gint64 seq;
  gint color;

  if (!read_int (obj, "seq", TRUE, 0, SL_GUIDE_MAX_INT, 0, &seq, error)
      || !read_bool (obj, "visible", TRUE, &p->visible, error)
      || !read_enum (obj, "color", FALSE, sl_guide_color_names,
                     SL_GUIDE_N_COLORS, SL_GUIDE_COLOR_CYAN,
                     SL_GUIDE_ERROR_OUT_OF_RANGE, &color, error))
    return FALSE;
  p->seq = (guint64)seq;
  p->color = (SlGuideColor)color;
  if (!p->visible)
    return TRUE;
  /* Both coordinates are required while the pointer shows. */
  if (!json_object_has_member (obj, "x") || !json_object_has_member (obj, "y"))
    return fail (error, SL_GUIDE_ERROR_MALFORMED, "\"x\" or \"y\" missing");
  return read_double (obj, "x", 0.0, 1.0, 0, &p->at.x, error)
         && read_double (obj, "y", 0.0, 1.0, 0, &p->at.y, error);
}

static gboolean
read_duration (JsonObject *obj, gint64 *out, GError **error)
{
  return read_int (obj, "duration_ms", FALSE, SL_GUIDE_MIN_DURATION_MS,
                   SL_GUIDE_MAX_DURATION_MS, SL_GUIDE_DEFAULT_DURATION_MS, out,
                   error);
}

static gboolean
read_cue (JsonObject *obj, SlGuideCue *c, GError **error)
{
  gint cue, dir;

  if (!read_enum (obj, "cue", TRUE, sl_guide_cue_names, SL_GUIDE_N_CUES, 0,
                  SL_GUIDE_ERROR_OUT_OF_RANGE, &cue, error))
    return FALSE;
  c->cue = (SlGuideCueKind)cue;
  if (c->cue == SL_GUIDE_CUE_NONE)
    return TRUE;
  if (!read_enum (obj, "dir", TRUE, sl_guide_dir_names, SL_GUIDE_N_DIRS, 0,
                  SL_GUIDE_ERROR_OUT_OF_RANGE, &dir, error)
      || !read_duration (obj, &c->duration_ms, error))
    return FALSE;
  c->dir = (SlGuideDir)dir;
  if (!sl_guide_cue_allows (c->cue, c->dir))
    return fail (error, SL_GUIDE_ERROR_OUT_OF_RANGE,
                 "\"dir\" is not one that \"%s\" takes",
                 sl_guide_cue_names[cue]);
  return TRUE;
}

static gboolean
read_prompt (JsonObject *obj, SlGuidePrompt *p, GError **error)
{
  gint prompt;

  if (!read_enum (obj, "prompt", TRUE, sl_guide_prompt_names,
                  SL_GUIDE_N_PROMPTS, 0, SL_GUIDE_ERROR_OUT_OF_RANGE, &prompt,
                  error))
    return FALSE;
  p->prompt = (SlGuidePromptKind)prompt;
  if (p->prompt == SL_GUIDE_PROMPT_NONE)
    return TRUE;
  return read_duration (obj, &p->duration_ms, error);
}

static gboolean
read_size (JsonObject *obj, guint *width, guint *height, GError **error)
{
  gint64 w, h;

  if (!read_int (obj, "width", TRUE, 1, SL_GUIDE_MAX_IMAGE_SIDE, 0, &w, error)
      || !read_int (obj, "height", TRUE, 1, SL_GUIDE_MAX_IMAGE_SIDE, 0, &h,
                    error))
    return FALSE;
  *width = (guint)w;
  *height = (guint)h;
  return TRUE;
}

static gboolean
read_still_meta (JsonObject *obj, SlGuideStillMeta *s, GError **error)
{
  static const gchar *const formats[] = { "png" };
  const gchar *sha;
  gint64 bytes;
  gint format;

  if (!read_id (obj, "req", TRUE, s->req, error)
      || !read_size (obj, &s->width, &s->height, error)
      || !read_enum (obj, "format", TRUE, formats, G_N_ELEMENTS (formats), 0,
                     SL_GUIDE_ERROR_OUT_OF_RANGE, &format, error)
      || !read_int (obj, "bytes", TRUE, 1, SL_GUIDE_MAX_INT, 0, &bytes, error)
      || !read_string (obj, "sha256", TRUE, 128, &sha, error)
      || !read_spacing (obj, &s->mm_per_px_x, &s->mm_per_px_y, error))
    return FALSE;
  if (bytes > SL_GUIDE_STILL_MAX_BYTES)
    return fail (error, SL_GUIDE_ERROR_TOO_LARGE,
                 "a still of more than %d bytes", SL_GUIDE_STILL_MAX_BYTES);
  if (strlen (sha) != 64 || strspn (sha, "0123456789abcdef") != 64)
    return fail (error, SL_GUIDE_ERROR_MALFORMED,
                 "\"sha256\" is not 64 lower-case hex digits");
  s->bytes = (guint64)bytes;
  memcpy (s->sha256, sha, 65);
  return TRUE;
}

/* TRUE if @s is canonical-alphabet base64 with padding. */
static gboolean
is_base64 (const gchar *s, gsize len)
{
  if (len == 0 || len % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (g_ascii_isalnum (s[i]) || s[i] == '+' || s[i] == '/')
        continue;
      if (s[i] != '=' || i < len - 2 || (i == len - 2 && s[len - 1] != '='))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_still_chunk (JsonObject *obj, SlGuideStillChunk *c, GError **error)
{
  const gint64 max_index
      = SL_GUIDE_STILL_MAX_BYTES / SL_GUIDE_STILL_CHUNK_SIZE - 1;
  const gchar *data;
  gint64 index;

  if (!read_id (obj, "req", TRUE, c->req, error)
      || !read_int (obj, "index", TRUE, 0, max_index, 0, &index, error)
      || !read_string (obj, "data", TRUE, MAX_CHUNK_B64, &data, error))
    return FALSE;
  if (!is_base64 (data, strlen (data)))
    return fail (error, SL_GUIDE_ERROR_MALFORMED, "\"data\" is not base64");
  c->index = (guint)index;
  c->data = g_base64_decode (data, &c->len);
  if (c->len == 0 || c->len > SL_GUIDE_STILL_CHUNK_SIZE)
    return fail (error,
                 c->len ? SL_GUIDE_ERROR_TOO_LARGE : SL_GUIDE_ERROR_MALFORMED,
                 "a chunk of %" G_GSIZE_FORMAT " bytes (1 .. %d)", c->len,
                 SL_GUIDE_STILL_CHUNK_SIZE);
  return TRUE;
}

static gboolean
read_nack (JsonObject *obj, SlGuideNack *n, GError **error)
{
  const gchar *reason, *ref_type, *detail;
  gint r;

  if (!read_string (obj, "reason", TRUE, 32, &reason, error)
      || !read_string (obj, "ref_type", FALSE, SL_GUIDE_MAX_REF_TYPE_LEN,
                       &ref_type, error)
      || !read_id (obj, "ref_id", FALSE, n->ref_id, error)
      || !read_string (obj, "detail", FALSE, SL_GUIDE_MAX_DETAIL_LEN, &detail,
                       error))
    return FALSE;
  /* A reason a later version adds is still a nack: read it as "other". */
  r = sl_guide_lookup (sl_guide_reason_names, SL_GUIDE_N_REASONS, reason);
  n->reason = r < 0 ? SL_GUIDE_REASON_OTHER : (SlGuideReason)r;
  if (ref_type != NULL)
    {
      if (!sl_guide_id_is_valid (ref_type))
        return fail (error, SL_GUIDE_ERROR_MALFORMED,
                     "\"ref_type\" is not a type name");
      g_strlcpy (n->ref_type, ref_type, sizeof n->ref_type);
    }
  if (detail != NULL && !check_printable (detail, "detail", error))
    return FALSE;
  n->detail = g_strdup (detail);
  return TRUE;
}

static gboolean
read_body (JsonObject *obj, SlGuideMsg *out, GError **error)
{
  switch (out->type)
    {
    case SL_GUIDE_MARK:
      return read_mark (obj, &out->mark, error);
    case SL_GUIDE_DELETE:
      return read_id (obj, "id", TRUE, out->id, error);
    case SL_GUIDE_UNDO:
    case SL_GUIDE_CLEAR:
      return TRUE;
    case SL_GUIDE_POINTER:
      return read_pointer (obj, &out->pointer, error);
    case SL_GUIDE_CUE:
      return read_cue (obj, &out->cue, error);
    case SL_GUIDE_PROMPT:
      return read_prompt (obj, &out->prompt, error);
    case SL_GUIDE_IMAGE:
      return read_size (obj, &out->image.width, &out->image.height, error)
             && read_spacing (obj, &out->image.mm_per_px_x,
                              &out->image.mm_per_px_y, error);
    case SL_GUIDE_STILL_REQUEST:
    case SL_GUIDE_STILL_END:
      return read_id (obj, "req", TRUE, out->req, error);
    case SL_GUIDE_STILL_META:
      return read_still_meta (obj, &out->still, error);
    case SL_GUIDE_STILL_CHUNK:
      return read_still_chunk (obj, &out->chunk, error);
    case SL_GUIDE_NACK:
      return read_nack (obj, &out->nack, error);
    }
  return fail (error, SL_GUIDE_ERROR_UNKNOWN_TYPE, "unhandled type");
}

/* Reads the envelope every message has: "v", "type", "media_ms". */
static gboolean
read_envelope (JsonObject *obj, SlGuideMsg *out, GError **error)
{
  gint64 version;
  const gchar *type;
  gint t;

  if (!read_int (obj, "v", TRUE, G_MININT64, G_MAXINT64, 0, &version, error))
    return FALSE;
  if (version != SL_GUIDE_VERSION)
    return fail (error, SL_GUIDE_ERROR_UNKNOWN_VERSION,
                 "version %" G_GINT64_FORMAT " (this station speaks %d)",
                 version, SL_GUIDE_VERSION);
  if (!read_string (obj, "type", TRUE, 32, &type, error))
    {
      if (error != NULL
          && g_error_matches (*error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_TOO_LARGE))
        (*error)->code = SL_GUIDE_ERROR_UNKNOWN_TYPE;
      return FALSE;
    }
  t = sl_guide_lookup (sl_guide_type_names, SL_GUIDE_N_TYPES, type);
  if (t < 0)
    return fail (error, SL_GUIDE_ERROR_UNKNOWN_TYPE, "unknown \"type\"");
  out->type = (SlGuideType)t;
  return read_int (obj, "media_ms", TRUE, 0, SL_GUIDE_MAX_INT, 0,
                   &out->media_ms, error);
}

gboolean
sl_guide_parse (const gchar *text, gsize len, SlGuideMsg *out, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local = NULL;
  JsonNode *root;
  JsonObject *obj;

  memset (out, 0, sizeof *out);
  if (!check_text (text, len, &local))
    goto out;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, (gssize)len, NULL))
    {
      fail (&local, SL_GUIDE_ERROR_MALFORMED, "not JSON");
      goto out;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      fail (&local, SL_GUIDE_ERROR_MALFORMED, "not a JSON object");
      goto out;
    }
  obj = json_node_get_object (root);
  if (read_envelope (obj, out, &local))
    read_body (obj, out, &local);
out:
  if (local == NULL)
    return TRUE;
  g_propagate_prefixed_error (error, g_steal_pointer (&local),
                              "guidance message refused: ");
  return FALSE;
}
