/* linkem-net.c — creates CMD's network namespace and the two TUN devices
 * (see linkem-net.h for the layout).
 *
 * The namespace is made by unshare(CLONE_NEWNET) in the emulator's own
 * thread, which then opens it (/proc/thread-self/ns/net), creates a
 * netlink socket in it and returns to the original namespace with
 * setns().  The descriptor keeps the namespace alive and the socket keeps
 * acting in it, so CMD's side can be configured, and reconfigured at a
 * path change, without forking or entering it again.  The device for CMD
 * is created in the host namespace and moved; its file descriptor stays
 * valid across the move.
 */
#include "linkem-net.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linkem-netlink.h"

/* The /24s handed out: 10.200.0.0 to 10.249.255.0, far from the 10.0.x
 * and 10.1.x networks most often in use. */
#define FIRST_SECOND_OCTET 200
#define N_SUBNETS (50 * 256)
/* Room in each device's queue for bursts the emulator has not read yet. */
#define TXQLEN 4096

static int
open_tun (const gchar *name, GError **error)
{
  struct ifreq ifr;
  int fd = open ("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

  if (fd < 0)
    {
      sl_linkem_net_fail (error, errno, "/dev/net/tun");
      return -1;
    }
  memset (&ifr, 0, sizeof (ifr));
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  g_strlcpy (ifr.ifr_name, name, sizeof (ifr.ifr_name));
  if (ioctl (fd, TUNSETIFF, &ifr) < 0)
    {
      g_autofree gchar *what = g_strdup_printf ("creating TUN device %s", name);

      sl_linkem_net_fail (error, errno, what);
      close (fd);
      return -1;
    }
  return fd;
}

/* Is @addr one of this namespace's own addresses?  A route lookup says:
 * toward a local address the kernel picks that address as the source.
 * (Trying bind() would be fooled by net.ipv4.ip_nonlocal_bind.) */
static gboolean
address_is_local (guint32 addr)
{
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (9) };
  struct sockaddr_in from;
  socklen_t len = sizeof (from);
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  gboolean local = FALSE;

  to.sin_addr.s_addr = addr;
  if (s >= 0 && connect (s, (struct sockaddr *)&to, sizeof (to)) == 0
      && getsockname (s, (struct sockaddr *)&from, &len) == 0)
    local = from.sin_addr.s_addr == addr;
  if (s >= 0)
    close (s);
  return local;
}

/* Picks this emulator's /24 from its pid, so that emulators running at
 * once get different ones, skipping any whose .1 is already in use. */
static gboolean
choose_subnet (SlLinkemNet *net, GError **error)
{
  guint base = (guint)getpid () % N_SUBNETS;

  for (guint i = 0; i < N_SUBNETS; i++)
    {
      guint s = (base + i) % N_SUBNETS;
      guint32 prefix = (10u << 24) | ((FIRST_SECOND_OCTET + s / 256) << 16)
                       | ((s % 256) << 8);

      if (address_is_local (htonl (prefix | 1)))
        continue;
      net->host_addr = htonl (prefix | 1);
      net->cmd_addr = htonl (prefix | 2);
      net->new_addr = htonl (prefix | 6);
      inet_ntop (AF_INET, &net->host_addr, net->host_str,
                 sizeof (net->host_str));
      inet_ntop (AF_INET, &net->cmd_addr, net->cmd_str, sizeof (net->cmd_str));
      inet_ntop (AF_INET, &net->new_addr, net->new_str, sizeof (net->new_str));
      return TRUE;
    }
  g_set_error (error, SL_LINKEM_NET_ERROR, EADDRINUSE,
               "no free subnet left in 10.200.0.0 – 10.249.255.0");
  return FALSE;
}

/* Best effort: a kernel without IPv6 has nothing to disable. */
static void
disable_ipv6 (const gchar *device)
{
  g_autofree gchar *path
      = g_strdup_printf ("/proc/sys/net/ipv6/conf/%s/disable_ipv6", device);
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    return;
  if (write (fd, "1", 1) != 1)
    g_printerr ("sl-linkem: warning: could not disable IPv6 on %s\n", device);
  close (fd);
}

/* Runs inside the new namespace: devices moved in later get no IPv6, lo
 * comes up. */
static gboolean
setup_inside (SlLinkemNet *net, GError **error)
{
  int lo;

  net->ns_fd = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (net->ns_fd < 0)
    return sl_linkem_net_fail (error, errno, "opening the new namespace");
  net->nl_ns = sl_linkem_nl_open (error);
  if (net->nl_ns < 0)
    return FALSE;
  disable_ipv6 ("default");
  lo = sl_linkem_nl_ifindex (net->nl_ns, "lo", error);
  return lo > 0 && sl_linkem_nl_link (net->nl_ns, lo, 0, 0, TRUE, -1, error);
}

static gboolean
make_namespace (SlLinkemNet *net, GError **error)
{
  int orig = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  gboolean ok;

  if (orig < 0)
    return sl_linkem_net_fail (error, errno, "opening this namespace");
  if (unshare (CLONE_NEWNET) < 0)
    {
      close (orig);
      return sl_linkem_net_fail (error, errno, "creating a network namespace");
    }
  ok = setup_inside (net, error);
  /* Staying in the wrong namespace would configure the wrong devices. */
  if (setns (orig, CLONE_NEWNET) < 0)
    g_error ("cannot return to the original network namespace: %s",
             g_strerror (errno));
  close (orig);
  return ok;
}

