/* sl-station-still.c — lossless stills between the stations.
 *
 * Township: a still_request picks the kept raw frame closest to the
 * media time the expert named (sl_capture_get_frame: references to the
 * last few frames the probe adapter produced, before any encoder), and a
 * worker thread (GTask) encodes it as PNG — the luma plane as 8-bit grey
 * when the chroma is neutral, as a B-mode picture's is, else RGB — so
 * neither the capture nor the encoder thread waits for it.  The still
 * then goes out on "sl-guide" as meta, chunks and end (SlGuideStillTx),
 * paced on the channel's buffered amount so that a mark sent meanwhile
 * waits behind at most PACE_BYTES of still.  Live video is untouched: it
 * has its own RTP stream.  One still at a time; a request meanwhile is
 * nacked "busy".  The township logs the SHA-256 of the raw pixels it
 * encoded, and with --stills-dir keeps a copy of the PNG, so a test can
 * prove that what the expert saved is bit for bit the probe's frame.
 *
 * Expert: every still message is fed to the session's SlGuideStillRx,
 * which takes only stills the expert asked for on that session, within
 * the session's quota, checks order, size and checksum and that the
 * bytes are the PNG promised; a verified PNG is written to --stills-dir
 * as sonolink-ROOM-MEDIA_MSms.png, or -2, -3... if that name is taken,
 * never replacing a file (mode 0600: it is a patient image).  Refusals
 * are logged, the first few in the station's log and the rest at debug
 * level, since a peer decides how many there are.
 *
 * Threading: control thread; encode_thread on a GTask worker, which
 * touches only its task data.
 */
#include "sl-station-private.h"
#include "sl-guide-still.h"

#include <gst/video/video.h>
#include <string.h>

/* Refused stills logged in the station's log; the rest at debug level. */
#define LOGGED_REFUSALS 10

/* Chunks are sent while fewer than this many bytes wait in the channel:
 * about three chunks, a few milliseconds of a loopback link. */
#define PACE_BYTES (64 * 1024)
#define PUMP_INTERVAL_MS 2

struct _SlStationStills
{
  /* township */
  SlSession *tx_session; /* owned while encoding or sending, else NULL */
  SlGuideStillTx *tx;
  gchar tx_req[SL_GUIDE_MAX_ID_LEN + 1];
  guint generation; /* bumped when a transfer is abandoned */
  guint pump_timer;
  gint64 tx_started_us;
  guint64 sent, tx_failed;
  gchar last_sha[65];

  /* expert */
  SlGuideStillRx *rx;    /* the requests and quota of rx_session */
  SlSession *rx_session; /* compared only */
  GHashTable *requested; /* req → request time (gint64 µs, boxed) */
  guint64 n_requested, saved, rx_failed, rx_refused;
  gdouble last_ms; /* request to saved, < 0: none yet */
  gchar *last_file;
};

typedef struct
{
  GBytes *png;
  guint width, height;
  gboolean grey;
  gchar *pixels_sha; /* of the raw pixels, packed rows */
  gdouble encode_ms;
} Encoded;

static void
encoded_free (gpointer data)
{
  Encoded *e = data;

  g_bytes_unref (e->png);
  g_free (e->pixels_sha);
  g_free (e);
}

static SlStationStills *
stills (SlStation *st)
{
  if (st->stills == NULL)
    {
      st->stills = g_new0 (SlStationStills, 1);
      st->stills->last_ms = -1;
      st->stills->requested
          = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    }
  return st->stills;
}

/* ---- township: encoding ---- */

static gboolean
chroma_is_neutral (const GstVideoFrame *frame)
{
  if (GST_VIDEO_FRAME_FORMAT (frame) != GST_VIDEO_FORMAT_I420)
    return FALSE;
  for (guint p = 1; p <= 2; p++)
    {
      const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, p);
      gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);
      guint w = GST_VIDEO_FRAME_COMP_WIDTH (frame, p);
      guint h = GST_VIDEO_FRAME_COMP_HEIGHT (frame, p);

      for (guint y = 0; y < h; y++)
        for (guint x = 0; x < w; x++)
          if (data[y * stride + x] != 128)
            return FALSE;
    }
  return TRUE;
}

