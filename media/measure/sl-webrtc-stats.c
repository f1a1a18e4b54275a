/* sl-webrtc-stats.c — reading webrtcbin's statistics report.
 *
 * GStreamer 1.22's "kind" and "codec-id" fields are unreliable, so which
 * stream is the video is told from evidence that is sound (codec entries
 * that name their SSRC and MIME type, and the RTP clock rate), and with
 * RTX on, the video's main stream from its retransmissions by packet
 * count.  See sl-webrtc-stats.h.
 */
#include "sl-webrtc-stats.h"

#include <gst/webrtc/webrtc.h>

/* Records in @video_ssrcs which SSRCs carry video.  GStreamer 1.22's
 * "kind" and "codec-id" fields are unreliable (every stream may point at
 * one codec), so the evidence is taken where it is sound: codec entries that
 * name their SSRC and MIME type, and the RTP clock rate of each source
 * (90 kHz is video; our only audio codec, Opus, runs at 48 kHz). */
static void
collect_video_ssrcs (const GstStructure *report, GHashTable *video_ssrcs)
{
  gint n = gst_structure_n_fields (report);

  for (gint i = 0; i < n; i++)
    {
      const GValue *v = gst_structure_get_value (
          report, gst_structure_nth_field_name (report, i));
      const GstStructure *s, *src;
      const gchar *mime;
      guint ssrc;
      gint clock_rate;

      if (!G_VALUE_HOLDS (v, GST_TYPE_STRUCTURE))
        continue;
      s = gst_value_get_structure (v);
      if (!gst_structure_get_uint (s, "ssrc", &ssrc))
        continue;
      mime = gst_structure_get_string (s, "mime-type");
      if (mime != NULL && g_str_has_prefix (mime, "video/"))
        g_hash_table_add (video_ssrcs, GUINT_TO_POINTER (ssrc));
      v = gst_structure_get_value (s, "gst-rtpsource-stats");
      if (v == NULL || !G_VALUE_HOLDS (v, GST_TYPE_STRUCTURE))
        continue;
      src = gst_value_get_structure (v);
      if (gst_structure_get_int (src, "clock-rate", &clock_rate)
          && clock_rate == 90000)
        g_hash_table_add (video_ssrcs, GUINT_TO_POINTER (ssrc));
    }
}

static gboolean
stats_is_video (GHashTable *video_ssrcs, const GstStructure *s)
{
  guint ssrc;

  return gst_structure_get_uint (s, "ssrc", &ssrc)
         && g_hash_table_contains (video_ssrcs, GUINT_TO_POINTER (ssrc));
}

static gboolean
stats_has_ssrc (const GstStructure *s, guint want)
{
  guint ssrc;

  return gst_structure_get_uint (s, "ssrc", &ssrc) && ssrc == want;
}

static guint64
get_u64 (const GstStructure *s, const gchar *field)
{
  guint64 v64 = 0;
  guint v32 = 0;

  if (gst_structure_get_uint64 (s, field, &v64))
    return v64;
  if (gst_structure_get_uint (s, field, &v32))
    return v32;
  return 0;
}

/* With RTX, the video goes on two SSRCs: the stream and its
 * retransmissions, both at 90 kHz.  The stream is the one with the most
 * packets (@count_field) among the entries of type @want; its SSRC is
 * returned (0: none). */
static guint
main_video_ssrc (GHashTable *video_ssrcs, const GstStructure *report,
                 GstWebRTCStatsType want, const gchar *count_field)
{
  gint n = gst_structure_n_fields (report);
  guint64 most = 0;
  guint best = 0;

  for (gint i = 0; i < n; i++)
    {
      const GValue *v = gst_structure_get_value (
          report, gst_structure_nth_field_name (report, i));
      const GstStructure *s;
      GstWebRTCStatsType type;
      guint ssrc;

      if (!G_VALUE_HOLDS (v, GST_TYPE_STRUCTURE))
        continue;
      s = gst_value_get_structure (v);
      if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type,
                              NULL)
          || type != want || !stats_is_video (video_ssrcs, s)
          || !gst_structure_get_uint (s, "ssrc", &ssrc))
        continue;
      if (best == 0 || get_u64 (s, count_field) > most)
        {
          most = get_u64 (s, count_field);
          best = ssrc;
        }
    }
  return best;
}

