/* sl-fec-sdp.c — the ULPFEC payload type of an offer.  See sl-fec-sdp.h. */
#include "sl-fec-sdp.h"

/* "<pt> ulpfec/...", the value of an rtpmap attribute. */
static gint
ulpfec_pt (const gchar *value)
{
  gchar *end = NULL;
  guint64 pt;

  if (value == NULL || !g_ascii_isdigit (value[0]))
    return -1;
  pt = g_ascii_strtoull (value, &end, 10);
  if (end != value && *end == ' '
      && g_ascii_strncasecmp (end + 1, "ulpfec/", 7) == 0 && pt < 128)
    return (gint)pt;
  return -1;
}

gint
sl_fec_sdp_ulpfec_pt (const GstSDPMessage *sdp)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

      if (g_strcmp0 (gst_sdp_media_get_media (media), "video") != 0)
        continue;
      for (guint j = 0; j < gst_sdp_media_attributes_len (media); j++)
        {
          const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, j);
          gint pt;

          if (g_strcmp0 (a->key, "rtpmap") == 0
              && (pt = ulpfec_pt (a->value)) >= 0)
            return pt;
        }
    }
  return -1;
}