static gchar *
rows_sha256 (const guint8 *data, gsize stride, gsize row_bytes, guint rows)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint y = 0; y < rows; y++)
    g_checksum_update (sum, data + y * stride, row_bytes);
  return g_strdup (g_checksum_get_string (sum));
}

/* A frame whose chroma is not neutral (colour Doppler, a colour source)
 * goes as RGB: as exact as an RGB picture of a YUV frame can be. */
static GBytes *
encode_rgb (GstVideoFrame *in, Encoded *e, GError **error)
{
  GstVideoInfo out_info;
  GstVideoFrame out;
  g_autoptr (GstBuffer) buffer = NULL;
  GstVideoConverter *conv;
  GBytes *png;

  gst_video_info_set_format (&out_info, GST_VIDEO_FORMAT_RGB, e->width,
                             e->height);
  /* The converter wants the same rate and aspect on both sides. */
  GST_VIDEO_INFO_FPS_N (&out_info) = GST_VIDEO_INFO_FPS_N (&in->info);
  GST_VIDEO_INFO_FPS_D (&out_info) = GST_VIDEO_INFO_FPS_D (&in->info);
  GST_VIDEO_INFO_PAR_N (&out_info) = GST_VIDEO_INFO_PAR_N (&in->info);
  GST_VIDEO_INFO_PAR_D (&out_info) = GST_VIDEO_INFO_PAR_D (&in->info);
  buffer
      = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&out_info), NULL);
  gst_video_frame_map (&out, &out_info, buffer, GST_MAP_WRITE);
  conv = gst_video_converter_new (&in->info, &out_info, NULL);
  gst_video_converter_frame (conv, in, &out);
  gst_video_converter_free (conv);
  png = sl_guide_png_encode (GST_VIDEO_FRAME_PLANE_DATA (&out, 0),
                             SL_GUIDE_PIXEL_RGB, e->width, e->height,
                             GST_VIDEO_FRAME_PLANE_STRIDE (&out, 0), error);
  e->pixels_sha = rows_sha256 (GST_VIDEO_FRAME_PLANE_DATA (&out, 0),
                               GST_VIDEO_FRAME_PLANE_STRIDE (&out, 0),
                               3 * e->width, e->height);
  gst_video_frame_unmap (&out);
  return png;
}

static void
encode_thread (GTask *task, gpointer source, gpointer task_data,
               GCancellable *cancellable)
{
  GstSample *sample = task_data;
  g_autoptr (GError) error = NULL;
  Encoded *e = g_new0 (Encoded, 1);
  GstVideoInfo info;
  GstVideoFrame frame;
  gint64 begin;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
                               GST_MAP_READ))
    {
      encoded_free (e);
      g_task_return_new_error (task, SL_GUIDE_ERROR, SL_GUIDE_ERROR_IMAGE,
                               "the kept frame cannot be read");
      return;
    }
  e->width = GST_VIDEO_INFO_WIDTH (&info);
  e->height = GST_VIDEO_INFO_HEIGHT (&info);
  begin = g_get_monotonic_time ();
  e->grey = chroma_is_neutral (&frame);
  if (e->grey)
    {
      const guint8 *y = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
      gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);

      e->png = sl_guide_png_encode (y, SL_GUIDE_PIXEL_GRAY8, e->width,
                                    e->height, stride, &error);
      e->pixels_sha = rows_sha256 (y, stride, e->width, e->height);
    }
  else
    e->png = encode_rgb (&frame, e, &error);
  e->encode_ms = (g_get_monotonic_time () - begin) / 1000.0;
  gst_video_frame_unmap (&frame);
  if (e->png == NULL)
    {
      encoded_free (e);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, e, encoded_free);
}

/* ---- township: sending ---- */

static void
end_transfer (SlStation *st, const gchar *why)
{
  SlStationStills *s = stills (st);

  if (why != NULL)
    {
      s->tx_failed++;
      sl_station_log (st, "still %s abandoned: %s", s->tx_req, why);
    }
  s->generation++;
  g_clear_handle_id (&s->pump_timer, g_source_remove);
  g_clear_pointer (&s->tx, sl_guide_still_tx_free);
  g_clear_object (&s->tx_session);
  s->tx_req[0] = '\0';
}

