/* sl-json-check.c — strict JSON (RFC 8259) validation of raw text.
 *
 * One pass over the bytes with an explicit stack instead of recursion, so
 * that depth costs memory we bound (one record per level) rather than C
 * stack.  UTF-8 is validated over the whole text first; after that the
 * scanner only needs to look at ASCII bytes, since every byte of a
 * multi-byte sequence is >= 0x80 and can only stand inside a string.
 *
 * Member names are unescaped into a scratch buffer and kept in a set per
 * open object, so a duplicate is found whatever escapes spell it.  The sets
 * are made lazily and reused level by level: a message of many small
 * objects allocates one set per depth, not one per object.
 */
#include "sl-json-check.h"

#include <string.h>

/* G_DEFINE_QUARK makes its first argument the domain's name. */
/* clang-format off */
G_DEFINE_QUARK (sl-json-check-error-quark, sl_json_check_error)
/* clang-format on */

typedef struct
{
  gboolean is_object;
  GHashTable *names; /* member names seen in this object; NULL until one */
} Level;

typedef struct
{
  const guchar *start;
  const guchar *p;
  const guchar *end;
  guint depth;
  guint max_depth;
  Level *levels; /* [max_depth] */
  GString *name; /* the member name being read, unescaped */
  GError **error;
} Checker;

static gboolean G_GNUC_PRINTF (3, 4)
    fail (Checker *c, SlJsonCheckError code, const gchar *format, ...)
{
  g_autofree gchar *what = NULL;
  va_list args;

  if (c->error == NULL)
    return FALSE;
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (c->error, SL_JSON_CHECK_ERROR, code,
               "not strict JSON at byte %" G_GSIZE_FORMAT ": %s",
               (gsize)(c->p - c->start), what);
  return FALSE;
}

