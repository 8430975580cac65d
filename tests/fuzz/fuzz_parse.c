/* fuzz_parse.c — libFuzzer target for parse_frame(): arbitrary bytes, with
 * or without a kernel-stripped tag, must give a verdict without reading past
 * the frame, and stacked tags (C+C, S-tag outside) are never the parser's
 * verdict: they are payload, for the port's guard to judge. Input:
 * [flags][tci hi][tci lo][frame...]; tests/fuzz/make-corpus.py writes seeds. */
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
	if (why == DROP_STACKED_TAG || (why == DROP_NONE && h.inline_tag && !h.tagged))
		abort();
	/* stacked iff a tag type follows the outer C-tag, or an S-tag is outermost */
	if (why == DROP_NONE) {
		uint16_t outer = load_be16(frame + 12);
		uint16_t next = h.inline_tag ? load_be16(frame + 16) : outer;
		bool c_tag = meta || outer == ETH_TYPE_VLAN;
		bool s_tag = outer == ETH_TYPE_QINQ || outer == ETH_TYPE_QINQ_OLD;
		bool inner =
		    next == ETH_TYPE_VLAN || next == ETH_TYPE_QINQ || next == ETH_TYPE_QINQ_OLD;
		if (h.stacked != (c_tag ? inner : s_tag) || h.tagged != c_tag)
			abort();
	}
	free(frame);
	return 0;
}