static gboolean
pump (gpointer user_data)
{
  SlStation *st = user_data;
  SlStationStills *s = stills (st);

  while (s->tx != NULL)
    {
      g_auto (SlGuideMsg) msg = { 0 };

      if (sl_session_guide_buffered_amount (s->tx_session) > PACE_BYTES)
        return G_SOURCE_CONTINUE;
      if (!sl_guide_still_tx_next (s->tx, &msg))
        {
          s->sent++;
          sl_station_log (st, "still %s sent in %.0f ms", s->tx_req,
                          (sl_media_now_us () - s->tx_started_us) / 1000.0);
          s->pump_timer = 0;
          end_transfer (st, NULL);
          return G_SOURCE_REMOVE;
        }
      if (!sl_session_send_guide (s->tx_session, &msg))
        {
          s->pump_timer = 0;
          end_transfer (st, "the guidance channel closed");
          return G_SOURCE_REMOVE;
        }
    }
  s->pump_timer = 0;
  return G_SOURCE_REMOVE;
}

static void
save_copy (SlStation *st, const gchar *dir, GBytes *png, gint64 media_ms,
           gchar **file)
{
  g_autofree gchar *path = NULL;
  g_autoptr (GError) error = NULL;

  if (!sl_guide_still_save (dir, sl_station_guide_room (st), media_ms, png,
                            &path, &error))
    {
      g_printerr ("%s: %s\n", st->name, error->message);
      return;
    }
  if (file != NULL)
    *file = g_steal_pointer (&path);
}

static void
on_encoded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SlStation *st = user_data;
  SlStationStills *s = stills (st);
  g_autoptr (GError) error = NULL;
  Encoded *e = g_task_propagate_pointer (G_TASK (result), &error);
  guint generation = GPOINTER_TO_UINT (
      g_object_get_data (G_OBJECT (result), "sl-generation"));
  gint64 frame_ms
      = *(gint64 *)g_object_get_data (G_OBJECT (result), "sl-frame-ms");

  if (generation != s->generation || s->tx_session == NULL)
    {
      g_clear_pointer (&e, encoded_free);
      return;
    }
  if (e == NULL)
    {
      end_transfer (st, error->message);
      return;
    }
  s->tx = sl_guide_still_tx_new (s->tx_req, frame_ms, e->width, e->height,
                                 st->probe_mm_per_px, st->probe_mm_per_px,
                                 e->png, &error);
  g_strlcpy (s->last_sha, e->pixels_sha, sizeof s->last_sha);
  sl_station_log (st,
                  "still %s: %ux%u %s PNG of %" G_GSIZE_FORMAT
                  " bytes, encoded in %.1f ms; pixels sha256 %s",
                  s->tx_req, e->width, e->height, e->grey ? "grey" : "RGB",
                  g_bytes_get_size (e->png), e->encode_ms, e->pixels_sha);
  if (st->opt->stills_dir != NULL)
    save_copy (st, st->opt->stills_dir, e->png, frame_ms, NULL);
  encoded_free (e);
  if (s->tx == NULL)
    {
      end_transfer (st, error->message);
      return;
    }
  s->pump_timer = g_timeout_add (PUMP_INTERVAL_MS, pump, st);
  pump (st);
}

static void
nack_request (SlSession *session, const SlGuideMsg *request,
              SlGuideReason reason)
{
  g_auto (SlGuideMsg) nack = { 0 };

  sl_guide_nack_init (&nack, NULL, request->media_ms, "still_request",
                      request->req);
  nack.nack.reason = reason;
  sl_session_send_guide (session, &nack);
}

static void
serve_request (SlStation *st, SlSession *session, const SlGuideMsg *msg)
{
  SlStationStills *s = stills (st);
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  GstSample *frame;
  gint64 *frame_ms;

  /* An expert asks for stills; a trainee does not (docs/guidance.md). */
  if (!sl_peer_may_request_still (sl_station_session_peer (st, session)))
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "only an expert asks for stills");
      g_info ("still %s refused: %s", msg->req, error->message);
      sl_session_send_guide_nack (session, error, msg->media_ms,
                                  "still_request", msg->req);
      return;
    }
  if (s->tx_session != NULL)
    {
      nack_request (session, msg, SL_GUIDE_REASON_BUSY);
      return;
    }
  frame_ms = g_new (gint64, 1);
  frame = st->capture
              ? sl_capture_get_frame (st->capture, msg->media_ms, frame_ms)
              : NULL;
  if (frame == NULL || *frame_ms < 0)
    {
      g_free (frame_ms);
      g_clear_pointer (&frame, gst_sample_unref);
      nack_request (session, msg, SL_GUIDE_REASON_UNAVAILABLE);
      return;
    }
  s->tx_session = g_object_ref (session);
  g_strlcpy (s->tx_req, msg->req, sizeof s->tx_req);
  s->tx_started_us = sl_media_now_us ();
  task = g_task_new (NULL, NULL, on_encoded, st);
  g_object_set_data (G_OBJECT (task), "sl-generation",
                     GUINT_TO_POINTER (s->generation));
  g_object_set_data_full (G_OBJECT (task), "sl-frame-ms", frame_ms, g_free);
  g_task_set_task_data (task, frame, (GDestroyNotify)gst_sample_unref);
  g_task_run_in_thread (task, encode_thread);
}

