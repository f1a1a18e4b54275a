/* sl-nosignal.h — the picture the expert sees while the probe is lost.
 *
 * Black, with in white: "NO SIGNAL from the ultrasound machine", how long
 * for, and that the station is retrying.  Drawn (cairo) straight into an
 * I420 frame at the session's size, so it travels like any probe picture.
 * Deliberately unlike an ultrasound image and unlike a frozen one: its
 * clock moves.  Plain C; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The words of the first line, for tests and documentation. */
#define SL_NOSIGNAL_TITLE "NO SIGNAL from the ultrasound machine"

/* Draws the picture for a loss of @seconds into the I420 frame @planes
 * (Y, U, V) with @strides, @width × @height (even, at least 64 × 64). */
void sl_nosignal_draw (guint8 *const planes[3], const gint strides[3],
                       guint width, guint height, guint seconds);

/* Writes "for 12 s", "for 3 min 05 s" or "for 2 h 03 min" into @text. */
void sl_nosignal_duration (guint seconds, gchar *text, gsize size);

G_END_DECLS
