/* linkem-loop.c — sl-linkem's packet loop (see linkem-loop.h).
 *
 * Level-triggered epoll: each wake-up reads at most a batch of packets
 * from each side, so that a flood in one direction cannot hold up the
 * other or the timer, then writes whatever is due and sets the timer
 * again.  The timer is absolute (TFD_TIMER_ABSTIME) and this thread asks
 * for a timer slack of 1 ns instead of the default 50 µs, so a packet
 * leaves within the scheduling latency of its due time.  Warnings on the
 * packet path are limited to one a second.
 */
#include "linkem-loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linkem-netlink.h"

/* How long CMD has to exit after a signal was passed on. */
#define GRACE_US (5 * G_USEC_PER_SEC)
#define READ_BATCH 64
#define MAX_PACKET 65536

enum
{
  TAG_UP,
  TAG_DOWN,
  TAG_TIMER,
  TAG_SIGNAL
};

typedef struct
{
  SlLinkemLoop *loop;
  int epfd;
  int tfd;
  gint64 armed_us; /* what the timer is set to; G_MAXINT64: disarmed */
  gint64 kill_at_us;
  gboolean done;
  int status;
  gint64 warned_at_us;
  guint suppressed;
  guint8 buf[MAX_PACKET];
} Run;

gint64
sl_linkem_now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

G_GNUC_PRINTF (2, 3)
static void
warn (Run *run, const gchar *format, ...)
{
  gint64 now = sl_linkem_now_us ();
  g_autofree gchar *text = NULL;
  va_list args;

  if (run->warned_at_us != 0 && now - run->warned_at_us < G_USEC_PER_SEC)
    {
      run->suppressed++;
      return;
    }
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("sl-linkem: warning: %s", text);
  if (run->suppressed > 0)
    g_printerr (" (and %u more warnings)", run->suppressed);
  g_printerr ("\n");
  run->warned_at_us = now;
  run->suppressed = 0;
}

/* Offers up to a batch of packets read from @fd to @core. */
static void
read_side (Run *run, int fd, SlLinkemCore *core)
{
  for (guint i = 0; i < READ_BATCH; i++)
    {
      ssize_t n = read (fd, run->buf, sizeof (run->buf));
      gpointer packet;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno != EAGAIN)
        warn (run, "reading a packet: %s", g_strerror (errno));
      if (n <= 0)
        return;
      packet = g_memdup2 (run->buf, (gsize)n);
      if (sl_linkem_core_push (core, sl_linkem_now_us (), packet, (gsize)n)
          != SL_LINKEM_ACCEPTED)
        g_free (packet);
    }
}

/* Writes the packets of @core due by @now_us to @fd. */
static void
deliver (Run *run, SlLinkemCore *core, int fd, gint64 now_us)
{
  gpointer packet;
  gsize len;

  while ((packet = sl_linkem_core_pop (core, now_us, &len)) != NULL)
    {
      ssize_t n;

      do
        n = write (fd, packet, len);
      while (n < 0 && errno == EINTR);
      if (n != (ssize_t)len)
        {
          sl_linkem_core_count_failed (core, len);
          warn (run, "writing a packet: %s",
                n < 0 ? g_strerror (errno) : "short write");
        }
      g_free (packet);
    }
}

static void
arm_timer (Run *run)
{
  SlLinkemLoop *loop = run->loop;
  gint64 next = MIN (sl_linkem_core_next_us (loop->up),
                     sl_linkem_core_next_us (loop->down));
  struct itimerspec its;

  if (loop->path_change_us >= 0)
    next = MIN (next, loop->path_change_us);
  if (run->kill_at_us >= 0)
    next = MIN (next, run->kill_at_us);
  if (next == run->armed_us)
    return;
  memset (&its, 0, sizeof (its));
  if (next != G_MAXINT64)
    {
      /* An all-zero time would disarm the timer. */
      its.it_value.tv_sec = MAX (next, 1) / G_USEC_PER_SEC;
      its.it_value.tv_nsec = (MAX (next, 1) % G_USEC_PER_SEC) * 1000;
    }
  timerfd_settime (run->tfd, TFD_TIMER_ABSTIME, &its, NULL);
  run->armed_us = next;
}

static void
reap (Run *run)
{
  int status;

  if (waitpid (run->loop->child, &status, WNOHANG) == run->loop->child)
    {
      run->done = TRUE;
      run->status = status;
    }
}

