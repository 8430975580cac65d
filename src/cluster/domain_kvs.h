/* domain_kvs.h — a copy of the keys under a domain's prefix, as the last
 * full read and the watch events since made it: a sorted table of keys and
 * their values. The agent keeps one on its thread and the control thread
 * its own (they share nothing); a full read replaces it, an event puts or
 * deletes one key. Pure and unit-tested. */
#ifndef VSWITCH_DOMAIN_KVS_H
#define VSWITCH_DOMAIN_KVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct domain_kv {
	char *key;
	char *value; /* NUL-terminated; value_len bytes before it */
	size_t value_len;
	int64_t mod_revision;
	int64_t create_revision;
};

struct domain_kvs {
	struct domain_kv *v; /* sorted by key (strcmp) */
	size_t n, cap;
	int64_t revision; /* of the store, as last read or watched */
};

/* Inserts or replaces. Returns 0 or -ENOMEM (the table unchanged). */
int domain_kvs_put(struct domain_kvs *t, const char *key, const char *value, size_t value_len,
		   int64_t create_revision, int64_t mod_revision);
/* Returns whether the key was there. */
bool domain_kvs_delete(struct domain_kvs *t, const char *key);
const struct domain_kv *domain_kvs_find(const struct domain_kvs *t, const char *key);
/* Empties it (keeps nothing, frees everything). */
void domain_kvs_clear(struct domain_kvs *t);

#endif
