/* lldp_tlv.h — the LLDPDU (IEEE 802.1AB-2016 §8) as a pure codec: what a
 * switch says about itself in the TLVs vswitch sends and reads (chassis,
 * port, TTL, descriptions, capabilities, management addresses, and the
 * 802.1 organisationally specific port VLAN ID and VLAN name TLVs). It
 * reads only the bytes it is given and never allocates, so the fuzzer can
 * drive it; the agent that keeps neighbours and timers is lldp.c. */
#ifndef VSWITCH_LLDP_TLV_H
#define VSWITCH_LLDP_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LLDP_ETH_TYPE	   0x88cc
#define LLDP_ID_MAX	   255 /* chassis and port ID: 1-255 bytes after the subtype */
#define LLDP_TEXT_MAX	   255 /* port and system description, system name */
#define LLDP_MGMT_MAX	   2   /* management addresses kept (one IPv4, one IPv6) */
#define LLDP_VLANS_MAX	   16  /* VLAN name TLVs kept of a neighbour / sent */
#define LLDP_VLAN_NAME_MAX 32

/* Chassis ID subtypes (Table 8-2) and port ID subtypes (Table 8-3) used. */
#define LLDP_CHASSIS_MAC   4
#define LLDP_CHASSIS_LOCAL 7
#define LLDP_PORT_MAC	   3
#define LLDP_PORT_IFNAME   5
#define LLDP_PORT_LOCAL	   7
/* System capabilities (Table 8-4): a bridge. */
#define LLDP_CAP_BRIDGE 0x0004

struct lldp_id {
	uint8_t subtype;
	uint8_t len; /* 1-255 */
	uint8_t data[LLDP_ID_MAX];
};

struct lldp_text {
	uint8_t len; /* 0: absent */
	char data[LLDP_TEXT_MAX];
};

struct lldp_mgmt {
	uint8_t family; /* 4 or 6 (IANA address family 1 or 2) */
	uint8_t addr[16];
};

struct lldp_vlan {
	uint16_t vid;
	uint8_t name_len;
	char name[LLDP_VLAN_NAME_MAX];
};

/* One LLDPDU's content, as sent or as read. */
struct lldp_info {
	struct lldp_id chassis, port;
	uint16_t ttl; /* seconds; 0: the neighbour shuts down */
	struct lldp_text port_desc, sys_name, sys_desc;
	bool has_caps;
	uint16_t caps, caps_enabled;
	uint8_t n_mgmt;
	struct lldp_mgmt mgmt[LLDP_MGMT_MAX];
	uint16_t pvid; /* 802.1 port VLAN ID TLV; 0: absent or untagged only */
	uint8_t n_vlans;
	struct lldp_vlan vlans[LLDP_VLANS_MAX];
	/* Read only: TLVs skipped, kept out of the counters' way. */
	uint16_t unrecognised; /* TLV types (or 802.1 subtypes) not read */
	uint16_t discarded;    /* optional TLVs malformed, or beyond what is kept */
};

/* Why a whole LLDPDU is refused (802.1AB §9.2.7.7.1). X(ENUM, "name"). */
#define FOREACH_LLDP_ERROR(X)                                                                      \
	X(TRUNCATED, "truncated")                                                                  \
	X(FIRST_TLVS, "bad-first-tlvs")                                                            \
	X(BAD_CHASSIS, "bad-chassis-id")                                                           \
	X(BAD_PORT, "bad-port-id")                                                                 \
	X(BAD_TTL, "bad-ttl")                                                                      \
	X(DUPLICATE, "duplicate-mandatory-tlv")

enum lldp_error {
	LLDP_OK = 0,
#define LLDP_ERR_ENUM(e, name) LLDP_ERR_##e,
	FOREACH_LLDP_ERROR(LLDP_ERR_ENUM)
#undef LLDP_ERR_ENUM
	    LLDP_ERR_MAX
};

const char *lldp_error_name(enum lldp_error error);

/* Reads the LLDPDU pdu[0, len) (the bytes after the EtherType) into *out.
 * Returns LLDP_OK or why the whole PDU is refused; *out is then partial. */
enum lldp_error lldp_decode(const uint8_t *pdu, size_t len, struct lldp_info *out);
/* Writes the LLDPDU of *in into buf, ending with the End TLV. Returns its
 * length, or -1 when it does not fit in size bytes. */
int lldp_encode(const struct lldp_info *in, uint8_t *buf, size_t size);

/* For the operator: an ID as a MAC ("aa:bb:..."), an IP address, or text
 * (bytes outside printable ASCII become '?'); buf of at least 3 * 255 + 1. */
void lldp_format_id(const struct lldp_id *id, bool chassis, char *buf, size_t size);
/* Text from the wire made printable ASCII, NUL-terminated. */
void lldp_format_text(const struct lldp_text *t, char *buf, size_t size);
/* "192.0.2.1" / "2001:db8::1". */
void lldp_format_mgmt(const struct lldp_mgmt *m, char *buf, size_t size);

#endif
