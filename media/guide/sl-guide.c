/* sl-guide.c — the guidance codec's names, writer and helpers; see
 * sl-guide.h and docs/guidance.md.  The parser, which is the part that
 * meets the peer's bytes, is sl-guide-parse.c.
 *
 * Serialising is done by hand rather than with JsonGenerator so that
 * coordinates are written to a fixed precision: short messages, and text
 * that reads back to a message that writes the same text again.
 */
#include "sl-guide-private.h"

#include <string.h>

/* G_DEFINE_QUARK makes its first argument the domain's name. */
/* clang-format off */
G_DEFINE_QUARK (sl-guide-error-quark, sl_guide_error)
/* clang-format on */

const gchar *const sl_guide_type_names[] = {
  [SL_GUIDE_MARK] = "mark",
  [SL_GUIDE_DELETE] = "delete",
  [SL_GUIDE_UNDO] = "undo",
  [SL_GUIDE_CLEAR] = "clear",
  [SL_GUIDE_POINTER] = "pointer",
  [SL_GUIDE_CUE] = "cue",
  [SL_GUIDE_PROMPT] = "prompt",
  [SL_GUIDE_IMAGE] = "image",
  [SL_GUIDE_STILL_REQUEST] = "still_request",
  [SL_GUIDE_STILL_META] = "still_meta",
  [SL_GUIDE_STILL_CHUNK] = "still_chunk",
  [SL_GUIDE_STILL_END] = "still_end",
  [SL_GUIDE_NACK] = "nack",
};

const gchar *const sl_guide_kind_names[] = {
  [SL_GUIDE_KIND_ARROW] = "arrow",       [SL_GUIDE_KIND_ELLIPSE] = "ellipse",
  [SL_GUIDE_KIND_POLYLINE] = "polyline", [SL_GUIDE_KIND_TEXT] = "text",
  [SL_GUIDE_KIND_BOX] = "box",           [SL_GUIDE_KIND_CALIPER] = "caliper",
};

const gchar *const sl_guide_color_names[] = {
  [SL_GUIDE_COLOR_YELLOW] = "yellow", [SL_GUIDE_COLOR_CYAN] = "cyan",
  [SL_GUIDE_COLOR_GREEN] = "green",   [SL_GUIDE_COLOR_MAGENTA] = "magenta",
  [SL_GUIDE_COLOR_ORANGE] = "orange", [SL_GUIDE_COLOR_RED] = "red",
  [SL_GUIDE_COLOR_WHITE] = "white",
};

const gchar *const sl_guide_cue_names[] = {
  [SL_GUIDE_CUE_NONE] = "none",     [SL_GUIDE_CUE_SLIDE] = "slide",
  [SL_GUIDE_CUE_ROCK] = "rock",     [SL_GUIDE_CUE_TILT] = "tilt",
  [SL_GUIDE_CUE_ROTATE] = "rotate", [SL_GUIDE_CUE_COMPRESS] = "compress",
};

const gchar *const sl_guide_dir_names[] = {
  [SL_GUIDE_DIR_NONE] = "none",       [SL_GUIDE_DIR_LEFT] = "left",
  [SL_GUIDE_DIR_RIGHT] = "right",     [SL_GUIDE_DIR_UP] = "up",
  [SL_GUIDE_DIR_DOWN] = "down",       [SL_GUIDE_DIR_CW] = "cw",
  [SL_GUIDE_DIR_CCW] = "ccw",         [SL_GUIDE_DIR_PRESS] = "press",
  [SL_GUIDE_DIR_RELEASE] = "release",
};

