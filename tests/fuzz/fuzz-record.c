/* fuzz-record.c — fuzzes the recording sidecar's line reader.
 *
 * A sidecar is a file anyone may edit or a crash may cut.  Beyond "does
 * not crash": a rejection must come with an SL_RECORD_ERROR, and a line
 * the reader accepts must write back to a line that reads back the same.
 */
#include <stdlib.h>
#include <string.h>

#include "sl-fuzz.h"
#include "sl-record-sidecar.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_auto (SlRecordEvent) ev = { 0 };
  g_auto (SlRecordEvent) again = { 0 };
  g_autofree gchar *line = NULL, *line2 = NULL;

  if (!sl_record_event_parse ((const gchar *)data, size, &ev, &error))
    {
      if (error == NULL || error->domain != SL_RECORD_ERROR)
        abort ();
      return 0;
    }
  line = sl_record_event_to_line (&ev);
  if (line == NULL)
    abort ();
  if (!sl_record_event_parse (line, strlen (line), &again, NULL))
    abort ();
  line2 = sl_record_event_to_line (&again);
  if (strcmp (line, line2) != 0 || again.type != ev.type
      || again.t_ms != ev.t_ms || again.frame_ms != ev.frame_ms)
    abort ();
  return 0;
}
