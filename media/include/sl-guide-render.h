/* sl-guide-render.h — draws guidance over a probe image with cairo.
 *
 * One renderer for every place marks are seen: the township's preview,
 * the expert's view, and later recordings and replays.  It draws what an
 * SlGuideState shows at a given time — marks, the pointer, the current
 * cue and prompt — onto a frame of any size: positions are normalised,
 * and every size (line widths, text, icons) is a fraction of the frame's
 * height, so the same state looks the same at 720p and 1080p and lands
 * on the same anatomy.  Each stroke is a bright colour over a dark
 * outline, and text sits on a dark box, so that marks read on grey
 * speckle whatever its brightness.
 *
 * Any thread, but one cairo_t is used by one thread at a time, as cairo
 * requires.  sl_guide_render() allocates nothing of its own (cairo may),
 * so it can draw on a streaming thread, under whatever lock guards the
 * state.
 */
#pragma once

#include <cairo.h>

#include "sl-guide-state.h"

G_BEGIN_DECLS

/* What the renderer needs to know about the probe image to label a
 * caliper.  Zero fields are unknown; the renderer then falls back on what
 * the state's IMAGE message said, then on the rendered frame's size. */
typedef struct
{
  guint source_width, source_height; /* the probe image, pixels */
  gdouble mm_per_px_x, mm_per_px_y;  /* its pixel spacing */
} SlGuideStyle;

/* Sizes on a frame @height pixels high, in pixels. */
typedef struct
{
  gdouble line;    /* a stroke of width factor 1: height / 200, >= 2 */
  gdouble outline; /* the dark edge on each side: height / 480, >= 1.5 */
  gdouble font;    /* label text: height / 30, >= 12 */
  gdouble pointer; /* the pointer's radius: height / 80, >= 6 */
  gdouble cue;     /* the cue icon's side: height / 5 */
  gdouble margin;  /* from the frame's edge to icons and banners */
} SlGuideMetrics;

void sl_guide_render_metrics (guint height, SlGuideMetrics *out);

/* Draws @state as it shows at @now_ms onto the @width × @height frame at
 * the origin of @cr's user space, clipped to it.  @style may be NULL.
 * Leaves @cr's state as it found it. */
void sl_guide_render (cairo_t *cr, guint width, guint height,
                      const SlGuideState *state, const SlGuideStyle *style,
                      gint64 now_ms);

/* The sRGB components (0 .. 1) of a palette colour. */
void sl_guide_color_rgb (SlGuideColor color, gdouble rgb[3]);

/* The text a prompt is shown with; "" for NONE. */
const gchar *sl_guide_prompt_text (SlGuidePromptKind prompt);

/* Returns (transfer full) the label a caliper of @mark shows: "12.3 mm"
 * when the pixel spacing is known, else "123 px" in the probe image's
 * pixels (the rendered frame's if that size is unknown too).  @style may
 * be NULL, @state too. */
gchar *sl_guide_caliper_label (const SlGuideMark *mark,
                               const SlGuideState *state,
                               const SlGuideStyle *style, guint width,
                               guint height);

G_END_DECLS