const gchar *const sl_guide_prompt_names[] = {
  [SL_GUIDE_PROMPT_NONE] = "none",
  [SL_GUIDE_PROMPT_DOPPLER] = "doppler",
  [SL_GUIDE_PROMPT_FREEZE] = "freeze",
  [SL_GUIDE_PROMPT_UNFREEZE] = "unfreeze",
  [SL_GUIDE_PROMPT_DEPTH_UP] = "depth_up",
  [SL_GUIDE_PROMPT_DEPTH_DOWN] = "depth_down",
  [SL_GUIDE_PROMPT_GAIN_UP] = "gain_up",
  [SL_GUIDE_PROMPT_GAIN_DOWN] = "gain_down",
  [SL_GUIDE_PROMPT_HOLD] = "hold",
  [SL_GUIDE_PROMPT_SLOWER] = "slower",
  [SL_GUIDE_PROMPT_BACK] = "back",
};

const gchar *const sl_guide_reason_names[] = {
  [SL_GUIDE_REASON_OTHER] = "other",
  [SL_GUIDE_REASON_MALFORMED] = "malformed",
  [SL_GUIDE_REASON_TOO_LARGE] = "too_large",
  [SL_GUIDE_REASON_UNKNOWN_VERSION] = "unknown_version",
  [SL_GUIDE_REASON_OUT_OF_RANGE] = "out_of_range",
  [SL_GUIDE_REASON_UNKNOWN_TYPE] = "unknown_type",
  [SL_GUIDE_REASON_LIMIT] = "limit",
  [SL_GUIDE_REASON_SEQUENCE] = "sequence",
  [SL_GUIDE_REASON_CHECKSUM] = "checksum",
  [SL_GUIDE_REASON_UNAVAILABLE] = "unavailable",
  [SL_GUIDE_REASON_BUSY] = "busy",
};

G_STATIC_ASSERT (G_N_ELEMENTS (sl_guide_type_names) == SL_GUIDE_N_TYPES);
G_STATIC_ASSERT (G_N_ELEMENTS (sl_guide_kind_names) == SL_GUIDE_N_KINDS);
G_STATIC_ASSERT (G_N_ELEMENTS (sl_guide_color_names) == SL_GUIDE_N_COLORS);
G_STATIC_ASSERT (G_N_ELEMENTS (sl_guide_cue_names) == SL_GUIDE_N_CUES);
G_STATIC_ASSERT (G_N_ELEMENTS (sl_guide_dir_names) == SL_GUIDE_N_DIRS);
G_STATIC_ASSERT (G_N_ELEMENTS (sl_guide_prompt_names) == SL_GUIDE_N_PROMPTS);
G_STATIC_ASSERT (G_N_ELEMENTS (sl_guide_reason_names) == SL_GUIDE_N_REASONS);
/* Returns the index of @name in @names, or -1. */
gint
sl_guide_lookup (const gchar *const *names, guint n, const gchar *name)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (names[i], name) == 0)
      return (gint)i;
  return -1;
}

const gchar *
sl_guide_name_of (const gchar *const *names, guint n, gint i)
{
  return i >= 0 && (guint)i < n ? names[i] : "unknown";
}

const gchar *
sl_guide_type_name (SlGuideType type)
{
  return sl_guide_name_of (sl_guide_type_names, SL_GUIDE_N_TYPES, (gint)type);
}

const gchar *
sl_guide_kind_name (SlGuideMarkKind kind)
{
  return sl_guide_name_of (sl_guide_kind_names, SL_GUIDE_N_KINDS, (gint)kind);
}

const gchar *
sl_guide_reason_name (SlGuideReason reason)
{
  return sl_guide_name_of (sl_guide_reason_names, SL_GUIDE_N_REASONS,
                           (gint)reason);
}

const gchar *
sl_guide_cue_name (SlGuideCueKind cue)
{
  return sl_guide_name_of (sl_guide_cue_names, SL_GUIDE_N_CUES, (gint)cue);
}

const gchar *
sl_guide_dir_name (SlGuideDir dir)
{
  return sl_guide_name_of (sl_guide_dir_names, SL_GUIDE_N_DIRS, (gint)dir);
}

const gchar *
sl_guide_prompt_name (SlGuidePromptKind prompt)
{
  return sl_guide_name_of (sl_guide_prompt_names, SL_GUIDE_N_PROMPTS,
                           (gint)prompt);
}

