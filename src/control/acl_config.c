/* acl_config.c — security groups in the desired-state model: the rules
 * (`acl add GROUP ...`, a collection of their own), a port's groups and
 * connection-table size (`port set NAME security-group G1,G2 conntrack-max
 * N`), their checks, equality, running-config lines, and the compiled form
 * the apply installs (acl_config_build_port: on the control thread).
 *
 * A group exists while it has rules; a port may name a group that has
 * none, which then allows nothing (whitelist semantics). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- a rule's words ----------------------------------------------------- */

static int parse_proto(const char *what, const char *value, struct acl_rule_spec *r, char *err,
		       size_t n)
{
	static const struct {
		const char *name;
		int proto;
	} names[] = {{"any", ACL_PROTO_ANY},
		     {"tcp", FLOW_IPPROTO_TCP},
		     {"udp", FLOW_IPPROTO_UDP},
		     {"icmp", FLOW_IPPROTO_ICMP},
		     {"icmpv6", FLOW_IPPROTO_ICMPV6}};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(value, names[i].name)) {
			r->proto = (int16_t)names[i].proto;
			return 0;
		}
	unsigned long v;
	if (config_parse_uint(what, value, 0, 255, &v, err, n)) {
		snprintf(err, n, "%s '%s' must be tcp, udp, icmp, icmpv6, any or 0-255", what,
			 value);
		return -EINVAL;
	}
	r->proto = (int16_t)v;
	return 0;
}

static int parse_ports(const char *what, const char *value, struct acl_rule_spec *r, char *err,
		       size_t n)
{
	char lo[16], *dash;
	unsigned long a, b;
	if (strlen(value) >= sizeof(lo))
		goto bad;
	strcpy(lo, value);
	dash = strchr(lo, '-');
	if (dash)
		*dash = '\0';
	if (config_parse_uint(what, lo, 0, 65535, &a, err, n) ||
	    config_parse_uint(what, dash ? dash + 1 : lo, 0, 65535, &b, err, n) || a > b)
		goto bad;
	r->port_lo = (uint16_t)a;
	r->port_hi = (uint16_t)b;
	return 0;
bad:
	snprintf(err, n, "%s '%s' must be PORT or LOW-HIGH within 0-65535", what, value);
	return -EINVAL;
}

/* "10.0.0.0/8", "fd00::/64", or an address alone (a host). Host bits are
 * cleared: the rule matches the network. */
