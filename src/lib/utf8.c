/* utf8.c — see utf8.h. The well-formed sequences are those of the Unicode
 * standard's table 3-7: the first byte fixes the length and the range of the
 * second byte, which is what excludes overlong forms, surrogates and code
 * points above U+10FFFF; later bytes are plain continuations (80-BF). */
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t utf8_sequence_length(const uint8_t *s, size_t len)
{
	if (len == 0)
		return 0;
	uint8_t b = s[0], low = 0x80, high = 0xbf; /* the second byte's range */
	size_t n;
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		low = b == 0xe0 ? 0xa0 : low;	/* overlong below U+0800 */
		high = b == 0xed ? 0x9f : high; /* surrogates D800-DFFF */
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		low = b == 0xf0 ? 0x90 : low;	/* overlong below U+10000 */
		high = b == 0xf4 ? 0x8f : high; /* above U+10FFFF */
	} else {
		return 0; /* a continuation byte, C0, C1 or F5-FF */
	}
	if (len < n || s[1] < low || s[1] > high)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

bool utf8_is_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence_length(p + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

char *utf8_escape_invalid(const char *s, size_t len, size_t *out_len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t invalid = 0;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence_length(p + i, len - i);
		invalid += n == 0;
		i += n ? n : 1;
	}
	char *out = malloc(len + 3 * invalid + 1);
	if (!out)
		return NULL;
	size_t used = 0;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence_length(p + i, len - i);
		if (n) {
			memcpy(out + used, p + i, n);
			used += n;
			i += n;
		} else {
			used += (size_t)sprintf(out + used, "\\x%02x", p[i++]);
		}
	}
	out[used] = '\0';
	if (out_len)
		*out_len = used;
	return out;
}
