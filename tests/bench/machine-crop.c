/* machine-crop.c — what cropping to the image region buys (issue: machine
 * profiles).
 *
 * A clip from ../shared/data/us-clips is shown on a 1280x720 "machine
 * screen" with a patient banner (the gst: description of
 * docs/probe-adapters.md, MACHINE PROFILES, less its clocksync: the file
 * is decoded as fast as it goes) and encoded, in the same run
 * and at the same bitrates, two ways with the engine's own encoder
 * settings (sl_media_configure_h264_encoder):
 *
 *   whole     the screen as it comes, 1280x720, no profile
 *   cropped   through the shipped profile: masked and cropped to the
 *             image region, sent at the region's own size
 *
 * Each decoded frame is compared (SSIM and PSNR, sl-fidelity.h) with the
 * frame the encoder took, over the same pixels of the clip in both: the
 * image region below the masked band.  Prints one row per bitrate and the
 * SSIM of both and their difference.  The source is a file played as fast
 * as it decodes (not live), so the result does not depend on the
 * machine's load.
 *
 *   sl-bench-machine-crop [--clip cov|vir] [--kbps 150,300,600,1200]
 *                         [--profiles DIR] [--clips DIR]
 */
#include "sl-fidelity.h"
#include "sl-keeper-src.h"
#include "sl-machine.h"
#include "sl-media.h"
#include "sl-probe.h"

#include <gst/app/app.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct
{
  const gchar *name, *file, *profile, *screen;
} Clip;

static const Clip clips[] = {
  { "cov", "Cov_recommendations_lightbeam_mov6.mov",
    "cov-lightbeam-screen.json",
    "videobox left=-370 right=-372 top=-120 bottom=-62 ! textoverlay "
    "text=\"DOE^JANE  ID 0012345\" font-desc=\"Sans 14\" valignment=top "
    "halignment=left xpad=378 ypad=124" },
  { "vir", "Vir_prospective_file1.mp4", "vir-prospective-screen.json",
    "videobox left=-502 right=-500 top=-220 bottom=-222 ! textoverlay "
    "text=\"DOE^JANE  ID 0012345\" font-desc=\"Sans 6\" valignment=top "
    "halignment=left xpad=506 ypad=222" },
};

#define BANNER                                                                 \
  " ! textoverlay text=\"CITY CLINIC   DOB 1970-01-01   2026-12-05 10:42\" "   \
  "font-desc=\"Sans 18\" valignment=top halignment=left xpad=20 ypad=20"

typedef struct
{
  SlMachineRect region; /* compared, in the encoded picture */
  GMutex lock;
  GQueue raw; /* GstBuffer, the encoder's inputs not yet compared */
  gint ended; /* atomic: the clip has ended */
  GstPad *encoder_sink;
  guint64 bytes;
  guint frames;
  gdouble ssim_sum, psnr_sum;
} Run;

