/* sl-record-backlog.c — the bound on what waits for the disk
 * (sl-record-backlog.h). */
#include "sl-record-backlog.h"

void
sl_record_backlog_init (SlRecordBacklog *backlog, gsize limit)
{
  *backlog = (SlRecordBacklog){ 0 };
  backlog->limit = MAX (limit, 1);
}

gsize
sl_record_backlog_queued (const SlRecordBacklog *backlog, gsize written)
{
  /* Both counters wrap alike: their difference is right as long as less
   * than the whole range waits, which the limit ensures. */
  return backlog->handed - written;
}

gboolean
sl_record_backlog_offer (SlRecordBacklog *backlog, gsize len, gsize written)
{
  gsize queued = sl_record_backlog_queued (backlog, written);

  /* Once refusing, pieces are taken again only when the writer has
   * written since and brought the backlog down to half the limit — the
   * gap ends once, not piece by piece, and never while the writer is
   * still stuck — or when nothing waits at all (the gap began with a
   * piece larger than the whole limit). */
  if (backlog->dropping
      && (queued == 0
          || (written != backlog->written_at_gap
              && queued <= backlog->limit / 2)))
    backlog->dropping = FALSE;
  if (!backlog->dropping
      && len <= backlog->limit - MIN (queued, backlog->limit))
    {
      backlog->handed += len;
      return TRUE;
    }
  if (!backlog->dropping)
    {
      backlog->gaps++;
      backlog->written_at_gap = written;
    }
  backlog->dropping = TRUE;
  backlog->dropped_bytes += len;
  backlog->dropped_pieces++;
  return FALSE;
}
