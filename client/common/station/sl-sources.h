/* sl-sources.h — turning the stations' device options into elements.
 *
 *   --audio-in   auto | none | test | test:HZ | gst:DESC
 *   --audio-out  auto | none | gst:DESC
 *   --sink       auto | none | gst:DESC        (decoded probe video)
 *
 * "auto" uses a real device when the machine has one (a microphone, a
 * speaker, a display) and otherwise a stand-in: a test tone in, a silent
 * sink out.  Control thread.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Each returns (transfer floating) an element or bin, NULL for "none"
 * (with @error unset), or NULL with @error for a bad spec.  @test_hz is the
 * tone "auto" and "test" fall back to. */
GstElement *sl_sources_make_audio_in (const gchar *spec, guint test_hz,
                                      gchar **description, GError **error);
GstElement *sl_sources_make_audio_out (const gchar *spec, gchar **description,
                                       GError **error);
GstElement *sl_sources_make_video_sink (const gchar *spec, gchar **description,
                                        GError **error);

/* Whether @element, made by the functions above, is a stand-in rather
 * than a device: the silent sink of "none" or of "auto" with no speaker,
 * or a test tone. */
gboolean sl_sources_is_stand_in (GstElement *element);

G_END_DECLS