static GstPadProbeReturn
on_encoder_input (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Run *run = user_data;

  if (g_atomic_int_get (&run->ended))
    return GST_PAD_PROBE_DROP;
  g_mutex_lock (&run->lock);
  g_queue_push_tail (&run->raw,
                     gst_buffer_ref (GST_PAD_PROBE_INFO_BUFFER (info)));
  g_mutex_unlock (&run->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_encoded (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Run *run = user_data;

  run->bytes += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

static void
compare (Run *run, GstSample *decoded)
{
  GstVideoInfo info;
  GstVideoFrame a, b;
  GstBuffer *raw;
  const SlMachineRect *r = &run->region;

  g_mutex_lock (&run->lock);
  raw = g_queue_pop_head (&run->raw);
  g_mutex_unlock (&run->lock);
  if (raw == NULL)
    g_error ("a decoded frame without its source");
  gst_video_info_from_caps (&info, gst_sample_get_caps (decoded));
  gst_video_frame_map (&a, &info, raw, GST_MAP_READ);
  gst_video_frame_map (&b, &info, gst_sample_get_buffer (decoded),
                       GST_MAP_READ);
  {
    gint sa = GST_VIDEO_FRAME_PLANE_STRIDE (&a, 0);
    gint sb = GST_VIDEO_FRAME_PLANE_STRIDE (&b, 0);
    const guint8 *pa
        = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (&a, 0) + r->y * sa + r->x;
    const guint8 *pb
        = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (&b, 0) + r->y * sb + r->x;

    run->ssim_sum += sl_fidelity_ssim (pa, sa, pb, sb, r->width, r->height);
    run->psnr_sum += sl_fidelity_psnr (pa, sa, pb, sb, r->width, r->height);
  }
  run->frames++;
  gst_video_frame_unmap (&a);
  gst_video_frame_unmap (&b);
  gst_buffer_unref (raw);
}

static void
send_eos (GstElement *pipeline, gpointer user_data)
{
  Run *run = user_data;

  gst_pad_send_event (run->encoder_sink, gst_event_new_eos ());
}

/* The probe's keeper takes the clip's end for a lost source and would
 * show NO SIGNAL in its place: the clip has been encoded once, so the
 * run ends there. */
static GstBusSyncReply
on_sync_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  Run *run = user_data;
  gboolean lost = FALSE;

  if (sl_keeper_parse_message (message, &lost, NULL) && lost
      && g_atomic_int_compare_and_exchange (&run->ended, FALSE, TRUE))
    gst_element_call_async (GST_ELEMENT (GST_MESSAGE_SRC (message)), send_eos,
                            run, NULL);
  return GST_BUS_PASS;
}

/* Encodes and decodes the whole clip once; fills @run. */
static void
encode (const gchar *spec, const SlMachineProfile *profile, guint width,
        guint height, guint kbps, Run *run)
{
  SlProbeConfig config = { width, height, 0, 0, profile };
  g_autoptr (GError) error = NULL;
  GstElement *source = sl_probe_make_source (spec, &config, NULL, &error);
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  GstElement *enc = gst_element_factory_make ("x264enc", NULL);
  GstElement *dec = gst_element_factory_make ("avdec_h264", NULL);
  GstElement *sink = gst_element_factory_make ("appsink", NULL);
  GstPad *pad;
  GstSample *sample;

  if (source == NULL)
    g_error ("%s", error->message);
  /* The same settings for both pictures (those the engine takes for
   * 720p at this rate), so the crop alone makes the difference. */
  sl_media_configure_h264_encoder (enc, kbps, 1280, 720, 0);
  sl_media_configure_h264_decoder (dec);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), source, enc, dec, sink, NULL);
  if (!gst_element_link_many (source, enc, dec, sink, NULL))
    g_error ("cannot link the encoding pipeline");
  pad = gst_element_get_static_pad (enc, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_encoder_input, run,
                     NULL);
  run->encoder_sink = pad;
  {
    g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);

    gst_bus_set_sync_handler (bus, on_sync_message, run, NULL);
  }
  pad = gst_element_get_static_pad (dec, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_encoded, run, NULL);
  gst_object_unref (pad);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink))) != NULL)
    {
      compare (run, sample);
      gst_sample_unref (sample);
    }
  {
    g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
    g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

    if (msg != NULL)
      {
        g_autoptr (GError) e = NULL;

        gst_message_parse_error (msg, &e, NULL);
        g_error ("%s", e->message);
      }
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_clear_object (&run->encoder_sink);
  g_queue_clear_full (&run->raw, (GDestroyNotify)gst_buffer_unref);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *clip_name = NULL, *kbps_list = NULL;
  g_autofree gchar *profiles = NULL, *clips_dir = NULL;
  GOptionEntry entries[]
      = { { "clip", 0, 0, G_OPTION_ARG_STRING, &clip_name, "cov or vir",
            "NAME" },
          { "kbps", 0, 0, G_OPTION_ARG_STRING, &kbps_list,
            "bitrates, comma-separated", "LIST" },
          { "profiles", 0, 0, G_OPTION_ARG_FILENAME, &profiles,
            "the shipped profiles' folder", "DIR" },
          { "clips", 0, 0, G_OPTION_ARG_FILENAME, &clips_dir,
            "the us-clips folder", "DIR" },
          { NULL } };
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) profile = NULL;
  g_auto (GStrv) rates = NULL;
  g_autofree gchar *path = NULL, *spec = NULL, *profile_path = NULL;
  const Clip *clip = &clips[0];
  const SlMachineRect *im;
  guint mask_bottom = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  sl_media_init (NULL, NULL);
  for (guint i = 0; clip_name && i < G_N_ELEMENTS (clips); i++)
    if (g_strcmp0 (clip_name, clips[i].name) == 0)
      clip = &clips[i];
  path = g_build_filename (clips_dir ? clips_dir : "../shared/data/us-clips",
                           clip->file, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      fprintf (stderr, "%s: no such clip (--clips DIR)\n", path);
      return 77;
    }
  profile_path = g_build_filename (
      profiles ? profiles : "probe-adapter/machines", clip->profile, NULL);
  profile = sl_machine_profile_load (profile_path, &error);
  if (profile == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  spec = g_strdup_printf ("gst:filesrc location=\"%s\" ! decodebin ! "
                          "videoconvert ! %s" BANNER,
                          path, clip->screen);
  im = &profile->image;
  for (guint i = 0; i < profile->n_masks; i++)
    mask_bottom
        = MAX (mask_bottom, profile->masks[i].y + profile->masks[i].height);
  mask_bottom = MAX (mask_bottom, im->y);
  rates = g_strsplit (kbps_list ? kbps_list : "150,300,600,1200", ",", -1);
  printf ("clip %s on a %ux%u screen; image %ux%u at %u,%u; compared: the "
          "image below y=%u (%ux%u)\n",
          clip->name, profile->frame_width, profile->frame_height, im->width,
          im->height, im->x, im->y, mask_bottom, im->width,
          im->y + im->height - mask_bottom);
  printf ("%6s | %-26s | %-26s | %s\n", "kbps", "whole screen 1280x720",
          "cropped to the image", "SSIM gain");
  printf ("%6s | %8s %8s %8s | %8s %8s %8s |\n", "", "SSIM", "PSNR", "kbps",
          "SSIM", "PSNR", "kbps");
  for (guint i = 0; rates[i] != NULL; i++)
    {
      guint kbps = (guint)g_ascii_strtoull (rates[i], NULL, 10);
      Run whole = { .region = { im->x, mask_bottom, im->width,
                                im->y + im->height - mask_bottom } };
      Run cropped = { .region = { 0, mask_bottom - im->y, im->width,
                                  im->y + im->height - mask_bottom } };
      gdouble secs;

      g_mutex_init (&whole.lock);
      g_mutex_init (&cropped.lock);
      encode (spec, NULL, profile->frame_width, profile->frame_height, kbps,
              &whole);
      encode (spec, profile, im->width, im->height, kbps, &cropped);
      secs = whole.frames / 30.0;
      printf (
          "%6u | %8.4f %8.2f %8.0f | %8.4f %8.2f %8.0f | %+.4f\n", kbps,
          whole.ssim_sum / whole.frames, whole.psnr_sum / whole.frames,
          whole.bytes * 8 / 1000.0 / secs, cropped.ssim_sum / cropped.frames,
          cropped.psnr_sum / cropped.frames,
          cropped.bytes * 8 / 1000.0 / (cropped.frames / 30.0),
          cropped.ssim_sum / cropped.frames - whole.ssim_sum / whole.frames);
      g_mutex_clear (&whole.lock);
      g_mutex_clear (&cropped.lock);
    }
  return 0;
}