/* ---- expert: receiving ---- */

static const gchar *
still_req (const SlGuideMsg *msg)
{
  switch (msg->type)
    {
    case SL_GUIDE_STILL_META:
      return msg->still.req;
    case SL_GUIDE_STILL_CHUNK:
      return msg->chunk.req;
    default:
      return msg->req;
    }
}

gchar *
sl_station_still_dir (SlStation *st)
{
  if (st->opt->stills_dir != NULL)
    return g_strdup (st->opt->stills_dir);
  return g_build_filename (g_get_user_data_dir (), "sonolink", "stills", NULL);
}

static void
save_still (SlStation *st, SlStationStills *s)
{
  SlGuideStillMeta meta;
  gint64 media_ms, *asked;
  g_autoptr (GBytes) png = sl_guide_still_rx_take (s->rx, &meta, &media_ms);
  g_autofree gchar *dir = sl_station_still_dir (st);
  g_autofree gchar *path = NULL;

  if (png == NULL)
    return;
  save_copy (st, dir, png, media_ms, &path);
  if (path == NULL)
    {
      s->rx_failed++;
      return;
    }
  s->saved++;
  sl_station_record_still (st, path, media_ms);
  asked = g_hash_table_lookup (s->requested, meta.req);
  s->last_ms = asked ? (sl_media_now_us () - *asked) / 1000.0 : -1;
  g_hash_table_remove (s->requested, meta.req);
  g_free (s->last_file);
  s->last_file = g_path_get_basename (path);
  sl_station_log (st,
                  "still %s saved: %s (%ux%u, %" G_GUINT64_FORMAT
                  " bytes, %.0f ms after the request)",
                  meta.req, path, meta.width, meta.height, meta.bytes,
                  s->last_ms);
}

/* The receiver of @session's stills: its requests and its quota.  A new
 * session starts afresh. */
static SlGuideStillRx *
rx_for (SlStationStills *s, SlSession *session)
{
  if (s->rx == NULL || s->rx_session != session)
    {
      g_clear_pointer (&s->rx, sl_guide_still_rx_free);
      s->rx = sl_guide_still_rx_new ();
      s->rx_session = session;
    }
  return s->rx;
}

/* A still refused at its STILL_META (nobody asked for it, or over the
 * quota: no byte of it is kept) or abandoned on the way. */
static void
refuse_piece (SlStation *st, SlSession *session, const SlGuideMsg *msg,
              const GError *error)
{
  SlStationStills *s = stills (st);
  gboolean at_start = msg->type == SL_GUIDE_STILL_META;
  guint64 n = at_start ? ++s->rx_refused : ++s->rx_failed;

  /* The error names the still and says what came of it. */
  if (n <= LOGGED_REFUSALS)
    sl_station_log (st, "%s%s", error->message,
                    n == LOGGED_REFUSALS ? "; more are logged at debug level"
                                         : "");
  else
    g_debug ("%s", error->message);
  sl_session_send_guide_nack (session, error, msg->media_ms,
                              sl_guide_type_name (msg->type), still_req (msg));
}

