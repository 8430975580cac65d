/* lldp_tlv.c — the LLDPDU codec (lldp_tlv.h). A PDU is a list of TLVs, a
 * 16-bit header of 7 bits of type and 9 of length, then the value: chassis
 * ID, port ID and TTL first, in that order (802.1AB §8.2), then optional
 * ones, then End. A broken mandatory TLV refuses the PDU; a broken
 * optional one is skipped and counted (§9.2.7.7.2), as is one we do not
 * read or have no room to keep. */
#include "lldp_tlv.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

enum {
	TLV_END = 0,
	TLV_CHASSIS = 1,
	TLV_PORT = 2,
	TLV_TTL = 3,
	TLV_PORT_DESC = 4,
	TLV_SYS_NAME = 5,
	TLV_SYS_DESC = 6,
	TLV_CAPS = 7,
	TLV_MGMT = 8,
	TLV_ORG = 127,
};

static const uint8_t oui_8021[3] = {0x00, 0x80, 0xc2};
#define DOT1_PVID      1
#define DOT1_VLAN_NAME 3
#define IANA_IPV4      1
#define IANA_IPV6      2
#define IFNUM_IFINDEX  2

static const char *const error_names[] = {[LLDP_OK] = "ok",
#define LLDP_ERR_NAME(e, name) [LLDP_ERR_##e] = name,
					  FOREACH_LLDP_ERROR(LLDP_ERR_NAME)
#undef LLDP_ERR_NAME
};

const char *lldp_error_name(enum lldp_error error)
{
	return error < LLDP_ERR_MAX ? error_names[error] : "?";
}

/* ---- decoding --------------------------------------------------------------- */

static bool read_id(const uint8_t *v, size_t len, struct lldp_id *id)
{
	if (len < 2 || len > LLDP_ID_MAX + 1)
		return false;
	id->subtype = v[0];
	id->len = (uint8_t)(len - 1);
	memcpy(id->data, v + 1, len - 1);
	return true;
}

static void read_text(const uint8_t *v, size_t len, struct lldp_text *t, struct lldp_info *out)
{
	if (len > LLDP_TEXT_MAX) {
		out->discarded++;
		return;
	}
	t->len = (uint8_t)len;
	memcpy(t->data, v, len);
}

/* Management address (§8.5.9): string length, subtype, address, interface
 * numbering subtype, number, OID length, OID. */
static bool read_mgmt(const uint8_t *v, size_t len, struct lldp_info *out)
{
	if (len < 9 || v[0] < 2 || v[0] > 32 || (size_t)v[0] + 7 > len)
		return false;
	size_t addr_len = v[0] - 1u;
	uint8_t oid_len = v[1 + v[0] + 5];
	if ((size_t)v[0] + 7 + oid_len != len)
		return false;
	uint8_t family = v[1] == IANA_IPV4 && addr_len == 4    ? 4
			 : v[1] == IANA_IPV6 && addr_len == 16 ? 6
							       : 0;
	if (!family || out->n_mgmt == LLDP_MGMT_MAX) {
		out->unrecognised += !family;
		out->discarded += family != 0;
		return true;
	}
	struct lldp_mgmt *m = &out->mgmt[out->n_mgmt++];
	m->family = family;
	memset(m->addr, 0, sizeof(m->addr));
	memcpy(m->addr, v + 2, addr_len);
	return true;
}

/* 802.1 organisationally specific TLVs (802.1Q annex D). */
static bool read_dot1(uint8_t subtype, const uint8_t *v, size_t len, struct lldp_info *out)
{
	if (subtype == DOT1_PVID) {
		if (len != 2)
			return false;
		out->pvid = load_be16(v);
		return true;
	}
	if (subtype == DOT1_VLAN_NAME) {
		if (len < 3 || v[2] > LLDP_VLAN_NAME_MAX || (size_t)v[2] + 3 != len)
			return false;
		if (out->n_vlans == LLDP_VLANS_MAX) {
			out->discarded++;
			return true;
		}
		struct lldp_vlan *vl = &out->vlans[out->n_vlans++];
		vl->vid = load_be16(v) & 0x0fff;
		vl->name_len = v[2];
		memcpy(vl->name, v + 3, v[2]);
		return true;
	}
	out->unrecognised++;
	return true;
}

