/* fdb.c — the MAC table (forwarding database): an open-addressing hash on one
 * 8-byte key, VID << 48 | MAC, with linear probing over 16-byte slots from
 * the start of a 64-byte line (four slots; bucketised linear probing, so a
 * lookup rarely leaves the line that was prefetched) and backward-shift
 * deletion, so there are no tombstones
 * and lookups stay short after heavy aging. The table is sized at 1.5 slots
 * per entry: 24 bytes of memory per entry at full capacity. The learning
 * rules live in learn.c; this file only stores.
 *
 * Several poll threads read the table without a lock (vswitchd --cores):
 * a writer fills an entry's value before its key, and empties a slot it
 * refills (a backward shift) by zeroing the key first, all with atomic
 * stores; a reader that wants the value reads the key again after it
 * (fdb_confirm) and takes a changed key as a miss. Writers are serialised
 * by fdb->lock (learning, learn.c) or run while the other threads are
 * paused (everything else). With one thread the atomics are plain moves.
 * The per-port counts of learned entries are written the same way, so that
 * learning may read its own port's count without the lock (learn.c). */
#include "engine.h"

#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE (2u << 20)

/* A large table is touched at random: on 4 KB pages nearly every lookup
 * also misses the TLB, which prefetching does not hide. Ask for 2 MB pages
 * (transparent huge pages are often "madvise" only). */
static struct fdb_entry *slots_alloc(size_t bytes)
{
	void *p;
	if (bytes < HUGE_PAGE)
		p = aligned_alloc(64, bytes);
	else {
		bytes = (bytes + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
		p = aligned_alloc(HUGE_PAGE, bytes);
		if (p)
			madvise(p, bytes, MADV_HUGEPAGE); /* a hint: fine if refused */
	}
	if (p)
		memset(p, 0, bytes);
	return p;
}

struct fdb *fdb_create(uint32_t capacity)
{
	if (capacity == 0 || capacity > FDB_MAX_CAPACITY)
		return NULL;
	struct fdb *fdb = calloc(1, sizeof(*fdb));
	if (!fdb)
		return NULL;
	uint32_t n_slots = capacity + capacity / 2;
	n_slots = (n_slots + 3) & ~3u; /* whole cache lines */
	if (n_slots < 64)
		n_slots = 64;
	fdb->slots = slots_alloc((size_t)n_slots * sizeof(struct fdb_entry));
	if (!fdb->slots) {
		free(fdb);
		return NULL;
	}
	fdb->n_slots = n_slots;
	fdb->capacity = capacity;
	return fdb;
}

void fdb_destroy(struct fdb *fdb)
{
	if (!fdb)
		return;
	free(fdb->slots);
	free(fdb);
}

static inline uint64_t entry_key(const struct fdb_entry *e)
{
	return __atomic_load_n(&e->key, __ATOMIC_RELAXED);
}

/* The home line's keys are read with plain loads: an aligned 8-byte load is
 * whole on every CPU we run on, whoever reads the value confirms the key
 * (fdb_confirm, or learning's lock), and atomic loads cost the lookup one
 * percent. ThreadSanitizer gets atomic ones, so that it reports only real
 * races. */
#if defined(__SANITIZE_THREAD__)
#define LINE_KEY(line, i) entry_key(&(line)[i])
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LINE_KEY(line, i) entry_key(&(line)[i])
#endif
#endif
#ifndef LINE_KEY
#define LINE_KEY(line, i) ((line)[i].key)
#endif

/* Writers are serialised: a relaxed load and store, not a locked add. */
static inline void count_dynamic(struct fdb *fdb, uint16_t port, int delta)
{
	uint32_t *n = &fdb->port_dynamic[port];
	__atomic_store_n(n, __atomic_load_n(n, __ATOMIC_RELAXED) + (uint32_t)delta,
			 __ATOMIC_RELAXED);
}

static inline uint32_t next_slot(const struct fdb *fdb, uint32_t i)
{
	return ++i == fdb->n_slots ? 0 : i;
}

struct fdb_entry *fdb_find(struct fdb *fdb, uint64_t key, uint64_t hash)
{
	uint32_t i = fdb_home_slot(fdb, hash);
	/* Compare the whole home line without a branch per slot: the one
	 * branch left is almost always taken for known MACs, so the CPU runs
	 * ahead into the next lookups and their misses overlap. */
	struct fdb_entry *line = &fdb->slots[i];
	unsigned hit =
	    (unsigned)(LINE_KEY(line, 0) == key) | (unsigned)(LINE_KEY(line, 1) == key) << 1 |
	    (unsigned)(LINE_KEY(line, 2) == key) << 2 | (unsigned)(LINE_KEY(line, 3) == key) << 3;
	if (LIKELY(hit))
		return &line[__builtin_ctz(hit)];
	for (;;) {
		struct fdb_entry *e = &fdb->slots[i];
		uint64_t k = entry_key(e);
		if (k == key)
			return e;
		if (k == 0)
			return NULL;
		i = next_slot(fdb, i);
	}
}

/* Publishes a whole entry into slot `to`, which readers may be probing. */
static void entry_store(struct fdb_entry *to, uint64_t key, uint16_t port, uint16_t flags,
			uint32_t last_seen)
{
	__atomic_store_n(&to->key, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&to->port, port, __ATOMIC_RELAXED);
	__atomic_store_n(&to->flags, flags, __ATOMIC_RELAXED);
	__atomic_store_n(&to->last_seen, last_seen, __ATOMIC_RELAXED);
	__atomic_store_n(&to->key, key, __ATOMIC_RELEASE);
}

struct fdb_entry *fdb_insert(struct fdb *fdb, uint64_t key, uint64_t hash, uint16_t port,
			     uint16_t flags, uint32_t now)
{
	if (fdb->count >= fdb->capacity)
		return NULL;
	uint32_t i = fdb_home_slot(fdb, hash);
	while (fdb->slots[i].key != 0)
		i = next_slot(fdb, i);
	struct fdb_entry *e = &fdb->slots[i];
	entry_store(e, key, port, flags, now);
	fdb->count++;
	if (!(flags & FDB_F_STATIC))
		count_dynamic(fdb, port, 1);
	return e;
}

void fdb_move(struct fdb *fdb, struct fdb_entry *entry, uint16_t port)
{
	if (!(entry->flags & FDB_F_STATIC)) {
		count_dynamic(fdb, entry->port, -1);
		count_dynamic(fdb, port, 1);
	}
	__atomic_store_n(&entry->port, port, __ATOMIC_RELAXED);
}

/* Knuth's algorithm R: pull later entries of the probe run back into the hole
 * unless that would put them before their home slot. */
void fdb_remove(struct fdb *fdb, struct fdb_entry *entry)
{
	if (!(entry->flags & FDB_F_STATIC))
		count_dynamic(fdb, entry->port, -1);
	fdb->count--;
	uint32_t hole = (uint32_t)(entry - fdb->slots);
	uint32_t j = hole;
	for (;;) {
		j = next_slot(fdb, j);
		struct fdb_entry *e = &fdb->slots[j];
		if (e->key == 0)
			break;
		uint32_t home = fdb_home_slot(fdb, hash_u64(e->key));
		/* Movable iff home is not cyclically within (hole, j]. */
		bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
		if (stays)
			continue;
		entry_store(&fdb->slots[hole], e->key, e->port, e->flags,
			    __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED));
		hole = j;
	}
	__atomic_store_n(&fdb->slots[hole].key, 0, __ATOMIC_RELEASE);
}