const gchar *
sl_guide_channel_for (SlGuideType type)
{
  return type == SL_GUIDE_POINTER ? SL_GUIDE_POINTER_CHANNEL : SL_GUIDE_CHANNEL;
}

gboolean
sl_guide_cue_allows (SlGuideCueKind cue, SlGuideDir dir)
{
  switch (cue)
    {
    case SL_GUIDE_CUE_NONE:
      return dir == SL_GUIDE_DIR_NONE;
    case SL_GUIDE_CUE_SLIDE:
      return dir == SL_GUIDE_DIR_LEFT || dir == SL_GUIDE_DIR_RIGHT
             || dir == SL_GUIDE_DIR_UP || dir == SL_GUIDE_DIR_DOWN;
    case SL_GUIDE_CUE_ROCK:
      return dir == SL_GUIDE_DIR_LEFT || dir == SL_GUIDE_DIR_RIGHT;
    case SL_GUIDE_CUE_TILT:
      return dir == SL_GUIDE_DIR_UP || dir == SL_GUIDE_DIR_DOWN;
    case SL_GUIDE_CUE_ROTATE:
      return dir == SL_GUIDE_DIR_CW || dir == SL_GUIDE_DIR_CCW;
    case SL_GUIDE_CUE_COMPRESS:
      return dir == SL_GUIDE_DIR_PRESS || dir == SL_GUIDE_DIR_RELEASE;
    }
  return FALSE;
}

gboolean
sl_guide_id_is_valid (const gchar *id)
{
  gsize n = 0;

  if (id == NULL)
    return FALSE;
  for (; id[n] != '\0'; n++)
    if (n >= SL_GUIDE_MAX_ID_LEN
        || !(g_ascii_isalnum (id[n]) || strchr ("-_.:", id[n]) != NULL))
      return FALSE;
  return n > 0;
}

void
sl_guide_msg_clear (SlGuideMsg *msg)
{
  if (msg->type == SL_GUIDE_STILL_CHUNK)
    g_free (msg->chunk.data);
  else if (msg->type == SL_GUIDE_NACK)
    g_free (msg->nack.detail);
  memset (msg, 0, sizeof *msg);
}

void
sl_guide_nack_init (SlGuideMsg *out, const GError *error, gint64 media_ms,
                    const gchar *ref_type, const gchar *ref_id)
{
  static const SlGuideReason by_code[] = {
    [SL_GUIDE_ERROR_MALFORMED] = SL_GUIDE_REASON_MALFORMED,
    [SL_GUIDE_ERROR_TOO_LARGE] = SL_GUIDE_REASON_TOO_LARGE,
    [SL_GUIDE_ERROR_UNKNOWN_VERSION] = SL_GUIDE_REASON_UNKNOWN_VERSION,
    [SL_GUIDE_ERROR_OUT_OF_RANGE] = SL_GUIDE_REASON_OUT_OF_RANGE,
    [SL_GUIDE_ERROR_UNKNOWN_TYPE] = SL_GUIDE_REASON_UNKNOWN_TYPE,
    [SL_GUIDE_ERROR_LIMIT] = SL_GUIDE_REASON_LIMIT,
    [SL_GUIDE_ERROR_SEQUENCE] = SL_GUIDE_REASON_SEQUENCE,
    [SL_GUIDE_ERROR_CHECKSUM] = SL_GUIDE_REASON_CHECKSUM,
    [SL_GUIDE_ERROR_IMAGE] = SL_GUIDE_REASON_OTHER,
  };
  SlGuideNack *n = &out->nack;
  const gchar *end;

  memset (out, 0, sizeof *out);
  out->type = SL_GUIDE_NACK;
  out->media_ms = CLAMP (media_ms, 0, SL_GUIDE_MAX_INT);
  n->reason = SL_GUIDE_REASON_OTHER;
  if (error != NULL && error->domain == SL_GUIDE_ERROR && error->code >= 0
      && (guint)error->code < G_N_ELEMENTS (by_code))
    n->reason = by_code[error->code];
  if (sl_guide_id_is_valid (ref_type)
      && strlen (ref_type) <= SL_GUIDE_MAX_REF_TYPE_LEN)
    g_strlcpy (n->ref_type, ref_type, sizeof n->ref_type);
  if (sl_guide_id_is_valid (ref_id))
    g_strlcpy (n->ref_id, ref_id, sizeof n->ref_id);
  if (error == NULL || error->message == NULL)
    return;
  /* Cut at a character boundary, and keep the detail printable. */
  n->detail = g_strndup (error->message, SL_GUIDE_MAX_DETAIL_LEN);
  if (!g_utf8_validate (n->detail, -1, &end))
    n->detail[end - n->detail] = '\0';
  for (gchar *c = n->detail; *c != '\0'; c++)
    if ((guchar)*c < 0x20 || *c == 0x7f)
      *c = ' ';
}