static void
skip_ws (Checker *c)
{
  while (c->p < c->end
         && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

/* Reads exactly @word (a literal: true, false, null). */
static gboolean
read_literal (Checker *c, const gchar *word)
{
  gsize n = strlen (word);

  if ((gsize)(c->end - c->p) < n || memcmp (c->p, word, n) != 0)
    return fail (c, SL_JSON_CHECK_ERROR_SYNTAX, "expected a value");
  c->p += n;
  return TRUE;
}

static gboolean
is_digit (const Checker *c)
{
  return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

/* number = [ "-" ] int [ frac ] [ exp ], RFC 8259 §6: no leading zeros,
 * no "+" sign, no bare "." or "e". */
static gboolean
read_number (Checker *c)
{
  if (c->p < c->end && *c->p == '-')
    c->p++;
  if (!is_digit (c))
    return fail (c, SL_JSON_CHECK_ERROR_SYNTAX, "a number needs a digit");
  if (*c->p == '0')
    c->p++;
  else
    while (is_digit (c))
      c->p++;
  if (c->p < c->end && *c->p == '.')
    {
      c->p++;
      if (!is_digit (c))
        return fail (c, SL_JSON_CHECK_ERROR_SYNTAX,
                     "a fraction needs a digit after '.'");
      while (is_digit (c))
        c->p++;
    }
  if (c->p < c->end && (*c->p == 'e' || *c->p == 'E'))
    {
      c->p++;
      if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
        c->p++;
      if (!is_digit (c))
        return fail (c, SL_JSON_CHECK_ERROR_SYNTAX,
                     "an exponent needs a digit");
      while (is_digit (c))
        c->p++;
    }
  return TRUE;
}

/* Reads the four hex digits of a \u escape. */
static gboolean
read_hex4 (Checker *c, gunichar *out)
{
  *out = 0;
  if (c->end - c->p < 4)
    return fail (c, SL_JSON_CHECK_ERROR_ESCAPE, "\\u needs four hex digits");
  for (guint i = 0; i < 4; i++)
    {
      gint v = g_ascii_xdigit_value ((gchar)c->p[i]);
      if (v < 0)
        return fail (c, SL_JSON_CHECK_ERROR_ESCAPE,
                     "\\u needs four hex digits");
      *out = *out << 4 | (gunichar)v;
    }
  c->p += 4;
  return TRUE;
}

/* Reads a \u escape (c->p just past the 'u'), joining a surrogate pair. */
static gboolean
read_unicode_escape (Checker *c, GString *out)
{
  gunichar u, low;

  if (!read_hex4 (c, &u))
    return FALSE;
  if (u >= 0xDC00 && u <= 0xDFFF)
    return fail (c, SL_JSON_CHECK_ERROR_ENCODING,
                 "a low surrogate \\u escape without a high one");
  if (u >= 0xD800 && u <= 0xDBFF)
    {
      if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
        return fail (c, SL_JSON_CHECK_ERROR_ENCODING,
                     "a high surrogate \\u escape without a low one");
      c->p += 2;
      if (!read_hex4 (c, &low))
        return FALSE;
      if (low < 0xDC00 || low > 0xDFFF)
        return fail (c, SL_JSON_CHECK_ERROR_ENCODING,
                     "a high surrogate \\u escape without a low one");
      u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
    }
  if (u == 0)
    return fail (c, SL_JSON_CHECK_ERROR_ENCODING,
                 "U+0000 (\\u0000) is not accepted in a string");
  if (out != NULL)
    g_string_append_unichar (out, u);
  return TRUE;
}

/* Reads one escape (c->p on the character after the backslash). */
static gboolean
read_escape (Checker *c, GString *out)
{
  static const gchar from[] = "\"\\/bfnrt";
  static const gchar to[] = "\"\\/\b\f\n\r\t";
  const gchar *hit;

  if (c->p == c->end)
    return fail (c, SL_JSON_CHECK_ERROR_SYNTAX, "the text ends in a string");
  if (*c->p == 'u')
    {
      c->p++;
      return read_unicode_escape (c, out);
    }
  hit = *c->p != '\0' ? strchr (from, *c->p) : NULL;
  if (hit == NULL)
    return fail (c, SL_JSON_CHECK_ERROR_ESCAPE,
                 "unknown escape (strict JSON allows \\\" \\\\ \\/ \\b \\f "
                 "\\n \\r \\t and \\uXXXX only)");
  if (out != NULL)
    g_string_append_c (out, to[hit - from]);
  c->p++;
  return TRUE;
}

/* Reads a string (c->p on its opening quote); appends its unescaped
 * content to @out unless NULL. */
static gboolean
read_string (Checker *c, GString *out)
{
  c->p++;
  while (c->p < c->end)
    {
      guchar ch = *c->p;

      if (ch == '"')
        {
          c->p++;
          return TRUE;
        }
      if (ch < 0x20)
        return fail (c, SL_JSON_CHECK_ERROR_CONTROL,
                     "a control character (0x%02x) must be escaped in a "
                     "string",
                     (guint)ch);
      c->p++;
      if (ch == '\\')
        {
          if (!read_escape (c, out))
            return FALSE;
        }
      else if (out != NULL)
        g_string_append_c (out, (gchar)ch);
    }
  return fail (c, SL_JSON_CHECK_ERROR_SYNTAX, "the text ends in a string");
}

/* Reads a member name and the colon after it; refuses a repeated name. */
static gboolean
read_member_name (Checker *c)
{
  Level *level = &c->levels[c->depth - 1];

  if (c->p == c->end || *c->p != '"')
    return fail (c, SL_JSON_CHECK_ERROR_SYNTAX, "expected a member name");
  g_string_truncate (c->name, 0);
  if (!read_string (c, c->name))
    return FALSE;
  if (level->names == NULL)
    level->names
        = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!g_hash_table_add (level->names, g_strndup (c->name->str, c->name->len)))
    return fail (c, SL_JSON_CHECK_ERROR_DUPLICATE,
                 "a member name appears twice in one object");
  skip_ws (c);
  if (c->p == c->end || *c->p != ':')
    return fail (c, SL_JSON_CHECK_ERROR_SYNTAX,
                 "expected ':' after a member name");
  c->p++;
  return TRUE;
}

static gboolean
push (Checker *c, gboolean is_object)
{
  if (c->depth >= c->max_depth)
    return fail (c, SL_JSON_CHECK_ERROR_DEPTH, "nested deeper than %u levels",
                 c->max_depth);
  c->levels[c->depth].is_object = is_object;
  c->depth++;
  c->p++;
  return TRUE;
}

static void
pop (Checker *c)
{
  Level *level = &c->levels[--c->depth];

  if (level->names != NULL)
    g_hash_table_remove_all (level->names);
  c->p++;
}

/* Reads one value.  A container is only opened here: *@opened tells the
 * caller to read its first member or element next, or its end. */
static gboolean
read_value (Checker *c, gboolean *opened)
{
  *opened = FALSE;
  skip_ws (c);
  if (c->p == c->end)
    return fail (c, SL_JSON_CHECK_ERROR_SYNTAX, "expected a value");
  switch (*c->p)
    {
    case '{':
    case '[':
      *opened = TRUE;
      return push (c, *c->p == '{');
    case '"':
      return read_string (c, NULL);
    case 't':
      return read_literal (c, "true");
    case 'f':
      return read_literal (c, "false");
    case 'n':
      return read_literal (c, "null");
    default:
      if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
        return read_number (c);
      return fail (c, SL_JSON_CHECK_ERROR_SYNTAX, "expected a value");
    }
}

/* After a container opened or a separator: its end, or the next member
 * (name and colon) or element.  Returns with *@need_value set when a
 * value must follow. */
static gboolean
read_next (Checker *c, gboolean first, gboolean *need_value)
{
  const Level *level = &c->levels[c->depth - 1];
  const guchar close = level->is_object ? '}' : ']';

  *need_value = FALSE;
  skip_ws (c);
  if (c->p == c->end)
    return fail (c, SL_JSON_CHECK_ERROR_SYNTAX, "the text ends inside %s",
                 level->is_object ? "an object" : "an array");
  if (*c->p == close)
    {
      pop (c);
      return TRUE;
    }
  if (!first)
    {
      if (*c->p != ',')
        return fail (c, SL_JSON_CHECK_ERROR_SYNTAX, "expected ',' or '%c'",
                     close);
      c->p++;
      skip_ws (c);
    }
  if (level->is_object && !read_member_name (c))
    return FALSE;
  *need_value = TRUE;
  return TRUE;
}

/* The grammar as a loop: read a value; while inside a container, read
 * what follows it. */
static gboolean
check_text (Checker *c)
{
  gboolean opened, need_value = TRUE, first = FALSE;

  for (;;)
    {
      if (need_value)
        {
          if (!read_value (c, &opened))
            return FALSE;
          first = opened;
        }
      if (c->depth == 0)
        break;
      if (!read_next (c, first, &need_value))
        return FALSE;
      first = FALSE;
    }
  skip_ws (c);
  if (c->p != c->end)
    return fail (c, SL_JSON_CHECK_ERROR_TRAILING,
                 "data after the end of the JSON value");
  return TRUE;
}

gboolean
sl_json_check (const gchar *data, gsize len, guint max_depth, GError **error)
{
  Checker c = { 0 };
  gboolean ok;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (max_depth >= 1 && max_depth <= SL_JSON_CHECK_MAX_DEPTH,
                        FALSE);

  c.start = c.p = (const guchar *)(data ? data : "");
  c.end = c.start + len;
  c.error = error;
  c.max_depth = max_depth;
  /* Validated whole first: the scanner below then never splits a
   * character, and a NUL byte anywhere is refused here. */
  if (!g_utf8_validate_len (data ? data : "", len, NULL))
    {
      const gchar *bad = NULL;
      g_utf8_validate_len (data, len, &bad);
      c.p = (const guchar *)bad;
      return fail (&c, SL_JSON_CHECK_ERROR_ENCODING,
                   "not valid UTF-8 (or a NUL byte)");
    }
  c.levels = g_new0 (Level, max_depth);
  c.name = g_string_new (NULL);
  ok = check_text (&c);
  for (guint i = 0; i < max_depth; i++)
    g_clear_pointer (&c.levels[i].names, g_hash_table_unref);
  g_free (c.levels);
  g_string_free (c.name, TRUE);
  return ok;
}
