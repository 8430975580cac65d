/* vhost_memory.h — the guest's memory as a vhost-user front end shares it:
 * up to eight regions, each a file descriptor we map, known by its guest
 * physical address (what descriptors carry) and by the front end's own
 * virtual address (what SET_VRING_ADDR carries). Every translation checks
 * that the whole range [addr, addr + len) lies inside one region: a guest
 * address is never trusted. */
#ifndef VSWITCH_PORT_VHOST_MEMORY_H
#define VSWITCH_PORT_VHOST_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#define VHOST_MEMORY_MAX_REGIONS 8

/* A region as SET_MEM_TABLE describes it (the wire layout). */
struct vhost_memory_desc {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct vhost_memory_region {
	uint64_t guest_phys_addr;
	uint64_t user_addr;
	uint64_t size;
	uint8_t *host;	 /* where guest_phys_addr is in our address space */
	void *mmap_base; /* what to munmap, NULL when the caller owns the memory */
	size_t mmap_size;
};

struct vhost_memory {
	uint32_t n_regions;
	uint32_t last_hit; /* the region the last translation found: buffers cluster */
	struct vhost_memory_region regions[VHOST_MEMORY_MAX_REGIONS];
};

/* Maps `n` regions, region i from fds[i] (the fds stay the caller's: a
 * mapping outlives its descriptor). On success the old table is unmapped
 * and replaced; on failure the old table stays and `why` says what was
 * wrong. Returns 0, -EINVAL (overlapping, empty, overflowing or too many
 * regions) or the mmap error. */
int vhost_memory_map(struct vhost_memory *mem, const struct vhost_memory_desc *desc, uint32_t n,
		     const int *fds, char *why, size_t why_size);

/* Checks `desc` as vhost_memory_map() does and adopts memory the caller
 * owns (host[i] for region i): what tests and fuzz targets use. */
int vhost_memory_adopt(struct vhost_memory *mem, const struct vhost_memory_desc *desc, uint32_t n,
		       uint8_t *const *host, char *why, size_t why_size);

/* Unmaps every region; the table is empty afterwards. */
void vhost_memory_unmap(struct vhost_memory *mem);

static inline void *vhost_memory_region_at(const struct vhost_memory_region *r, uint64_t addr,
					   uint64_t base, uint64_t len)
{
	uint64_t off = addr - base; /* wraps far beyond size when addr < base */
	if (off < r->size && len <= r->size - off)
		return r->host + off;
	return NULL;
}

/* Our pointer to guest-physical [gpa, gpa + len), or NULL when the range is
 * not wholly inside one region. len 0 is checked as 1 byte. */
static inline void *vhost_memory_gpa(struct vhost_memory *mem, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		len = 1;
	/* send() and recv() may translate at once: the hint is only a hint. */
	uint32_t hit = __atomic_load_n(&mem->last_hit, __ATOMIC_RELAXED);
	const struct vhost_memory_region *r = &mem->regions[hit];
	void *p = mem->n_regions ? vhost_memory_region_at(r, gpa, r->guest_phys_addr, len) : NULL;
	if (p)
		return p;
	for (uint32_t i = 0; i < mem->n_regions; i++) {
		r = &mem->regions[i];
		p = vhost_memory_region_at(r, gpa, r->guest_phys_addr, len);
		if (p) {
			__atomic_store_n(&mem->last_hit, i, __ATOMIC_RELAXED);
			return p;
		}
	}
	return NULL;
}

/* The same for an address in the front end's own address space (rings). */
void *vhost_memory_uva(const struct vhost_memory *mem, uint64_t uva, uint64_t len);

#endif
