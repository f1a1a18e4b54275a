/* fuzz-proto.c — fuzzes the signalling message parser.
 *
 * Beyond "does not crash", it checks that anything the parser accepts
 * survives serialise → parse unchanged in its serialised form: the hub
 * re-serialises every relayed message, so an accepted message it could not
 * re-emit, or one that changes on the way, would be a bug.
 */
#include <stdlib.h>
#include <string.h>

#include "sl-fuzz.h"
#include "sl-proto.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (SlMsg) msg = NULL;
  g_autoptr (SlMsg) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *text2 = NULL;

  msg = sl_msg_parse ((const gchar *)data, size, &error);
  if (msg == NULL)
    {
      if (error == NULL || error->domain != SL_PROTO_ERROR)
        abort ();
      return 0;
    }
  text = sl_msg_serialize (msg);
  again = sl_msg_parse (text, strlen (text), NULL);
  if (again == NULL)
    abort ();
  text2 = sl_msg_serialize (again);
  if (strcmp (text, text2) != 0)
    abort ();
  return 0;
}
