/* sl-probe-private.h — what sl-probe.c shares with the backends. */
#pragma once

#include "sl-probe.h"

G_BEGIN_DECLS

/* The caps every backend exposes: I420 at @width × @height, square pixels,
 * and @fps/1 when @fps is not 0.  Returns (transfer full). */
GstCaps *sl_probe_make_caps (guint width, guint height, guint fps);

/* Wraps @element's "src" pad, or @element's own if it is a bin, in the
 * "src" ghost pad of @bin. */
gboolean sl_probe_ghost_src (GstBin *bin, GstElement *element);

G_END_DECLS
