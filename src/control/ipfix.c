/* ipfix.c — IPFIX message encoding (see ipfix.h). Each template is one
 * table of (information element, length, what fills it); the template
 * records and the data records are both written from it, so they cannot
 * disagree. Integers are big-endian, reduced-size where RFC 7011 §6.2
 * allows it; timestamps are flowStart/EndMilliseconds (dateTimeMilliseconds). */
#include "ipfix.h"

#include <string.h>

#include "engine/engine.h"
#include "lib/util.h"

enum field_value {
	V_SRC_MAC,
	V_DST_MAC,
	V_ETHERTYPE,
	V_SRC4,
	V_DST4,
	V_SRC6,
	V_DST6,
	V_PROTO,
	V_SPORT,
	V_DPORT,
	V_TCP_FLAGS,
	V_VLAN,
	V_IN,
	V_OUT,
	V_PACKETS,
	V_OCTETS,
	V_L2_OCTETS,
	V_START,
	V_END,
	V_REASON,
	/* options record */
	V_DOMAIN,
	V_SELECTOR,
	V_INTERVAL,
	V_SPACE,
	V_MESSAGES,
	V_RECORDS,
	V_LOST,
	V_IGNORED,
};

struct field {
	uint16_t id;
	uint16_t len;
	enum field_value value;
};

#define L2_TAIL                                                                                    \
	{58, 2, V_VLAN}, {10, 4, V_IN}, {14, 4, V_OUT},                                            \
	{                                                                                          \
		2, 8, V_PACKETS                                                                    \
	}

#define TIME_TAIL                                                                                  \
	{152, 8, V_START}, {153, 8, V_END},                                                        \
	{                                                                                          \
		136, 1, V_REASON                                                                   \
	}

#define IP_TAIL                                                                                    \
	{4, 1, V_PROTO}, {7, 2, V_SPORT}, {11, 2, V_DPORT}, {6, 2, V_TCP_FLAGS}, L2_TAIL,          \
	    {1, 8, V_OCTETS}, {352, 8, V_L2_OCTETS}, TIME_TAIL

static const struct field l2_fields[] = {
    {56, 6, V_SRC_MAC},	   {80, 6, V_DST_MAC}, {256, 2, V_ETHERTYPE}, L2_TAIL,
    {352, 8, V_L2_OCTETS}, TIME_TAIL,
};
static const struct field ipv4_fields[] = {{8, 4, V_SRC4}, {12, 4, V_DST4}, IP_TAIL};
static const struct field ipv6_fields[] = {{27, 16, V_SRC6}, {28, 16, V_DST6}, IP_TAIL};
/* Scope: observationDomainId; then the sampling (RFC 5477: systematic
 * count-based, 1 packet selected, N-1 skipped) and the process's totals. */
static const struct field options_fields[] = {
    {149, 4, V_DOMAIN},	 {304, 2, V_SELECTOR}, {305, 4, V_INTERVAL}, {306, 4, V_SPACE},
    {41, 8, V_MESSAGES}, {42, 8, V_RECORDS},   {167, 8, V_LOST},     {164, 8, V_IGNORED},
};
#define OPTIONS_SCOPE_FIELDS 1

struct template
{
	uint16_t id;
	const struct field *fields;
	uint16_t n;
};

#define N(a) ((uint16_t)(sizeof(a) / sizeof((a)[0])))
static const struct template templates[] = {
    {IPFIX_TEMPLATE_L2, l2_fields, N(l2_fields)},
    {IPFIX_TEMPLATE_IPV4, ipv4_fields, N(ipv4_fields)},
    {IPFIX_TEMPLATE_IPV6, ipv6_fields, N(ipv6_fields)},
};
static const struct template options_template = {IPFIX_TEMPLATE_OPTIONS, options_fields,
						 N(options_fields)};

static size_t record_len(const struct template *t)
{
	size_t len = 0;
	for (uint16_t i = 0; i < t->n; i++)
		len += t->fields[i].len;
	return len;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	store_be32(p, (uint32_t)(v >> 32));
	store_be32(p + 4, (uint32_t)v);
}

static void store_uint(uint8_t *p, uint16_t len, uint64_t v)
{
	switch (len) {
	case 1:
		*p = (uint8_t)v;
		break;
	case 2:
		store_be16(p, (uint16_t)v);
		break;
	case 4:
		store_be32(p, (uint32_t)v);
		break;
	default:
		store_be64(p, v);
	}
}

static uint32_t iface(uint16_t port)
{
	return port == PORT_INDEX_NONE ? IPFIX_IFACE_NONE : port + 1u;
}

