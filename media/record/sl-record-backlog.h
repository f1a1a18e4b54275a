/* sl-record-backlog.h — how much of a recording may wait for the disk.
 *
 * The recorder hands whole clusters and sidecar lines to its writer
 * thread (sl-recorder.c).  When the disk stalls (a slow network share, a
 * dying card, a full journal) that thread stops taking them, and without
 * a bound the station would keep the whole consultation in memory.  The
 * backlog counts the bytes handed over and not yet written and refuses a
 * piece that would take it over its limit.  Once it has refused one it
 * keeps refusing until the writer has written since and brought the
 * backlog down to half the limit (or nothing waits at all), so that the
 * file gets one gap of some length rather than a cluster now and then,
 * each undecodable without the ones before.
 *
 * Plain C with no I/O and no lock: the recorder calls it under its lock.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The default bound: about 85 s of a consultation at the encoder's top
 * rate (3 Mbit/s and both voices): long enough to ride out a hiccup of
 * the disk, small beside the whole of a long session in memory. */
#define SL_RECORD_BACKLOG_DEFAULT_BYTES (32u * 1024u * 1024u)

/* The writer thread counts the bytes it has written (an atomic counter
 * of the caller's, read when a piece is offered), so that it never takes
 * the lock the streaming threads offer pieces under: a writer thread
 * descheduled while holding it would stall them. */
typedef struct
{
  gsize limit;            /* bytes that may wait for the disk */
  gsize handed;           /* bytes handed to the writer, wrapping */
  gboolean dropping;      /* refusing: a gap is open */
  gsize written_at_gap;   /* the writer's count when the gap began */
  guint64 dropped_bytes;  /* refused so far */
  guint64 dropped_pieces; /* refused so far */
  guint64 gaps;           /* times it started refusing */
} SlRecordBacklog;

/* A backlog of at most @limit bytes (at least 1). */
void sl_record_backlog_init (SlRecordBacklog *backlog, gsize limit);

/* The bytes waiting for the writer, which has written @written bytes of
 * those handed to it (a count that wraps as the handed count does). */
gsize sl_record_backlog_queued (const SlRecordBacklog *backlog, gsize written);

/* Whether a piece of @len bytes may be handed to the writer now, which
 * has written @written bytes so far.  TRUE counts it as handed; FALSE
 * counts it as dropped, and a FALSE after a TRUE starts a new gap. */
gboolean sl_record_backlog_offer (SlRecordBacklog *backlog, gsize len,
                                  gsize written);

G_END_DECLS
