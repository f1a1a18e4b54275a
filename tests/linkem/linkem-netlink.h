/* linkem-netlink.h — the few rtnetlink requests sl-linkem needs.
 *
 * Bringing a device up, setting its MTU, moving it into another network
 * namespace, adding or removing a point-to-point IPv4 address and
 * replacing a device route: what `ip link`, `ip addr` and `ip route` would
 * do, without depending on iproute2 or forking.  A netlink socket acts in
 * the network namespace it was created in, so the emulator keeps one per
 * namespace.  Every request waits for the kernel's acknowledgement; a
 * refusal becomes a GError in SL_LINKEM_NET_ERROR whose code is the errno.
 * Blocking calls, for the emulator's one thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_LINKEM_NET_ERROR (sl_linkem_net_error_quark ())
GQuark sl_linkem_net_error_quark (void);

/* Sets @error from @errsv (an errno value) with @what as context;
 * returns FALSE. */
gboolean sl_linkem_net_fail (GError **error, int errsv, const gchar *what);

/* Returns a NETLINK_ROUTE socket in the calling thread's network
 * namespace, or -1 with @error. */
int sl_linkem_nl_open (GError **error);

/* The index of device @name in @nl's namespace, or 0 with @error. */
int sl_linkem_nl_ifindex (int nl, const gchar *name, GError **error);

/* Changes device @ifindex: @mtu and @txqlen when not 0, up when @up, and
 * moves it into the namespace of the file descriptor @netns_fd when it is
 * not -1 (then nothing else may be asked in the same call). */
gboolean sl_linkem_nl_link (int nl, int ifindex, guint mtu, guint txqlen,
                            gboolean up, int netns_fd, GError **error);

/* Adds (or, with @add FALSE, removes) the address @local with the
 * point-to-point peer @peer (a /32) on device @ifindex.  Addresses in
 * network byte order. */
gboolean sl_linkem_nl_addr (int nl, gboolean add, int ifindex, guint32 local,
                            guint32 peer, GError **error);

/* Adds or replaces the route to @dst/@prefix_len through device @ifindex,
 * without a gateway (prefix 0: the default route). */
gboolean sl_linkem_nl_route (int nl, int ifindex, guint32 dst, guint prefix_len,
                             GError **error);

G_END_DECLS
