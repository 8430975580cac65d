/* fuzz_vxlan.c — libFuzzer target for the VXLAN header codec
 * (src/port/vxlan_header.c): any UDP payload gets a verdict without a read
 * past its end, an accepted header is exactly what vxlan_header_build()
 * writes for its VNI, and nothing else is accepted. Input: the payload;
 * tests/fuzz/make-corpus.py writes seeds (fuzz_vxlan). */
#include <stdlib.h>
#include <string.h>

#include "port/vxlan_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so AddressSanitizer sees any read past the end. */
	uint8_t *payload = malloc(size ? size : 1);
	if (!payload)
		return 0;
	memcpy(payload, data, size);
	uint32_t vni = 0;
	enum vxlan_verdict v = vxlan_header_parse(payload, size, &vni);
	if (v > VXLAN_RESERVED || (size < VXLAN_HEADER_LEN) != (v == VXLAN_SHORT))
		abort();
	if (v == VXLAN_OK) {
		uint8_t h[VXLAN_HEADER_LEN];
		if (vni > VXLAN_VNI_MAX)
			abort();
		vxlan_header_build(h, vni);
		if (memcmp(h, payload, VXLAN_HEADER_LEN) != 0)
			abort();
	} else if (v != VXLAN_SHORT &&
		   ((payload[0] & VXLAN_FLAG_I) != 0) == (v == VXLAN_NO_I_FLAG)) {
		abort(); /* the I flag alone decides between the two verdicts */
	}
	free(payload);
	return 0;
}
