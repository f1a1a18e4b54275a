/* linkem-net.h — the two namespaces of sl-linkem and the TUN devices
 * between them.
 *
 * The host side stays in the emulator's own network namespace; CMD gets a
 * new, anonymous one (no name under /run/netns), which the emulator holds
 * by a file descriptor.  Each side has a TUN device whose other end is a
 * file descriptor of the emulator: what CMD sends comes out of cmd_tun,
 * what the host sends to CMD comes out of host_tun, and the emulator
 * writes each packet to the other descriptor once the link model lets it
 * through.  Addresses, from a /24 chosen per emulator:
 *
 *   host side   10.X.Y.1  peer 10.X.Y.2   (and a route to 10.X.Y.6)
 *   CMD side    10.X.Y.2  peer 10.X.Y.1,  default route, lo up
 *   after a path change, CMD's address is 10.X.Y.6.
 *
 * Nothing needs removing at exit: non-persistent TUN devices disappear
 * with their file descriptors, with their addresses and routes, and the
 * namespace with the last process in it, so even a killed emulator leaves
 * nothing behind.  IPv6 is disabled on both devices, so that the kernel
 * sends nothing through the link on its own.  One thread; blocking calls.
 */
#pragma once

#include <glib.h>
#include <net/if.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct
{
  int host_tun; /* read: host → CMD; write: CMD → host */
  int cmd_tun;  /* read: CMD → host; write: host → CMD */
  int ns_fd;    /* CMD's network namespace */
  int nl_host;  /* rtnetlink in each namespace */
  int nl_ns;
  int host_ifindex;
  int cmd_ifindex; /* in CMD's namespace */
  gchar host_ifname[IFNAMSIZ];
  gchar cmd_ifname[IFNAMSIZ];
  guint32 host_addr, cmd_addr, new_addr; /* network byte order */
  gchar host_str[16], cmd_str[16], new_str[16];
  gboolean path_changed;
} SlLinkemNet;

/* Creates the namespace and the devices with @mtu, and sets the addresses
 * and routes.  On failure, @error says what was refused and whatever was
 * created is closed again.  Needs CAP_NET_ADMIN and CAP_SYS_ADMIN. */
gboolean sl_linkem_net_open (SlLinkemNet *net, guint mtu, GError **error);

/* Moves CMD's side to new_addr: the old address goes (so sockets bound to
 * it fail and replies to it are lost), the new one comes with a route on
 * the host side. */
gboolean sl_linkem_net_change_path (SlLinkemNet *net, GError **error);

/* For the child that runs CMD, between fork() and exec(): enters CMD's
 * namespace.  Returns 0 or an errno value. */
int sl_linkem_net_enter (const SlLinkemNet *net);

/* Ends the processes still in CMD's namespace once CMD has exited:
 * SIGTERM, then SIGKILL to those still there after @grace_ms.  Returns
 * how many there were. */
guint sl_linkem_net_end_leftovers (const SlLinkemNet *net, guint grace_ms);

/* Closes everything; the devices and (once empty) the namespace go. */
void sl_linkem_net_close (SlLinkemNet *net);

G_END_DECLS
