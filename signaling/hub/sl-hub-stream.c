/* sl-hub-stream.c — the stream libsoup reads and writes for one client
 * connection, with the hub's guards in it.
 *
 * Three small GObjects: the GIOStream libsoup is given, and its input and
 * output streams, both pollable because libsoup's WebSocket and its HTTP
 * server only work non-blocking on pollable streams (anything else would
 * make GIO run reads in threads).  Each delegates to the matching stream
 * of the base connection and adds one thing: the input feeds every byte
 * read to the scanner, the output counts every byte written.
 *
 * The input stream keeps the scanner and the owner's callbacks itself,
 * rather than a pointer back to the GIOStream: libsoup's buffering stream
 * holds a reference to the input stream and may outlive the GIOStream.
 * Closing the GIOStream clears the callbacks, so none is called after
 * closed().
 *
 * Closing closes the socket directly: closing a TLS connection would try
 * to send close_notify with a blocking write, which a client that does
 * not read could hold up for ever, on the main thread.
 */
#include "sl-hub-stream.h"

/* ---- input ---- */

#define SL_TYPE_HUB_STREAM_IN (sl_hub_stream_in_get_type ())
G_DECLARE_FINAL_TYPE (SlHubStreamIn, sl_hub_stream_in, SL, HUB_STREAM_IN,
                      GInputStream)

/* Pong bytes a client may leave unread before its reads are refused:
 * libsoup answers every ping at once and queues the pong whether or not
 * the client reads, so pings from a client that does not read would grow
 * the queue as fast as it can send them, below anything the hub sends. */
#define MAX_PONG_BACKLOG (64 * 1024)

typedef struct _SlHubStreamOut SlHubStreamOut;
static guint64 out_written (SlHubStreamOut *out);

struct _SlHubStreamIn
{
  GInputStream parent;
  GInputStream *base;
  SlHubStreamOut *out; /* its sibling, for the bytes written (referenced) */
  SlWsScan scan;
  gboolean websocket; /* frames are judged: set_websocket() was called */
  gboolean refused;   /* a bound was enforced: every read fails */
  guint64 owed;       /* pong bytes owed, from the scanner */
  const SlHubStreamCallbacks *callbacks; /* NULL once closed */
  gpointer user_data;
};

static void sl_hub_stream_in_pollable_init (GPollableInputStreamInterface *i);

G_DEFINE_TYPE_WITH_CODE (SlHubStreamIn, sl_hub_stream_in, G_TYPE_INPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                sl_hub_stream_in_pollable_init))

static gboolean
refuse_read (SlHubStreamIn *in, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "connection refused by the hub: %s", in->scan.reason);
  return FALSE;
}

/* Runs the scanner over @n bytes just read; FALSE if they must not be
 * passed on. */
static gboolean
inspect (SlHubStreamIn *in, const void *buffer, gssize n, GError **error)
{
  gboolean had_head = sl_ws_scan_head_done (&in->scan);
  gboolean ok;

  if (n <= 0 || in->scan.phase == SL_WS_SCAN_FAILED)
    return TRUE;
  ok = sl_ws_scan_feed (&in->scan, buffer, (gsize)n);
  in->owed += sl_ws_scan_take_pong_bytes (&in->scan);
  if (!had_head && sl_ws_scan_head_done (&in->scan) && in->callbacks
      && in->callbacks->head_done)
    in->callbacks->head_done (in->user_data);
  /* Pongs never written count against the client: written bytes include
   * everything else the hub sent, so this errs on the client's side. */
  if (ok && in->websocket
      && in->owed > out_written (in->out) + MAX_PONG_BACKLOG)
    {
      in->scan.phase = SL_WS_SCAN_FAILED;
      in->scan.reason = "pings sent faster than their pongs are read";
      ok = FALSE;
    }
  /* Past the head, frames count only once the request was an upgrade:
   * until then, the failure is kept for set_websocket() to find. */
  if (ok || (sl_ws_scan_head_done (&in->scan) && !in->websocket))
    return TRUE;
  in->refused = TRUE;
  if (in->callbacks && in->callbacks->violation)
    in->callbacks->violation (in->scan.reason, in->user_data);
  return refuse_read (in, error);
}

