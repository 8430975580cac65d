/* security_config.c — port-security settings as text (see the header).
 * A pair is written MAC[,IP[/LEN]...]: the MAC the port may send from and
 * the addresses it may use with it (none listed = any). Policies are
 * accept|reject|default, `trusted` on|off|default; only what differs from
 * the default is printed, so running-config stays short and reloads to
 * the same model. */
#include "security_config.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lib/frame.h"

static const char *const policy_names[] = {"default", "accept", "reject"};
static const char *const trust_names[] = {"default", "on", "off"};

bool config_is_security_setting(const char *key)
{
	return !strcmp(key, "mac") || !strcmp(key, "allowed-addresses") ||
	       !strcmp(key, "promiscuous") || !strcmp(key, "mac-changes") ||
	       !strcmp(key, "forged-transmits") || !strcmp(key, "trusted");
}

static int parse_prefix(const char *what, const char *text, struct port_security_prefix *p,
			char *err, size_t err_size)
{
	memset(p, 0, sizeof(*p));
	if (config_parse_prefix(what, text, p->addr, &p->family, &p->len, err, err_size))
		return -EINVAL;
	for (unsigned bit = p->len; bit < (p->family == 4 ? 32u : 128u); bit++)
		if (p->addr[bit / 8] & (0x80u >> (bit % 8))) {
			snprintf(err, err_size,
				 "%s '%s' has bits set after the prefix length: write one address "
				 "without /LEN, or the network",
				 what, text);
			return -EINVAL;
		}
	return 0;
}

/* "MAC[,IP[/LEN]...]" */
static int parse_pair(const char *what, const char *text, struct port_security_pair *pair,
		      char *err, size_t err_size)
{
	char mac[18];
	const char *comma = strchr(text, ',');
	size_t n = comma ? (size_t)(comma - text) : strlen(text);
	memset(pair, 0, sizeof(*pair));
	memcpy(mac, text, n < sizeof(mac) ? n : sizeof(mac) - 1);
	mac[n < sizeof(mac) ? n : sizeof(mac) - 1] = '\0';
	if (n >= sizeof(mac) || mac_parse(mac, pair->mac) || mac_is_group(pair->mac) ||
	    mac_is_zero(pair->mac)) {
		snprintf(err, err_size, "%s '%s' must start with a unicast MAC (MAC[,IP/LEN...])",
			 what, text);
		return -EINVAL;
	}
	while (comma) {
		const char *item = comma + 1;
		comma = strchr(item, ',');
		char addr[64];
		size_t len = comma ? (size_t)(comma - item) : strlen(item);
		if (pair->n_addrs == PORT_SECURITY_MAX_ADDRS || len >= sizeof(addr)) {
			snprintf(err, err_size, "%s '%s': at most %d addresses per MAC", what, text,
				 PORT_SECURITY_MAX_ADDRS);
			return -E2BIG;
		}
		memcpy(addr, item, len);
		addr[len] = '\0';
		if (parse_prefix(what, addr, &pair->addrs[pair->n_addrs++], err, err_size))
			return -EINVAL;
	}
	return 0;
}

static bool is_pair_word(const char *word)
{
	return strchr(word, ':') && !strchr(word, '=');
}

/* pairs[first ..] become the words from argv[*i] on. */
static int parse_pairs(struct port_security *s, unsigned first, const char *what, int argc,
		       char **argv, int *i, char *err, size_t err_size)
{
	struct port_security_pair pairs[PORT_SECURITY_MAX_PAIRS];
	unsigned n = 0;
	if (strcmp(argv[*i], "none")) {
		for (;; ++*i) {
			if (n == PORT_SECURITY_MAX_PAIRS) {
				snprintf(err, err_size, "%s: at most %d pairs", what,
					 PORT_SECURITY_MAX_PAIRS);
				return -E2BIG;
			}
			if (parse_pair(what, argv[*i], &pairs[n++], err, err_size))
				return -EINVAL;
			if (*i + 1 >= argc || !is_pair_word(argv[*i + 1]))
				break;
		}
	}
	memcpy(&s->pairs[first], pairs, n * sizeof(pairs[0]));
	s->n_pairs = (uint8_t)(first + n);
	return 0;
}

