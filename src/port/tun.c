/* tun.c — the tap devices behind the tap and internal port types. vswitchd
 * makes them persistent, so that neither a restart nor a crash takes away
 * the host's interface with its addresses and routes or a VM's vNIC: the
 * next daemon attaches to them again by name. Because a persistent tap
 * outlives the process that made it, each one vswitchd makes carries a mark
 * (its interface alias): a daemon that adopts a marked tap may remove it
 * when the model drops the port, and one without the mark (libvirt's) is
 * never removed. */
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

#define MARK_PREFIX "made by vswitchd"
#define ALIAS_MAX   256 /* the kernel's IFALIASZ (linux/if.h, which net/if.h excludes) */

int tun_attach(const char *ifname, bool create)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct ifreq ifr = {0};
	copy_name(ifr.ifr_name, sizeof(ifr.ifr_name), ifname);
	ifr.ifr_flags = (short)(TUN_TAP_FLAGS | (create ? IFF_TUN_EXCL : 0));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		/* IFF_TUN_EXCL reports an existing interface as EBUSY. */
		int error = create && errno == EBUSY ? -EEXIST : -errno;
		close(fd);
		return error;
	}
	return fd;
}

int tun_set_persist(int fd, bool on)
{
	return ioctl(fd, TUNSETPERSIST, on ? 1UL : 0UL) < 0 ? -errno : 0;
}

bool tun_is_tap(int ctl, const char *ifname)
{
	struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
	struct ifreq ifr = {0};
	copy_name(ifr.ifr_name, sizeof(ifr.ifr_name), ifname);
	ifr.ifr_data = (void *)&info;
	if (ioctl(ctl, SIOCETHTOOL, &ifr) < 0)
		return false;
	return strcmp(info.driver, "tun") == 0 && strcmp(info.bus_info, "tap") == 0;
}

/* ---- the mark: an rtnetlink request about one link ---------------------- */

struct link_request {
	struct nlmsghdr header;
	struct ifinfomsg link;
	char attributes[RTA_SPACE(ALIAS_MAX)];
};

/* Sends `req` and reads the answer into `reply`: an error (0 is the
 * acknowledgement) or, for RTM_GETLINK, the link. Returns 0 or -errno. */
static int rtnl_talk(struct link_request *req, void *reply, size_t size)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct timeval timeout = {.tv_sec = 1};
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	int error = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	ssize_t n =
	    sendto(fd, req, req->header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	if (n >= 0)
		n = recv(fd, reply, size, 0);
	if (n < 0)
		error = -errno;
	else if ((size_t)n < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		error = -EIO;
	else if (((struct nlmsghdr *)reply)->nlmsg_type == NLMSG_ERROR)
		error = ((struct nlmsgerr *)NLMSG_DATA(reply))->error;
	close(fd);
	return error;
}

static void link_request_init(struct link_request *req, int type, int flags, int ifindex)
{
	memset(req, 0, sizeof(*req));
	req->header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req->header.nlmsg_type = (uint16_t)type;
	req->header.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	req->link.ifi_family = AF_UNSPEC;
	req->link.ifi_index = ifindex;
}

int tun_mark(const char *ifname, const char *port_name)
{
	int ifindex = (int)if_nametoindex(ifname);
	if (ifindex == 0)
		return -errno;
	struct link_request req;
	link_request_init(&req, RTM_NEWLINK, NLM_F_ACK, ifindex);
	struct rtattr *alias = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.header.nlmsg_len));
	int len = snprintf(RTA_DATA(alias), ALIAS_MAX, MARK_PREFIX " for port %s", port_name);
	alias->rta_type = IFLA_IFALIAS;
	alias->rta_len = (unsigned short)RTA_LENGTH(len); /* no NUL: as iproute2 sends it */
	req.header.nlmsg_len = NLMSG_ALIGN(req.header.nlmsg_len) + RTA_ALIGN(alias->rta_len);
	union {
		struct nlmsghdr header;
		char bytes[1024];
	} reply;
	return rtnl_talk(&req, &reply, sizeof(reply));
}

bool tun_is_marked(const char *ifname)
{
	int ifindex = (int)if_nametoindex(ifname);
	if (ifindex == 0)
		return false;
	struct link_request req;
	link_request_init(&req, RTM_GETLINK, 0, ifindex);
	union {
		struct nlmsghdr header;
		char bytes[16384];
	} reply;
	if (rtnl_talk(&req, &reply, sizeof(reply)) < 0 || reply.header.nlmsg_type != RTM_NEWLINK)
		return false;
	struct ifinfomsg *link = NLMSG_DATA(&reply.header);
	int left = (int)IFLA_PAYLOAD(&reply.header);
	for (struct rtattr *a = IFLA_RTA(link); RTA_OK(a, left); a = RTA_NEXT(a, left))
		if (a->rta_type == IFLA_IFALIAS)
			return RTA_PAYLOAD(a) >= strlen(MARK_PREFIX) &&
			       memcmp(RTA_DATA(a), MARK_PREFIX, strlen(MARK_PREFIX)) == 0;
	return false;
}

int tun_keep(int fd, const char *ifname, const char *port_name)
{
	int error = tun_set_persist(fd, true);
	if (!error && tun_mark(ifname, port_name) < 0)
		log_error("port %s: tap '%s' not marked as made by vswitchd: a daemon restarted "
			  "later will not remove it with the port",
			  port_name, ifname);
	return error;
}

void tun_remove(const char *port_name, const char *ifname)
{
	if (if_nametoindex(ifname) == 0)
		return; /* gone already; attaching would make a new one */
	int fd = tun_attach(ifname, false);
	int error = fd < 0 ? fd : tun_set_persist(fd, false);
	if (error == -EBUSY)
		log_error(
		    "port %s: tap '%s' not removed: still open (by a QEMU?); 'ip link del %s' "
		    "removes it",
		    port_name, ifname, ifname);
	else if (error)
		log_error("port %s: tap '%s' not removed: %s", port_name, ifname, strerror(-error));
	if (fd >= 0)
		close(fd); /* the last fd of a tap that is no longer persistent: it goes */
}