static void
handle_signals (Run *run)
{
  struct signalfd_siginfo si;

  while (read (run->loop->signal_fd, &si, sizeof (si)) == sizeof (si))
    {
      if (si.ssi_signo == SIGCHLD)
        {
          reap (run);
          continue;
        }
      /* A signal from the terminal went to CMD as well (same process
       * group); sending it again could count as a second Ctrl-C. */
      if (si.ssi_code != SI_KERNEL)
        kill (run->loop->child, (int)si.ssi_signo);
      if (run->kill_at_us < 0)
        run->kill_at_us = sl_linkem_now_us () + GRACE_US;
    }
}

/* The work due at @now_us besides packets: the path change, the kill. */
static void
run_schedule (Run *run, gint64 now_us)
{
  SlLinkemLoop *loop = run->loop;
  g_autoptr (GError) error = NULL;

  if (loop->path_change_us >= 0 && now_us >= loop->path_change_us)
    {
      loop->path_change_us = -1;
      if (!sl_linkem_net_change_path (loop->net, &error))
        g_printerr ("sl-linkem: the path change failed: %s\n", error->message);
    }
  if (run->kill_at_us >= 0 && now_us >= run->kill_at_us)
    {
      g_printerr ("sl-linkem: CMD did not exit within 5 s, killing it\n");
      kill (loop->child, SIGKILL);
      run->kill_at_us = -1;
    }
}

static void
handle_event (Run *run, guint32 tag)
{
  SlLinkemLoop *loop = run->loop;
  guint64 expirations;

  switch (tag)
    {
    case TAG_UP:
      read_side (run, loop->net->cmd_tun, loop->up);
      break;
    case TAG_DOWN:
      read_side (run, loop->net->host_tun, loop->down);
      break;
    case TAG_TIMER:
      /* Clears the expiry; EAGAIN if it was set again meanwhile. */
      if (read (run->tfd, &expirations, sizeof (expirations)) < 0
          && errno != EAGAIN)
        warn (run, "timerfd: %s", g_strerror (errno));
      run->armed_us = G_MININT64; /* to be set again */
      break;
    case TAG_SIGNAL:
      handle_signals (run);
      break;
    }
}

static gboolean
watch (Run *run, int fd, guint32 tag, GError **error)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

  if (epoll_ctl (run->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return sl_linkem_net_fail (error, errno, "epoll");
  return TRUE;
}

static gboolean
setup (Run *run, GError **error)
{
  SlLinkemLoop *loop = run->loop;

  run->epfd = epoll_create1 (EPOLL_CLOEXEC);
  run->tfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (run->epfd < 0 || run->tfd < 0)
    return sl_linkem_net_fail (error, errno, "epoll or timerfd");
  prctl (PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  return watch (run, loop->net->cmd_tun, TAG_UP, error)
         && watch (run, loop->net->host_tun, TAG_DOWN, error)
         && watch (run, run->tfd, TAG_TIMER, error)
         && watch (run, loop->signal_fd, TAG_SIGNAL, error);
}

static gboolean
run_events (Run *run, GError **error)
{
  SlLinkemLoop *loop = run->loop;

  reap (run); /* CMD may be gone already: its SIGCHLD is in signal_fd */
  while (!run->done)
    {
      struct epoll_event ev[8];
      gint64 now;
      int n;

      arm_timer (run);
      n = epoll_wait (run->epfd, ev, G_N_ELEMENTS (ev), -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return sl_linkem_net_fail (error, errno, "epoll_wait");
      for (int i = 0; i < n; i++)
        handle_event (run, ev[i].data.u32);
      now = sl_linkem_now_us ();
      deliver (run, loop->up, loop->net->host_tun, now);
      deliver (run, loop->down, loop->net->cmd_tun, now);
      run_schedule (run, now);
    }
  return TRUE;
}

gboolean
sl_linkem_loop_run (SlLinkemLoop *loop, int *status_out, GError **error)
{
  g_autofree Run *run = g_new0 (Run, 1);
  gboolean ok;

  run->loop = loop;
  run->epfd = run->tfd = -1;
  run->armed_us = G_MININT64;
  run->kill_at_us = -1;
  ok = setup (run, error) && run_events (run, error);
  if (!ok && !run->done)
    {
      kill (loop->child, SIGKILL);
      waitpid (loop->child, &run->status, 0);
    }
  if (run->epfd >= 0)
    close (run->epfd);
  if (run->tfd >= 0)
    close (run->tfd);
  *status_out = run->status;
  return ok;
}
