/* fuzz-v4l2-uri.c — fuzzes the "v4l2:" probe spec parser.
 *
 * The spec comes from the command line, but its device path ends up
 * inside a GStreamer description, so the parser's promises are checked on
 * every input it accepts: an absolute path of safe characters only, sizes
 * even and in range, a rate in range, a format name it knows.  A refused
 * input leaves nothing allocated behind and says why.
 */
#include <stdlib.h>
#include <string.h>

#include "sl-fuzz.h"
#include "sl-v4l2-mode.h"
#include "sl-v4l2-uri.h"

static void
check_accepted (const SlV4l2Uri *uri)
{
  if (uri->device == NULL || uri->device[0] != '/'
      || strlen (uri->device) > SL_V4L2_MAX_PATH)
    abort ();
  for (const gchar *p = uri->device; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("/._-", *p) == NULL)
      abort ();
  if ((uri->width != 0
       && (uri->width < 64 || uri->width > SL_V4L2_MAX_SIDE
           || uri->width % 2 != 0))
      || (uri->height != 0
          && (uri->height < 64 || uri->height > SL_V4L2_MAX_SIDE
              || uri->height % 2 != 0))
      || uri->fps > 120)
    abort ();
  if (uri->format != NULL && sl_v4l2_format_rank (uri->format) < 0)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = g_strndup ((const gchar *)data, size);
  g_autoptr (GError) error = NULL;
  SlV4l2Uri uri;

  if (sl_v4l2_uri_parse (text, &uri, &error))
    {
      if (error != NULL)
        abort ();
      check_accepted (&uri);
      sl_v4l2_uri_clear (&uri);
    }
  else if (error == NULL || error->message[0] == '\0' || uri.device != NULL
           || uri.format != NULL)
    abort ();
  return 0;
}