static int parse_bound_mac(struct port_security *s, const char *what, const char *value, char *err,
			   size_t err_size)
{
	struct port_security_pair pair;
	if (!strcmp(value, "none")) {
		if (s->has_mac)
			memmove(&s->pairs[0], &s->pairs[1], --s->n_pairs * sizeof(pair));
		s->has_mac = false;
		return 0;
	}
	if (parse_pair(what, value, &pair, err, err_size))
		return -EINVAL;
	if (!s->has_mac) {
		memmove(&s->pairs[1], &s->pairs[0], s->n_pairs++ * sizeof(pair));
		s->has_mac = true;
	}
	s->pairs[0] = pair;
	return 0;
}

static int parse_word(const char *what, const char *value, const char *const names[3], uint8_t *out,
		      char *err, size_t err_size)
{
	for (uint8_t k = 0; k < 3; k++)
		if (!strcmp(value, names[k])) {
			*out = k;
			return 0;
		}
	snprintf(err, err_size, "%s '%s' must be %s, %s or %s", what, value, names[1], names[2],
		 names[0]);
	return -EINVAL;
}

int config_parse_security_setting(struct port_security *s, const char *what, const char *key,
				  int argc, char **argv, int *i, char *err, size_t err_size)
{
	const char *value = argv[*i];
	int error;
	if (!strcmp(key, "mac"))
		error = parse_bound_mac(s, what, value, err, err_size);
	else if (!strcmp(key, "allowed-addresses"))
		error = parse_pairs(s, s->has_mac, what, argc, argv, i, err, err_size);
	else if (!strcmp(key, "promiscuous"))
		error = parse_word(what, value, policy_names, &s->promiscuous, err, err_size);
	else if (!strcmp(key, "mac-changes"))
		error = parse_word(what, value, policy_names, &s->mac_changes, err, err_size);
	else if (!strcmp(key, "forged-transmits"))
		error = parse_word(what, value, policy_names, &s->forged_transmits, err, err_size);
	else
		error = parse_word(what, value, trust_names, &s->trusted, err, err_size);
	port_security_update(s);
	return error;
}

static bool pair_equal(const struct port_security_pair *a, const struct port_security_pair *b)
{
	if (memcmp(a->mac, b->mac, 6) || a->n_addrs != b->n_addrs)
		return false;
	for (unsigned i = 0; i < a->n_addrs; i++)
		if (a->addrs[i].family != b->addrs[i].family ||
		    a->addrs[i].len != b->addrs[i].len ||
		    memcmp(a->addrs[i].addr, b->addrs[i].addr, 16))
			return false;
	return true;
}

bool config_security_equal(const struct port_security *a, const struct port_security *b)
{
	if (a->has_mac != b->has_mac || a->n_pairs != b->n_pairs ||
	    a->promiscuous != b->promiscuous || a->mac_changes != b->mac_changes ||
	    a->forged_transmits != b->forged_transmits || a->trusted != b->trusted)
		return false;
	for (unsigned i = 0; i < a->n_pairs; i++)
		if (!pair_equal(&a->pairs[i], &b->pairs[i]))
			return false;
	return true;
}

