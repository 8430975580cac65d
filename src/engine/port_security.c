/* port_security.c — what a VM port may send and receive (DESIGN §5):
 * stage 4 of the pipeline checks each frame the port sent against the MACs
 * and addresses bound to it (forged-transmits, Neutron's anti-spoofing,
 * DHCP and RA guard) before anything is learned from it; stage 11 keeps
 * unicast for other MACs from reaching it (promiscuous, mac-changes).
 * A port without settings costs one test per batch; with them, a frame
 * costs a scan of at most 17 MACs and, for IP/ARP, one l3_parse. */
#include "port_security.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "lib/frame.h"
#include "lib/l3_parse.h"

static bool rejects(uint8_t policy, bool bound)
{
	return policy == PSEC_REJECT || (policy == PSEC_DEFAULT && bound);
}

void port_security_update(struct port_security *s)
{
	s->enabled =
	    s->n_pairs || s->promiscuous || s->mac_changes || s->forged_transmits || s->trusted;
}

void port_security_resolve(const struct port_security *s, bool uplink,
			   struct port_security_rules *out)
{
	const bool bound = s->n_pairs > 0;
	memset(out, 0, sizeof(*out));
	if (uplink || !s->enabled)
		return;
	out->check_source = rejects(s->forged_transmits, bound);
	out->promisc_reject = rejects(s->promiscuous, bound);
	out->mac_change_reject = rejects(s->mac_changes, bound);
	out->guard = s->trusted == PSEC_REJECT || (s->trusted == PSEC_DEFAULT && bound);
}

int port_security_validate(const char *name, const struct port_security *s, char *err,
			   size_t err_size)
{
	if (s->n_pairs == 0 && (s->forged_transmits == PSEC_REJECT ||
				s->mac_changes == PSEC_REJECT || s->promiscuous == PSEC_REJECT)) {
		snprintf(err, err_size,
			 "port %s: a reject policy needs a bound mac or allowed-addresses", name);
		return -EINVAL;
	}
	for (unsigned i = 0; i < s->n_pairs; i++)
		for (unsigned j = i + 1; j < s->n_pairs; j++)
			if (!memcmp(s->pairs[i].mac, s->pairs[j].mac, 6)) {
				char text[18];
				snprintf(err, err_size,
					 "port %s: MAC %s is bound or allowed twice: list all its "
					 "addresses in one pair",
					 name, mac_format(s->pairs[i].mac, text));
				return -EINVAL;
			}
	return 0;
}

const struct port_security_pair *port_security_find(const struct port_security *s,
						    const uint8_t *mac)
{
	for (unsigned i = 0; i < s->n_pairs; i++)
		if (mac_equal(s->pairs[i].mac, mac))
			return &s->pairs[i];
	return NULL;
}

/* By 32-bit words, without a call: a /32 or /128 is one to four compares. */
static bool prefix_contains(const struct port_security_prefix *p, const uint8_t *addr)
{
	unsigned len = p->len;
	for (unsigned i = 0; len > 0; i += 4) {
		unsigned bits = len > 32 ? 32 : len;
		uint32_t mask = ~0u << (32 - bits);
		if ((load_be32(p->addr + i) ^ load_be32(addr + i)) & mask)
			return false;
		len -= bits;
	}
	return true;
}

/* fe80::/64 with the modified EUI-64 interface identifier of mac (RFC 4291
 * appendix A): the link-local address every IPv6 stack starts with. */
static bool is_eui64_link_local(const uint8_t *mac, const uint8_t *addr)
{
	static const uint8_t prefix[8] = {0xfe, 0x80};
	const uint8_t iid[8] = {mac[0] ^ 2, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]};
	return !memcmp(addr, prefix, 8) && !memcmp(addr + 8, iid, 8);
}

/* May the holder of `pair` use addr (family 4 or 6)? Any address when
 * the pair lists none; else one of its prefixes, or for IPv6 the MAC's
 * EUI-64 link-local. */
static bool address_allowed(const struct port_security_pair *pair, uint8_t family,
			    const uint8_t *addr)
{
	if (pair->n_addrs == 0)
		return true;
	for (unsigned i = 0; i < pair->n_addrs; i++)
		if (pair->addrs[i].family == family && prefix_contains(&pair->addrs[i], addr))
			return true;
	return family == 6 && is_eui64_link_local(pair->mac, addr);
}

static enum drop_reason guard_check(const struct l3_info *l3)
{
	if (!l3->l4)
		return DROP_NONE;
	if (l3->proto == L3_PROTO_UDP &&
	    ((l3->kind == L3_IPV4 && l3->sport == 67 && l3->dport == 68) ||
	     (l3->kind == L3_IPV6 && l3->sport == 547 && l3->dport == 546)))
		return DROP_DHCP_SERVER_GUARD;
	if (l3->kind == L3_IPV6 && l3->proto == L3_PROTO_ICMPV6 &&
	    (l3->icmp_type == ICMPV6_RA || l3->icmp_type == ICMPV6_REDIRECT))
		return DROP_RA_GUARD;
	return DROP_NONE;
}

