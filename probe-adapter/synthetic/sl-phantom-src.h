/* sl-phantom-src.h — slphantomsrc, the phantom as a live GStreamer source.
 *
 * A thin GstPushSrc around SlPhantom (sl-phantom.h): I420 at the negotiated
 * size and rate (default 1280×720 at 30/1), live, frame N timestamped
 * N × frame duration, with GST_BUFFER_OFFSET = N and N in the picture's
 * stamp.  Property "seed" (uint, default 1).  Registered by
 * sl_probe_register_elements().
 */
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define SL_TYPE_PHANTOM_SRC (sl_phantom_src_get_type ())
G_DECLARE_FINAL_TYPE (SlPhantomSrc, sl_phantom_src, SL, PHANTOM_SRC, GstPushSrc)

G_END_DECLS
