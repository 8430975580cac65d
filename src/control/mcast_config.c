/* mcast_config.c — IGMP/MLD snooping's settings (engine/mcast_snoop.h):
 * the switch's `mcast-*` settings and the port's `mcast-router`, parsed,
 * compared, printed in the running config and shown by `port show`, each
 * through one call from config.c and show.c. */
#include "config.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

static const char *const router_names[] = {
    [MCAST_ROUTER_AUTO] = "auto",
    [MCAST_ROUTER_YES] = "yes",
    [MCAST_ROUTER_NO] = "no",
};

static int parse_seconds(const char *what, const char *value, uint32_t *out, char *err,
			 size_t err_size)
{
	unsigned long v;
	if (config_parse_uint(what, value, 1, 86400, &v, err, err_size))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_address6(const char *what, const char *value, uint8_t out[16], char *err,
			  size_t err_size)
{
	uint8_t a[16];
	if (!strcmp(value, "none")) {
		memset(out, 0, 16);
		return 0;
	}
	if (inet_pton(AF_INET6, value, a) != 1 || a[0] != 0xfe || (a[1] & 0xc0) != 0x80) {
		snprintf(err, err_size,
			 "%s '%s' must be a link-local IPv6 address (fe80::/10) or none", what,
			 value);
		return -EINVAL;
	}
	memcpy(out, a, 16);
	return 0;
}

int config_parse_mcast_setting(const char *what, const char *key, const char *value,
			       struct mcast_config *c, char *err, size_t err_size)
{
	unsigned long v;
	if (!strcmp(key, "mcast-snooping"))
		return config_parse_bool(what, value, &c->enabled, err, err_size);
	if (!strcmp(key, "mcast-flood-unknown"))
		return config_parse_bool(what, value, &c->flood_unknown, err, err_size);
	if (!strcmp(key, "mcast-fast-leave"))
		return config_parse_bool(what, value, &c->fast_leave, err, err_size);
	if (!strcmp(key, "mcast-max-groups")) {
		if (config_parse_uint(what, value, 1, MCAST_MAX_GROUPS, &v, err, err_size))
			return -EINVAL;
		c->max_groups = (uint32_t)v;
		return 0;
	}
	if (!strcmp(key, "mcast-max-port-groups")) {
		if (config_parse_uint(what, value, 0, MCAST_MAX_GROUPS, &v, err, err_size))
			return -EINVAL;
		c->max_port_groups = (uint32_t)v;
		return 0;
	}
	if (!strcmp(key, "mcast-membership-interval"))
		return parse_seconds(what, value, &c->membership_interval, err, err_size);
	if (!strcmp(key, "mcast-router-timeout"))
		return parse_seconds(what, value, &c->router_timeout, err, err_size);
	if (!strcmp(key, "mcast-query-interval"))
		return parse_seconds(what, value, &c->query_interval, err, err_size);
	if (!strcmp(key, "mcast-querier")) {
		if (!strcmp(value, "none")) {
			memset(c->querier_vids, 0, sizeof(c->querier_vids));
			return 0;
		}
		return config_parse_vids(value, c->querier_vids, err, err_size);
	}
	if (!strcmp(key, "mcast-querier-address")) {
		struct in_addr a;
		if (inet_pton(AF_INET, value, &a) != 1) {
			snprintf(err, err_size, "%s '%s' is not an IPv4 address", what, value);
			return -EINVAL;
		}
		c->querier_address = ntohl(a.s_addr);
		return 0;
	}
	if (!strcmp(key, "mcast-querier-address6"))
		return parse_address6(what, value, c->querier_address6, err, err_size);
	snprintf(err, err_size,
		 "%s: unknown setting (mcast settings: mcast-snooping, mcast-flood-unknown, "
		 "mcast-fast-leave, mcast-max-groups, mcast-max-port-groups, "
		 "mcast-membership-interval, mcast-router-timeout, mcast-query-interval, "
		 "mcast-querier, mcast-querier-address, mcast-querier-address6)",
		 what);
	return -EINVAL;
}

bool config_mcast_equal(const struct mcast_config *a, const struct mcast_config *b)
{
	return a->enabled == b->enabled && a->flood_unknown == b->flood_unknown &&
	       a->fast_leave == b->fast_leave && a->max_groups == b->max_groups &&
	       a->max_port_groups == b->max_port_groups &&
	       a->membership_interval == b->membership_interval &&
	       a->router_timeout == b->router_timeout && a->query_interval == b->query_interval &&
	       !memcmp(a->querier_vids, b->querier_vids, sizeof(a->querier_vids)) &&
	       a->querier_address == b->querier_address &&
	       !memcmp(a->querier_address6, b->querier_address6, 16);
}

static const char *on_off(bool b)
{
	return b ? "on" : "off";
}

void config_print_mcast(const struct mcast_config *c, FILE *out)
{
	struct mcast_config d;
	mcast_config_init(&d);
	if (c->enabled != d.enabled)
		fprintf(out, " mcast-snooping %s", on_off(c->enabled));
	if (c->flood_unknown != d.flood_unknown)
		fprintf(out, " mcast-flood-unknown %s", on_off(c->flood_unknown));
	if (c->fast_leave != d.fast_leave)
		fprintf(out, " mcast-fast-leave %s", on_off(c->fast_leave));
	if (c->max_groups != d.max_groups)
		fprintf(out, " mcast-max-groups %u", c->max_groups);
	if (c->max_port_groups != d.max_port_groups)
		fprintf(out, " mcast-max-port-groups %u", c->max_port_groups);
	if (c->membership_interval != d.membership_interval)
		fprintf(out, " mcast-membership-interval %u", c->membership_interval);
	if (c->router_timeout != d.router_timeout)
		fprintf(out, " mcast-router-timeout %u", c->router_timeout);
	if (c->query_interval != d.query_interval)
		fprintf(out, " mcast-query-interval %u", c->query_interval);
	char text[1024];
	config_format_vids(c->querier_vids, text, sizeof(text));
	if (text[0])
		fprintf(out, " mcast-querier %s", text);
	if (c->querier_address) {
		struct in_addr a = {.s_addr = htonl(c->querier_address)};
		fprintf(out, " mcast-querier-address %s",
			inet_ntop(AF_INET, &a, text, sizeof(text)));
	}
	if (memcmp(c->querier_address6, d.querier_address6, 16))
		fprintf(out, " mcast-querier-address6 %s",
			inet_ntop(AF_INET6, c->querier_address6, text, sizeof(text)));
}

int config_parse_mcast_router(const char *what, const char *value, struct mcast_port_config *c,
			      char *err, size_t err_size)
{
	for (size_t i = 0; i < ARRAY_SIZE(router_names); i++)
		if (!strcmp(value, router_names[i])) {
			c->router = (uint8_t)i;
			return 0;
		}
	snprintf(err, err_size, "%s '%s' must be auto, yes or no", what, value);
	return -EINVAL;
}

bool config_mcast_port_equal(const struct mcast_port_config *a, const struct mcast_port_config *b)
{
	return a->router == b->router;
}

void config_print_mcast_port(const struct mcast_port_config *c, FILE *out)
{
	if (c->router != MCAST_ROUTER_AUTO)
		fprintf(out, " mcast-router %s", router_names[c->router]);
}

void show_mcast_port(const struct bridge_port *p, FILE *out, cJSON *json)
{
	const struct mcast_state *m = p->sw->mcast;
	const char *mode = router_names[p->config.mcast.router];
	unsigned groups = m ? m->table->port_groups[p->index] : 0;
	unsigned long long refused = m ? (unsigned long long)m->port_refused[p->index] : 0;
	if (json) {
		cJSON_AddStringToObject(json, "mcast_router", mode);
		cJSON_AddNumberToObject(json, "mcast_groups", groups);
		cJSON_AddNumberToObject(json, "mcast_refused_joins", (double)refused);
	} else if (m) {
		fprintf(out, "  mcast-router %s, multicast groups %u, refused joins %llu\n", mode,
			groups, refused);
	} else if (p->config.mcast.router != MCAST_ROUTER_AUTO) {
		fprintf(out, "  mcast-router %s (snooping off)\n", mode);
	}
}
