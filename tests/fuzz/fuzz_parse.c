/* fuzz_parse.c — libFuzzer target for parse_frame(): arbitrary bytes, with
 * or without a kernel-stripped tag, must give a verdict without reading past
 * the frame. Input: [flags][tci hi][tci lo][frame...]. */
#include <stdlib.h>

#include "engine/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	bool meta = data[0] & 1;
	uint16_t mtu = (data[0] & 2) ? 1500 : 68;
	uint16_t tci = load_be16(data + 1);
	size_t len = size - 3;
	/* An exact-size copy so AddressSanitizer sees any read past the end. */
	uint8_t *frame = malloc(len ? len : 1);
	if (!frame)
		return 0;
	memcpy(frame, data + 3, len);
	struct frame_header h;
	enum drop_reason why = parse_frame(frame, (uint32_t)len, meta, tci, mtu, &h);
	if (why >= DROP_MAX || (why == DROP_NONE && len < ETH_HEADER_LEN))
		abort();
	if (why == DROP_NONE && h.inline_tag && (meta || len < ETH_HEADER_LEN + VLAN_TAG_LEN))
		abort();
	free(frame);
	return 0;
}
