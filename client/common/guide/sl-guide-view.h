/* sl-guide-view.h — guidance drawn over a picture: PNG files and windows.
 *
 * Both stations show the marks with one renderer (sl-guide-render.h): the
 * township over its raw probe frames, the expert over its decoded ones.
 * This module puts a picture and a drawing together, either as a PNG file
 * (the stations' --snapshot) or live in front of a video sink (blended
 * into the decoded picture in its own format, only where the marks are).  What is drawn is the caller's
 * SlGuideDrawFunc, which takes the caller's own lock around its state.
 * A window's mouse and key events (GstNavigation events, which video
 * sinks send upstream) are caught in front of the overlay, their
 * positions normalised to the picture, and handed to the caller's
 * SlGuideViewInputFunc.
 *
 * sl_guide_view_write_png: any thread (it blocks for the conversion and
 * the PNG encode).  sl_guide_view_wrap_sink: control thread; the draw
 * function then runs on the display's streaming thread, the input
 * function on the thread the sink sends its events from (its own event
 * thread for ximagesink and xvimagesink): neither may block.
 */
#pragma once

#include "sl-guide-input.h"

#include <cairo.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* Draws onto @cr, whose user space is a @width × @height picture.  Must
 * not block for long: it may run on a streaming thread. */
typedef void (*SlGuideDrawFunc) (cairo_t *cr, guint width, guint height,
                                 gpointer user_data);

/* Takes one mouse or key event of the window, its position normalised to
 * the picture (sl-guide-input.h) and its time stamped on the monotonic
 * clock.  Runs on a thread of the sink's: must hand the event over and
 * return. */
typedef void (*SlGuideViewInputFunc) (const SlGuideInputEvent *event,
                                      gpointer user_data);

/* Converts @frame (raw video of any format) to RGB, lets @draw (nullable)
 * draw over it, and writes it as an 8-bit RGB PNG to @path under a
 * temporary name renamed into place, so that a reader never sees half a
 * picture. */
gboolean sl_guide_view_write_png (GstSample *frame, SlGuideDrawFunc draw,
                                  gpointer user_data, const gchar *path,
                                  GError **error);

/* Returns (transfer floating) a bin "identity ! videoconvert ! @sink"
 * (taking @sink, floating) that calls @draw for every frame shown,
 * blends what it drew into the frame in the frame's own format (every
 * pixel outside the drawing left as it came), and calls @input
 * (nullable) for every mouse and key event the sink reports; or @sink
 * itself when those elements are missing.  @user_data must
 * outlive the bin. */
GstElement *sl_guide_view_wrap_sink (GstElement *sink, SlGuideDrawFunc draw,
                                     SlGuideViewInputFunc input,
                                     gpointer user_data);

/* Blends what @draw draws into every raw picture that leaves by @pad,
 * as the wrapped sink does, for a pipeline that encodes the picture
 * rather than shows it (sonolink-replay --burn-marks).  The pictures
 * must be in a format GstVideoOverlayComposition blends into (I420 is).
 * @user_data must outlive the pad. */
void sl_guide_view_draw_on_pad (GstPad *pad, SlGuideDrawFunc draw,
                                gpointer user_data);

G_END_DECLS
