/* sl-record-backlog.c — the bound on what waits for the disk
 * (sl-record-backlog.h). */
#include "sl-record-backlog.h"

void
sl_record_backlog_init (SlRecordBacklog *backlog, gsize limit)
{
  *backlog = (SlRecordBacklog){ 0 };
  backlog->limit = MAX (limit, 1);
}

gboolean
sl_record_backlog_offer (SlRecordBacklog *backlog, gsize len)
{
  /* Nothing waits: the writer has caught up (the gap began with a
   * piece larger than the whole limit). */
  if (backlog->dropping && backlog->queued == 0)
    backlog->dropping = FALSE;
  if (!backlog->dropping && len <= backlog->limit - backlog->queued)
    {
      backlog->queued += len;
      return TRUE;
    }
  if (!backlog->dropping)
    backlog->gaps++;
  backlog->dropping = TRUE;
  backlog->dropped_bytes += len;
  backlog->dropped_pieces++;
  return FALSE;
}

void
sl_record_backlog_written (SlRecordBacklog *backlog, gsize len)
{
  backlog->queued -= MIN (len, backlog->queued);
  /* Once refusing, pieces are taken again only when the writer has
   * brought the backlog down to half the limit: the gap ends once, not
   * piece by piece, and never while the writer is still stuck. */
  if (backlog->dropping && backlog->queued <= backlog->limit / 2)
    backlog->dropping = FALSE;
}
