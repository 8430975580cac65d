/* overlay.c — see overlay.h. The fields ride in hosts/HOST, the host's
 * leased key, so a dead host's VNIs and MACs vanish with its lease and a
 * host that registers again publishes them again without any key of its
 * own to keep alive. */
#include "overlay.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/frame.h"

/* ---- vni= ------------------------------------------------------------------ */

static bool number(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	if (!n || n > 8)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return v <= max;
}

int overlay_vni_map(const char *spec, uint16_t pvid, struct overlay_vni *out, size_t max)
{
	size_t count = 0;
	if (!spec || !spec[0])
		return -EINVAL;
	for (const char *item = spec; item;) {
		const char *comma = strchr(item, ',');
		size_t n = comma ? (size_t)(comma - item) : strlen(item);
		const char *colon = memchr(item, ':', n);
		const char *dash = colon ? memchr(item, '-', (size_t)(colon - item)) : NULL;
		const char *vids_end = dash ? dash : colon;
		unsigned long vid = 0, last = 0, vni = 0;
		bool ok = colon ? number(item, (size_t)(vids_end - item), 4094, &vid) && vid >= 1 &&
				      number(colon + 1, n - (size_t)(colon - item) - 1,
					     OVERLAY_VNI_MAX, &vni)
				: number(item, n, OVERLAY_VNI_MAX, &vni);
		last = vid;
		if (ok && dash)
			ok = number(dash + 1, (size_t)(colon - dash - 1), 4094, &last) &&
			     last >= vid && vni + (last - vid) <= OVERLAY_VNI_MAX;
		if (!ok)
			return -EINVAL;
		for (unsigned long v = vid; v <= last; v++, count++)
			if (count < max)
				out[count] =
				    (struct overlay_vni){.vni = (uint32_t)(vni + (v - vid)),
							 .vid = (uint16_t)(v ? v : pvid)};
		item = comma ? comma + 1 : NULL;
	}
	return (int)count;
}