static bool is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* From the unspecified address: a DHCPv4 client before it has a lease,
 * and IPv6 duplicate address detection, router and MLD solicitation. */
static bool unspecified_allowed(const struct l3_info *l3)
{
	if (l3->kind == L3_IPV4)
		return l3->l4 && l3->proto == L3_PROTO_UDP && l3->sport == 68 && l3->dport == 67;
	return l3->l4 && l3->proto == L3_PROTO_ICMPV6 &&
	       (l3->icmp_type == ICMPV6_NS || l3->icmp_type == ICMPV6_RS ||
		l3->icmp_type == ICMPV6_MLD2_REPORT);
}

static enum drop_reason source_check(const struct port_security_pair *pair, const uint8_t *src_mac,
				     const struct l3_info *l3)
{
	if (l3->kind == L3_ARP) {
		if (!mac_equal(l3->arp_sha, src_mac) ||
		    (!is_zero(l3->arp_spa, 4) && !address_allowed(pair, 4, l3->arp_spa)))
			return DROP_ARP_SPOOF;
		return DROP_NONE;
	}
	const uint8_t family = l3->kind == L3_IPV4 ? 4 : 6;
	if (!address_allowed(pair, family, l3->src) &&
	    !(is_zero(l3->src, family == 4 ? 4 : 16) && unspecified_allowed(l3)))
		return DROP_FORGED_SOURCE_IP;
	if (l3->nd_has_lladdr && !mac_equal(l3->nd_lladdr, pair->mac))
		return DROP_ND_SPOOF;
	if (l3->nd_has_target && l3->icmp_type == ICMPV6_NA &&
	    !address_allowed(pair, 6, l3->nd_target))
		return DROP_ND_SPOOF;
	return DROP_NONE;
}

enum drop_reason port_security_check(const struct port_security *s,
				     const struct port_security_rules *r, const uint8_t *frame,
				     uint32_t len, uint32_t l3_offset, uint16_t ethertype)
{
	const struct port_security_pair *pair = NULL;
	if (r->check_source && !(pair = port_security_find(s, frame + 6)))
		return DROP_FORGED_SOURCE_MAC;
	if (ethertype != ETH_TYPE_IPV4 && ethertype != ETH_TYPE_IPV6 && ethertype != ETH_TYPE_ARP)
		return DROP_NONE;
	struct l3_info l3;
	if (l3_parse(frame, len, l3_offset, ethertype, &l3) != L3_OK)
		return DROP_L3_MALFORMED;
	enum drop_reason why = r->guard ? guard_check(&l3) : DROP_NONE;
	if (why == DROP_NONE && pair)
		why = source_check(pair, frame + 6, &l3);
	return why;
}

enum drop_reason port_security_egress_check(const struct port_security *s,
					    const struct port_security_rules *r, const uint8_t *dst,
					    bool flooded)
{
	if (mac_is_group(dst) || port_security_find(s, dst))
		return DROP_NONE;
	if (flooded)
		return r->promisc_reject ? DROP_NOT_PROMISCUOUS : DROP_NONE;
	return r->mac_change_reject ? DROP_MAC_CHANGE : DROP_NONE;
}

void port_security_ingress(struct bridge_port *in, struct packet_batch *batch)
{
	struct port_security_rules r;
	port_security_resolve(&in->config.security, in->config.uplink, &r);
	if (!r.check_source && !r.guard)
		return;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < batch->count; i++) {
		struct packet *p = batch->packets[i];
		uint32_t l3 = p->flags & PACKET_F_INLINE_TAG ? 18 : 14;
		enum drop_reason why = port_security_check(&in->config.security, &r, p->data,
							   p->len, l3, load_be16(p->data + l3 - 2));
		if (UNLIKELY(why != DROP_NONE)) {
			port_count_drop(in, why, 1);
			packet_free(p);
			continue;
		}
		batch->packets[kept++] = p;
	}
	batch->count = kept;
}

void port_security_egress(struct bridge_port *out, struct packet_batch *q)
{
	struct port_security_rules r;
	port_security_resolve(&out->config.security, out->config.uplink, &r);
	if (!r.promisc_reject && !r.mac_change_reject)
		return;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < q->count; i++) {
		struct packet *p = q->packets[i];
		enum drop_reason why = port_security_egress_check(
		    &out->config.security, &r, p->data, p->out_port == FORWARD_FLOOD);
		if (UNLIKELY(why != DROP_NONE)) {
			port_count_tx_drop(out, why, 1);
			packet_free(p);
			continue;
		}
		q->packets[kept++] = p;
	}
	q->count = kept;
}
