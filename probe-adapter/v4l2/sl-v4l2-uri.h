/* sl-v4l2-uri.h — the "v4l2:" probe spec, parsed.
 *
 *   v4l2:DEVICE[?KEY=VALUE[&KEY=VALUE...]]
 *
 * DEVICE is an absolute path ("/dev/video0"); the keys pin down the capture
 * mode the card is asked for, each at most once: width, height (even,
 * 64..4096), fps (1..120) and format (a raw format name from
 * sl-v4l2-mode.h, "YUY2", "NV12"...).  A key left out leaves the choice to
 * sl_v4l2_mode_choose().  Plain C over GLib, no device access: what the
 * text says, checked; whether the device exists is sl-v4l2-source.c's
 * business.  Any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_V4L2_URI_ERROR (sl_v4l2_uri_error_quark ())
GQuark sl_v4l2_uri_error_quark (void);

/* Longest accepted device path, in bytes. */
#define SL_V4L2_MAX_PATH 255
/* The largest capture mode a key may ask for (a 4K card is refused by
 * the session's size limit later, not here: the card's mode and the
 * session's size differ, the picture is scaled between them). */
#define SL_V4L2_MAX_SIDE 4096

typedef struct
{
  gchar *device; /* absolute path, only [A-Za-z0-9/._-] */
  guint width;   /* 0 = any */
  guint height;  /* 0 = any */
  guint fps;     /* 0 = any */
  gchar *format; /* NULL = any; a name sl_v4l2_format_rank() knows */
} SlV4l2Uri;

/* Parses @text, the spec after "v4l2:", into @uri (cleared first).  On
 * failure returns FALSE with @error (SL_V4L2_URI_ERROR, code 0) saying
 * which part is wrong, and leaves @uri cleared. */
gboolean sl_v4l2_uri_parse (const gchar *text, SlV4l2Uri *uri, GError **error);

void sl_v4l2_uri_clear (SlV4l2Uri *uri);

G_END_DECLS
