/* port_security.h — a VM port's security settings (DESIGN §5, issue 11):
 * VMware's three policies (promiscuous, mac-changes, forged-transmits)
 * around a bound MAC, Neutron's anti-spoofing with allowed address pairs,
 * and the DHCP-server and router-advertisement guards. Included by
 * engine.h for struct port_config; docs/port-security.md says what each
 * setting does and why the defaults are what they are. */
#ifndef VSWITCH_PORT_SECURITY_H
#define VSWITCH_PORT_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"

#define PORT_SECURITY_MAX_PAIRS 16 /* allowed-addresses, besides the bound MAC */
#define PORT_SECURITY_MAX_ADDRS 8  /* IP prefixes per MAC */

/* A policy as configured: DEFAULT follows from whether a MAC is bound. */
enum port_security_policy {
	PSEC_DEFAULT,
	PSEC_ACCEPT,
	PSEC_REJECT,
};

struct port_security_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len;	/* prefix length, 0-32 or 0-128 */
	uint8_t addr[16];
};

/* A MAC the port may send from and the addresses it may use with it;
 * n_addrs 0 = any address. */
struct port_security_pair {
	uint8_t mac[6];
	uint8_t n_addrs;
	struct port_security_prefix addrs[PORT_SECURITY_MAX_ADDRS];
};

struct port_security {
	/* Some setting differs from "no security": the only field the
	 * pipeline reads for a port without it (port_security_update). */
	bool enabled;
	bool has_mac; /* pairs[0] is the bound MAC (`mac`) */
	uint8_t n_pairs;
	uint8_t promiscuous; /* enum port_security_policy */
	uint8_t mac_changes;
	uint8_t forged_transmits;
	uint8_t trusted; /* PSEC_ACCEPT = trusted on (no guards), REJECT = off */
	struct port_security_pair pairs[PORT_SECURITY_MAX_PAIRS + 1];
};

/* What a port's settings come to, once per batch. */
struct port_security_rules {
	bool check_source;	/* forged-transmits reject: MAC, IP, ARP, ND */
	bool guard;		/* DHCP-server and RA guard (port not trusted) */
	bool promisc_reject;	/* flooded unicast for other MACs not delivered */
	bool mac_change_reject; /* unicast sent here for a MAC not bound is not delivered */
};

/* Recomputes `enabled` after a change of the settings. */
void port_security_update(struct port_security *s);
/* The effective rules; an uplink has none (it is trusted). */
void port_security_resolve(const struct port_security *s, bool uplink,
			   struct port_security_rules *out);
/* A reject policy needs a MAC to compare with. */
int port_security_validate(const char *name, const struct port_security *s, char *err,
			   size_t err_size);
/* The pair whose MAC is `mac`, or NULL. */
const struct port_security_pair *port_security_find(const struct port_security *s,
						    const uint8_t *mac);
/* The verdict on one frame the port sent; pure. The L3 header starts at
 * `l3_offset` with EtherType `ethertype`. */
enum drop_reason port_security_check(const struct port_security *s,
				     const struct port_security_rules *r, const uint8_t *frame,
				     uint32_t len, uint32_t l3_offset, uint16_t ethertype);
/* The verdict at egress on a unicast or group frame to the port; `flooded`
 * when it is a copy of a flood. Pure. */
enum drop_reason port_security_egress_check(const struct port_security *s,
					    const struct port_security_rules *r, const uint8_t *dst,
					    bool flooded);

struct bridge_port;
struct packet_batch;
/* Pipeline stage 4: drops (counted) what the port may not send. */
void port_security_ingress(struct bridge_port *in, struct packet_batch *batch);
/* Egress (stage 11), under the port's tx_lock: drops (counted as tx
 * drops) what the port may not receive. */
void port_security_egress(struct bridge_port *out, struct packet_batch *q);

#endif
