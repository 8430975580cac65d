/* ipfix_config.c — IPFIX exporters in the desired-state model: the words
 * of `ipfix add`, the checks that tie an exporter to its switch, its line
 * in running-config, and the engine cache and socket made from it
 * (docs/ipfix.md). The collection is small (one per switch at most), so
 * it grows one element at a time. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipfix.h"

#define TEMPLATE_REFRESH_DEFAULT 60 /* seconds; RFC 7011 §8.4 leaves it to us */

struct ipfix_config *config_find_ipfix(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_ipfix; i++)
		if (!strcmp(cfg->ipfix[i].name, name))
			return &cfg->ipfix[i];
	return NULL;
}

struct ipfix_config *config_ipfix_of_switch(const struct config *cfg, const char *sw)
{
	for (size_t i = 0; i < cfg->n_ipfix; i++)
		if (!strcmp(cfg->ipfix[i].sw, sw))
			return &cfg->ipfix[i];
	return NULL;
}

struct ipfix_config *config_add_ipfix(struct config *cfg)
{
	struct ipfix_config *grown = realloc(cfg->ipfix, (cfg->n_ipfix + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	cfg->ipfix = grown;
	memset(&grown[cfg->n_ipfix], 0, sizeof(*grown));
	return &grown[cfg->n_ipfix++];
}

void config_del_ipfix(struct config *cfg, const char *name)
{
	struct ipfix_config *x = config_find_ipfix(cfg, name);
	if (!x)
		return;
	size_t i = (size_t)(x - cfg->ipfix);
	memmove(x, x + 1, (cfg->n_ipfix - i - 1) * sizeof(*x));
	cfg->n_ipfix--;
}

int config_copy_ipfix(struct config *dst, const struct config *src)
{
	if (!src->n_ipfix)
		return 0;
	dst->ipfix = malloc(src->n_ipfix * sizeof(*dst->ipfix));
	if (!dst->ipfix)
		return -ENOMEM;
	memcpy(dst->ipfix, src->ipfix, src->n_ipfix * sizeof(*dst->ipfix));
	dst->n_ipfix = src->n_ipfix;
	return 0;
}

/* "A.B.C.D:PORT" or "[IPV6]:PORT" into *out. */
static int parse_collector(const char *text, struct sockaddr_storage *out)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	if (!colon || strlen(text) >= sizeof(host))
		return -EINVAL;
	size_t hlen = (size_t)(colon - text);
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || !port || port > 65535)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
		host[hlen - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)out;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -EINVAL;
}

