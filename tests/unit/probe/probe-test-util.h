/* probe-test-util.h — helpers shared by the probe tests: run a source into
 * an appsink and collect what arrives, with a deadline instead of sleeps. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A pipeline "@source ! appsink" (sync as given).  Takes @source (floating
 * or full).  Returns (transfer full) the pipeline; *@sink is borrowed. */
GstElement *probe_test_pipeline (GstElement *source, gboolean sync,
                                 GstElement **sink);

/* Plays @pipeline and pulls samples from @sink until @n arrived, an error
 * or end of stream is posted, or @timeout_s passed; then stops it.
 * Returns (transfer full) the samples.  *@error_message (if not NULL)
 * receives the first bus error's text, or NULL. */
GPtrArray *probe_test_pull (GstElement *pipeline, GstElement *sink, guint n,
                            gdouble timeout_s, gchar **error_message);

/* Runs a gst-launch description to end of stream; FALSE on error or after
 * @timeout_s. */
gboolean probe_test_run_launch (const gchar *description, gdouble timeout_s);

/* Reads the stamp of an I420 sample; FALSE if unreadable. */
gboolean probe_test_sample_stamp (GstSample *sample, guint64 *value);

G_END_DECLS