gboolean
sl_webrtc_stats_rtt_plausible (gdouble rtt_ms)
{
  return rtt_ms > 0 && rtt_ms <= SL_WEBRTC_STATS_MAX_RTT_MS;
}

static void
parse_one (GHashTable *video_ssrcs, guint sent_ssrc, const GstStructure *s,
           SlSessionStats *out)
{
  GstWebRTCStatsType type;
  gboolean video;
  gdouble d;
  gint64 lost;

  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL))
    return;
  video = stats_is_video (video_ssrcs, s);
  switch (type)
    {
    case GST_WEBRTC_STATS_OUTBOUND_RTP:
      if (video && !stats_has_ssrc (s, sent_ssrc))
        break; /* the retransmission stream */
      if (video)
        {
          out->video_bytes_sent = get_u64 (s, "bytes-sent");
          out->video_packets_sent = get_u64 (s, "packets-sent");
        }
      break;
    case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP:
      if (video && !stats_has_ssrc (s, sent_ssrc))
        break; /* what the viewer says of the retransmissions */
      if (video && gst_structure_get_double (s, "round-trip-time", &d)
          && sl_webrtc_stats_rtt_plausible (d * 1000.0))
        out->rtt_ms = d * 1000.0;
      if (video && gst_structure_get_int64 (s, "packets-lost", &lost))
        out->video_packets_lost = lost;
      break;
    case GST_WEBRTC_STATS_INBOUND_RTP:
      if (video && !stats_has_ssrc (s, out->video_ssrc_received))
        break; /* the retransmission stream */
      if (video)
        {
          out->video_bytes_received = get_u64 (s, "bytes-received");
          out->video_packets_received = get_u64 (s, "packets-received");
          if (gst_structure_get_int64 (s, "packets-lost", &lost))
            out->video_packets_lost = lost;
          if (gst_structure_get_double (s, "jitter", &d))
            out->jitter_ms = d * 1000.0;
        }
      else
        out->audio_bytes_received = get_u64 (s, "bytes-received");
      break;
    default:
      break;
    }
}

void
sl_webrtc_stats_parse (const GstStructure *report, SlSessionStats *out)
{
  g_autoptr (GHashTable) video_ssrcs = g_hash_table_new (NULL, NULL);
  gint n = gst_structure_n_fields (report);
  guint sent_ssrc;

  collect_video_ssrcs (report, video_ssrcs);
  out->video_ssrc_received = main_video_ssrc (
      video_ssrcs, report, GST_WEBRTC_STATS_INBOUND_RTP, "packets-received");
  sent_ssrc = main_video_ssrc (video_ssrcs, report,
                               GST_WEBRTC_STATS_OUTBOUND_RTP, "packets-sent");
  for (gint i = 0; i < n; i++)
    {
      const gchar *name = gst_structure_nth_field_name (report, i);
      const GValue *value = gst_structure_get_value (report, name);

      if (G_VALUE_HOLDS (value, GST_TYPE_STRUCTURE))
        parse_one (video_ssrcs, sent_ssrc, gst_value_get_structure (value),
                   out);
    }
}

void
sl_webrtc_stats_copy (const SlSessionStats *from, SlSessionStats *to)
{
  to->video_ssrc_received = from->video_ssrc_received;
  to->video_bytes_sent = from->video_bytes_sent;
  to->video_packets_sent = from->video_packets_sent;
  to->video_bytes_received = from->video_bytes_received;
  to->video_packets_received = from->video_packets_received;
  to->video_packets_lost = from->video_packets_lost;
  to->audio_bytes_received = from->audio_bytes_received;
  to->rtt_ms = from->rtt_ms;
  to->jitter_ms = from->jitter_ms;
}
