/* domain_view.c — the whole domain decoded from a copy of its keys
 * (domain_schema.h): what the glue turns into the model and what `host
 * show` prints. A value another host wrote badly is left out and counted,
 * never fatal: one bad key must not stop every host's switch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/domain_schema.h"
#include "lib/frame.h"

static void note_bad(struct domain_view *view, const char *msg)
{
	if (!view->n_bad++)
		snprintf(view->first_bad, sizeof(view->first_bad), "%s", msg);
}

/* Room for one more element of an array that holds at most `max`. */
static void *slot(void **array, size_t *n, size_t max, size_t size)
{
	if (!*array) {
		*array = calloc(max ? max : 1, size);
		if (!*array)
			return NULL;
	}
	return (char *)*array + (*n)++ * size;
}

static int add_kv(struct domain_view *view, const struct domain_kv *kv, const char *prefix,
		  const size_t *count, char *err, size_t err_size)
{
	char name[DOMAIN_NAME_MAX], msg[256];
	int error = 0;
	void *item;
	enum domain_kind kind = domain_key_parse(prefix, kv->key, name, sizeof(name));
	size_t max = count[kind];
	switch (kind) {
	case DOMAIN_KEY_VERSION:
		view->has_version = true;
		snprintf(view->version, sizeof(view->version), "%s", kv->value);
		return 0;
	case DOMAIN_KEY_HOST:
		if (!(item =
			  slot((void **)&view->hosts, &view->n_hosts, max, sizeof(*view->hosts))))
			return -ENOMEM;
		error = domain_host_decode(name, kv->value, kv->value_len, item, msg, sizeof(msg));
		if (error)
			view->n_hosts--;
		break;
	case DOMAIN_KEY_HOST_STATE:
		if (!(item = slot((void **)&view->host_states, &view->n_host_states, max,
				  sizeof(*view->host_states))))
			return -ENOMEM;
		error = domain_host_state_decode(name, kv->value, kv->value_len, item, msg,
						 sizeof(msg));
		if (error)
			view->n_host_states--;
		break;
	case DOMAIN_KEY_PROFILE:
		if (!(item = slot((void **)&view->profiles, &view->n_profiles, max,
				  sizeof(*view->profiles))))
			return -ENOMEM;
		error =
		    domain_profile_decode(name, kv->value, kv->value_len, item, msg, sizeof(msg));
		if (error)
			view->n_profiles--;
		break;
	case DOMAIN_KEY_BINDING:
		if (!(item = slot((void **)&view->bindings, &view->n_bindings, max,
				  sizeof(*view->bindings))))
			return -ENOMEM;
		error =
		    domain_binding_decode(name, kv->value, kv->value_len, item, msg, sizeof(msg));
		if (error)
			view->n_bindings--;
		break;
	case DOMAIN_KEY_MAC:
		if (!(item = slot((void **)&view->macs, &view->n_macs, max, sizeof(*view->macs))))
			return -ENOMEM;
		error = domain_mac_decode(name, kv->value, kv->value_len, item, msg, sizeof(msg));
		if (error)
			view->n_macs--;
		break;
	case DOMAIN_KEY_OTHER:
		return 0;
	}
	if (error == -ENOMEM) {
		snprintf(err, err_size, "out of memory");
		return error;
	}
	if (error)
		note_bad(view, msg);
	return 0;
}

int domain_view_build(struct domain_view *view, const char *domain, const struct domain_kvs *kvs,
		      char *err, size_t err_size)
{
	return domain_view_build_kinds(view, domain, kvs, DOMAIN_VIEW_ALL, err, err_size);
}

int domain_view_build_kinds(struct domain_view *view, const char *domain,
			    const struct domain_kvs *kvs, unsigned kinds, char *err,
			    size_t err_size)
{
	char prefix[DOMAIN_KEY_MAX];
	domain_prefix(domain, prefix, sizeof(prefix));
	memset(view, 0, sizeof(*view));
	int error = 0;
	/* Each array is sized for its kind's keys, so slot() never grows. */
	size_t count[DOMAIN_KEY_MAC + 1] = {0};
	char name[DOMAIN_NAME_MAX];
	for (size_t i = 0; i < kvs->n; i++)
		count[domain_key_parse(prefix, kvs->v[i].key, name, sizeof(name))]++;
	for (size_t i = 0; !error && i < kvs->n; i++) {
		enum domain_kind kind = domain_key_parse(prefix, kvs->v[i].key, name, sizeof(name));
		if (kind == DOMAIN_KEY_VERSION || (kinds & (1u << kind)))
			error = add_kv(view, &kvs->v[i], prefix, count, err, err_size);
	}
	if (!error && view->has_version)
		error = domain_version_check(domain, view->version, err, err_size);
	if (error)
		domain_view_free(view);
	return error;
}

void domain_view_free(struct domain_view *view)
{
	for (size_t i = 0; i < view->n_hosts; i++)
		domain_host_free(&view->hosts[i]);
	free(view->hosts);
	free(view->host_states);
	free(view->profiles);
	free(view->bindings);
	free(view->macs);
	memset(view, 0, sizeof(*view));
}

const struct domain_host *domain_view_host(const struct domain_view *v, const char *name)
{
	for (size_t i = 0; i < v->n_hosts; i++)
		if (!strcmp(v->hosts[i].name, name))
			return &v->hosts[i];
	return NULL;
}

const struct domain_host_state *domain_view_host_state(const struct domain_view *v,
						       const char *name)
{
	for (size_t i = 0; i < v->n_host_states; i++)
		if (!strcmp(v->host_states[i].name, name))
			return &v->host_states[i];
	return NULL;
}

const struct domain_profile *domain_view_profile(const struct domain_view *v, const char *name)
{
	for (size_t i = 0; i < v->n_profiles; i++)
		if (!strcmp(v->profiles[i].name, name))
			return &v->profiles[i];
	return NULL;
}

const struct domain_binding *domain_view_binding(const struct domain_view *v, const char *port)
{
	for (size_t i = 0; i < v->n_bindings; i++)
		if (!strcmp(v->bindings[i].port, port))
			return &v->bindings[i];
	return NULL;
}

const struct domain_mac *domain_view_mac(const struct domain_view *v, const uint8_t mac[6])
{
	for (size_t i = 0; i < v->n_macs; i++)
		if (!memcmp(v->macs[i].mac, mac, 6))
			return &v->macs[i];
	return NULL;
}
