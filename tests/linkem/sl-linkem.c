/* sl-linkem.c — a userspace link emulator: runs a command behind an
 * emulated network link (docs/sl-linkem.md).
 *
 * The kernel's netem is not always there (containers, CI machines), so
 * sl-linkem does in userspace, in the spirit of mahimahi, what netem and
 * tbf would: CMD runs in a network namespace of its own whose only route
 * leads through a TUN device to this process, which passes each packet
 * through the link model of linkem-core.c and on to a TUN device on the
 * host side.  This file ties the parts together: the options
 * (linkem-options.c), the namespaces and devices (linkem-net.c), CMD's
 * process, the packet loop (linkem-loop.c) and the report at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linkem-core.h"
#include "linkem-loop.h"
#include "linkem-net.h"
#include "linkem-options.h"
#include "sl-config.h"

/* The processes CMD leaves behind get this long after SIGTERM. */
#define LEFTOVER_GRACE_MS 1000

static int
exit_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 1;
}

/* Blocks the signals the loop reads from a signalfd, which it returns;
 * @old_mask gets the mask to restore in CMD. */
static int
block_signals (sigset_t *old_mask)
{
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGHUP);
  sigprocmask (SIG_BLOCK, &set, old_mask);
  /* A closed standard error must not kill the emulator mid-report. */
  signal (SIGPIPE, SIG_IGN);
  return signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* In the child: enters the namespace and runs CMD; on failure, writes the
 * errno to @report_fd and exits with 127. */
G_GNUC_NORETURN static void
run_child (const SlLinkemNet *net, gchar **argv, const sigset_t *old_mask,
           pid_t parent, int report_fd)
{
  int e = sl_linkem_net_enter (net);

  if (e == 0)
    {
      /* If the emulator dies, CMD's network is gone: tell CMD. */
      prctl (PR_SET_PDEATHSIG, SIGTERM);
      if (getppid () != parent)
        _exit (127);
      signal (SIGPIPE, SIG_DFL);
      sigprocmask (SIG_SETMASK, old_mask, NULL);
      execvp (argv[0], argv);
      e = errno;
    }
  if (write (report_fd, &e, sizeof (e)) < 0)
    _exit (127);
  _exit (127);
}

/* Starts CMD; returns its pid, with the errno of a failed exec in
 * @exec_errno (0 if it runs), or -1 if it could not even fork. */
static pid_t
spawn (const SlLinkemNet *net, gchar **argv, const sigset_t *old_mask,
       int *exec_errno)
{
  pid_t parent = getpid (), pid;
  int report[2];

  *exec_errno = 0;
  if (pipe2 (report, O_CLOEXEC) < 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    run_child (net, argv, old_mask, parent, report[1]);
  close (report[1]);
  /* The pipe closes, empty, when exec succeeds. */
  if (pid > 0 && read (report[0], exec_errno, sizeof (*exec_errno)) <= 0)
    *exec_errno = 0;
  close (report[0]);
  return pid;
}

static void
set_environment (const SlLinkemNet *net, const SlLinkemOptions *opts,
                 gint64 epoch_us)
{
  g_autofree gchar *epoch = g_strdup_printf ("%" G_GINT64_FORMAT, epoch_us);

  g_setenv ("SL_LINKEM_HOST", net->host_str, TRUE);
  g_setenv ("SL_LINKEM_ADDR", net->cmd_str, TRUE);
  g_setenv ("SL_LINKEM_EPOCH_US", epoch, TRUE);
  if (opts->path_change_us >= 0)
    g_setenv ("SL_LINKEM_NEW_ADDR", net->new_str, TRUE);
  else
    g_unsetenv ("SL_LINKEM_NEW_ADDR");
}

static void
append_count (GString *s, const gchar *name, const SlLinkemCount *c)
{
  g_string_append_printf (s,
                          "\"packets_%s\":%" G_GUINT64_FORMAT
                          ",\"bytes_%s\":%" G_GUINT64_FORMAT ",",
                          name, c->packets, name, c->bytes);
}

static void
append_direction (GString *s, const gchar *name, const SlLinkemCore *core)
{
  const SlLinkemCounters *c = sl_linkem_core_get_counters (core);
  guint64 held_bytes;
  guint held = sl_linkem_core_get_held (core, &held_bytes);

  g_string_append_printf (s, "\"%s\":{", name);
  append_count (s, "in", &c->in);
  append_count (s, "out", &c->out);
  append_count (s, "lost", &c->lost);
  append_count (s, "outage", &c->outage);
  append_count (s, "overflow", &c->overflow);
  append_count (s, "failed", &c->failed);
  g_string_append_printf (
      s, "\"packets_held\":%u,\"bytes_held\":%" G_GUINT64_FORMAT "}", held,
      held_bytes);
}

/* Writes the counters as one JSON object (addresses are plain dotted
 * quads, so nothing needs escaping). */
static void
write_stats (const gchar *path, const SlLinkemOptions *opts,
             const SlLinkemNet *net, SlLinkemCore *up, SlLinkemCore *down,
             gdouble duration_s, int code)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  g_string_append_printf (s, "{\"seed\":%" G_GUINT64_FORMAT, opts->seed);
  g_string_append_printf (s, ",\"host\":\"%s\",\"addr\":\"%s\"", net->host_str,
                          net->cmd_str);
  if (opts->path_change_us >= 0)
    g_string_append_printf (s, ",\"new_addr\":\"%s\"", net->new_str);
  g_string_append_printf (s,
                          ",\"path_changed\":%s,\"duration_s\":%.3f"
                          ",\"exit_status\":%d,",
                          net->path_changed ? "true" : "false", duration_s,
                          code);
  append_direction (s, "up", up);
  g_string_append_c (s, ',');
  append_direction (s, "down", down);
  g_string_append (s, "}\n");
  if (!g_file_set_contents (path, s->str, (gssize)s->len, &error))
    g_printerr ("sl-linkem: cannot write the stats: %s\n", error->message);
}