/* ---- serialising ---- */

static void
append_string (GString *s, const gchar *name, const gchar *value)
{
  g_string_append_printf (s, ",\"%s\":\"", name);
  for (const gchar *c = value; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_c (s, '\\');
      if ((guchar)*c < 0x20)
        g_string_append_printf (s, "\\u%04x", (guint)(guchar)*c);
      else
        g_string_append_c (s, *c);
    }
  g_string_append_c (s, '"');
}

static void
append_int (GString *s, const gchar *name, gint64 value)
{
  g_string_append_printf (s, ",\"%s\":%" G_GINT64_FORMAT, name, value);
}

/* Appends @v with @decimals decimals, trailing zeros dropped, so that
 * what is written reads back to a number that writes the same way. */
static void
append_fixed (GString *s, gdouble v, gint decimals)
{
  gchar format[8], buf[G_ASCII_DTOSTR_BUF_SIZE];
  gsize n;

  /* -0 would be written "-0" and read back as the integer 0. */
  if (v == 0)
    v = 0;
  g_snprintf (format, sizeof format, "%%.%df", decimals);
  g_ascii_formatd (buf, sizeof buf, format, v);
  n = strlen (buf);
  while (n > 1 && buf[n - 1] == '0' && strchr (buf, '.') != NULL)
    buf[--n] = '\0';
  if (n > 1 && buf[n - 1] == '.')
    buf[--n] = '\0';
  if (strcmp (buf, "-0") == 0)
    strcpy (buf, "0");
  g_string_append (s, buf);
}

static void
append_pair (GString *s, gdouble a, gdouble b, gint decimals)
{
  g_string_append_c (s, '[');
  append_fixed (s, a, decimals);
  g_string_append_c (s, ',');
  append_fixed (s, b, decimals);
  g_string_append_c (s, ']');
}

static void
append_spacing (GString *s, gdouble x, gdouble y)
{
  if (x <= 0 || y <= 0)
    return;
  g_string_append (s, ",\"mm_per_px\":");
  append_pair (s, x, y, 6);
}

static void
write_mark (GString *s, const SlGuideMark *m)
{
  append_string (s, "id", m->id);
  append_string (s, "kind", sl_guide_kind_name (m->kind));
  append_string (s, "color",
                 sl_guide_name_of (sl_guide_color_names, SL_GUIDE_N_COLORS,
                                   (gint)m->color));
  g_string_append (s, ",\"width\":");
  append_fixed (s, m->width, 2);
  if (m->ttl_ms > 0)
    append_int (s, "ttl_ms", m->ttl_ms);
  g_string_append (s, ",\"points\":[");
  for (guint i = 0; i < m->n_points && i < SL_GUIDE_MAX_POINTS; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      append_pair (s, m->points[i].x, m->points[i].y, 5);
    }
  g_string_append_c (s, ']');
  if (m->kind == SL_GUIDE_KIND_TEXT)
    append_string (s, "text", m->text);
}