static gboolean
setup_host_side (SlLinkemNet *net, guint mtu, GError **error)
{
  net->host_ifindex
      = sl_linkem_nl_ifindex (net->nl_host, net->host_ifname, error);
  if (net->host_ifindex <= 0)
    return FALSE;
  disable_ipv6 (net->host_ifname);
  return sl_linkem_nl_link (net->nl_host, net->host_ifindex, mtu, TXQLEN, TRUE,
                            -1, error)
         && sl_linkem_nl_addr (net->nl_host, TRUE, net->host_ifindex,
                               net->host_addr, net->cmd_addr, error);
}

static gboolean
setup_cmd_side (SlLinkemNet *net, guint mtu, GError **error)
{
  int index = sl_linkem_nl_ifindex (net->nl_host, net->cmd_ifname, error);

  if (index <= 0
      || !sl_linkem_nl_link (net->nl_host, index, 0, 0, FALSE, net->ns_fd,
                             error))
    return FALSE;
  net->cmd_ifindex = sl_linkem_nl_ifindex (net->nl_ns, net->cmd_ifname, error);
  return net->cmd_ifindex > 0
         && sl_linkem_nl_link (net->nl_ns, net->cmd_ifindex, mtu, TXQLEN, TRUE,
                               -1, error)
         && sl_linkem_nl_addr (net->nl_ns, TRUE, net->cmd_ifindex,
                               net->cmd_addr, net->host_addr, error)
         && sl_linkem_nl_route (net->nl_ns, net->cmd_ifindex, 0, 0, error);
}

gboolean
sl_linkem_net_open (SlLinkemNet *net, guint mtu, GError **error)
{
  memset (net, 0, sizeof (*net));
  net->host_tun = net->cmd_tun = net->ns_fd = -1;
  net->nl_host = net->nl_ns = -1;
  g_snprintf (net->host_ifname, IFNAMSIZ, "sllk%dh", (int)getpid ());
  g_snprintf (net->cmd_ifname, IFNAMSIZ, "sllk%dc", (int)getpid ());

  if (choose_subnet (net, error)
      && (net->host_tun = open_tun (net->host_ifname, error)) >= 0
      && (net->cmd_tun = open_tun (net->cmd_ifname, error)) >= 0
      && (net->nl_host = sl_linkem_nl_open (error)) >= 0
      && make_namespace (net, error) && setup_host_side (net, mtu, error)
      && setup_cmd_side (net, mtu, error))
    return TRUE;
  sl_linkem_net_close (net);
  return FALSE;
}

gboolean
sl_linkem_net_change_path (SlLinkemNet *net, GError **error)
{
  /* The old address goes first: the new one has the same peer, so added
   * first it would be a secondary address, removed along with it.  With
   * the last address gone the kernel drops the default route too, hence
   * the route again at the end. */
  if (!sl_linkem_nl_route (net->nl_host, net->host_ifindex, net->new_addr, 32,
                           error)
      || !sl_linkem_nl_addr (net->nl_ns, FALSE, net->cmd_ifindex, net->cmd_addr,
                             net->host_addr, error)
      || !sl_linkem_nl_addr (net->nl_ns, TRUE, net->cmd_ifindex, net->new_addr,
                             net->host_addr, error)
      || !sl_linkem_nl_route (net->nl_ns, net->cmd_ifindex, 0, 0, error))
    return FALSE;
  net->path_changed = TRUE;
  return TRUE;
}

int
sl_linkem_net_enter (const SlLinkemNet *net)
{
  return setns (net->ns_fd, CLONE_NEWNET) < 0 ? errno : 0;
}

/* Sends @sig (0: none, just count) to every process in CMD's namespace. */
static guint
signal_namespace (const SlLinkemNet *net, int sig)
{
  struct stat ns, st;
  struct dirent *e;
  DIR *proc;
  guint n = 0;

  if (fstat (net->ns_fd, &ns) < 0 || (proc = opendir ("/proc")) == NULL)
    return 0;
  while ((e = readdir (proc)) != NULL)
    {
      gchar path[64];
      gchar *end;
      gint64 pid = g_ascii_strtoll (e->d_name, &end, 10);

      if (pid <= 0 || *end != '\0')
        continue;
      g_snprintf (path, sizeof (path), "/proc/%s/ns/net", e->d_name);
      /* Exited processes (zombies) have no namespace left: no match. */
      if (stat (path, &st) == 0 && st.st_ino == ns.st_ino
          && st.st_dev == ns.st_dev && kill ((pid_t)pid, sig) == 0)
        n++;
    }
  closedir (proc);
  return n;
}

guint
sl_linkem_net_end_leftovers (const SlLinkemNet *net, guint grace_ms)
{
  gint64 deadline = g_get_monotonic_time () + grace_ms * 1000;
  guint n;

  if (net->ns_fd < 0 || (n = signal_namespace (net, SIGTERM)) == 0)
    return 0;
  while (g_get_monotonic_time () < deadline && signal_namespace (net, 0) > 0)
    g_usleep (20000);
  signal_namespace (net, SIGKILL);
  return n;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

void
sl_linkem_net_close (SlLinkemNet *net)
{
  close_fd (&net->host_tun);
  close_fd (&net->cmd_tun);
  close_fd (&net->nl_host);
  close_fd (&net->nl_ns);
  close_fd (&net->ns_fd);
}
