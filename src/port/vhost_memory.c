/* vhost_memory.c — mapping the guest memory a vhost-user front end shares
 * with us, and translating its addresses (vhost_memory.h). A hostile table
 * (overlaps, sizes that overflow, more regions than the protocol allows) is
 * refused before anything is mapped. */
#include "vhost_memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static int check_table(const struct vhost_memory_desc *desc, uint32_t n, char *why, size_t why_size)
{
	if (n == 0 || n > VHOST_MEMORY_MAX_REGIONS) {
		snprintf(why, why_size, "%u memory regions (1-%d allowed)", n,
			 VHOST_MEMORY_MAX_REGIONS);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct vhost_memory_desc *d = &desc[i];
		if (d->memory_size == 0 ||
		    d->guest_phys_addr + d->memory_size < d->guest_phys_addr ||
		    d->userspace_addr + d->memory_size < d->userspace_addr ||
		    d->mmap_offset + d->memory_size < d->mmap_offset ||
		    d->memory_size > (UINT64_C(1) << 48)) {
			snprintf(why, why_size, "memory region %u: size 0x%llx at 0x%llx overflows",
				 i, (unsigned long long)d->memory_size,
				 (unsigned long long)d->guest_phys_addr);
			return -EINVAL;
		}
		for (uint32_t j = 0; j < i; j++) {
			const struct vhost_memory_desc *o = &desc[j];
			if (d->guest_phys_addr < o->guest_phys_addr + o->memory_size &&
			    o->guest_phys_addr < d->guest_phys_addr + d->memory_size) {
				snprintf(why, why_size, "memory regions %u and %u overlap", j, i);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static void fill_region(struct vhost_memory_region *r, const struct vhost_memory_desc *d,
			uint8_t *host)
{
	r->guest_phys_addr = d->guest_phys_addr;
	r->user_addr = d->userspace_addr;
	r->size = d->memory_size;
	r->host = host;
	r->mmap_base = NULL;
	r->mmap_size = 0;
}

int vhost_memory_adopt(struct vhost_memory *mem, const struct vhost_memory_desc *desc, uint32_t n,
		       uint8_t *const *host, char *why, size_t why_size)
{
	int error = check_table(desc, n, why, why_size);
	if (error)
		return error;
	vhost_memory_unmap(mem);
	for (uint32_t i = 0; i < n; i++)
		fill_region(&mem->regions[i], &desc[i], host[i]);
	mem->n_regions = n;
	return 0;
}

int vhost_memory_map(struct vhost_memory *mem, const struct vhost_memory_desc *desc, uint32_t n,
		     const int *fds, char *why, size_t why_size)
{
	struct vhost_memory next = {0};
	int error = check_table(desc, n, why, why_size);
	if (error)
		return error;
	for (uint32_t i = 0; i < n; i++) {
		const struct vhost_memory_desc *d = &desc[i];
		struct stat st;
		if (fstat(fds[i], &st) < 0) {
			error = -errno;
			snprintf(why, why_size, "memory region %u: fd: %s", i, strerror(errno));
			goto fail;
		}
		/* hugetlbfs maps whole huge pages only: round up to st_blksize. */
		uint64_t align = st.st_blksize > 0 ? (uint64_t)st.st_blksize : 4096;
		uint64_t size = d->mmap_offset + d->memory_size;
		size = (size + align - 1) & ~(align - 1);
		if (size > (uint64_t)st.st_size && S_ISREG(st.st_mode)) {
			snprintf(why, why_size,
				 "memory region %u: offset 0x%llx + size 0x%llx beyond its file", i,
				 (unsigned long long)d->mmap_offset,
				 (unsigned long long)d->memory_size);
			error = -EINVAL;
			goto fail;
		}
		void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (base == MAP_FAILED) {
			error = -errno;
			snprintf(why, why_size, "memory region %u: mmap of 0x%llx bytes: %s", i,
				 (unsigned long long)size, strerror(errno));
			goto fail;
		}
		fill_region(&next.regions[i], d, (uint8_t *)base + d->mmap_offset);
		next.regions[i].mmap_base = base;
		next.regions[i].mmap_size = size;
		next.n_regions = i + 1;
	}
	vhost_memory_unmap(mem);
	*mem = next;
	return 0;
fail:
	vhost_memory_unmap(&next);
	return error;
}

void vhost_memory_unmap(struct vhost_memory *mem)
{
	for (uint32_t i = 0; i < mem->n_regions; i++)
		if (mem->regions[i].mmap_base)
			munmap(mem->regions[i].mmap_base, mem->regions[i].mmap_size);
	memset(mem, 0, sizeof(*mem));
}

void *vhost_memory_uva(const struct vhost_memory *mem, uint64_t uva, uint64_t len)
{
	if (len == 0)
		len = 1;
	for (uint32_t i = 0; i < mem->n_regions; i++) {
		const struct vhost_memory_region *r = &mem->regions[i];
		void *p = vhost_memory_region_at(r, uva, r->user_addr, len);
		if (p)
			return p;
	}
	return NULL;
}