static void put_flow_field(uint8_t *p, const struct field *f, const struct ipfix_record *r)
{
	const struct ipfix_flow_key *k = &r->key;
	switch (f->value) {
	case V_SRC_MAC:
		memcpy(p, k->src_mac, 6);
		return;
	case V_DST_MAC:
		memcpy(p, k->dst_mac, 6);
		return;
	case V_SRC4:
	case V_SRC6:
		memcpy(p, k->src, f->len);
		return;
	case V_DST4:
	case V_DST6:
		memcpy(p, k->dst, f->len);
		return;
	default:
		break;
	}
	uint64_t v = 0;
	switch (f->value) {
	case V_ETHERTYPE:
		v = k->ethertype;
		break;
	case V_PROTO:
		v = k->proto;
		break;
	case V_SPORT:
		v = k->sport;
		break;
	case V_DPORT:
		v = k->dport;
		break;
	case V_TCP_FLAGS:
		v = r->tcp_flags;
		break;
	case V_VLAN:
		v = k->vid;
		break;
	case V_IN:
		v = iface(k->in_port);
		break;
	case V_OUT:
		v = iface(k->out_port);
		break;
	case V_PACKETS:
		v = r->packets;
		break;
	case V_OCTETS:
		v = r->octets;
		break;
	case V_L2_OCTETS:
		v = r->l2_octets;
		break;
	case V_START:
		v = r->start_ms;
		break;
	case V_END:
		v = r->end_ms;
		break;
	case V_REASON:
		v = r->end_reason;
		break;
	default:
		break;
	}
	store_uint(p, f->len, v);
}

static uint64_t options_value(enum field_value value, const struct ipfix_process_stats *s)
{
	switch (value) {
	case V_DOMAIN:
		return s->observation_domain;
	case V_SELECTOR:
		return 1; /* systematic count-based sampling */
	case V_INTERVAL:
		return 1;
	case V_SPACE:
		return s->sampling ? s->sampling - 1 : 0;
	case V_MESSAGES:
		return s->messages;
	case V_RECORDS:
		return s->records;
	case V_LOST:
		return s->lost;
	case V_IGNORED:
		return s->ignored;
	default:
		return 0;
	}
}

static void close_set(struct ipfix_message *m)
{
	if (m->set_start)
		store_be16(m->buf + m->set_start + 2, (uint16_t)(m->len - m->set_start));
	m->set_start = 0;
	m->set_id = 0;
}

/* Makes `id` the open set, if `need` more bytes fit with its header. */
static bool open_set(struct ipfix_message *m, uint16_t id, size_t need)
{
	if (m->set_start && m->set_id == id)
		return m->len + need <= IPFIX_MAX_MESSAGE;
	if (m->len + IPFIX_SET_HEADER_LEN + need > IPFIX_MAX_MESSAGE)
		return false;
	close_set(m);
	m->set_start = m->len;
	m->set_id = id;
	store_be16(m->buf + m->len, id);
	m->len += IPFIX_SET_HEADER_LEN;
	return true;
}

void ipfix_message_begin(struct ipfix_message *m, uint8_t *buf)
{
	*m = (struct ipfix_message){.buf = buf, .len = IPFIX_HEADER_LEN};
}

static void put_template(struct ipfix_message *m, const struct template *t, bool options)
{
	uint8_t *p = m->buf + m->len;
	store_be16(p, t->id);
	store_be16(p + 2, t->n);
	p += 4;
	if (options) {
		store_be16(p, OPTIONS_SCOPE_FIELDS);
		p += 2;
	}
	for (uint16_t i = 0; i < t->n; i++, p += 4) {
		store_be16(p, t->fields[i].id);
		store_be16(p + 2, t->fields[i].len);
	}
	m->len = (size_t)(p - m->buf);
}

void ipfix_message_add_templates(struct ipfix_message *m)
{
	/* Some 250 bytes: always fits a fresh message. */
	open_set(m, IPFIX_TEMPLATE_SET_ID, 0);
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		put_template(m, &templates[i], false);
	open_set(m, IPFIX_OPTIONS_TEMPLATE_SET_ID, 0);
	put_template(m, &options_template, true);
	close_set(m);
}

bool ipfix_message_add_options(struct ipfix_message *m, const struct ipfix_process_stats *s)
{
	size_t len = record_len(&options_template);
	if (!open_set(m, IPFIX_TEMPLATE_OPTIONS, len))
		return false;
	for (uint16_t i = 0; i < options_template.n; i++) {
		const struct field *f = &options_fields[i];
		store_uint(m->buf + m->len, f->len, options_value(f->value, s));
		m->len += f->len;
	}
	m->data_records++;
	return true;
}

bool ipfix_message_add_record(struct ipfix_message *m, const struct ipfix_record *r)
{
	const struct template *t = &templates[r->key.family == 4 ? 1 : r->key.family == 6 ? 2 : 0];
	if (!open_set(m, t->id, record_len(t)))
		return false;
	for (uint16_t i = 0; i < t->n; i++) {
		put_flow_field(m->buf + m->len, &t->fields[i], r);
		m->len += t->fields[i].len;
	}
	m->data_records++;
	return true;
}

size_t ipfix_message_finish(struct ipfix_message *m, uint32_t export_time, uint32_t sequence,
			    uint32_t observation_domain)
{
	close_set(m);
	store_be16(m->buf, IPFIX_VERSION);
	store_be16(m->buf + 2, (uint16_t)m->len);
	store_be32(m->buf + 4, export_time);
	store_be32(m->buf + 8, sequence);
	store_be32(m->buf + 12, observation_domain);
	return m->len;
}
