/* sl-probe.h — where the picture comes from.
 *
 * A probe adapter turns a probe (or a stand-in for one) into a live GStreamer
 * source of raw video.  sl_probe_make_source() parses a probe spec and builds
 * a bin with one always "src" pad that produces live, timestamped
 * video/x-raw,format=I420 frames at the configured size and rate.  Backends,
 * one folder each:
 *
 *   synthetic   the built-in phantom            (probe-adapter/synthetic/)
 *   file:PATH   a video file looped as a live source   (probe-adapter/file/)
 *   v4l2:DEV    a capture card (HDMI/SDI grabber)       (probe-adapter/v4l2/)
 *   gst:DESC    any GStreamer source description        (probe-adapter/gst/)
 *
 * Every backend but the phantom runs under a keeper (probe-adapter/keeper/):
 * when the source fails or goes quiet, the bin sends a "no signal" picture
 * and rebuilds the source until it gives pictures again; it says so with
 * SL_KEEPER_SIGNAL_MESSAGE element messages (sl-keeper-src.h) on the bus.
 *
 * Call from the application's main thread.  The returned bin is floating
 * like any new GstElement; add it to a pipeline.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SL_PROBE_ERROR (sl_probe_error_quark ())
GQuark sl_probe_error_quark (void);

typedef enum
{
  SL_PROBE_ERROR_SPEC,   /* unknown backend or malformed spec */
  SL_PROBE_ERROR_SOURCE, /* the backend could not be built (missing file,
                            bad pipeline description, missing element) */
} SlProbeError;

#define SL_PROBE_DEFAULT_WIDTH 1280
#define SL_PROBE_DEFAULT_HEIGHT 720
#define SL_PROBE_DEFAULT_FPS 30
#define SL_PROBE_MAX_WIDTH 1920
#define SL_PROBE_MAX_HEIGHT 1080
#define SL_PROBE_MIN_WIDTH 64
#define SL_PROBE_MIN_HEIGHT 64
#define SL_PROBE_MAX_FPS 120

typedef struct
{
  guint width;  /* output width; 0 = default (1280) */
  guint height; /* output height; 0 = default (720) */
  guint fps;    /* output frame rate; 0 = default (30; a file's own) */
  guint32 seed; /* synthetic phantom seed; 0 = default (1) */
  /* A machine profile (machine/sl-machine.h), or NULL: the backend then
   * delivers the profile's frame, which is masked, cropped to the image
   * region and scaled to width × height.  Borrowed for the call only. */
  const struct _SlMachineProfile *machine;
} SlProbeConfig;

typedef struct
{
  guint width;
  guint height;
  guint fps;
  /* Pixel spacing in millimetres per pixel at the output size (after a
   * machine profile's crop and scale), or 0 when neither the backend nor
   * the profile knows it (calipers then show pixels). */
  gdouble mm_per_pixel;
  /* TRUE for the synthetic phantom (at 320×64 or more, the stamp's
   * minimum, and without a machine profile, whose crop and scale would
   * move the stamp): every frame carries its frame index in a pixel stamp
   * (sl-stamp.h) and can be regenerated from the seed. */
  gboolean stamped;
  /* What the backend chose, for the station's start line ("capturing
   * YUY2 1920x1080 at 30 fps from /dev/video0"), or "". */
  gchar detail[160];
} SlProbeInfo;

/* Registers sonolink's own elements (slphantomsrc).  Idempotent; called by
 * sl_probe_make_source. */
void sl_probe_register_elements (void);

/* Builds the source for @spec ("synthetic", "file:PATH", "v4l2:DEV?..." or
 * "gst:DESC";
 * NULL means "synthetic").  Fills @info (if not NULL) on success and
 * leaves it alone on failure.  Returns (transfer floating) the bin, or
 * NULL with @error set in SL_PROBE_ERROR. */
GstElement *sl_probe_make_source (const gchar *spec,
                                  const SlProbeConfig *config,
                                  SlProbeInfo *info, GError **error);

G_END_DECLS