static void
receive_piece (SlStation *st, SlSession *session, const SlGuideMsg *msg)
{
  SlStationStills *s = stills (st);
  g_autoptr (GError) error = NULL;

  /* Only the session the expert asked on has requests waiting; another's
   * pieces must not disturb that one's transfer. */
  if (s->rx == NULL || s->rx_session != session)
    {
      if (msg->type == SL_GUIDE_STILL_META)
        {
          g_set_error (&error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_SEQUENCE,
                       "still \"%s\" refused: no request is waiting for it",
                       still_req (msg));
          refuse_piece (st, session, msg, error);
        }
      return;
    }
  switch (
      sl_guide_still_rx_feed (s->rx, msg, sl_media_now_us () / 1000, &error))
    {
    case SL_GUIDE_STILL_FAILED:
      if (msg->type == SL_GUIDE_STILL_META)
        g_hash_table_remove (s->requested, still_req (msg));
      refuse_piece (st, session, msg, error);
      break;
    case SL_GUIDE_STILL_COMPLETE:
      save_still (st, s);
      break;
    default:
      break;
    }
}

/* ---- entry points ---- */

void
sl_station_still_on_message (SlStation *st, SlSession *session,
                             const SlGuideMsg *msg)
{
  SlStationStills *s = stills (st);
  const gboolean township = st->opt->kind == SL_STATION_TOWNSHIP;

  if (msg->type == SL_GUIDE_STILL_REQUEST && township)
    serve_request (st, session, msg);
  else if (msg->type == SL_GUIDE_STILL_REQUEST)
    {
      /* The expert's own request, just sent: the still that answers it
       * may come, and when it does, we know how long it took. */
      gint64 *now = g_new (gint64, 1);

      *now = sl_media_now_us ();
      sl_guide_still_rx_expect (rx_for (s, session), msg->req, *now / 1000);
      g_hash_table_replace (s->requested, g_strdup (msg->req), now);
      s->n_requested++;
    }
  else if (msg->type == SL_GUIDE_NACK && township)
    {
      if (s->tx_session == session && g_str_equal (msg->nack.ref_id, s->tx_req))
        end_transfer (st, "the expert refused it");
    }
  else if (msg->type == SL_GUIDE_NACK)
    {
      if (s->rx != NULL && s->rx_session == session)
        sl_guide_still_rx_forget (s->rx, msg->nack.ref_id);
      if (g_hash_table_remove (s->requested, msg->nack.ref_id))
        s->rx_failed++;
    }
  else if (!township)
    receive_piece (st, session, msg);
}

void
sl_station_still_session_removed (SlStation *st, SlSession *session)
{
  SlStationStills *s = st->stills;

  if (s == NULL)
    return;
  if (s->tx_session == session)
    end_transfer (st, "the session ended");
  if (s->rx_session == session)
    {
      g_clear_pointer (&s->rx, sl_guide_still_rx_free);
      s->rx_session = NULL;
    }
}

void
sl_station_still_tick (SlStation *st)
{
  SlStationStills *s = st->stills;
  g_autoptr (GError) error = NULL;

  if (s == NULL || s->rx == NULL)
    return;
  if (!sl_guide_still_rx_check_timeout (s->rx, sl_media_now_us () / 1000,
                                        &error))
    {
      s->rx_failed++;
      sl_station_log (st, "still abandoned: %s", error->message);
    }
}

void
sl_station_still_add_stats (SlStation *st, JsonObject *rec)
{
  SlStationStills *s = st->stills;

  if (s == NULL)
    return;
  if (st->opt->kind == SL_STATION_TOWNSHIP)
    {
      json_object_set_int_member (rec, "stills_sent", s->sent);
      json_object_set_int_member (rec, "stills_send_failed", s->tx_failed);
      if (s->last_sha[0] != '\0')
        json_object_set_string_member (rec, "still_pixels_sha256", s->last_sha);
      return;
    }
  json_object_set_int_member (rec, "stills_requested", s->n_requested);
  json_object_set_int_member (rec, "stills_saved", s->saved);
  json_object_set_int_member (rec, "stills_failed", s->rx_failed);
  json_object_set_int_member (rec, "stills_refused", s->rx_refused);
  if (s->last_ms >= 0)
    json_object_set_double_member (rec, "still_last_ms", s->last_ms);
  if (s->last_file != NULL)
    json_object_set_string_member (rec, "still_last_file", s->last_file);
}

void
sl_station_still_free (SlStation *st)
{
  SlStationStills *s = st->stills;

  if (s == NULL)
    return;
  end_transfer (st, NULL);
  g_clear_pointer (&s->rx, sl_guide_still_rx_free);
  g_clear_pointer (&s->requested, g_hash_table_unref);
  g_free (s->last_file);
  g_free (s);
  st->stills = NULL;
}
