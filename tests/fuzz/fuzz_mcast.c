/* fuzz_mcast.c — libFuzzer target for the IGMP/MLD reader (mcast_parse.c)
 * and the snooping table it feeds: the input's first byte picks IPv4 or
 * IPv6, the rest is the IP packet; every report record read is joined or
 * left on a small table, which must keep its counts within its limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mcast_table *t;
	if (!t)
		t = mcast_table_create(16);
	if (size < 1 || size > 65535)
		return 0;
	uint16_t type = data[0] & 1 ? 0x86dd : 0x0800;
	uint16_t port = (data[0] >> 1) & 7;
	/* A copy of exactly the input's size, so ASan sees any read past it. */
	uint8_t *ip = malloc(size - 1 ? size - 1 : 1);
	memcpy(ip, data + 1, size - 1);
	struct mcast_msg m;
	enum mcast_kind k = mcast_parse(ip, (uint32_t)(size - 1), type, &m);
	struct mcast_record r;
	if (k == MCAST_REPORT && m.records) {
		while (mcast_next_record(&m, &r))
			if (r.join)
				mcast_table_join(t, 1, &r.group, port, 0, 10, 8);
			else
				mcast_table_leave(t, 1, &r.group, port, 0, 0);
	} else if (k == MCAST_REPORT) {
		mcast_table_join(t, 1, &m.group, port, 0, 10, 8);
	} else if (k == MCAST_LEAVE) {
		mcast_table_leave(t, 1, &m.group, port, 0, 0);
	}
	char text[64];
	mcast_addr_format(&m.group, text, sizeof(text));
	if (t->n_groups > t->max_groups || t->port_groups[port] > 8)
		abort();
	if (data[0] & 0x80)
		mcast_table_expire(t, 20, PORT_INDEX_NONE, false);
	free(ip);
	return 0;
}
