/* test-voice.c — the township's voice graph in the capture
 * (media/capture/sl-voice.c, sl-capture.c): the option's values, and a
 * loudspeaker that fails is reported apart and does not fail the capture,
 * while any other element's failure does. */
#include "sl-capture.h"
#include "sl-media.h"
#include "sl-voice.h"

static void
test_processing_names (void)
{
  static const gchar *const names[] = { "off", "aec", "aec+ns" };
  SlVoiceProcessing mode;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (sl_voice_processing_parse (names[i], &mode));
      g_assert_cmpstr (sl_voice_processing_name (mode), ==, names[i]);
    }
  g_assert_false (sl_voice_processing_parse ("AEC", &mode));
  g_assert_false (sl_voice_processing_parse ("aec+agc", &mode));
  g_assert_false (sl_voice_processing_parse ("", &mode));
  g_assert_false (sl_voice_processing_parse (NULL, &mode));
}

/* Runs the default main context (the capture's bus watch) until @error
 * is set by @take, or 5 s pass. */
static GError *
wait_error (SlCapture *capture, GError *(*take) (SlCapture *))
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  GError *error = NULL;

  while (error == NULL && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      error = take (capture);
      if (error == NULL)
        g_usleep (10000);
    }
  return error;
}

static void
post_error (GstElement *element)
{
  g_autoptr (GError) error = g_error_new_literal (
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE, "device unplugged");

  gst_element_post_message (
      element, gst_message_new_error (GST_OBJECT (element), error, "test"));
}

static void
test_speaker_failure (void)
{
  SlVoiceConfig config = { SL_VOICE_PROCESSING_AEC, NULL, TRUE };
  GstElement *mic = gst_element_factory_make ("audiotestsrc", NULL);
  GstElement *speaker = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) speaker_error = NULL;
  g_autoptr (GstAppSrc) heard = NULL;
  SlCapture *capture;

  g_object_set (mic, "is-live", TRUE, "samplesperbuffer", 480, NULL);
  g_object_set (speaker, "sync", TRUE, "async", FALSE, NULL);
  config.speaker = speaker;
  /* The elements stay alive while the capture holds them. */
  gst_object_ref (mic);
  gst_object_ref (speaker);
  capture = sl_capture_new_with_voice (NULL, mic, &config, &error);
  g_assert_no_error (error);
  g_assert_true (sl_capture_start (capture, &error));
  heard = sl_capture_add_heard_voice (capture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (heard);

  post_error (speaker);
  speaker_error = wait_error (capture, sl_capture_take_speaker_error);
  g_assert_nonnull (speaker_error);
  g_assert_nonnull (strstr (speaker_error->message, "loudspeaker"));
  g_assert_null (sl_capture_take_speaker_error (capture));
  g_assert_null (sl_capture_get_error (capture));

  /* The microphone failing is the capture failing. */
  post_error (mic);
  g_clear_error (&error);
  error = wait_error (capture, sl_capture_get_error);
  g_assert_nonnull (error);

  sl_capture_remove_heard_voice (capture, heard);
  sl_capture_free (capture);
  gst_object_unref (mic);
  gst_object_unref (speaker);
}

/* A heard voice added as soon as the capture has started, as the
 * township does when the hub already lists an expert at its join: the
 * capture still delivers pictures.  sl_capture_start used to return with
 * the voice graph's sinks still prerolling, and the far source added then
 * left the pipeline in PAUSED for ever: no picture and no voice reached
 * the sessions, which therefore never offered.  Without the wait in
 * sl_capture_start this stalled in most runs of one round; five rounds
 * make it all but certain. */
static void
test_heard_at_start (void)
{
  for (guint round = 0; round < 5; round++)
    {
      SlVoiceConfig config = { SL_VOICE_PROCESSING_OFF, NULL, TRUE };
      GstElement *video = gst_parse_bin_from_description (
          "videotestsrc is-live=true ! capsfilter "
          "caps=video/x-raw,format=I420,width=160,height=120,framerate=30/1",
          TRUE, NULL);
      GstElement *mic = gst_element_factory_make ("audiotestsrc", NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (GstAppSrc) heard = NULL;
      gint64 deadline;
      SlCapture *capture;

      g_assert_nonnull (video);
      g_object_set (mic, "is-live", TRUE, "samplesperbuffer", 480, NULL);
      config.speaker = gst_element_factory_make ("fakesink", NULL);
      g_object_set (config.speaker, "sync", TRUE, NULL);
      capture = sl_capture_new_with_voice (video, mic, &config, &error);
      g_assert_no_error (error);
      g_assert_true (sl_capture_start (capture, &error));
      heard = sl_capture_add_heard_voice (capture, &error);
      g_assert_no_error (error);
      deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
      while (sl_capture_get_frames (capture) == 0
             && g_get_monotonic_time () < deadline)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (10000);
        }
      g_assert_cmpuint (sl_capture_get_frames (capture), >, 0);
      sl_capture_remove_heard_voice (capture, heard);
      sl_capture_free (capture);
    }
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/voice/processing-names", test_processing_names);
  g_test_add_func ("/voice/speaker-failure", test_speaker_failure);
  g_test_add_func ("/voice/heard-at-start", test_heard_at_start);
  return g_test_run ();
}
