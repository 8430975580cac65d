/* utf8_reference.h — UTF-8 as RFC 3629 defines it, written independently of
 * src/lib/utf8.c (which follows the Unicode standard's table) so the two can
 * check each other: test_utf8.c and fuzz_utf8.c compare them. */
#ifndef VSWITCH_TEST_UTF8_REFERENCE_H
#define VSWITCH_TEST_UTF8_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes by arithmetic, then refuses overlong forms, surrogates and code
 * points above U+10FFFF. Returns how many bytes start no valid sequence,
 * skipping them one at a time as utf8_escape_invalid() does. */
static inline size_t utf8_reference_invalid_bytes(const uint8_t *s, size_t len)
{
	static const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t invalid = 0;
	for (size_t i = 0; i < len;) {
		uint8_t b = s[i];
		size_t n = b < 0x80	    ? 1
			   : (b >> 5) == 6  ? 2
			   : (b >> 4) == 14 ? 3
			   : (b >> 3) == 30 ? 4
					    : 0;
		uint32_t cp = n <= 1 ? b : b & (0x7f >> n);
		bool ok = n > 0 && i + n <= len;
		for (size_t k = 1; ok && k < n; k++) {
			ok = (s[i + k] >> 6) == 2;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		ok = ok && cp >= smallest[n] && (cp < 0xd800 || cp > 0xdfff) && cp <= 0x10ffff;
		invalid += !ok;
		i += ok ? n : 1;
	}
	return invalid;
}

#endif
