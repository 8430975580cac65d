/* test_vhost_memory.c — guest memory tables (src/port/vhost_memory.c):
 * translations stay inside one region, and tables that overlap, overflow or
 * hold too many regions are refused before anything is mapped. */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"
#include "port/vhost_memory.h"

static void test_translation_stays_inside_a_region(void **state)
{
	(void)state;
	static uint8_t a[4096], b[4096];
	struct vhost_memory_desc d[2] = {{0x1000, 4096, 0x7000, 0}, {0x3000, 4096, 0x9000, 0}};
	uint8_t *host[2] = {a, b};
	struct vhost_memory m = {0};
	char why[100];
	assert_int_equal(vhost_memory_adopt(&m, d, 2, host, why, sizeof(why)), 0);
	assert_ptr_equal(vhost_memory_gpa(&m, 0x1000, 4096), a);
	assert_ptr_equal(vhost_memory_gpa(&m, 0x3010, 16), b + 16);
	assert_null(vhost_memory_gpa(&m, 0x1ff0, 32)); /* runs past the region */
	assert_null(vhost_memory_gpa(&m, 0x2000, 1));  /* the hole between */
	assert_null(vhost_memory_gpa(&m, 0xfff, 2));
	assert_null(vhost_memory_gpa(&m, UINT64_MAX, 2));
	assert_ptr_equal(vhost_memory_uva(&m, 0x9000, 8), b);
	assert_null(vhost_memory_uva(&m, 0x1000, 8)); /* a GPA is not a UVA */
	vhost_memory_unmap(&m);
	assert_null(vhost_memory_gpa(&m, 0x1000, 1));
}

static void test_bad_tables_are_refused(void **state)
{
	(void)state;
	static uint8_t a[4096];
	uint8_t *host[9] = {a, a, a, a, a, a, a, a, a};
	struct vhost_memory m = {0};
	char why[100];
	struct vhost_memory_desc overlap[2] = {{0x1000, 0x2000, 0, 0}, {0x2000, 0x1000, 0, 0}};
	assert_int_equal(vhost_memory_adopt(&m, overlap, 2, host, why, sizeof(why)), -EINVAL);
	struct vhost_memory_desc wrap[1] = {{UINT64_MAX - 10, 4096, 0, 0}};
	assert_int_equal(vhost_memory_adopt(&m, wrap, 1, host, why, sizeof(why)), -EINVAL);
	struct vhost_memory_desc empty[1] = {{0, 0, 0, 0}};
	assert_int_equal(vhost_memory_adopt(&m, empty, 1, host, why, sizeof(why)), -EINVAL);
	struct vhost_memory_desc many[9] = {{0}};
	for (int i = 0; i < 9; i++)
		many[i] = (struct vhost_memory_desc){(uint64_t)i << 20, 4096, 0, 0};
	assert_int_equal(vhost_memory_adopt(&m, many, 9, host, why, sizeof(why)), -EINVAL);
	assert_int_equal(m.n_regions, 0);
}

static void test_memfd_region_is_mapped_with_its_offset(void **state)
{
	(void)state;
	int fd = memfd_create("guest", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, 8192), 0);
	assert_int_equal(pwrite(fd, "hi", 2, 4096), 2);
	struct vhost_memory_desc d = {0x100000, 4096, 0x7f00000000, 4096};
	struct vhost_memory m = {0};
	char why[100];
	assert_int_equal(vhost_memory_map(&m, &d, 1, &fd, why, sizeof(why)), 0);
	assert_memory_equal(vhost_memory_gpa(&m, 0x100000, 2), "hi", 2);
	/* An offset past the file's end is refused, not a SIGBUS later. */
	struct vhost_memory_desc beyond = {0x100000, 8192, 0, 4096};
	assert_int_equal(vhost_memory_map(&m, &beyond, 1, &fd, why, sizeof(why)), -EINVAL);
	assert_int_equal(m.n_regions, 1); /* the old table stays */
	vhost_memory_unmap(&m);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_translation_stays_inside_a_region),
	    cmocka_unit_test(test_bad_tables_are_refused),
	    cmocka_unit_test(test_memfd_region_is_mapped_with_its_offset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
