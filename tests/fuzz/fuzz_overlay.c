/* fuzz_overlay.c — libFuzzer target for the overlay's codec
 * (src/cluster/overlay.c): hosts/HOST values are written by other hosts, so
 * any bytes must decode or be refused, never crash; what decodes must
 * encode and decode again to the same thing; any vni= text must map or be
 * refused. */
#include <stdlib.h>
#include <string.h>

#include "cluster/overlay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], spec[160];
	struct overlay_host h, back;
	struct overlay_vni map[64];
	size_t n = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;
	memcpy(spec, data, n);
	spec[n] = '\0';
	overlay_vni_map(spec, 1, map, 64);
	if (overlay_host_decode("h1", (const char *)data, size, &h, err, sizeof(err)))
		return 0;
	char *json = overlay_host_extend("{}", &h);
	if (json) {
		if (overlay_host_decode("h1", json, strlen(json), &back, err, sizeof(err)))
			abort();
		/* vtep is the schema's field: extend keeps the base's. */
		back.vtep[0] = '\0';
		memcpy(back.vtep, h.vtep, sizeof(h.vtep));
		if (!overlay_host_equal(&h, &back))
			abort();
		overlay_host_free(&back);
		free(json);
	}
	overlay_host_free(&h);
	return 0;
}
