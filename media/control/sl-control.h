/* sl-control.h — the messages of a session's control data channel.
 *
 * The control channel ("sl-control", reliable and ordered) carries JSON
 * text messages between the two stations of a session.  Today: a ping
 * once a second each way, {"type":"ping","seq":N}, answered with
 * {"type":"pong","seq":N}; the township's ping may add "send_ms", its
 * capture-to-encoder-output time over the last second, from which the
 * expert estimates the glass-to-glass latency; the expert's may add
 * "lost_pct" and "repaired_pct", the video the link lost and the share
 * NACK/RTX and FEC brought back over its last second, which the township
 * shows as its own loss figure (sl-loss.h says why).  Guidance travels on its
 * own two channels (sl-guide.h), not here.  The bytes come from the peer, so this is a parser of
 * untrusted input: explicit type checks, bounded sizes, and a fuzz target
 * (tests/fuzz/fuzz-control.c).  Pure functions; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_CONTROL_ERROR (sl_control_error_quark ())
GQuark sl_control_error_quark (void);

typedef enum
{
  /* not a JSON object, or a field of the wrong type */
  SL_CONTROL_ERROR_MALFORMED,
  SL_CONTROL_ERROR_TOO_LARGE,
  SL_CONTROL_ERROR_UNKNOWN_TYPE,
} SlControlError;

/* Messages larger than this are refused unread. */
#define SL_CONTROL_MAX_SIZE (64 * 1024)
/* The largest "send_ms" a peer may report. */
#define SL_CONTROL_MAX_SEND_MS 10000.0

typedef enum
{
  SL_CONTROL_PING,
  SL_CONTROL_PONG,
} SlControlType;

typedef struct
{
  SlControlType type;
  guint64 seq;     /* 0 .. G_MAXINT64 */
  gdouble send_ms; /* PING: 0 .. SL_CONTROL_MAX_SEND_MS, or < 0: absent */
  /* PING: 0 .. 100, or < 0: absent; repaired_pct only with lost_pct, and
   * never above it. */
  gdouble lost_pct, repaired_pct;
} SlControlMsg;

/* Parses @len bytes of @text (not necessarily NUL-terminated).  Unknown
 * members are ignored; an unknown "type" is SL_CONTROL_ERROR_UNKNOWN_TYPE.
 * Returns FALSE with @error on anything else it cannot accept. */
gboolean sl_control_parse (const gchar *text, gsize len, SlControlMsg *out,
                           GError **error);

/* Returns (transfer full) @msg as JSON text. */
gchar *sl_control_serialize (const SlControlMsg *msg);

G_END_DECLS
