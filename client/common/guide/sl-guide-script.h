/* sl-guide-script.h — a timed guidance script for the expert station.
 *
 * `sonolink-expert --guidance-script FILE` replays marks, pointer moves,
 * cues, prompts and still requests at set times, for tests, benchmarks and
 * demonstrations (format in docs/guidance.md, SCRIPTS).  Each line is a
 * JSON object {"at_ms": T, "msg": {...}}: the message as on the wire
 * without "v" and "media_ms", which the station fills in when it sends
 * it, and for a pointer without "seq", which the station numbers.  This
 * module only reads and checks the file; the station replays it.
 *
 * Pure; any thread.
 */
#pragma once

#include "sl-guide.h"

G_BEGIN_DECLS

#define SL_GUIDE_SCRIPT_ERROR (sl_guide_script_error_quark ())
GQuark sl_guide_script_error_quark (void);

typedef enum
{
  SL_GUIDE_SCRIPT_ERROR_INVALID, /* a line is not a valid entry */
  SL_GUIDE_SCRIPT_ERROR_EMPTY,   /* no entry at all */
} SlGuideScriptError;

/* The latest time an entry may have: a day. */
#define SL_GUIDE_SCRIPT_MAX_AT_MS (24 * 3600 * 1000)
/* The most entries a script may hold. */
#define SL_GUIDE_SCRIPT_MAX_ENTRIES 100000

typedef struct
{
  gint64 at_ms;   /* from the start of the replay; never decreasing */
  guint line;     /* in the file, from 1, for messages */
  SlGuideMsg msg; /* media_ms 0; a pointer's seq 0 */
} SlGuideScriptEntry;

/* Parses @text (a whole script) into an array of SlGuideScriptEntry, in
 * file order.  Empty lines and lines whose first non-blank character is
 * '#' are skipped.  On a bad line returns NULL with @error
 * "@name:LINE: reason".  Free the array with g_array_unref (its messages
 * own nothing). */
GArray *sl_guide_script_parse (const gchar *text, gsize len, const gchar *name,
                               GError **error);

/* Reads and parses the file at @path (at most 64 MiB). */
GArray *sl_guide_script_load (const gchar *path, GError **error);

G_END_DECLS