/* "52:54:00:00:00:01,10.0.0.5,fd00::/64"; a host address without /LEN. */
static char *format_pair(const struct port_security_pair *pair, char *buf, size_t size)
{
	char text[18];
	size_t used = (size_t)snprintf(buf, size, "%s", mac_format(pair->mac, text));
	for (unsigned i = 0; i < pair->n_addrs && used < size; i++) {
		const struct port_security_prefix *p = &pair->addrs[i];
		char addr[INET6_ADDRSTRLEN];
		inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, addr, sizeof(addr));
		if (p->len == (p->family == 4 ? 32 : 128))
			used += (size_t)snprintf(buf + used, size - used, ",%s", addr);
		else
			used += (size_t)snprintf(buf + used, size - used, ",%s/%u", addr, p->len);
	}
	return buf;
}

#define PAIR_TEXT_MAX (18 + PORT_SECURITY_MAX_ADDRS * (INET6_ADDRSTRLEN + 5))

void config_print_security(const struct port_security *s, FILE *out)
{
	char buf[PAIR_TEXT_MAX];
	if (s->has_mac)
		fprintf(out, " mac %s", format_pair(&s->pairs[0], buf, sizeof(buf)));
	if (s->n_pairs > s->has_mac)
		fputs(" allowed-addresses", out);
	for (unsigned i = s->has_mac; i < s->n_pairs; i++)
		fprintf(out, " %s", format_pair(&s->pairs[i], buf, sizeof(buf)));
	if (s->promiscuous)
		fprintf(out, " promiscuous %s", policy_names[s->promiscuous]);
	if (s->mac_changes)
		fprintf(out, " mac-changes %s", policy_names[s->mac_changes]);
	if (s->forged_transmits)
		fprintf(out, " forged-transmits %s", policy_names[s->forged_transmits]);
	if (s->trusted)
		fprintf(out, " trusted %s", trust_names[s->trusted]);
}

static const char *verdict(bool reject)
{
	return reject ? "reject" : "accept";
}

void show_security_text(FILE *out, const struct bridge_port *p)
{
	const struct port_security *s = &p->config.security;
	struct port_security_rules r;
	char buf[PAIR_TEXT_MAX];
	if (!s->enabled)
		return;
	port_security_resolve(s, p->config.uplink, &r);
	fprintf(out, "  security%s: mac %s", p->config.uplink ? " (not applied: uplink)" : "",
		s->has_mac ? format_pair(&s->pairs[0], buf, sizeof(buf)) : "none");
	for (unsigned i = s->has_mac; i < s->n_pairs; i++)
		fprintf(out, "%s%s", i == s->has_mac ? ", allowed " : " ",
			format_pair(&s->pairs[i], buf, sizeof(buf)));
	fprintf(out,
		"\n  forged-transmits %s, mac-changes %s, promiscuous %s, trusted %s (DHCP/RA "
		"guard %s)\n",
		verdict(r.check_source), verdict(r.mac_change_reject), verdict(r.promisc_reject),
		r.guard ? "off" : "on", r.guard ? "on" : "off");
}

void show_security_json(struct cJSON *port, const struct bridge_port *p)
{
	const struct port_security *s = &p->config.security;
	struct port_security_rules r;
	char buf[PAIR_TEXT_MAX];
	port_security_resolve(s, p->config.uplink, &r);
	cJSON *o = cJSON_AddObjectToObject(port, "security");
	if (s->has_mac)
		cJSON_AddStringToObject(o, "mac", format_pair(&s->pairs[0], buf, sizeof(buf)));
	else
		cJSON_AddNullToObject(o, "mac");
	cJSON *pairs = cJSON_AddArrayToObject(o, "allowed_addresses");
	for (unsigned i = s->has_mac; i < s->n_pairs; i++)
		cJSON_AddItemToArray(
		    pairs, cJSON_CreateString(format_pair(&s->pairs[i], buf, sizeof(buf))));
	cJSON_AddStringToObject(o, "forged_transmits", verdict(r.check_source));
	cJSON_AddStringToObject(o, "mac_changes", verdict(r.mac_change_reject));
	cJSON_AddStringToObject(o, "promiscuous", verdict(r.promisc_reject));
	cJSON_AddBoolToObject(o, "trusted", !r.guard);
}