static void
print_summary (SlLinkemCore *up, SlLinkemCore *down)
{
  SlLinkemCore *cores[] = { up, down };
  const gchar *names[] = { "up", "down" };

  g_printerr ("sl-linkem:");
  for (guint i = 0; i < 2; i++)
    {
      const SlLinkemCounters *c = sl_linkem_core_get_counters (cores[i]);

      g_printerr ("%s %s %" G_GUINT64_FORMAT " in, %" G_GUINT64_FORMAT
                  " out, %" G_GUINT64_FORMAT " lost, %" G_GUINT64_FORMAT
                  " outage, %" G_GUINT64_FORMAT " overflow, %" G_GUINT64_FORMAT
                  " failed",
                  i ? ";" : "", names[i], c->in.packets, c->out.packets,
                  c->lost.packets, c->outage.packets, c->overflow.packets,
                  c->failed.packets);
    }
  g_printerr (" (packets)\n");
}

/* Runs CMD behind the link and reports; returns the exit status. */
static int
run_link (const SlLinkemOptions *opts, SlLinkemNet *net, int signal_fd,
          const sigset_t *old_mask)
{
  const gchar *shell = g_getenv ("SHELL");
  gchar *default_argv[] = { (gchar *)(shell ? shell : "/bin/sh"), NULL };
  gchar **argv = opts->command ? opts->command : default_argv;
  g_autoptr (SlLinkemCore) up = NULL;
  g_autoptr (SlLinkemCore) down = NULL;
  g_autoptr (GError) error = NULL;
  gint64 epoch = sl_linkem_now_us ();
  SlLinkemLoop loop = { .net = net, .signal_fd = signal_fd };
  int exec_errno, status = 0, code;

  /* The options were checked already: the cores cannot refuse them. */
  up = sl_linkem_core_new (&opts->up, opts->seed * 2, epoch, g_free, NULL);
  down = sl_linkem_core_new (&opts->down, opts->seed * 2 + 1, epoch, g_free,
                             NULL);
  g_assert (up != NULL && down != NULL);
  loop.up = up;
  loop.down = down;
  loop.path_change_us
      = opts->path_change_us >= 0 ? epoch + opts->path_change_us : -1;
  set_environment (net, opts, epoch);

  loop.child = spawn (net, argv, old_mask, &exec_errno);
  if (loop.child < 0)
    {
      g_printerr ("sl-linkem: cannot start %s: %s\n", argv[0],
                  g_strerror (errno));
      return 1;
    }
  if (exec_errno != 0)
    g_printerr ("sl-linkem: cannot run %s: %s\n", argv[0],
                g_strerror (exec_errno));
  if (!sl_linkem_loop_run (&loop, &status, &error))
    g_printerr ("sl-linkem: %s\n", error->message);
  code = error != NULL ? 1 : exit_code (status);
  sl_linkem_net_end_leftovers (net, LEFTOVER_GRACE_MS);

  if (opts->stats_path != NULL)
    write_stats (opts->stats_path, opts, net, up, down,
                 (sl_linkem_now_us () - epoch) / 1e6, code);
  print_summary (up, down);
  return code;
}

int
main (int argc, char **argv)
{
  SlLinkemOptions opts;
  SlLinkemNet net = {
    .host_tun = -1, .cmd_tun = -1, .ns_fd = -1, .nl_host = -1, .nl_ns = -1
  };
  g_autoptr (GError) error = NULL;
  sigset_t old_mask;
  int code = 1, signal_fd = -1;

  if (!sl_linkem_options_parse (&opts, argc, argv, &error))
    {
      g_printerr ("sl-linkem: %s\nTry 'sl-linkem --help'.\n", error->message);
      code = 2;
      goto out;
    }
  if (opts.help || opts.version)
    {
      fputs (opts.help ? sl_linkem_options_help ()
                       : "sl-linkem " SL_VERSION "\n",
             stdout);
      code = 0;
      goto out;
    }
  if (geteuid () != 0)
    {
      g_printerr ("sl-linkem: needs root, to create a network namespace "
                  "and TUN devices\n");
      goto out;
    }
  signal_fd = block_signals (&old_mask);
  if (signal_fd < 0)
    {
      g_printerr ("sl-linkem: signalfd: %s\n", g_strerror (errno));
      goto out;
    }
  if (!sl_linkem_net_open (&net, opts.mtu, &error))
    {
      g_printerr ("sl-linkem: cannot set up the link: %s\n", error->message);
      goto out;
    }
  code = run_link (&opts, &net, signal_fd, &old_mask);

out:
  sl_linkem_net_close (&net);
  if (signal_fd >= 0)
    close (signal_fd);
  sl_linkem_options_clear (&opts);
  return code;
}
