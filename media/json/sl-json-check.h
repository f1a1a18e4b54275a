/* sl-json-check.h — strict JSON (RFC 8259) validation of raw text.
 *
 * json-glib is lenient in ways a network parser must not be: it reads
 * "\377" as a raw byte (bypassing the UTF-8 check), cuts strings at "\0"
 * and at an escaped U+0000, lets "\q" pass, keeps the last of two equal
 * member names and recurses without bound.  This module reads the raw
 * bytes once, without building anything, and says whether they are one
 * strict JSON text that json-glib will read the same way everyone else
 * does.  Every parser of outside JSON runs it first, in one place each
 * (the signalling codec, the token claims); json-glib then only builds
 * the tree.
 *
 * What it refuses, beyond the RFC 8259 grammar: invalid UTF-8 anywhere,
 * U+0000 raw or escaped (json-glib hands strings back NUL-terminated),
 * lone UTF-16 surrogates in \u escapes, duplicate member names in one
 * object (compared after unescaping, so "a" and "\u0061" are the same
 * name), and nesting deeper than the caller's limit.
 *
 * Pure functions with no global state: callable from any thread.  The
 * only dependency is GLib.  Error messages give a byte offset and the
 * rule broken, never the text around it, so that a refused token or SDP
 * never reaches a log through them.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_JSON_CHECK_ERROR (sl_json_check_error_quark ())
GQuark sl_json_check_error_quark (void);

typedef enum
{
  SL_JSON_CHECK_ERROR_SYNTAX,    /* not the RFC 8259 grammar */
  SL_JSON_CHECK_ERROR_ENCODING,  /* invalid UTF-8, NUL, lone surrogate */
  SL_JSON_CHECK_ERROR_ESCAPE,    /* unknown escape such as \q or \0 */
  SL_JSON_CHECK_ERROR_CONTROL,   /* raw control character in a string */
  SL_JSON_CHECK_ERROR_DUPLICATE, /* a member name repeated in one object */
  SL_JSON_CHECK_ERROR_DEPTH,     /* nested deeper than allowed */
  SL_JSON_CHECK_ERROR_TRAILING,  /* data after the JSON value */
} SlJsonCheckError;

/* The deepest nesting a caller may allow; the checker keeps one small
 * record per level. */
#define SL_JSON_CHECK_MAX_DEPTH 256

/* Checks that the @len bytes at @data (need not be NUL-terminated) are
 * exactly one JSON value, optionally surrounded by whitespace, with
 * objects and arrays nested at most @max_depth levels (1 to
 * SL_JSON_CHECK_MAX_DEPTH; a bare scalar has depth 0).  Returns FALSE
 * with @error set in SL_JSON_CHECK_ERROR otherwise. */
gboolean sl_json_check (const gchar *data, gsize len, guint max_depth,
                        GError **error);

G_END_DECLS