static gssize
sl_hub_stream_in_read (GInputStream *stream, void *buffer, gsize count,
                       GCancellable *cancellable, GError **error)
{
  SlHubStreamIn *in = SL_HUB_STREAM_IN (stream);
  gssize n;

  if (in->refused)
    return refuse_read (in, error) ? 0 : -1;
  n = g_input_stream_read (in->base, buffer, count, cancellable, error);
  return inspect (in, buffer, n, error) ? n : -1;
}

static gssize
sl_hub_stream_in_read_nonblocking (GPollableInputStream *stream, void *buffer,
                                   gsize count, GError **error)
{
  SlHubStreamIn *in = SL_HUB_STREAM_IN (stream);
  gssize n;

  if (in->refused)
    return refuse_read (in, error) ? 0 : -1;
  n = g_pollable_input_stream_read_nonblocking (
      G_POLLABLE_INPUT_STREAM (in->base), buffer, count, NULL, error);
  return inspect (in, buffer, n, error) ? n : -1;
}

static gboolean
sl_hub_stream_in_close (GInputStream *stream, GCancellable *cancellable,
                        GError **error)
{
  /* The GIOStream closes the connection; see its close_fn. */
  return TRUE;
}

static gboolean
sl_hub_stream_in_can_poll (GPollableInputStream *stream)
{
  SlHubStreamIn *in = SL_HUB_STREAM_IN (stream);

  return G_IS_POLLABLE_INPUT_STREAM (in->base)
         && g_pollable_input_stream_can_poll (
             G_POLLABLE_INPUT_STREAM (in->base));
}

static gboolean
sl_hub_stream_in_is_readable (GPollableInputStream *stream)
{
  SlHubStreamIn *in = SL_HUB_STREAM_IN (stream);

  return in->refused
         || g_pollable_input_stream_is_readable (
             G_POLLABLE_INPUT_STREAM (in->base));
}

static GSource *
sl_hub_stream_in_create_source (GPollableInputStream *stream,
                                GCancellable *cancellable)
{
  SlHubStreamIn *in = SL_HUB_STREAM_IN (stream);
  g_autoptr (GSource) base = g_pollable_input_stream_create_source (
      G_POLLABLE_INPUT_STREAM (in->base), NULL);

  /* Dispatches with this stream, not the base, as libsoup expects. */
  return g_pollable_source_new_full (stream, base, cancellable);
}

static void
sl_hub_stream_in_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = sl_hub_stream_in_can_poll;
  iface->is_readable = sl_hub_stream_in_is_readable;
  iface->create_source = sl_hub_stream_in_create_source;
  iface->read_nonblocking = sl_hub_stream_in_read_nonblocking;
}

static void
sl_hub_stream_in_finalize (GObject *object)
{
  SlHubStreamIn *in = SL_HUB_STREAM_IN (object);

  g_clear_object (&in->base);
  g_clear_object (&in->out);
  G_OBJECT_CLASS (sl_hub_stream_in_parent_class)->finalize (object);
}

static void
sl_hub_stream_in_class_init (SlHubStreamInClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sl_hub_stream_in_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = sl_hub_stream_in_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = sl_hub_stream_in_close;
}

static void
sl_hub_stream_in_init (SlHubStreamIn *in)
{
}

/* ---- output ---- */

#define SL_TYPE_HUB_STREAM_OUT (sl_hub_stream_out_get_type ())
GType sl_hub_stream_out_get_type (void);
#define SL_HUB_STREAM_OUT(obj)                                                 \
  (G_TYPE_CHECK_INSTANCE_CAST ((obj), SL_TYPE_HUB_STREAM_OUT, SlHubStreamOut))
typedef struct
{
  GOutputStreamClass parent_class;
} SlHubStreamOutClass;

struct _SlHubStreamOut
{
  GOutputStream parent;
  GOutputStream *base;
  guint64 written;
};

static void
sl_hub_stream_out_pollable_init (GPollableOutputStreamInterface *iface);

