/* erspan.c — see erspan.h. The GRE header carries a sequence number (S
 * bit), as Linux's erspan and Cisco's sources do, so a collector sees gaps
 * where copies were lost; the outer IPv4 header is the kernel's (a raw
 * IPPROTO_GRE socket without IP_HDRINCL), routed like any packet of the
 * daemon's network namespace. */
#include "erspan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/datapath.h"
#include "execute.h"
#include "lib/packet.h"
#include "lib/util.h"

#define SEND_BATCH 64

struct erspan_session {
	struct erspan_params params;
	int fd;
	uint32_t sequence;
};

size_t erspan_encap(uint8_t *buf, const struct erspan_params *params, uint32_t sequence,
		    const struct mirror_record *r, const uint8_t *frame)
{
	const bool v3 = params->version == 3;
	const bool tagged = r->caplen >= 16 && load_be16(frame + 12) == ETH_TYPE_VLAN;
	const uint16_t vlan = tagged ? load_be16(frame + 14) & 0x0fff : 0;
	const uint16_t cos = tagged ? load_be16(frame + 14) >> 13 : 0;
	const uint16_t truncated = r->caplen < r->len ? 1 : 0;
	store_be16(buf, 0x1000); /* S: a sequence number follows */
	store_be16(buf + 2, v3 ? GRE_PROTO_ERSPAN3 : GRE_PROTO_ERSPAN2);
	store_be32(buf + 4, sequence);
	uint8_t *e = buf + ERSPAN_GRE_LEN;
	store_be16(e, (uint16_t)((v3 ? 2u : 1u) << 12 | vlan));
	/* Type II's En (2 bits): 3 = the tag is kept in the frame; type III's
	 * BSO there is 0 (bad/short/oversize not known). */
	uint16_t en = !v3 && tagged ? 3 : 0;
	store_be16(e + 2, (uint16_t)(cos << 13 | en << 11 | truncated << 10 |
				     (params->session_id & 0x3ff)));
	if (!v3) {
		store_be32(e + 4, 0); /* reserved, index */
		return ERSPAN_GRE_LEN + ERSPAN2_LEN;
	}
	store_be32(e + 4, (uint32_t)(r->time_ns / 100000)); /* 100 us units */
	store_be16(e + 8, 0);				    /* SGT */
	/* P 0, FT 0 (Ethernet), HW ID 0, D, granularity 00 (100 us), O 0 */
	store_be16(e + 10, (uint16_t)((r->direction & MIRROR_TX ? 1u : 0u) << 3));
	return ERSPAN_GRE_LEN + ERSPAN3_LEN;
}

struct erspan_session *erspan_session_open(const struct erspan_params *params, char *err,
					   size_t err_size)
{
	struct erspan_session *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	s->params = *params;
	s->fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_GRE);
	if (s->fd < 0) {
		snprintf(err, err_size,
			 "erspan: cannot open a raw GRE socket: %s (needs CAP_NET_RAW)",
			 strerror(errno));
		free(s);
		return NULL;
	}
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr = params->local};
	if (params->local.s_addr != INADDR_ANY &&
	    bind(s->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		char text[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &params->local, text, sizeof(text));
		snprintf(err, err_size, "erspan: local %s: %s", text, strerror(errno));
		close(s->fd);
		free(s);
		return NULL;
	}
	return s;
}

void erspan_session_close(void *session)
{
	struct erspan_session *s = session;
	if (!s)
		return;
	close(s->fd);
	free(s);
}

/* Sends `n` prepared messages; one the kernel refuses (no route, its
 * buffer full) is skipped and lost. Returns how many were sent. */
static uint32_t send_all(struct erspan_session *s, struct mmsghdr *msgs, uint32_t n)
{
	uint32_t done = 0, ok = 0;
	while (done < n) {
		int rc = sendmmsg(s->fd, msgs + done, n - done, 0);
		if (rc > 0) {
			done += (uint32_t)rc;
			ok += (uint32_t)rc;
		} else if (errno != EINTR) {
			done++;
		}
	}
	return ok;
}

uint32_t erspan_session_flush(struct mirror *m)
{
	struct erspan_session *s = m->sink_ctx;
	static uint8_t frames[SEND_BATCH][MIRROR_SLOT_SIZE];
	static uint8_t headers[SEND_BATCH][ERSPAN_MAX_HEADER];
	struct mmsghdr msgs[SEND_BATCH];
	struct iovec iov[SEND_BATCH][2];
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = s->params.remote};
	uint32_t total = 0;
	for (;;) {
		uint32_t n = 0;
		struct mirror_record r;
		while (n < SEND_BATCH && mirror_ring_pop(m->ring, &r, frames[n])) {
			size_t hlen =
			    erspan_encap(headers[n], &s->params, s->sequence++, &r, frames[n]);
			iov[n][0] = (struct iovec){.iov_base = headers[n], .iov_len = hlen};
			iov[n][1] = (struct iovec){.iov_base = frames[n], .iov_len = r.caplen};
			msgs[n] = (struct mmsghdr){.msg_hdr = {.msg_name = &to,
							       .msg_namelen = sizeof(to),
							       .msg_iov = iov[n],
							       .msg_iovlen = 2}};
			n++;
		}
		if (!n)
			return total;
		uint32_t ok = send_all(s, msgs, n);
		total += ok;
		if (ok < n)
			__atomic_fetch_add(&m->dropped, n - ok, __ATOMIC_RELAXED);
	}
}

bool erspan_export_tick(void *state)
{
	const struct datapath *dp = ((struct control_state *)state)->dp;
	bool any = false;
	for (size_t i = 0; dp && i < dp->n_switches; i++) {
		const struct vswitch *sw = dp->switches[i];
		for (uint16_t j = 0; j < sw->mirrors.n; j++) {
			struct mirror *m = sw->mirrors.list[j];
			if (m->spec.sink != MIRROR_TO_EXPORT || !m->sink_ctx)
				continue;
			any = true;
			erspan_session_flush(m);
		}
	}
	return any;
}
