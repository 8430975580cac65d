/* domain_kvs.c — see domain_kvs.h. A sorted array: a domain holds
 * thousands of keys, not millions, and it is read whole far more often
 * than it changes. */
#include "cluster/domain_kvs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The index of key, or where it would go (*found false). */
static size_t kvs_search(const struct domain_kvs *t, const char *key, bool *found)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->v[mid].key, key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static int kvs_grow(struct domain_kvs *t)
{
	if (t->n < t->cap)
		return 0;
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct domain_kv *v = realloc(t->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->v = v;
	t->cap = cap;
	return 0;
}

int domain_kvs_put(struct domain_kvs *t, const char *key, const char *value, size_t value_len,
		   int64_t create_revision, int64_t mod_revision)
{
	char *copy = malloc(value_len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, value, value_len);
	copy[value_len] = '\0';
	bool found;
	size_t i = kvs_search(t, key, &found);
	if (!found) {
		char *key_copy = strdup(key);
		if (!key_copy || kvs_grow(t)) {
			free(key_copy);
			free(copy);
			return -ENOMEM;
		}
		memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(t->v[0]));
		t->n++;
		t->v[i] = (struct domain_kv){.key = key_copy};
	}
	free(t->v[i].value);
	t->v[i].value = copy;
	t->v[i].value_len = value_len;
	t->v[i].create_revision = create_revision;
	t->v[i].mod_revision = mod_revision;
	return 0;
}

bool domain_kvs_delete(struct domain_kvs *t, const char *key)
{
	bool found;
	size_t i = kvs_search(t, key, &found);
	if (!found)
		return false;
	free(t->v[i].key);
	free(t->v[i].value);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
	t->n--;
	return true;
}

const struct domain_kv *domain_kvs_find(const struct domain_kvs *t, const char *key)
{
	bool found;
	size_t i = kvs_search(t, key, &found);
	return found ? &t->v[i] : NULL;
}

void domain_kvs_clear(struct domain_kvs *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].value);
	}
	free(t->v);
	*t = (struct domain_kvs){.revision = 0};
}