static guint64
out_written (SlHubStreamOut *out)
{
  return out->written;
}

G_DEFINE_TYPE_WITH_CODE (
    SlHubStreamOut, sl_hub_stream_out, G_TYPE_OUTPUT_STREAM,
    G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                           sl_hub_stream_out_pollable_init))

static gssize
sl_hub_stream_out_write (GOutputStream *stream, const void *buffer, gsize count,
                         GCancellable *cancellable, GError **error)
{
  SlHubStreamOut *out = SL_HUB_STREAM_OUT (stream);
  gssize n
      = g_output_stream_write (out->base, buffer, count, cancellable, error);

  if (n > 0)
    out->written += (guint64)n;
  return n;
}

static gssize
sl_hub_stream_out_write_nonblocking (GPollableOutputStream *stream,
                                     const void *buffer, gsize count,
                                     GError **error)
{
  SlHubStreamOut *out = SL_HUB_STREAM_OUT (stream);
  gssize n = g_pollable_output_stream_write_nonblocking (
      G_POLLABLE_OUTPUT_STREAM (out->base), buffer, count, NULL, error);

  if (n > 0)
    out->written += (guint64)n;
  return n;
}

static gboolean
sl_hub_stream_out_flush (GOutputStream *stream, GCancellable *cancellable,
                         GError **error)
{
  return g_output_stream_flush (SL_HUB_STREAM_OUT (stream)->base, cancellable,
                                error);
}

static gboolean
sl_hub_stream_out_close (GOutputStream *stream, GCancellable *cancellable,
                         GError **error)
{
  return TRUE;
}

static gboolean
sl_hub_stream_out_can_poll (GPollableOutputStream *stream)
{
  SlHubStreamOut *out = SL_HUB_STREAM_OUT (stream);

  return G_IS_POLLABLE_OUTPUT_STREAM (out->base)
         && g_pollable_output_stream_can_poll (
             G_POLLABLE_OUTPUT_STREAM (out->base));
}

static gboolean
sl_hub_stream_out_is_writable (GPollableOutputStream *stream)
{
  return g_pollable_output_stream_is_writable (
      G_POLLABLE_OUTPUT_STREAM (SL_HUB_STREAM_OUT (stream)->base));
}

static GSource *
sl_hub_stream_out_create_source (GPollableOutputStream *stream,
                                 GCancellable *cancellable)
{
  SlHubStreamOut *out = SL_HUB_STREAM_OUT (stream);
  g_autoptr (GSource) base = g_pollable_output_stream_create_source (
      G_POLLABLE_OUTPUT_STREAM (out->base), NULL);

  return g_pollable_source_new_full (stream, base, cancellable);
}

static void
sl_hub_stream_out_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = sl_hub_stream_out_can_poll;
  iface->is_writable = sl_hub_stream_out_is_writable;
  iface->create_source = sl_hub_stream_out_create_source;
  iface->write_nonblocking = sl_hub_stream_out_write_nonblocking;
}

static void
sl_hub_stream_out_finalize (GObject *object)
{
  g_clear_object (&SL_HUB_STREAM_OUT (object)->base);
  G_OBJECT_CLASS (sl_hub_stream_out_parent_class)->finalize (object);
}

static void
sl_hub_stream_out_class_init (SlHubStreamOutClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sl_hub_stream_out_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = sl_hub_stream_out_write;
  G_OUTPUT_STREAM_CLASS (klass)->flush = sl_hub_stream_out_flush;
  G_OUTPUT_STREAM_CLASS (klass)->close_fn = sl_hub_stream_out_close;
}

static void
sl_hub_stream_out_init (SlHubStreamOut *out)
{
}

/* ---- the connection ---- */

struct _SlHubStream
{
  GIOStream parent;
  GIOStream *base;
  GSocket *socket;
  SlHubStreamIn *in;
  SlHubStreamOut *out;
  const SlHubStreamCallbacks *callbacks; /* NULL once closed */
  gpointer user_data;
};

G_DEFINE_TYPE (SlHubStream, sl_hub_stream, G_TYPE_IO_STREAM)

