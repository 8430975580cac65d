/* fuzz_domain_schema.c — libFuzzer target for the domain's codecs
 * (src/cluster/domain_schema.c, domain_view.c): etcd's values are written
 * by other hosts, so any bytes under any key must decode or be refused with
 * a message, never crash, and what decodes must encode and decode again to
 * the same thing. The first byte picks the kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/domain_schema.h"

static void round_trip_profile(const struct domain_profile *p)
{
	static struct domain_profile back;
	char err[256], *json = domain_profile_encode(p);
	if (!json)
		return;
	if (domain_profile_decode(p->name, json, strlen(json), &back, err, sizeof(err)) ||
	    back.n_settings != p->n_settings || strcmp(back.inherit, p->inherit))
		abort();
	free(json);
}

static void round_trip_binding(const struct domain_binding *b)
{
	static struct domain_binding back;
	char err[256], *json = domain_binding_encode(b);
	if (!json)
		return;
	if (domain_binding_decode(b->port, json, strlen(json), &back, err, sizeof(err)) ||
	    back.n_overrides != b->n_overrides || strcmp(back.host, b->host))
		abort();
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *json = (const char *)data + 1;
	size_t len = size - 1;
	char err[256];
	static struct domain_profile p;
	static struct domain_binding b;
	struct domain_host h;
	struct domain_host_state s;
	struct domain_mac m;
	switch (data[0] % 6) {
	case 0:
		if (!domain_profile_decode("p", json, len, &p, err, sizeof(err)))
			round_trip_profile(&p);
		break;
	case 1:
		if (!domain_binding_decode("vm1", json, len, &b, err, sizeof(err)))
			round_trip_binding(&b);
		break;
	case 2:
		if (!domain_host_decode("h1", json, len, &h, err, sizeof(err)))
			domain_host_free(&h);
		break;
	case 3:
		domain_host_state_decode("h1", json, len, &s, err, sizeof(err));
		domain_mac_decode("02:00:00:00:00:01", json, len, &m, err, sizeof(err));
		break;
	case 4: {
		/* A whole domain: the bytes split into keys and values at NULs. */
		struct domain_kvs t = {0};
		const char *p0 = json, *end = json + len;
		while (p0 < end) {
			const char *k = p0, *ke = memchr(k, '\0', (size_t)(end - k));
			if (!ke)
				break;
			const char *v = ke + 1, *ve = memchr(v, '\0', (size_t)(end - v));
			if (!ve)
				ve = end;
			char key[DOMAIN_KEY_MAX];
			snprintf(key, sizeof(key), "/vswitch/d/%.*s", (int)(ke - k), k);
			domain_kvs_put(&t, key, v, (size_t)(ve - v), 1, 1);
			p0 = ve + 1;
		}
		struct domain_view view;
		if (!domain_view_build(&view, "d", &t, err, sizeof(err)))
			domain_view_free(&view);
		domain_kvs_clear(&t);
		break;
	}
	default: {
		/* The version's value is a NUL-terminated copy (domain_kvs). */
		char *text = strndup(json, len);
		if (text)
			domain_version_check("d", len ? text : NULL, err, sizeof(err));
		free(text);
		break;
	}
	}
	return 0;
}
