/* monitor.c — link events from rtnetlink, and the SEA's netaddr ping.
 *
 * The ping uses the kernel's own IPv4 stack through a raw ICMP socket, so
 * the echo leaves from the address the host holds on the SEA (an internal
 * port of the SEA's switch, the VIOS's own interface) with the kernel's ARP
 * and routing, exactly as PowerVM's SEA pings from its interface. */
#include "monitor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/icmp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util.h"

#define ICMP_ECHO_REQUEST 8
#define ICMP_ECHO_REPLY	  0

/* ---- link events ---------------------------------------------------------- */

int link_monitor_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

bool link_monitor_drain(int fd)
{
	char buf[8192];
	bool any = false;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			any = true;
			continue;
		}
		/* ENOBUFS: the kernel dropped events; whatever they said, the
		 * answer is to read the carriers again. */
		if (n < 0 && errno == ENOBUFS) {
			any = true;
			continue;
		}
		return any;
	}
}

/* ---- ping ------------------------------------------------------------------- */

int ping_parse_address(const char *address, struct in_addr *out, char *err, size_t err_size)
{
	if (inet_pton(AF_INET, address, out) != 1) {
		snprintf(err, err_size, "'%s' is not an IPv4 address (a.b.c.d)", address);
		return -EINVAL;
	}
	uint32_t host = ntohl(out->s_addr);
	if (host == 0 || host == 0xffffffffu || (host >> 28) == 0xe || (host >> 24) == 0 ||
	    (host >> 28) == 0xf) {
		snprintf(err, err_size, "%s is not a host address one can ping", address);
		return -EINVAL;
	}
	return 0;
}

static uint16_t icmp_checksum(const uint8_t *data, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += load_be16(data + i);
	if (len & 1)
		sum += (uint32_t)data[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int ping_monitor_open(struct ping_monitor *m, struct in_addr target, uint32_t interval_ms,
		      uint32_t retries, char *err, size_t err_size)
{
	static uint16_t next_id;
	memset(m, 0, sizeof(*m));
	m->target = target;
	m->interval_ms = interval_ms;
	m->retries = retries;
	m->reachable = true;
	/* Raw ICMP sockets all see every echo reply: the id tells ours. */
	m->id = (uint16_t)(getpid() * 31 + ++next_id);
	m->fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (m->fd < 0) {
		int e = errno;
		snprintf(err, err_size, "cannot open an ICMP socket: %s", strerror(e));
		return -e;
	}
	struct icmp_filter filter = {.data = ~(1u << ICMP_ECHO_REPLY)};
	setsockopt(m->fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter));
	return 0;
}

void ping_monitor_close(struct ping_monitor *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

static bool read_answers(struct ping_monitor *m)
{
	bool answered = false;
	uint8_t buf[256];
	struct sockaddr_in from;
	for (;;) {
		socklen_t from_len = sizeof(from);
		ssize_t n = recvfrom(m->fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &from_len);
		if (n < 0)
			return answered;
		if ((size_t)n < 20)
			continue;
		size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
		if ((size_t)n < ihl + 8 || from.sin_addr.s_addr != m->target.s_addr)
			continue;
		const uint8_t *icmp = buf + ihl;
		/* Answers to the last few echoes count: a slow answer is still
		 * an answer, a stale one from long ago is not. */
		uint16_t seq = load_be16(icmp + 6);
		if (icmp[0] == ICMP_ECHO_REPLY && load_be16(icmp + 4) == m->id &&
		    (uint16_t)(m->seq - seq) <= m->retries)
			answered = true;
	}
}

static void send_echo(struct ping_monitor *m)
{
	uint8_t echo[16] = {ICMP_ECHO_REQUEST, 0};
	store_be16(echo + 4, m->id);
	store_be16(echo + 6, ++m->seq);
	memcpy(echo + 8, "vswitch", 8);
	store_be16(echo + 2, icmp_checksum(echo, sizeof(echo)));
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = m->target};
	/* A send that fails (no route, no ARP answer yet) is an unanswered echo. */
	sendto(m->fd, echo, sizeof(echo), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to));
	m->sent++;
	m->awaiting = true;
}

bool ping_monitor_run(struct ping_monitor *m, uint64_t now_ms, uint64_t *next_ms)
{
	bool was = m->reachable;
	if (m->fd >= 0 && read_answers(m)) {
		m->answered++;
		m->awaiting = false;
		m->missed = 0;
		m->reachable = true;
	}
	if (now_ms >= m->next_send_ms) {
		if (m->awaiting || m->fd < 0) {
			m->missed++;
			if (m->missed >= m->retries)
				m->reachable = false;
		}
		if (m->fd >= 0)
			send_echo(m);
		m->next_send_ms = now_ms + m->interval_ms;
	}
	*next_ms = m->next_send_ms;
	return m->reachable != was;
}
