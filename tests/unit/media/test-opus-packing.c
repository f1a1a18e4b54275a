/* test-opus-packing.c — the voice's frame duration changed while the
 * encoder runs, as the rate controller changes it (sl-opus-packing.h).
 *
 * A live tone through a real opusenc; the packing flips between 10, 60
 * and 20 ms frames every millisecond, from the main thread, for 4 s.  Set
 * directly from this thread, GStreamer 1.22's opusenc can abort (an
 * assertion in gst_opus_enc_encode; a race, so not in every run) or post
 * "Encoding failed (-3)".  Through SlOpusPacking it must encode on
 * without an error, every input must take the packing then asked for,
 * and the packets that come out must have the last duration asked for. */
#include "sl-opus-packing.h"

#include <gst/gst.h>

typedef struct
{
  GstElement *pipeline;
  SlOpusPacking *packing;
  GMainLoop *loop;
  guint flips;
  GstClockTime last_duration; /* of the encoder's last packet */
  gchar *error;
} Run;

static gboolean
flip (gpointer user_data)
{
  static const guint frames[] = { 10, 60, 20, 60, 10, 20 };
  Run *run = user_data;
  guint frame_ms = frames[run->flips++ % G_N_ELEMENTS (frames)];

  sl_opus_packing_set (run->packing, frame_ms, frame_ms == 60 ? 16000 : 32000,
                       frame_ms == 60);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_bus (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  Run *run = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_error (msg, &error, &debug);
      run->error = g_strdup_printf ("%s (%s)", error->message, debug);
      g_main_loop_quit (run->loop);
    }
  return G_SOURCE_CONTINUE;
}

static GstPadProbeReturn
on_packet (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Run *run = user_data;

  run->last_duration = GST_BUFFER_DURATION (GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

static gboolean
stop (gpointer user_data)
{
  g_main_loop_quit (((Run *)user_data)->loop);
  return G_SOURCE_REMOVE;
}

static void
test_flips (void)
{
  Run run = { 0 };
  g_autoptr (GstElement) opusenc = NULL;
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstBus) bus = NULL;
  guint flip_id, bus_id;

  run.pipeline = gst_parse_launch (
      "audiotestsrc is-live=true wave=sine samplesperbuffer=960 "
      "! audio/x-raw,rate=48000,channels=1 ! audioconvert "
      "! opusenc name=enc audio-type=voice inband-fec=true frame-size=10 "
      "! fakesink sync=false",
      NULL);
  g_assert_nonnull (run.pipeline);
  opusenc = gst_bin_get_by_name (GST_BIN (run.pipeline), "enc");
  run.packing = sl_opus_packing_attach (opusenc);
  g_assert_nonnull (run.packing);
  src = gst_element_get_static_pad (opusenc, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, on_packet, &run, NULL);
  run.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (run.pipeline);
  bus_id = gst_bus_add_watch (bus, on_bus, &run);
  g_assert_cmpint (gst_element_set_state (run.pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  flip_id = g_timeout_add (1, flip, &run);
  g_timeout_add (4000, stop, &run);
  g_main_loop_run (run.loop);
  g_source_remove (flip_id);
  g_assert_null (run.error);
  g_assert_cmpuint (run.flips, >, 200);
  g_assert_cmpuint (sl_opus_packing_changes (run.packing), >, 50);

  /* The last packing asked for is the one the packets have. */
  sl_opus_packing_set (run.packing, 60, 16000, FALSE);
  g_timeout_add (400, stop, &run);
  g_main_loop_run (run.loop);
  g_assert_null (run.error);
  g_assert_cmpuint (run.last_duration, ==, 60 * GST_MSECOND);

  gst_element_set_state (run.pipeline, GST_STATE_NULL);
  g_source_remove (bus_id);
  gst_object_unref (run.pipeline);
  g_main_loop_unref (run.loop);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/opus-packing/flips", test_flips);
  return g_test_run ();
}