/* ---- the fields in hosts/HOST --------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_mac(const void *a, const void *b)
{
	const struct overlay_mac *x = a, *y = b;
	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	return memcmp(x->mac, y->mac, 6);
}

void overlay_host_normalise(struct overlay_host *h)
{
	size_t k = 0;
	if (h->n_vnis)
		qsort(h->vnis, h->n_vnis, sizeof(*h->vnis), cmp_u32);
	for (size_t i = 0; i < h->n_vnis; i++)
		if (!k || h->vnis[k - 1] != h->vnis[i])
			h->vnis[k++] = h->vnis[i];
	h->n_vnis = k;
	k = 0;
	if (h->n_macs)
		qsort(h->macs, h->n_macs, sizeof(*h->macs), cmp_mac);
	for (size_t i = 0; i < h->n_macs; i++)
		if (!k || cmp_mac(&h->macs[k - 1], &h->macs[i]))
			h->macs[k++] = h->macs[i];
	h->n_macs = k;
}

char *overlay_host_extend(const char *json, const struct overlay_host *h)
{
	cJSON *root = json ? cJSON_Parse(json) : NULL;
	cJSON *vnis = cJSON_CreateArray(), *macs = cJSON_CreateObject();
	char *text = NULL;
	if (!cJSON_IsObject(root) || !vnis || !macs)
		goto out;
	for (size_t i = 0; i < h->n_vnis; i++)
		cJSON_AddItemToArray(vnis, cJSON_CreateNumber(h->vnis[i]));
	for (size_t i = 0; i < h->n_macs; i++) {
		char vni[16], mac[18];
		snprintf(vni, sizeof(vni), "%u", h->macs[i].vni);
		cJSON *list = cJSON_GetObjectItemCaseSensitive(macs, vni);
		if (!list && !(list = cJSON_AddArrayToObject(macs, vni)))
			goto out;
		cJSON_AddItemToArray(list, cJSON_CreateString(mac_format(h->macs[i].mac, mac)));
	}
	cJSON_DeleteItemFromObjectCaseSensitive(root, "vnis");
	cJSON_DeleteItemFromObjectCaseSensitive(root, "vni-macs");
	cJSON_AddItemToObject(root, "vnis", vnis);
	cJSON_AddItemToObject(root, "vni-macs", macs);
	vnis = macs = NULL;
	text = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	cJSON_Delete(vnis);
	cJSON_Delete(macs);
	return text;
}

static int bad(const char *name, const char *what, char *err, size_t err_size)
{
	snprintf(err, err_size, "host %s: %s", name, what);
	return -EINVAL;
}

static int decode_vnis(const cJSON *vnis, struct overlay_host *out, char *err, size_t err_size)
{
	const cJSON *item;
	if (!vnis)
		return 0;
	int n = cJSON_GetArraySize(vnis);
	if (!cJSON_IsArray(vnis) || n > OVERLAY_VNIS_MAX)
		return bad(out->name, "\"vnis\" must be an array of at most 4096 VNIs", err,
			   err_size);
	out->vnis = n ? calloc((size_t)n, sizeof(*out->vnis)) : NULL;
	if (n && !out->vnis)
		return -ENOMEM;
	cJSON_ArrayForEach(item, vnis)
	{
		if (!cJSON_IsNumber(item) || item->valuedouble < 0 ||
		    item->valuedouble > OVERLAY_VNI_MAX ||
		    item->valuedouble != (int)item->valuedouble)
			return bad(out->name, "\"vnis\" must hold VNIs (0-16777215)", err,
				   err_size);
		out->vnis[out->n_vnis++] = (uint32_t)item->valuedouble;
	}
	return 0;
}

static int decode_macs(const cJSON *macs, struct overlay_host *out, char *err, size_t err_size)
{
	const cJSON *list, *item;
	size_t total = 0;
	if (!macs)
		return 0;
	if (!cJSON_IsObject(macs))
		return bad(out->name, "\"vni-macs\" must be an object", err, err_size);
	cJSON_ArrayForEach(list, macs)
	{
		if (!cJSON_IsArray(list))
			return bad(out->name, "\"vni-macs\" must map VNIs to arrays of MACs", err,
				   err_size);
		total += (size_t)cJSON_GetArraySize(list);
	}
	if (total > OVERLAY_MACS_MAX)
		return bad(out->name, "\"vni-macs\" holds more than 4096 MACs", err, err_size);
	out->macs = total ? calloc(total, sizeof(*out->macs)) : NULL;
	if (total && !out->macs)
		return -ENOMEM;
	cJSON_ArrayForEach(list, macs)
	{
		unsigned long vni;
		if (!number(list->string, strlen(list->string), OVERLAY_VNI_MAX, &vni))
			return bad(out->name, "\"vni-macs\" keys must be VNIs", err, err_size);
		cJSON_ArrayForEach(item, list)
		{
			struct overlay_mac *m = &out->macs[out->n_macs];
			if (!cJSON_IsString(item) || mac_parse(item->valuestring, m->mac) < 0 ||
			    (m->mac[0] & 1))
				return bad(out->name, "\"vni-macs\" must hold unicast MACs", err,
					   err_size);
			m->vni = (uint32_t)vni;
			out->n_macs++;
		}
	}
	return 0;
}

int overlay_host_decode(const char *name, const char *json, size_t len, struct overlay_host *out,
			char *err, size_t err_size)
{
	*out = (struct overlay_host){.n_vnis = 0};
	snprintf(out->name, sizeof(out->name), "%s", name);
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return bad(name, "the value is not a JSON object", err, err_size);
	}
	const cJSON *vtep = cJSON_GetObjectItemCaseSensitive(root, "vtep");
	int error = 0;
	if (vtep && (!cJSON_IsString(vtep) || strlen(vtep->valuestring) >= sizeof(out->vtep)))
		error = bad(name, "\"vtep\" must be a string of at most 63 bytes", err, err_size);
	else if (vtep)
		memcpy(out->vtep, vtep->valuestring, strlen(vtep->valuestring) + 1);
	if (!error)
		error =
		    decode_vnis(cJSON_GetObjectItemCaseSensitive(root, "vnis"), out, err, err_size);
	if (!error)
		error = decode_macs(cJSON_GetObjectItemCaseSensitive(root, "vni-macs"), out, err,
				    err_size);
	cJSON_Delete(root);
	if (error == -ENOMEM)
		snprintf(err, err_size, "out of memory");
	if (error) {
		overlay_host_free(out);
		return error;
	}
	overlay_host_normalise(out);
	return 0;
}

void overlay_host_free(struct overlay_host *h)
{
	free(h->vnis);
	free(h->macs);
	h->vnis = NULL;
	h->macs = NULL;
	h->n_vnis = h->n_macs = 0;
}

bool overlay_host_serves(const struct overlay_host *h, uint32_t vni)
{
	return h->n_vnis && bsearch(&vni, h->vnis, h->n_vnis, sizeof(vni), cmp_u32);
}

bool overlay_host_equal(const struct overlay_host *a, const struct overlay_host *b)
{
	return !strcmp(a->vtep, b->vtep) && a->n_vnis == b->n_vnis && a->n_macs == b->n_macs &&
	       (!a->n_vnis || !memcmp(a->vnis, b->vnis, a->n_vnis * sizeof(*a->vnis))) &&
	       (!a->n_macs || !memcmp(a->macs, b->macs, a->n_macs * sizeof(*a->macs)));
}

/* ---- what the other hosts make of it ---------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t overlay_flood(const struct overlay_host *hosts, size_t n, const char *self,
		     const char *own_vtep, uint32_t vni, const char **out, size_t max)
{
	size_t count = 0;
	bool more = false;
	for (size_t i = 0; i < n; i++) {
		const struct overlay_host *h = &hosts[i];
		if (!strcmp(h->name, self) || !h->vtep[0] || !strcmp(h->vtep, own_vtep) ||
		    !overlay_host_serves(h, vni))
			continue;
		bool seen = false;
		for (size_t k = 0; k < count && !seen; k++)
			seen = !strcmp(out[k], h->vtep);
		if (seen)
			continue;
		if (count < max)
			out[count++] = h->vtep;
		else
			more = true;
	}
	if (count > 1)
		qsort(out, count, sizeof(*out), cmp_str);
	return more ? max + 1 : count;
}
