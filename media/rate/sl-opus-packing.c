/* sl-opus-packing.c — see sl-opus-packing.h. */
#include "sl-opus-packing.h"

struct _SlOpusPacking
{
  GstElement *opusenc; /* not owned: the pad's parent */
  gint pending_ms;     /* atomic: frame duration to set; 0: none */
  gint changes;        /* atomic */
};

/* The encoder's streaming thread, before its chain function. */
static GstPadProbeReturn
before_input (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlOpusPacking *packing = user_data;
  gint frame_ms = g_atomic_int_exchange (&packing->pending_ms, 0);

  if (frame_ms != 0)
    {
      g_object_set (packing->opusenc, "frame-size", frame_ms, NULL);
      g_atomic_int_inc (&packing->changes);
    }
  return GST_PAD_PROBE_OK;
}

SlOpusPacking *
sl_opus_packing_attach (GstElement *opusenc)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (opusenc, "sink");
  SlOpusPacking *packing;

  if (sink == NULL)
    return NULL;
  packing = g_new0 (SlOpusPacking, 1);
  packing->opusenc = opusenc;
  gst_pad_add_probe (sink,
                     GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     before_input, packing, g_free);
  return packing;
}

void
sl_opus_packing_set (SlOpusPacking *packing, guint frame_ms, guint bitrate_bps,
                     gboolean dtx)
{
  g_object_set (packing->opusenc, "bitrate", (gint)bitrate_bps, "dtx", dtx,
                NULL);
  g_atomic_int_set (&packing->pending_ms, (gint)frame_ms);
}

guint
sl_opus_packing_changes (SlOpusPacking *packing)
{
  return (guint)g_atomic_int_get (&packing->changes);
}