/* An optional TLV; false when it is malformed. */
static bool read_optional(unsigned type, const uint8_t *v, size_t len, struct lldp_info *out)
{
	switch (type) {
	case TLV_PORT_DESC:
		read_text(v, len, &out->port_desc, out);
		return true;
	case TLV_SYS_NAME:
		read_text(v, len, &out->sys_name, out);
		return true;
	case TLV_SYS_DESC:
		read_text(v, len, &out->sys_desc, out);
		return true;
	case TLV_CAPS:
		if (len != 4)
			return false;
		out->has_caps = true;
		out->caps = load_be16(v);
		out->caps_enabled = load_be16(v + 2);
		return true;
	case TLV_MGMT:
		return read_mgmt(v, len, out);
	case TLV_ORG:
		if (len < 4)
			return false;
		if (memcmp(v, oui_8021, 3) == 0)
			return read_dot1(v[3], v + 4, len - 4, out);
		out->unrecognised++;
		return true;
	default:
		out->unrecognised++;
		return true;
	}
}

enum lldp_error lldp_decode(const uint8_t *pdu, size_t len, struct lldp_info *out)
{
	memset(out, 0, sizeof(*out));
	size_t off = 0;
	unsigned n = 0;
	while (off < len) {
		if (len - off < 2)
			return LLDP_ERR_TRUNCATED;
		unsigned type = pdu[off] >> 1;
		size_t tlv_len = (size_t)(pdu[off] & 1) << 8 | pdu[off + 1];
		const uint8_t *v = pdu + off + 2;
		if (tlv_len > len - off - 2)
			return LLDP_ERR_TRUNCATED;
		off += 2 + tlv_len;
		if (type == TLV_END)
			break; /* what follows is padding */
		if (n < 3 && type != TLV_CHASSIS + n)
			return LLDP_ERR_FIRST_TLVS;
		if (n >= 3 && type >= TLV_CHASSIS && type <= TLV_TTL)
			return LLDP_ERR_DUPLICATE;
		n++;
		if (type == TLV_CHASSIS) {
			if (!read_id(v, tlv_len, &out->chassis))
				return LLDP_ERR_BAD_CHASSIS;
		} else if (type == TLV_PORT) {
			if (!read_id(v, tlv_len, &out->port))
				return LLDP_ERR_BAD_PORT;
		} else if (type == TLV_TTL) {
			if (tlv_len < 2)
				return LLDP_ERR_BAD_TTL;
			out->ttl = load_be16(v);
		} else if (!read_optional(type, v, tlv_len, out)) {
			out->discarded++;
		}
	}
	return n < 3 ? LLDP_ERR_FIRST_TLVS : LLDP_OK;
}

/* ---- encoding ----------------------------------------------------------------- */

struct writer {
	uint8_t *buf;
	size_t size, len;
	bool full;
};

/* Starts a TLV of value length `len`; NULL when it does not fit. */
static uint8_t *tlv(struct writer *w, unsigned type, size_t len)
{
	if (w->full || len > 511 || w->size - w->len < len + 2) {
		w->full = true;
		return NULL;
	}
	uint8_t *p = w->buf + w->len;
	p[0] = (uint8_t)(type << 1 | len >> 8);
	p[1] = (uint8_t)len;
	w->len += 2 + len;
	return p + 2;
}

static void put_id(struct writer *w, unsigned type, const struct lldp_id *id)
{
	uint8_t *v = tlv(w, type, 1u + id->len);
	if (v) {
		v[0] = id->subtype;
		memcpy(v + 1, id->data, id->len);
	}
}

static void put_text(struct writer *w, unsigned type, const struct lldp_text *t)
{
	uint8_t *v = t->len ? tlv(w, type, t->len) : NULL;
	if (v)
		memcpy(v, t->data, t->len);
}

