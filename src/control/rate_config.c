/* rate_config.c — the rate-limit settings of a port as the CLI and the
 * startup file write them (ingress-rate, ingress-burst, egress-rate,
 * egress-peak, egress-burst, storm-broadcast, storm-multicast,
 * storm-unknown), printed back exactly for `show running-config`, and the
 * limits' live state for `port show`. Rates are bit/s with k, M, G (10^3,
 * 10^6, 10^9, as tc's kbit); bursts are bytes with k, M (2^10, 2^20, as
 * tc's kb); storm control is packets/s. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"

static const char *const storm_keys[STORM_CLASSES] = {
    [STORM_BROADCAST] = "storm-broadcast",
    [STORM_MULTICAST] = "storm-multicast",
    [STORM_UNKNOWN_UNICAST] = "storm-unknown",
};
static const char *const storm_names[STORM_CLASSES] = {
    [STORM_BROADCAST] = "broadcast",
    [STORM_MULTICAST] = "multicast",
    [STORM_UNKNOWN_UNICAST] = "unknown-unicast",
};

bool config_rate_key(const char *key)
{
	static const char *const keys[] = {"ingress-rate",    "ingress-burst", "egress-rate",
					   "egress-peak",     "egress-burst",  "storm-broadcast",
					   "storm-multicast", "storm-unknown"};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

/* "100M" with suffixes[i] worth scale^(i+1); "off", "none" and "0" are 0. */
static int parse_scaled(const char *what, const char *text, const char *suffixes, uint64_t scale,
			uint64_t max, const char *unit, uint64_t *out, char *err, size_t err_size)
{
	if (!strcmp(text, "off") || !strcmp(text, "none")) {
		*out = 0;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	bool bad = end == text || errno || text[0] == '-';
	if (!bad && *end) {
		const char *s = strchr(suffixes, *end);
		bad = !s || end[1];
		for (long i = 0; !bad && i <= s - suffixes; i++) {
			bad = v > max / scale;
			v *= scale;
		}
	}
	if (bad || v > max) {
		snprintf(err, err_size, "%s '%s' is not %s (a number with %s, or off)", what, text,
			 unit, suffixes);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int config_parse_rate_setting(const char *what, const char *key, const char *value,
			      struct port_rate_config *rate, char *err, size_t err_size)
{
	uint64_t v;
	const bool is_rate = strstr(key, "-rate") || strstr(key, "-peak");
	const bool is_burst = strstr(key, "-burst") != NULL;
	int error;
	if (is_rate)
		error = parse_scaled(what, value, "kMG", 1000, RATE_MAX_BPS, "a rate in bit/s", &v,
				     err, err_size);
	else if (is_burst)
		error = parse_scaled(what, value, "kM", 1024, RATE_MAX_BURST, "a size in bytes", &v,
				     err, err_size);
	else
		error = parse_scaled(what, value, "kM", 1000, RATE_MAX_PPS, "a rate in packets/s",
				     &v, err, err_size);
	if (error)
		return error;
	if (!strcmp(key, "ingress-rate")) {
		rate->ingress_rate = v;
		if (!v) /* off takes its burst along */
			rate->ingress_burst = 0;
	} else if (!strcmp(key, "ingress-burst")) {
		rate->ingress_burst = v;
	} else if (!strcmp(key, "egress-rate")) {
		rate->egress_rate = v;
		if (!v)
			rate->egress_peak = rate->egress_burst = 0;
	} else if (!strcmp(key, "egress-peak")) {
		rate->egress_peak = v;
	} else if (!strcmp(key, "egress-burst")) {
		rate->egress_burst = v;
	} else {
		for (int k = 0; k < STORM_CLASSES; k++)
			if (!strcmp(key, storm_keys[k]))
				rate->storm_pps[k] = (uint32_t)v;
	}
	return 0;
}

/* The shortest exact spelling: 100M, 64k, 1500. */
static const char *format_scaled(uint64_t v, const char *suffixes, uint64_t scale, char *buf,
				 size_t size)
{
	int n = 0;
	while (v && v % scale == 0 && suffixes[n]) {
		v /= scale;
		n++;
	}
	if (n)
		snprintf(buf, size, "%llu%c", (unsigned long long)v, suffixes[n - 1]);
	else
		snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

static const char *format_rate(uint64_t v, char *buf, size_t size)
{
	return format_scaled(v, "kMG", 1000, buf, size);
}

static const char *format_bytes(uint64_t v, char *buf, size_t size)
{
	return format_scaled(v, "kM", 1024, buf, size);
}

void config_print_rate(const struct port_rate_config *r, FILE *out)
{
	char buf[32];
	if (r->ingress_rate)
		fprintf(out, " ingress-rate %s", format_rate(r->ingress_rate, buf, sizeof(buf)));
	if (r->ingress_burst)
		fprintf(out, " ingress-burst %s", format_bytes(r->ingress_burst, buf, sizeof(buf)));
	if (r->egress_rate)
		fprintf(out, " egress-rate %s", format_rate(r->egress_rate, buf, sizeof(buf)));
	if (r->egress_peak)
		fprintf(out, " egress-peak %s", format_rate(r->egress_peak, buf, sizeof(buf)));
	if (r->egress_burst)
		fprintf(out, " egress-burst %s", format_bytes(r->egress_burst, buf, sizeof(buf)));
	for (int k = 0; k < STORM_CLASSES; k++)
		if (r->storm_pps[k])
			fprintf(out, " %s %u", storm_keys[k], r->storm_pps[k]);
}

/* The credit a bucket would have now, without touching it. */
static int64_t credit_now(const struct token_bucket *b)
{
	struct token_bucket copy = *b;
	token_bucket_refill(&copy, rate_limit_clock());
	return token_bucket_units(&copy);
}

void show_rate_text(FILE *out, const struct bridge_port *p)
{
	const struct port_rate_state *r = &p->rate;
	const struct port_rate_config *c = &r->config;
	char a[32], b[32], d[32];
	if (r->police)
		fprintf(out, "  ingress-rate %s bit/s, burst %s bytes, credit %lld bytes\n",
			format_rate(c->ingress_rate, a, sizeof(a)),
			format_bytes((uint64_t)r->ingress.depth / RATE_NS / 8, b, sizeof(b)),
			(long long)(credit_now(&r->ingress) / 8));
	if (r->shaper)
		fprintf(
		    out,
		    "  egress-rate %s bit/s, peak %s, burst %s bytes, credit %lld bytes, "
		    "%u frames waiting\n",
		    format_rate(c->egress_rate, a, sizeof(a)),
		    c->egress_peak ? format_rate(c->egress_peak, d, sizeof(d)) : "none",
		    format_bytes((uint64_t)r->shaper->average.depth / RATE_NS / 8, b, sizeof(b)),
		    (long long)(credit_now(&r->shaper->average) / 8), shaper_held(r->shaper));
	if (!r->storm)
		return;
	fprintf(out, "  storm control (packets/s):");
	for (int k = 0; k < STORM_CLASSES; k++) {
		if (c->storm_pps[k])
			fprintf(out, " %s %u (credit %lld)", storm_names[k], c->storm_pps[k],
				(long long)credit_now(&r->storm_buckets[k]));
		else
			fprintf(out, " %s none", storm_names[k]);
	}
	fputc('\n', out);
}

void show_rate_json(struct cJSON *o, const struct bridge_port *p)
{
	const struct port_rate_state *r = &p->rate;
	const struct port_rate_config *c = &r->config;
	cJSON *j = cJSON_AddObjectToObject(o, "rate_limits");
	cJSON_AddNumberToObject(j, "ingress_rate", (double)c->ingress_rate);
	cJSON_AddNumberToObject(j, "ingress_burst",
				r->police ? (double)((uint64_t)r->ingress.depth / RATE_NS / 8) : 0);
	cJSON_AddNumberToObject(j, "ingress_credit",
				r->police ? (double)(credit_now(&r->ingress) / 8) : 0);
	cJSON_AddNumberToObject(j, "egress_rate", (double)c->egress_rate);
	cJSON_AddNumberToObject(j, "egress_peak", (double)c->egress_peak);
	const struct rate_shaper *s = r->shaper;
	cJSON_AddNumberToObject(j, "egress_burst",
				s ? (double)((uint64_t)s->average.depth / RATE_NS / 8) : 0);
	cJSON_AddNumberToObject(j, "egress_credit", s ? (double)(credit_now(&s->average) / 8) : 0);
	cJSON_AddNumberToObject(j, "egress_waiting", s ? shaper_held(s) : 0);
	cJSON *storm = cJSON_AddObjectToObject(j, "storm");
	for (int k = 0; k < STORM_CLASSES; k++) {
		cJSON *one = cJSON_AddObjectToObject(storm, storm_names[k]);
		cJSON_AddNumberToObject(one, "pps", c->storm_pps[k]);
		cJSON_AddNumberToObject(
		    one, "credit", c->storm_pps[k] ? (double)credit_now(&r->storm_buckets[k]) : 0);
	}
}
