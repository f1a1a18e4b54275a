/* linkem-options.h — sl-linkem's command line.
 *
 * Link options come in three forms: plain (--delay) for both directions,
 * and --up-… / --down-… for one; a direction's own form overrides the
 * plain one whatever the order.  Two options that set the same thing at
 * the same level (--rate and --trace, --queue and --queue-bytes, or one
 * option twice) are refused, except --outage, which adds a window each
 * time.  Every value is checked here, so that a bad command line fails
 * before anything is created.  Pure apart from reading trace files.
 */
#pragma once

#include <glib.h>

#include "linkem-core.h"

G_BEGIN_DECLS

typedef struct
{
  SlLinkemConfig up;     /* CMD → host; owns a ref on up.trace */
  SlLinkemConfig down;   /* host → CMD; owns a ref on down.trace */
  gint64 path_change_us; /* from the start; -1: no path change */
  guint64 seed;          /* default 1 */
  gchar *stats_path;     /* (nullable) */
  guint mtu;             /* default 1500 */
  gchar **command;       /* (nullable) CMD and its arguments */
  gboolean help;
  gboolean version;
} SlLinkemOptions;

/* Parses @argv into @opts (which it initialises).  Returns FALSE with
 * @error in G_OPTION_ERROR, or in SL_LINKEM_ERROR for a bad trace file,
 * naming the option and the value at fault. */
gboolean sl_linkem_options_parse (SlLinkemOptions *opts, int argc, char **argv,
                                  GError **error);

/* Frees what @opts holds. */
void sl_linkem_options_clear (SlLinkemOptions *opts);

/* The text of --help. */
const gchar *sl_linkem_options_help (void);

G_END_DECLS
