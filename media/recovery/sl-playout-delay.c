/* sl-playout-delay.c — see sl-playout-delay.h.
 *
 * The extension's payload (webrtc.org's description of the experiment):
 *
 *    0                   1                   2
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |       MIN delay       |       MAX delay       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * each in units of 10 ms.  Written on every packet: the receiver takes
 * the bounds from whichever packet of a picture it sees, and a receiver
 * that joins late learns them from the first one.
 */
#include "sl-playout-delay.h"

#include <string.h>

#define PAYLOAD_SIZE 3
#define UNIT_MS 10

struct _SlPlayoutDelay
{
  GstRTPHeaderExtension parent;
  guint8 payload[PAYLOAD_SIZE];
};

G_DEFINE_TYPE (SlPlayoutDelay, sl_playout_delay, GST_TYPE_RTP_HEADER_EXTENSION)

void
sl_playout_delay_pack (guint min_ms, guint max_ms, guint8 out[3])
{
  guint min = MIN (min_ms, SL_PLAYOUT_DELAY_MAX_MS) / UNIT_MS;
  guint max = MIN (max_ms, SL_PLAYOUT_DELAY_MAX_MS) / UNIT_MS;

  max = MAX (max, min);
  out[0] = (guint8)(min >> 4);
  out[1] = (guint8)(((min & 0xF) << 4) | (max >> 8));
  out[2] = (guint8)(max & 0xFF);
}

gboolean
sl_playout_delay_unpack (const guint8 *data, gsize size, guint *min_ms,
                         guint *max_ms)
{
  if (data == NULL || size != PAYLOAD_SIZE)
    return FALSE;
  *min_ms = (((guint)data[0] << 4) | (data[1] >> 4)) * UNIT_MS;
  *max_ms = ((((guint)data[1] & 0xF) << 8) | data[2]) * UNIT_MS;
  return TRUE;
}

static GstRTPHeaderExtensionFlags
get_supported_flags (GstRTPHeaderExtension *ext)
{
  return GST_RTP_HEADER_EXTENSION_ONE_BYTE | GST_RTP_HEADER_EXTENSION_TWO_BYTE;
}

static gsize
get_max_size (GstRTPHeaderExtension *ext, const GstBuffer *input_meta)
{
  return PAYLOAD_SIZE;
}

static gssize
write_payload (GstRTPHeaderExtension *ext, const GstBuffer *input_meta,
               GstRTPHeaderExtensionFlags write_flags, GstBuffer *output,
               guint8 *data, gsize size)
{
  SlPlayoutDelay *self = SL_PLAYOUT_DELAY (ext);

  if (size < PAYLOAD_SIZE)
    return -1;
  memcpy (data, self->payload, PAYLOAD_SIZE);
  return PAYLOAD_SIZE;
}

/* A receiver of the extension (not used by the stations: their jitter
 * buffers are sized by the link, docs/rate-control.md) accepts it when
 * it is well formed. */
static gboolean
read_payload (GstRTPHeaderExtension *ext, GstRTPHeaderExtensionFlags read_flags,
              const guint8 *data, gsize size, GstBuffer *buffer)
{
  guint min_ms, max_ms;

  return sl_playout_delay_unpack (data, size, &min_ms, &max_ms);
}

static void
sl_playout_delay_class_init (SlPlayoutDelayClass *klass)
{
  GstRTPHeaderExtensionClass *ext_class
      = GST_RTP_HEADER_EXTENSION_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  ext_class->get_supported_flags = get_supported_flags;
  ext_class->get_max_size = get_max_size;
  ext_class->write = write_payload;
  ext_class->read = read_payload;
  gst_element_class_set_static_metadata (
      element_class, "Playout delay RTP header extension",
      GST_RTP_HDREXT_ELEMENT_CLASS,
      "Tells the receiver the least and most time it may hold a picture",
      "sonolink");
  gst_rtp_header_extension_class_set_uri (ext_class, SL_PLAYOUT_DELAY_URI);
}

static void
sl_playout_delay_init (SlPlayoutDelay *self)
{
}

GstRTPHeaderExtension *
sl_playout_delay_new (guint id, guint min_ms, guint max_ms)
{
  SlPlayoutDelay *self;

  g_return_val_if_fail (id >= 1 && id <= 14, NULL);
  self = g_object_new (SL_TYPE_PLAYOUT_DELAY, NULL);
  sl_playout_delay_pack (min_ms, max_ms, self->payload);
  gst_rtp_header_extension_set_id (GST_RTP_HEADER_EXTENSION (self), id);
  /* Not floating: the caller owns this reference, and the payloader that
   * takes the extension ("add-extension") a reference of its own. */
  return GST_RTP_HEADER_EXTENSION (gst_object_ref_sink (self));
}
