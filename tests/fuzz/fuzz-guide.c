/* fuzz-guide.c — fuzzes the guidance layer's receiving side: the message
 * parser (media/guide/sl-guide-parse.c), the receiver's state
 * (media/guide/sl-guide-state.c) and the still reassembler
 * (media/guide/sl-guide-still.c).
 *
 * The peer station writes these bytes.  The whole input is parsed as one
 * message: a rejection must come with an SL_GUIDE_ERROR, and whatever is
 * accepted must serialise to text that parses back and serialises to the
 * same text.  Then each line of the input is parsed and applied in turn,
 * 40 ms apart, to one state and one reassembler, as a session would, so
 * that sequences (add, update, undo, clear, chunks out of order) are
 * explored too; the state's bounds must hold after each.  A
 * still_request line stands for the receiver's own request, so that the
 * reassembler takes the still that answers it.
 */
#include <stdlib.h>
#include <string.h>

#include "sl-fuzz.h"
#include "sl-guide-state.h"
#include "sl-guide-still.h"

static void
check_round_trip (const SlGuideMsg *msg)
{
  g_autofree gchar *text = sl_guide_serialize (msg), *text2 = NULL;
  g_auto (SlGuideMsg) again = { 0 };

  if (strlen (text) > SL_GUIDE_MAX_SIZE
      || !sl_guide_parse (text, strlen (text), &again, NULL))
    abort ();
  text2 = sl_guide_serialize (&again);
  if (strcmp (text, text2) != 0 || again.type != msg->type
      || again.media_ms != msg->media_ms)
    abort ();
}

static void
check_message (const SlGuideMsg *msg)
{
  if (msg->media_ms < 0 || msg->media_ms > SL_GUIDE_MAX_INT)
    abort ();
  if (msg->type == SL_GUIDE_MARK)
    {
      if (msg->mark.n_points == 0 || msg->mark.n_points > SL_GUIDE_MAX_POINTS)
        abort ();
      for (guint i = 0; i < msg->mark.n_points; i++)
        if (!(msg->mark.points[i].x >= 0 && msg->mark.points[i].x <= 1
              && msg->mark.points[i].y >= 0 && msg->mark.points[i].y <= 1))
          abort ();
    }
  if (msg->type == SL_GUIDE_STILL_CHUNK
      && (msg->chunk.len == 0 || msg->chunk.len > SL_GUIDE_STILL_CHUNK_SIZE))
    abort ();
}

/* Parses one message; FALSE (checked) if it was refused. */
static gboolean
parse_checked (const gchar *text, gsize len, SlGuideMsg *msg)
{
  g_autoptr (GError) error = NULL;

  if (!sl_guide_parse (text, len, msg, &error))
    {
      if (error == NULL || error->domain != SL_GUIDE_ERROR)
        abort ();
      return FALSE;
    }
  check_message (msg);
  check_round_trip (msg);
  return TRUE;
}

static void
apply_lines (const gchar *data, gsize size)
{
  g_autoptr (SlGuideState) state = sl_guide_state_new ();
  g_autoptr (SlGuideStillRx) rx = sl_guide_still_rx_new ();
  gint64 now = 1000;
  gsize start = 0;
  SlGuidePointer pointer;
  SlGuideCue cue;

  while (start < size)
    {
      const gchar *nl = memchr (data + start, '\n', size - start);
      gsize end = nl ? (gsize)(nl - data) : size;
      g_auto (SlGuideMsg) msg = { 0 };
      g_autoptr (GError) error = NULL;

      if (end > start && parse_checked (data + start, end - start, &msg))
        {
          if (!sl_guide_state_apply (state, &msg, now, &error)
              && !g_error_matches (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_LIMIT))
            abort ();
          g_clear_error (&error);
          if (msg.type == SL_GUIDE_STILL_REQUEST)
            sl_guide_still_rx_expect (rx, msg.req, now);
          if (sl_guide_still_rx_feed (rx, &msg, now, &error)
              == SL_GUIDE_STILL_COMPLETE)
            g_bytes_unref (sl_guide_still_rx_take (rx, NULL, NULL));
          if (sl_guide_state_n_marks (state) > SL_GUIDE_MAX_MARKS
              || sl_guide_state_n_undo (state) > SL_GUIDE_MAX_UNDO)
            abort ();
          sl_guide_state_get_pointer (state, now, &pointer);
          sl_guide_state_get_cue (state, now, &cue, NULL);
        }
      sl_guide_still_rx_check_timeout (rx, now, NULL);
      now += 40;
      start = end + 1;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_auto (SlGuideMsg) msg = { 0 };

  parse_checked ((const gchar *)data, size, &msg);
  apply_lines ((const gchar *)data, size);
  return 0;
}
