/* fuzz-fec.c — fuzzes the viewer's FEC repair (media/recovery/sl-fec.c) and the
 * lost-video judgement beside it (media/recovery/sl-h264-gap.c).
 *
 * Every packet into the video jitter buffer comes from the network.  The
 * input is a run of packets, each a 2-byte big-endian length and that
 * many bytes (a short last one is taken as it is); the first byte of the
 * input is the FEC payload type.  Beyond "does not crash or leak": every
 * packet rebuilt must be RTP version 2, at least a header long, never of
 * the FEC payload type, and no more can be rebuilt than FEC packets were
 * accepted.
 */
#include <stdlib.h>

#include "sl-fec.h"
#include "sl-h264-gap.h"
#include "sl-fuzz.h"

static void
check_rebuilt (GPtrArray *recovered, guint fec_pt)
{
  for (guint i = 0; i < recovered->len; i++)
    {
      gsize n;
      const guint8 *p = g_bytes_get_data (recovered->pdata[i], &n);

      if (n < 12 || (p[0] >> 6) != 2 || (p[1] & 0x7f) == fec_pt)
        abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (SlFec) fec = sl_fec_new ();
  g_autoptr (GPtrArray) recovered
      = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  SlH264Gap gap;
  guint fec_pt;
  gsize pos = 1;

  if (size < 1)
    return 0;
  fec_pt = data[0] & 0x7f;
  sl_h264_gap_init (&gap);
  while (pos < size)
    {
      gsize len = size - pos >= 2 ? (gsize)data[pos] << 8 | data[pos + 1] : 0;
      const guint8 *packet;

      pos += MIN (2, size - pos);
      len = MIN (len, size - pos);
      packet = data + pos;
      pos += len;
      sl_fec_push (fec, packet, len, fec_pt, recovered);
      /* The same bytes as an H.264 payload; a zero length as a loss. */
      if (len == 0)
        sl_h264_gap_lost (&gap);
      else
        sl_h264_gap_packet (&gap, len > 4 ? packet[1] << 8 | packet[2] : 0,
                            packet[0] & 1, packet, len);
    }
  check_rebuilt (recovered, fec_pt);
  if (sl_fec_recovered (fec) > sl_fec_received (fec)
      || sl_fec_recovered (fec) != recovered->len)
    abort ();
  return 0;
}
