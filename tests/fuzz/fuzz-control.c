/* fuzz-control.c — fuzzes the control data channel's message parser.
 *
 * The peer station writes these bytes.  Beyond "does not crash": a
 * rejection must come with an SL_CONTROL_ERROR, and whatever the parser
 * accepts must serialise to text that parses back to the same text.
 */
#include <stdlib.h>
#include <string.h>

#include "sl-control.h"
#include "sl-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL, *text2 = NULL;
  SlControlMsg msg, again;

  if (!sl_control_parse ((const gchar *)data, size, &msg, &error))
    {
      if (error == NULL || error->domain != SL_CONTROL_ERROR)
        abort ();
      return 0;
    }
  if (msg.send_ms > SL_CONTROL_MAX_SEND_MS
      || (msg.type != SL_CONTROL_PING && msg.send_ms >= 0))
    abort ();
  if (msg.lost_pct > 100 || msg.repaired_pct > msg.lost_pct
      || (msg.type != SL_CONTROL_PING && msg.lost_pct >= 0))
    abort ();
  text = sl_control_serialize (&msg);
  if (!sl_control_parse (text, strlen (text), &again, NULL))
    abort ();
  text2 = sl_control_serialize (&again);
  if (strcmp (text, text2) != 0 || again.seq != msg.seq
      || again.type != msg.type)
    abort ();
  return 0;
}