static int parse_cidr(const char *what, const char *value, struct acl_rule_spec *r, char *err,
		      size_t n)
{
	uint8_t family, plen;
	if (config_parse_prefix(what, value, r->remote, &family, &plen, err, n))
		goto bad;
	for (unsigned b = plen; b < 128; b++)
		r->remote[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
	r->remote_len = plen;
	if (r->family && r->family != family) {
		snprintf(err, n, "%s '%s' is not an %s prefix like the rule's ethertype", what,
			 value, r->family == 4 ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	r->family = family;
	return 0;
bad:
	snprintf(err, n, "%s '%s' must be an IPv4 or IPv6 prefix (A.B.C.D/LEN, X:X::/LEN)", what,
		 value);
	return -EINVAL;
}

static int parse_ethertype(const char *what, const char *value, struct acl_rule_spec *r, char *err,
			   size_t n)
{
	uint8_t family = !strcmp(value, "ipv4") ? 4 : !strcmp(value, "ipv6") ? 6 : 0;
	if (!family && strcmp(value, "any")) {
		snprintf(err, n, "%s '%s' must be ipv4, ipv6 or any", what, value);
		return -EINVAL;
	}
	r->family = family;
	return 0;
}

/* The combinations a rule may not hold, checked once all words are read. */
static int check_rule(const char *group, const struct acl_rule_spec *r, bool has_direction,
		      char *err, size_t n)
{
	bool full = r->port_lo == 0 && r->port_hi == 65535;
	if (!has_direction) {
		snprintf(err, n, "acl %s: a rule needs 'direction ingress|egress'", group);
		return -EINVAL;
	}
	if (!full && r->proto != FLOW_IPPROTO_TCP && r->proto != FLOW_IPPROTO_UDP) {
		snprintf(err, n, "acl %s: 'port' needs 'proto tcp' or 'proto udp'", group);
		return -EINVAL;
	}
	if ((r->proto == FLOW_IPPROTO_ICMP && r->family == 6) ||
	    (r->proto == FLOW_IPPROTO_ICMPV6 && r->family == 4)) {
		snprintf(err, n, "acl %s: icmp is IPv4's and icmpv6 IPv6's", group);
		return -EINVAL;
	}
	if (r->remote_len && r->family == 0) {
		snprintf(err, n, "acl %s: a remote prefix needs its family", group);
		return -EINVAL;
	}
	return 0;
}

int config_parse_acl_rule(const char *group, int argc, char **argv, struct acl_rule_spec *r,
			  char *err, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->priority = ACL_DEFAULT_PRIORITY;
	r->proto = ACL_PROTO_ANY;
	r->port_hi = 65535;
	bool has_direction = false;
	char what[96];
	for (int i = 0; i < argc; i += 2) {
		const char *key = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (!value) {
			snprintf(err, n, "acl %s: '%s' needs a value", group, key);
			return -EINVAL;
		}
		snprintf(what, sizeof(what), "acl %s: %s", group, key);
		unsigned long v;
		int error = 0;
		if (!strcmp(key, "id")) {
			error = config_parse_uint(what, value, 1, UINT32_MAX - 1, &v, err, n);
			r->id = (uint32_t)v;
		} else if (!strcmp(key, "priority")) {
			error = config_parse_uint(what, value, 0, ACL_PRIORITY_MAX, &v, err, n);
			r->priority = (uint32_t)v;
		} else if (!strcmp(key, "direction")) {
			has_direction = true;
			if (!strcmp(value, "ingress"))
				r->direction = ACL_INGRESS;
			else if (!strcmp(value, "egress"))
				r->direction = ACL_EGRESS;
			else {
				snprintf(err, n, "%s '%s' must be ingress (to the VM) or egress",
					 what, value);
				error = -EINVAL;
			}
		} else if (!strcmp(key, "ethertype")) {
			error = parse_ethertype(what, value, r, err, n);
		} else if (!strcmp(key, "proto")) {
			error = parse_proto(what, value, r, err, n);
		} else if (!strcmp(key, "port")) {
			error = parse_ports(what, value, r, err, n);
		} else if (!strcmp(key, "remote")) {
			error = parse_cidr(what, value, r, err, n);
		} else if (!strcmp(key, "action")) {
			if (strcmp(value, "allow")) {
				snprintf(err, n,
					 "%s '%s': security groups only allow (what no rule "
					 "allows is dropped)",
					 what, value);
				error = -EINVAL;
			}
		} else {
			snprintf(err, n,
				 "acl %s: unknown word '%s' (rule words: id, priority, direction, "
				 "ethertype, proto, port, remote, action)",
				 group, key);
			error = -EINVAL;
		}
		if (error)
			return -EINVAL;
	}
	if (r->proto == FLOW_IPPROTO_ICMP && !r->family)
		r->family = 4;
	if (r->proto == FLOW_IPPROTO_ICMPV6 && !r->family)
		r->family = 6;
	return check_rule(group, r, has_direction, err, n);
}

/* ---- the collection ----------------------------------------------------- */

struct acl_rule_config *config_find_acl_rule(const struct config *cfg, const char *group,
					     uint32_t id)
{
	for (size_t i = 0; i < cfg->n_acl_rules; i++)
		if (cfg->acl_rules[i].spec.id == id && !strcmp(cfg->acl_rules[i].group, group))
			return &cfg->acl_rules[i];
	return NULL;
}

uint32_t config_acl_next_id(const struct config *cfg, const char *group)
{
	uint32_t max = 0;
	for (size_t i = 0; i < cfg->n_acl_rules; i++)
		if (!strcmp(cfg->acl_rules[i].group, group) && cfg->acl_rules[i].spec.id > max)
			max = cfg->acl_rules[i].spec.id;
	return max + 1;
}

/* Removes the rules of `group` with `id` (0: all); returns how many. */
size_t config_del_acl_rules(struct config *cfg, const char *group, uint32_t id)
{
	size_t kept = 0, n = cfg->n_acl_rules;
	for (size_t i = 0; i < n; i++) {
		const struct acl_rule_config *r = &cfg->acl_rules[i];
		if (!strcmp(r->group, group) && (!id || r->spec.id == id))
			continue;
		cfg->acl_rules[kept++] = *r;
	}
	cfg->n_acl_rules = kept;
	return n - kept;
}

int config_check_acls(const struct config *cfg, char *err, size_t n)
{
	if (cfg->n_acl_rules > ACL_MAX_RULES) {
		snprintf(err, n, "acl: %zu rules, at most %d", cfg->n_acl_rules, ACL_MAX_RULES);
		return -E2BIG;
	}
	return 0;
}

static bool spec_equal(const struct acl_rule_spec *a, const struct acl_rule_spec *b)
{
	return a->id == b->id && a->priority == b->priority && a->direction == b->direction &&
	       a->family == b->family && a->proto == b->proto && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi && a->remote_len == b->remote_len &&
	       !memcmp(a->remote, b->remote, sizeof(a->remote));
}

/* Rules in order: the same rules added in another order are another model
 * only in their counting order, so order matters for equality too. */
static bool group_rules_equal(const struct config *a, const struct config *b, const char *group)
{
	size_t i = 0, j = 0;
	for (;;) {
		while (i < a->n_acl_rules && strcmp(a->acl_rules[i].group, group))
			i++;
		while (j < b->n_acl_rules && strcmp(b->acl_rules[j].group, group))
			j++;
		if (i == a->n_acl_rules || j == b->n_acl_rules)
			return i == a->n_acl_rules && j == b->n_acl_rules;
		if (!spec_equal(&a->acl_rules[i].spec, &b->acl_rules[j].spec))
			return false;
		i++, j++;
	}
}

bool config_acls_equal(const struct config *a, const struct config *b)
{
	if (a->n_acl_rules != b->n_acl_rules)
		return false;
	for (size_t i = 0; i < a->n_acl_rules; i++) {
		const struct acl_rule_config *r = &a->acl_rules[i];
		if (!spec_equal(&r->spec, &b->acl_rules[i].spec) ||
		    strcmp(r->group, b->acl_rules[i].group))
			return false;
	}
	return true;
}

void config_format_acl_rule(const struct acl_rule_spec *r, char *buf, size_t size)
{
	int len = snprintf(buf, size, "priority %u direction %s", r->priority,
			   r->direction == ACL_INGRESS ? "ingress" : "egress");
	char addr[INET6_ADDRSTRLEN];
	if (r->family && (size_t)len < size)
		len += snprintf(buf + len, size - (size_t)len, " ethertype ipv%u", r->family);
	if (r->proto != ACL_PROTO_ANY && (size_t)len < size) {
		const char *name = r->proto == FLOW_IPPROTO_TCP	     ? "tcp"
				   : r->proto == FLOW_IPPROTO_UDP    ? "udp"
				   : r->proto == FLOW_IPPROTO_ICMP   ? "icmp"
				   : r->proto == FLOW_IPPROTO_ICMPV6 ? "icmpv6"
								     : NULL;
		len += name ? snprintf(buf + len, size - (size_t)len, " proto %s", name)
			    : snprintf(buf + len, size - (size_t)len, " proto %d", r->proto);
	}
	if ((r->port_lo || r->port_hi != 65535) && (size_t)len < size)
		len += r->port_lo == r->port_hi
			   ? snprintf(buf + len, size - (size_t)len, " port %u", r->port_lo)
			   : snprintf(buf + len, size - (size_t)len, " port %u-%u", r->port_lo,
				      r->port_hi);
	if (r->remote_len && (size_t)len < size) {
		inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->remote, addr, sizeof(addr));
		snprintf(buf + len, size - (size_t)len, " remote %s/%u", addr, r->remote_len);
	}
}

void config_print_acls(const struct config *cfg, FILE *out)
{
	char text[256];
	for (size_t i = 0; i < cfg->n_acl_rules; i++) {
		const struct acl_rule_config *r = &cfg->acl_rules[i];
		config_format_acl_rule(&r->spec, text, sizeof(text));
		fprintf(out, "acl add %s id %u %s\n", r->group, r->spec.id, text);
	}
}

/* ---- a port's setting --------------------------------------------------- */

static int parse_groups(const char *port, const char *value, struct port_acl_config *acl, char *err,
			size_t n)
{
	struct port_acl_config parsed = *acl;
	parsed.n_groups = 0;
	memset(parsed.groups, 0, sizeof(parsed.groups));
	if (strcmp(value, "none")) {
		char copy[ACL_PORT_GROUPS * ACL_GROUP_MAX + ACL_PORT_GROUPS + 1];
		if (strlen(value) >= sizeof(copy)) {
			snprintf(err, n, "port %s: security-group list too long", port);
			return -EINVAL;
		}
		strcpy(copy, value);
		char *save = NULL;
		for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
			if (parsed.n_groups == ACL_PORT_GROUPS) {
				snprintf(err, n, "port %s: at most %d security groups", port,
					 ACL_PORT_GROUPS);
				return -EINVAL;
			}
			if (command_check_name("security group", g, ACL_GROUP_MAX, err, n))
				return -EINVAL;
			for (unsigned i = 0; i < parsed.n_groups; i++)
				if (!strcmp(parsed.groups[i], g)) {
					snprintf(err, n, "port %s: security group %s listed twice",
						 port, g);
					return -EINVAL;
				}
			copy_name(parsed.groups[parsed.n_groups++], ACL_GROUP_MAX, g);
		}
		if (!parsed.n_groups) {
			snprintf(err, n, "port %s: security-group needs G1[,G2...] or none", port);
			return -EINVAL;
		}
	}
	*acl = parsed;
	return 0;
}

int config_parse_acl_port_setting(const char *port, const char *key, const char *value,
				  struct port_acl_config *acl, char *err, size_t n)
{
	if (!strcmp(key, "security-group"))
		return parse_groups(port, value, acl, err, n);
	char what[96];
	unsigned long v;
	snprintf(what, sizeof(what), "port %s: conntrack-max", port);
	if (config_parse_uint(what, value, 1, CONNTRACK_MAX_MAX, &v, err, n))
		return -EINVAL;
	acl->conntrack_max = (uint32_t)v;
	return 0;
}

bool config_acl_port_equal(const struct port_acl_config *a, const struct port_acl_config *b)
{
	if (a->n_groups != b->n_groups || a->conntrack_max != b->conntrack_max)
		return false;
	for (unsigned i = 0; i < a->n_groups; i++)
		if (strcmp(a->groups[i], b->groups[i]))
			return false;
	return true;
}

void config_print_acl_port(const struct port_acl_config *a, FILE *out)
{
	for (unsigned i = 0; i < a->n_groups; i++)
		fprintf(out, "%s%s", i ? "," : " security-group ", a->groups[i]);
	if (a->conntrack_max)
		fprintf(out, " conntrack-max %u", a->conntrack_max);
}

/* ---- what the apply installs -------------------------------------------- */

static bool port_has_group(const struct port_acl_config *a, const char *group)
{
	for (unsigned i = 0; i < a->n_groups; i++)
		if (!strcmp(a->groups[i], group))
			return true;
	return false;
}

bool config_acl_port_unchanged(const struct config *have, const struct config *want,
			       const struct config_port *old, const struct config_port *p)
{
	if (!config_acl_port_equal(&old->settings.acl, &p->settings.acl))
		return false;
	for (unsigned i = 0; i < p->settings.acl.n_groups; i++)
		if (!group_rules_equal(have, want, p->settings.acl.groups[i]))
			return false;
	return true;
}

struct acl_port *config_acl_build_port(const struct config *cfg, const struct config_port *p)
{
	const struct port_acl_config *a = &p->settings.acl;
	struct acl_rule *rules = calloc(cfg->n_acl_rules + 1, sizeof(*rules));
	struct acl_port *acl = calloc(1, sizeof(*acl));
	if (!rules || !acl)
		goto fail;
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_acl_rules; i++) {
		const struct acl_rule_config *r = &cfg->acl_rules[i];
		if (!port_has_group(a, r->group))
			continue;
		rules[n].spec = r->spec;
		copy_name(rules[n++].group, ACL_GROUP_MAX, r->group);
	}
	acl->cls[ACL_EGRESS] = acl_compile(rules, n, ACL_EGRESS);
	acl->cls[ACL_INGRESS] = acl_compile(rules, n, ACL_INGRESS);
	acl->ct = conntrack_create(a->conntrack_max ? a->conntrack_max : CONNTRACK_DEFAULT_MAX);
	if (!acl->cls[0] || !acl->cls[1] || !acl->ct)
		goto fail;
	free(rules);
	return acl;
fail:
	free(rules);
	acl_port_destroy(acl);
	return NULL;
}

void config_acl_install(struct bridge_port *live, struct acl_port *acl, struct acl_port **old)
{
	*old = live->acl;
	/* Open connections stay open across a change of rules (as Neutron's
	 * do); a new conntrack-max starts an empty table. */
	if (acl && *old && acl->ct->max == (*old)->ct->max) {
		struct conntrack *keep = (*old)->ct;
		(*old)->ct = acl->ct;
		acl->ct = keep;
	}
	live->acl = acl;
}
