/* sl-phantom.h — the synthetic phantom's image generator (plain C core).
 *
 * Renders a deterministic B-mode-like picture: a fan-shaped sector on black,
 * speckle, moving bright and dark structures, depth ticks, and the frame index
 * stamped in the top-left corner (sl-stamp.h).  Frame N of a given
 * (width, height, seed) is always the same bytes, on every machine, so a
 * receiver can regenerate the exact source of any frame it decodes.
 * An SlPhantom is not thread-safe; use one per thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SlPhantom SlPhantom;

/* @width and @height even, 64..1920 and 64..1080.  Returns NULL otherwise. */
SlPhantom *sl_phantom_new (guint width, guint height, guint32 seed);
void sl_phantom_free (SlPhantom *phantom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlPhantom, sl_phantom_free)

guint sl_phantom_get_width (const SlPhantom *phantom);
guint sl_phantom_get_height (const SlPhantom *phantom);

/* Millimetres per pixel: the sector spans a fixed imaging depth (16 cm). */
gdouble sl_phantom_get_mm_per_pixel (const SlPhantom *phantom);

/* The same for a phantom of @width × @height, without building one (which
 * costs tens of milliseconds); 0 for a size sl_phantom_new() refuses. */
gdouble sl_phantom_mm_per_pixel_for_size (guint width, guint height);

/* Renders frame @index (the frame counter at 30 fps) into an I420 picture.
 * Chroma planes are set to 128 (grey picture). */
void sl_phantom_render (SlPhantom *phantom, guint64 index, guint8 *y,
                        gint y_stride, guint8 *u, gint u_stride, guint8 *v,
                        gint v_stride);

G_END_DECLS
