/* linkem-netlink.c — the rtnetlink requests of linkem-netlink.h.
 *
 * Each request is one message built in a fixed buffer (a header, the
 * family's fixed part, then attributes), sent with NLM_F_ACK; the reply
 * is read until the acknowledgement of that sequence number arrives.  The
 * kernel is the only peer of these sockets, so the replies are read with
 * the usual NLMSG_* macros.
 */
#include "linkem-netlink.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* G_DEFINE_QUARK makes its first argument the domain's name. */
/* clang-format off */
G_DEFINE_QUARK (sl-linkem-net-error-quark, sl_linkem_net_error)
/* clang-format on */

gboolean
sl_linkem_net_fail (GError **error, int errsv, const gchar *what)
{
  g_set_error (error, SL_LINKEM_NET_ERROR, errsv, "%s: %s", what,
               g_strerror (errsv));
  return FALSE;
}

typedef struct
{
  struct nlmsghdr nh;
  union
  {
    struct ifinfomsg ifi;
    struct ifaddrmsg ifa;
    struct rtmsg rtm;
  };
  guint8 attrs[256];
} Request;

static guint32 next_seq = 1;

static void
request_init (Request *r, guint16 type, guint16 flags, gsize fixed_len)
{
  memset (r, 0, sizeof (*r));
  r->nh.nlmsg_len = NLMSG_LENGTH (fixed_len);
  r->nh.nlmsg_type = type;
  r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  r->nh.nlmsg_seq = next_seq++;
}

static void
add_attr (Request *r, guint16 type, const void *data, gsize len)
{
  struct rtattr *rta;

  g_assert (NLMSG_ALIGN (r->nh.nlmsg_len) + RTA_SPACE (len) <= sizeof (*r));
  rta = (struct rtattr *)((guint8 *)r + NLMSG_ALIGN (r->nh.nlmsg_len));
  rta->rta_type = type;
  rta->rta_len = RTA_LENGTH (len);
  memcpy (RTA_DATA (rta), data, len);
  r->nh.nlmsg_len = NLMSG_ALIGN (r->nh.nlmsg_len) + RTA_ALIGN (rta->rta_len);
}

static void
add_u32 (Request *r, guint16 type, guint32 value)
{
  add_attr (r, type, &value, sizeof (value));
}

/* Sends @r and waits for its acknowledgement. */
static gboolean
transact (int nl, Request *r, const gchar *what, GError **error)
{
  guint8 buf[8192];

  if (send (nl, r, r->nh.nlmsg_len, 0) < 0)
    return sl_linkem_net_fail (error, errno, what);
  for (;;)
    {
      ssize_t n = recv (nl, buf, sizeof (buf), 0);
      struct nlmsghdr *nh;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return sl_linkem_net_fail (error, errno, what);
      for (nh = (struct nlmsghdr *)buf; NLMSG_OK (nh, (guint)n);
           nh = NLMSG_NEXT (nh, n))
        {
          struct nlmsgerr *err = NLMSG_DATA (nh);

          if (nh->nlmsg_seq != r->nh.nlmsg_seq || nh->nlmsg_type != NLMSG_ERROR)
            continue;
          if (err->error != 0)
            return sl_linkem_net_fail (error, -err->error, what);
          return TRUE;
        }
    }
}

int
sl_linkem_nl_open (GError **error)
{
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  int nl = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

  if (nl < 0)
    {
      sl_linkem_net_fail (error, errno, "netlink socket");
      return -1;
    }
  if (bind (nl, (struct sockaddr *)&sa, sizeof (sa)) < 0)
    {
      sl_linkem_net_fail (error, errno, "netlink bind");
      close (nl);
      return -1;
    }
  return nl;
}

int
sl_linkem_nl_ifindex (int nl, const gchar *name, GError **error)
{
  struct ifreq ifr;

  /* A device ioctl on any socket acts in that socket's namespace. */
  memset (&ifr, 0, sizeof (ifr));
  g_strlcpy (ifr.ifr_name, name, sizeof (ifr.ifr_name));
  if (ioctl (nl, SIOCGIFINDEX, &ifr) < 0)
    {
      g_autofree gchar *what = g_strdup_printf ("device %s", name);

      sl_linkem_net_fail (error, errno, what);
      return 0;
    }
  return ifr.ifr_ifindex;
}

gboolean
sl_linkem_nl_link (int nl, int ifindex, guint mtu, guint txqlen, gboolean up,
                   int netns_fd, GError **error)
{
  Request r;

  request_init (&r, RTM_NEWLINK, 0, sizeof (struct ifinfomsg));
  r.ifi.ifi_family = AF_UNSPEC;
  r.ifi.ifi_index = ifindex;
  if (up)
    {
      r.ifi.ifi_flags = IFF_UP;
      r.ifi.ifi_change = IFF_UP;
    }
  if (mtu > 0)
    add_u32 (&r, IFLA_MTU, mtu);
  if (txqlen > 0)
    add_u32 (&r, IFLA_TXQLEN, txqlen);
  if (netns_fd >= 0)
    add_u32 (&r, IFLA_NET_NS_FD, (guint32)netns_fd);
  return transact (nl, &r, netns_fd >= 0 ? "moving a device" : "device setup",
                   error);
}

gboolean
sl_linkem_nl_addr (int nl, gboolean add, int ifindex, guint32 local,
                   guint32 peer, GError **error)
{
  Request r;

  request_init (&r, add ? RTM_NEWADDR : RTM_DELADDR,
                add ? NLM_F_CREATE | NLM_F_EXCL : 0, sizeof (struct ifaddrmsg));
  r.ifa.ifa_family = AF_INET;
  r.ifa.ifa_prefixlen = 32;
  r.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  r.ifa.ifa_index = (guint32)ifindex;
  add_attr (&r, IFA_LOCAL, &local, sizeof (local));
  add_attr (&r, IFA_ADDRESS, &peer, sizeof (peer));
  return transact (nl, &r, add ? "adding an address" : "removing an address",
                   error);
}

gboolean
sl_linkem_nl_route (int nl, int ifindex, guint32 dst, guint prefix_len,
                    GError **error)
{
  Request r;

  request_init (&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
                sizeof (struct rtmsg));
  r.rtm.rtm_family = AF_INET;
  r.rtm.rtm_dst_len = (guint8)prefix_len;
  r.rtm.rtm_table = RT_TABLE_MAIN;
  r.rtm.rtm_protocol = RTPROT_BOOT;
  r.rtm.rtm_scope = RT_SCOPE_LINK;
  r.rtm.rtm_type = RTN_UNICAST;
  if (prefix_len > 0)
    add_attr (&r, RTA_DST, &dst, sizeof (dst));
  add_u32 (&r, RTA_OIF, (guint32)ifindex);
  return transact (nl, &r, "adding a route", error);
}