static int parse_number(const struct ipfix_config *x, const char *key, const char *value,
			unsigned long min, unsigned long max, uint32_t *out, char *err, size_t n)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(value, &end, 10);
	if (!*value || *end || errno || v < min || v > max || value[0] == '-') {
		snprintf(err, n, "ipfix %s: %s '%s' is not a number from %lu to %lu", x->name, key,
			 value, min, max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

int config_parse_ipfix(struct ipfix_config *x, int argc, char **argv, char *err, size_t n)
{
	x->sampling = 1;
	x->active_timeout = IPFIX_ACTIVE_TIMEOUT_DEFAULT;
	x->idle_timeout = IPFIX_IDLE_TIMEOUT_DEFAULT;
	x->template_refresh = TEMPLATE_REFRESH_DEFAULT;
	x->max_flows = IPFIX_MAX_FLOWS_DEFAULT;
	x->observation_domain = 0;
	for (int i = 0; i < argc; i += 2) {
		const char *key = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
		int error = 0;
		if (!value) {
			snprintf(err, n, "ipfix %s: '%s' needs a value", x->name, key);
			return -EINVAL;
		}
		if (!strcmp(key, "switch")) {
			if (!copy_name(x->sw, sizeof(x->sw), value)) {
				snprintf(err, n, "ipfix %s: switch name too long", x->name);
				return -EINVAL;
			}
		} else if (!strcmp(key, "collector")) {
			struct sockaddr_storage ss;
			if (parse_collector(value, &ss) ||
			    !copy_name(x->collector, sizeof(x->collector), value)) {
				snprintf(err, n,
					 "ipfix %s: collector '%s' is not A.B.C.D:PORT or "
					 "[IPV6]:PORT",
					 x->name, value);
				return -EINVAL;
			}
		} else if (!strcmp(key, "sampling")) {
			error = parse_number(x, key, value, 1, 1u << 30, &x->sampling, err, n);
		} else if (!strcmp(key, "obs-domain")) {
			error = parse_number(x, key, value, 0, UINT32_MAX, &x->observation_domain,
					     err, n);
		} else if (!strcmp(key, "active-timeout")) {
			error = parse_number(x, key, value, 1, 86400, &x->active_timeout, err, n);
		} else if (!strcmp(key, "idle-timeout")) {
			error = parse_number(x, key, value, 1, 86400, &x->idle_timeout, err, n);
		} else if (!strcmp(key, "template-refresh")) {
			error = parse_number(x, key, value, 1, 86400, &x->template_refresh, err, n);
		} else if (!strcmp(key, "max-flows")) {
			error = parse_number(x, key, value, 1, IPFIX_MAX_FLOWS_LIMIT, &x->max_flows,
					     err, n);
		} else {
			snprintf(err, n,
				 "ipfix %s: unknown setting '%s' (settings: switch, collector, "
				 "sampling, obs-domain, active-timeout, idle-timeout, "
				 "template-refresh, max-flows)",
				 x->name, key);
			return -EINVAL;
		}
		if (error)
			return error;
	}
	if (!x->sw[0] || !x->collector[0]) {
		snprintf(err, n, "ipfix %s: needs 'switch SWITCH' and 'collector ADDR:PORT'",
			 x->name);
		return -EINVAL;
	}
	return 0;
}

int config_check_ipfix(const struct config *cfg, char *err, size_t n)
{
	for (size_t i = 0; i < cfg->n_ipfix; i++) {
		const struct ipfix_config *x = &cfg->ipfix[i];
		if (!config_find_switch(cfg, x->sw)) {
			snprintf(err, n, "ipfix %s: no such switch '%s'", x->name, x->sw);
			return -ENOENT;
		}
		if (config_ipfix_of_switch(cfg, x->sw) != x) {
			snprintf(err, n, "ipfix %s: switch %s has an IPFIX exporter already",
				 x->name, x->sw);
			return -EEXIST;
		}
	}
	return 0;
}

bool config_ipfix_equal(const struct ipfix_config *a, const struct ipfix_config *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->sw, b->sw) &&
	       !strcmp(a->collector, b->collector) && a->sampling == b->sampling &&
	       a->observation_domain == b->observation_domain &&
	       a->active_timeout == b->active_timeout && a->idle_timeout == b->idle_timeout &&
	       a->template_refresh == b->template_refresh && a->max_flows == b->max_flows;
}

bool config_ipfixes_equal(const struct config *a, const struct config *b)
{
	if (a->n_ipfix != b->n_ipfix)
		return false;
	for (size_t i = 0; i < a->n_ipfix; i++) {
		const struct ipfix_config *other = config_find_ipfix(b, a->ipfix[i].name);
		if (!other || !config_ipfix_equal(&a->ipfix[i], other))
			return false;
	}
	return true;
}

void config_print_ipfix(const struct config *cfg, const char *sw, FILE *out)
{
	const struct ipfix_config *x = config_ipfix_of_switch(cfg, sw);
	if (!x)
		return;
	fprintf(out,
		"ipfix add %s switch %s collector %s sampling %u obs-domain %u active-timeout %u "
		"idle-timeout %u template-refresh %u max-flows %u\n",
		x->name, x->sw, x->collector, x->sampling, x->observation_domain, x->active_timeout,
		x->idle_timeout, x->template_refresh, x->max_flows);
}

struct ipfix_cache *config_ipfix_open(const struct ipfix_config *x, char *err, size_t n)
{
	struct ipfix_cache_config cc = {.max_flows = x->max_flows,
					.sampling = x->sampling,
					.active_ms = x->active_timeout * 1000u,
					.idle_ms = x->idle_timeout * 1000u};
	struct ipfix_export_params params = {.observation_domain = x->observation_domain,
					     .template_refresh = x->template_refresh};
	if (parse_collector(x->collector, &params.collector)) {
		snprintf(err, n, "ipfix %s: bad collector '%s'", x->name, x->collector);
		return NULL;
	}
	struct ipfix_cache *c = ipfix_cache_create(&cc);
	if (!c) {
		snprintf(err, n, "ipfix %s: out of memory for %u flows", x->name, x->max_flows);
		return NULL;
	}
	char why[256];
	struct ipfix_exporter *ex = ipfix_exporter_open(&params, why, sizeof(why));
	if (!ex) {
		snprintf(err, n, "ipfix %s: %s", x->name, why);
		ipfix_cache_destroy(c);
		return NULL;
	}
	c->sink_ctx = ex;
	c->sink_free = ipfix_exporter_close;
	return c;
}
