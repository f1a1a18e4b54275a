/* fuzz-replay-sidecar.c — fuzzes what sonolink-replay reads as text: a
 * whole sidecar (loaded into the timeline, which is then seeked, drawn
 * into a small picture and written as WebVTT) and a note as typed.
 *
 * The sidecar may be edited by hand or cut by a crash; a note comes from
 * the command line or the window.  Beyond "does not crash": a note the
 * parser accepts has a valid text, and the VTT always begins "WEBVTT".
 */
#include <stdlib.h>
#include <string.h>

#include "sl-fuzz.h"
#include "sl-replay-timeline.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (SlReplayTimeline) tl = sl_replay_timeline_new ();
  g_autofree gchar *arg = g_strndup ((const gchar *)data, size);
  g_autofree gchar *text = NULL;
  gint64 t_ms;

  if (sl_replay_note_parse (arg, &t_ms, &text, NULL)
      && (t_ms < 0 || !sl_replay_note_text_is_valid (text, NULL)))
    abort ();
  if (sl_replay_timeline_load (tl, (const gchar *)data, size, NULL, NULL))
    {
      cairo_surface_t *surface
          = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 32, 18);
      cairo_t *cr = cairo_create (surface);
      g_autofree gchar *vtt = NULL;

      for (gint64 t = 0; t < 20000; t += 2500)
        {
          sl_replay_timeline_seek (tl, t);
          sl_replay_timeline_render (tl, cr, 32, 18);
        }
      sl_replay_timeline_seek (tl, 0);
      cairo_destroy (cr);
      cairo_surface_destroy (surface);
      vtt = sl_replay_timeline_to_vtt (tl, 0, 20000);
      if (!g_str_has_prefix (vtt, "WEBVTT\n"))
        abort ();
    }
  return 0;
}
