/* fuzz-json.c — fuzzes the strict JSON check (media/json).
 *
 * Beyond "does not crash or read out of bounds", it holds the check to
 * its promise: whatever it accepts, json-glib must parse too, so that no
 * text passes the check and then surprises the parser behind it.
 */
#include <json-glib/json-glib.h>
#include <stdlib.h>

#include "sl-fuzz.h"
#include "sl-json-check.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = NULL;

  if (!sl_json_check ((const gchar *)data, size, 16, &error))
    {
      if (error == NULL || error->domain != SL_JSON_CHECK_ERROR)
        abort ();
      return 0;
    }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, (const gchar *)data, (gssize)size,
                                   NULL))
    abort ();
  return 0;
}