static void put_mgmt(struct writer *w, const struct lldp_mgmt *m)
{
	size_t alen = m->family == 4 ? 4 : 16;
	uint8_t *v = tlv(w, TLV_MGMT, 1 + 1 + alen + 1 + 4 + 1);
	if (!v)
		return;
	v[0] = (uint8_t)(1 + alen);
	v[1] = m->family == 4 ? IANA_IPV4 : IANA_IPV6;
	memcpy(v + 2, m->addr, alen);
	v[2 + alen] = IFNUM_IFINDEX;
	store_be32(v + 3 + alen, 0); /* the switch, not one interface */
	v[7 + alen] = 0;	     /* no OID */
}

static void put_dot1(struct writer *w, const struct lldp_info *in)
{
	uint8_t *v;
	if (in->pvid && (v = tlv(w, TLV_ORG, 6))) {
		memcpy(v, oui_8021, 3);
		v[3] = DOT1_PVID;
		store_be16(v + 4, in->pvid);
	}
	for (unsigned i = 0; i < in->n_vlans && i < LLDP_VLANS_MAX; i++) {
		const struct lldp_vlan *vl = &in->vlans[i];
		uint8_t nlen =
		    vl->name_len > LLDP_VLAN_NAME_MAX ? LLDP_VLAN_NAME_MAX : vl->name_len;
		if (!(v = tlv(w, TLV_ORG, 4u + 3 + nlen)))
			return;
		memcpy(v, oui_8021, 3);
		v[3] = DOT1_VLAN_NAME;
		store_be16(v + 4, vl->vid);
		v[6] = nlen;
		memcpy(v + 7, vl->name, nlen);
	}
}

int lldp_encode(const struct lldp_info *in, uint8_t *buf, size_t size)
{
	struct writer w = {.buf = buf, .size = size};
	uint8_t *v;
	put_id(&w, TLV_CHASSIS, &in->chassis);
	put_id(&w, TLV_PORT, &in->port);
	if ((v = tlv(&w, TLV_TTL, 2)))
		store_be16(v, in->ttl);
	put_text(&w, TLV_PORT_DESC, &in->port_desc);
	put_text(&w, TLV_SYS_NAME, &in->sys_name);
	put_text(&w, TLV_SYS_DESC, &in->sys_desc);
	if (in->has_caps && (v = tlv(&w, TLV_CAPS, 4))) {
		store_be16(v, in->caps);
		store_be16(v + 2, in->caps_enabled);
	}
	for (unsigned i = 0; i < in->n_mgmt && i < LLDP_MGMT_MAX; i++)
		put_mgmt(&w, &in->mgmt[i]);
	put_dot1(&w, in);
	tlv(&w, TLV_END, 0);
	return w.full ? -1 : (int)w.len;
}

/* ---- for the operator ------------------------------------------------------- */

static void printable(const uint8_t *s, size_t len, char *buf, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < size; i++)
		buf[n++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	if (size)
		buf[n] = '\0';
}

void lldp_format_text(const struct lldp_text *t, char *buf, size_t size)
{
	printable((const uint8_t *)t->data, t->len, buf, size);
}

void lldp_format_mgmt(const struct lldp_mgmt *m, char *buf, size_t size)
{
	char tmp[INET6_ADDRSTRLEN];
	if (!inet_ntop(m->family == 4 ? AF_INET : AF_INET6, m->addr, tmp, sizeof(tmp)))
		tmp[0] = '\0';
	snprintf(buf, size, "%s", tmp);
}

void lldp_format_id(const struct lldp_id *id, bool chassis, char *buf, size_t size)
{
	bool mac = id->len == 6 &&
		   (chassis ? id->subtype == LLDP_CHASSIS_MAC : id->subtype == LLDP_PORT_MAC);
	if (mac) {
		const uint8_t *a = id->data;
		snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4],
			 a[5]);
		return;
	}
	/* Network address subtype (chassis 5, port 4): family byte, address. */
	bool net = chassis ? id->subtype == 5 : id->subtype == 4;
	if (net && id->len >= 5) {
		struct lldp_mgmt m = {.family = id->data[0] == IANA_IPV4 && id->len == 5    ? 4
						: id->data[0] == IANA_IPV6 && id->len == 17 ? 6
											    : 0};
		if (m.family) {
			memcpy(m.addr, id->data + 1, id->len - 1u);
			lldp_format_mgmt(&m, buf, size);
			return;
		}
	}
	printable(id->data, id->len, buf, size);
}
