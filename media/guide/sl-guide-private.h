/* sl-guide-private.h — what the guidance codec's writer (sl-guide.c) and
 * parser (sl-guide-parse.c) share: the wire names of every enumeration,
 * indexed by its values.  Not for other modules. */
#pragma once

#include "sl-guide.h"

G_BEGIN_DECLS

#define SL_GUIDE_MAX_REF_TYPE_LEN 32

extern const gchar *const sl_guide_type_names[SL_GUIDE_N_TYPES];
extern const gchar *const sl_guide_kind_names[SL_GUIDE_N_KINDS];
extern const gchar *const sl_guide_color_names[SL_GUIDE_N_COLORS];
extern const gchar *const sl_guide_cue_names[SL_GUIDE_N_CUES];
extern const gchar *const sl_guide_dir_names[SL_GUIDE_N_DIRS];
extern const gchar *const sl_guide_prompt_names[SL_GUIDE_N_PROMPTS];
extern const gchar *const sl_guide_reason_names[SL_GUIDE_N_REASONS];

/* Returns the index of @name in @names (@n of them), or -1. */
gint sl_guide_lookup (const gchar *const *names, guint n, const gchar *name);

/* Returns @names[@i], or "unknown" if @i is not below @n. */
const gchar *sl_guide_name_of (const gchar *const *names, guint n, gint i);

G_END_DECLS