static GInputStream *
sl_hub_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (SL_HUB_STREAM (stream)->in);
}

static GOutputStream *
sl_hub_stream_get_output_stream (GIOStream *stream)
{
  return G_OUTPUT_STREAM (SL_HUB_STREAM (stream)->out);
}

static gboolean
sl_hub_stream_close_fn (GIOStream *stream, GCancellable *cancellable,
                        GError **error)
{
  SlHubStream *self = SL_HUB_STREAM (stream);
  const SlHubStreamCallbacks *callbacks = self->callbacks;

  g_socket_close (self->socket, NULL);
  if (G_IS_SOCKET_CONNECTION (self->base))
    g_io_stream_close (self->base, NULL, NULL);
  self->callbacks = NULL;
  self->in->callbacks = NULL;
  if (callbacks != NULL && callbacks->closed != NULL)
    callbacks->closed (self->user_data);
  return TRUE;
}

/* GIO's default would run close_fn in a worker thread; closing a socket
 * does not block, and the owner's callback belongs on this thread. */
static void
sl_hub_stream_close_async (GIOStream *stream, int io_priority,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task
      = g_task_new (stream, cancellable, callback, user_data);

  sl_hub_stream_close_fn (stream, cancellable, NULL);
  g_task_return_boolean (task, TRUE);
}

static gboolean
sl_hub_stream_close_finish (GIOStream *stream, GAsyncResult *result,
                            GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
sl_hub_stream_finalize (GObject *object)
{
  SlHubStream *self = SL_HUB_STREAM (object);

  g_clear_object (&self->in);
  g_clear_object (&self->out);
  g_clear_object (&self->base);
  g_clear_object (&self->socket);
  G_OBJECT_CLASS (sl_hub_stream_parent_class)->finalize (object);
}

static void
sl_hub_stream_class_init (SlHubStreamClass *klass)
{
  GIOStreamClass *io_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = sl_hub_stream_finalize;
  io_class->get_input_stream = sl_hub_stream_get_input_stream;
  io_class->get_output_stream = sl_hub_stream_get_output_stream;
  io_class->close_fn = sl_hub_stream_close_fn;
  io_class->close_async = sl_hub_stream_close_async;
  io_class->close_finish = sl_hub_stream_close_finish;
}

static void
sl_hub_stream_init (SlHubStream *self)
{
}

SlHubStream *
sl_hub_stream_new (GIOStream *base, GSocket *socket,
                   const SlWsScan *scan_bounds,
                   const SlHubStreamCallbacks *callbacks, gpointer user_data)
{
  SlHubStream *self = g_object_new (SL_TYPE_HUB_STREAM, NULL);

  self->base = g_object_ref (base);
  self->socket = g_object_ref (socket);
  self->callbacks = callbacks;
  self->user_data = user_data;
  self->in = g_object_new (SL_TYPE_HUB_STREAM_IN, NULL);
  self->in->base = g_object_ref (g_io_stream_get_input_stream (base));
  sl_ws_scan_init (&self->in->scan, scan_bounds->max_head,
                   scan_bounds->max_message, scan_bounds->max_fragments);
  self->in->callbacks = callbacks;
  self->in->user_data = user_data;
  self->out = g_object_new (SL_TYPE_HUB_STREAM_OUT, NULL);
  self->out->base = g_object_ref (g_io_stream_get_output_stream (base));
  self->in->out = g_object_ref (self->out);
  return self;
}

gboolean
sl_hub_stream_set_websocket (SlHubStream *stream)
{
  stream->in->websocket = TRUE;
  if (stream->in->scan.phase != SL_WS_SCAN_FAILED)
    return TRUE;
  stream->in->refused = TRUE;
  return FALSE;
}

guint64
sl_hub_stream_get_written (SlHubStream *stream)
{
  return stream->out->written;
}

guint64
sl_hub_stream_get_owed (SlHubStream *stream)
{
  return stream->in->owed;
}

void
sl_hub_stream_abort (SlHubStream *stream)
{
  g_socket_shutdown (stream->socket, TRUE, TRUE, NULL);
}
