/* fuzz_port_security.c — libFuzzer target for the L3/L4 reader and the
 * port-security verdicts on untrusted frames: the input is a frame (its
 * first byte picks the EtherType and L3 offset), checked against a port
 * with a bound MAC, addresses, an allowed pair and the guards on. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/engine.h"
#include "lib/l3_parse.h"

static const uint16_t types[] = {ETH_TYPE_IPV4, ETH_TYPE_IPV6, ETH_TYPE_ARP, 0x88b5};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65535)
		return 0;
	uint16_t type = types[data[0] & 3];
	uint32_t offset = data[0] & 4 ? 18 : 14;
	data++;
	size--;
	struct l3_info l3;
	l3_parse(data, (uint32_t)size, offset, type, &l3);

	static struct port_security s;
	if (!s.enabled) {
		static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1}, pair[6] = {2, 0, 0, 0, 0, 2};
		memcpy(s.pairs[0].mac, mac, 6);
		s.pairs[0].n_addrs = 2;
		s.pairs[0].addrs[0] = (struct port_security_prefix){4, 24, {10, 0, 0, 0}};
		s.pairs[0].addrs[1] = (struct port_security_prefix){6, 61, {0xfd}};
		memcpy(s.pairs[1].mac, pair, 6);
		s.has_mac = true;
		s.n_pairs = 2;
		port_security_update(&s);
	}
	struct port_security_rules r;
	port_security_resolve(&s, false, &r);
	if (size >= offset) {
		/* the source MAC forced to the bound one half the time, so the
		 * L3 checks are reached */
		uint8_t frame[2048];
		if (size <= sizeof(frame) && (data[0] & 1)) {
			memcpy(frame, data, size);
			memcpy(frame + 6, s.pairs[0].mac, 6);
			port_security_check(&s, &r, frame, (uint32_t)size, offset, type);
		} else {
			port_security_check(&s, &r, data, (uint32_t)size, offset, type);
		}
		port_security_egress_check(&s, &r, data, data[0] & 2);
	}
	return 0;
}