static void
write_pointer (GString *s, const SlGuidePointer *p)
{
  append_int (s, "seq", (gint64)p->seq);
  append_string (s, "color",
                 sl_guide_name_of (sl_guide_color_names, SL_GUIDE_N_COLORS,
                                   (gint)p->color));
  if (!p->visible)
    {
      g_string_append (s, ",\"visible\":false");
      return;
    }
  g_string_append (s, ",\"x\":");
  append_fixed (s, p->at.x, 5);
  g_string_append (s, ",\"y\":");
  append_fixed (s, p->at.y, 5);
}

static void
write_still (GString *s, const SlGuideStillMeta *m)
{
  append_string (s, "req", m->req);
  append_int (s, "width", m->width);
  append_int (s, "height", m->height);
  append_string (s, "format", "png");
  append_int (s, "bytes", (gint64)m->bytes);
  append_string (s, "sha256", m->sha256);
  append_spacing (s, m->mm_per_px_x, m->mm_per_px_y);
}

static void
write_nack (GString *s, const SlGuideNack *n)
{
  append_string (s, "reason", sl_guide_reason_name (n->reason));
  if (n->ref_type[0] != '\0')
    append_string (s, "ref_type", n->ref_type);
  if (n->ref_id[0] != '\0')
    append_string (s, "ref_id", n->ref_id);
  if (n->detail != NULL)
    append_string (s, "detail", n->detail);
}

static void
write_body (GString *s, const SlGuideMsg *msg)
{
  g_autofree gchar *b64 = NULL;

  switch (msg->type)
    {
    case SL_GUIDE_MARK:
      write_mark (s, &msg->mark);
      break;
    case SL_GUIDE_DELETE:
      append_string (s, "id", msg->id);
      break;
    case SL_GUIDE_UNDO:
    case SL_GUIDE_CLEAR:
      break;
    case SL_GUIDE_POINTER:
      write_pointer (s, &msg->pointer);
      break;
    case SL_GUIDE_CUE:
      append_string (s, "cue",
                     sl_guide_name_of (sl_guide_cue_names, SL_GUIDE_N_CUES,
                                       (gint)msg->cue.cue));
      if (msg->cue.cue == SL_GUIDE_CUE_NONE)
        break;
      append_string (s, "dir",
                     sl_guide_name_of (sl_guide_dir_names, SL_GUIDE_N_DIRS,
                                       (gint)msg->cue.dir));
      append_int (s, "duration_ms", msg->cue.duration_ms);
      break;
    case SL_GUIDE_PROMPT:
      append_string (s, "prompt",
                     sl_guide_name_of (sl_guide_prompt_names,
                                       SL_GUIDE_N_PROMPTS,
                                       (gint)msg->prompt.prompt));
      if (msg->prompt.prompt != SL_GUIDE_PROMPT_NONE)
        append_int (s, "duration_ms", msg->prompt.duration_ms);
      break;
    case SL_GUIDE_IMAGE:
      append_int (s, "width", msg->image.width);
      append_int (s, "height", msg->image.height);
      append_spacing (s, msg->image.mm_per_px_x, msg->image.mm_per_px_y);
      break;
    case SL_GUIDE_STILL_REQUEST:
    case SL_GUIDE_STILL_END:
      append_string (s, "req", msg->req);
      break;
    case SL_GUIDE_STILL_META:
      write_still (s, &msg->still);
      break;
    case SL_GUIDE_STILL_CHUNK:
      append_string (s, "req", msg->chunk.req);
      append_int (s, "index", msg->chunk.index);
      b64 = g_base64_encode (msg->chunk.data, msg->chunk.len);
      append_string (s, "data", b64);
      break;
    case SL_GUIDE_NACK:
      write_nack (s, &msg->nack);
      break;
    }
}

gchar *
sl_guide_serialize (const SlGuideMsg *msg)
{
  GString *s = g_string_sized_new (128);

  g_string_append_printf (s, "{\"v\":%d", SL_GUIDE_VERSION);
  append_string (s, "type", sl_guide_type_name (msg->type));
  append_int (s, "media_ms", msg->media_ms);
  write_body (s, msg);
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}
