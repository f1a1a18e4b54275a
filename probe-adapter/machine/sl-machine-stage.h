/* sl-machine-stage.h — a machine profile applied to a probe's picture.
 *
 * Wraps a probe backend's bin (which delivers the machine's whole screen at
 * the profile's frame size) so that the masks are filled, the picture is
 * cropped to the image region and only then scaled to the station's size:
 *
 *   backend ! [mask] videocrop ! videoscale add-borders ! capsfilter
 *
 * The masks are filled by a pad probe on the crop's input, the first
 * thing after the backend, so no element of the station (the encoder, the
 * stills, the preview, a recording) ever receives a masked pixel.  A
 * buffer that is not the profile's frame size is dropped and an error
 * posted: a rectangle in the wrong coordinates would leave the banner in
 * place, so the stage fails closed.  Control thread only.
 */
#pragma once

#include "sl-machine.h"

#include <gst/gst.h>

G_BEGIN_DECLS

/* Returns (transfer floating) a bin with one "src" pad around @source
 * (transfer floating), delivering I420 at @width × @height, or NULL with
 * @error in SL_PROBE_ERROR (@source is then released).  The bin keeps its
 * own copy of @profile. */
GstElement *sl_machine_stage_new (GstElement *source,
                                  const SlMachineProfile *profile, guint width,
                                  guint height, GError **error);

G_END_DECLS