bool fdb_evict_dynamic(struct fdb *fdb, uint64_t hash)
{
	uint32_t i = fdb_home_slot(fdb, hash);
	for (uint32_t n = 0; n < fdb->n_slots; n++, i = next_slot(fdb, i)) {
		struct fdb_entry *e = &fdb->slots[i];
		if (e->key && !(e->flags & FDB_F_STATIC)) {
			fdb_remove(fdb, e);
			return true;
		}
	}
	return false;
}

/* Candidates looked at before choosing the oldest: OVS evicts a port's
 * least recently used entry, which needs a list per port that every refresh
 * would write; the oldest of the first few is close enough, and under a
 * flood they are all equally worthless. */
#define EVICT_CANDIDATES 4

bool fdb_evict_port(struct fdb *fdb, uint16_t port, uint64_t hash)
{
	if (fdb->port_dynamic[port] == 0)
		return false; /* don't sweep the whole table for nothing */
	struct fdb_entry *oldest = NULL;
	unsigned found = 0;
	uint32_t i = fdb_home_slot(fdb, hash);
	for (uint32_t n = 0; n < fdb->n_slots && found < EVICT_CANDIDATES;
	     n++, i = next_slot(fdb, i)) {
		struct fdb_entry *e = &fdb->slots[i];
		if (e->key == 0 || e->port != port || (e->flags & FDB_F_STATIC))
			continue;
		if (!oldest || (int32_t)(e->last_seen - oldest->last_seen) < 0)
			oldest = e;
		found++;
	}
	if (!oldest)
		return false;
	fdb_remove(fdb, oldest);
	return true;
}

/* Removal shifts later entries back into slot i, so a sweep re-examines i
 * after removing there; an entry wrapped to the front may be seen twice,
 * which is harmless. */
uint32_t fdb_flush(struct fdb *fdb, uint16_t port, const uint64_t *vids, bool with_static)
{
	uint32_t removed = 0;
	for (uint32_t i = 0; i < fdb->n_slots;) {
		struct fdb_entry *e = &fdb->slots[i];
		if (e->key != 0 && (port == PORT_INDEX_NONE || e->port == port) &&
		    (!vids || bitset_test(vids, fdb_key_vid(e->key))) &&
		    (with_static || !(e->flags & FDB_F_STATIC))) {
			fdb_remove(fdb, e);
			removed++;
			continue;
		}
		i++;
	}
	return removed;
}

uint32_t fdb_age(struct fdb *fdb, uint32_t now, uint32_t ageing, uint32_t budget)
{
	uint32_t removed = 0;
	uint32_t i = fdb->age_cursor;
	if (i >= fdb->n_slots)
		i = 0;
	if (budget > fdb->n_slots)
		budget = fdb->n_slots;
	/* Only moving on uses budget: after a removal slot i holds the entry
	 * that shifted back into it, which must be looked at too. */
	for (uint32_t scanned = 0; scanned < budget;) {
		struct fdb_entry *e = &fdb->slots[i];
		if (e->key != 0 && !(e->flags & FDB_F_STATIC) &&
		    now - __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED) >= ageing) {
			fdb_remove(fdb, e);
			removed++;
			continue;
		}
		i = next_slot(fdb, i);
		scanned++;
	}
	fdb->age_cursor = i;
	return removed;
}

void fdb_foreach(const struct fdb *fdb, fdb_visit_fn *visit, void *ctx)
{
	for (uint32_t i = 0; i < fdb->n_slots; i++)
		if (fdb->slots[i].key != 0)
			visit(&fdb->slots[i], ctx);
}
