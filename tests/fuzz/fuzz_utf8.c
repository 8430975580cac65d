/* fuzz_utf8.c — libFuzzer target for utf8_escape_invalid(): arbitrary bytes
 * must come out as well-formed UTF-8 (checked by the table-free decoder
 * below, not by utf8.c itself), each invalid byte as exactly four
 * characters, and well-formed input byte for byte. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"

/* RFC 3629 by arithmetic; counts the bytes that start no valid sequence the
 * way utf8.c skips them (one at a time). */
static size_t count_invalid(const uint8_t *s, size_t len)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t out_len;
	char *out = utf8_escape_invalid((const char *)data, size, &out_len);
	if (!out)
		return 0;
	size_t invalid = count_invalid(data, size);
	if (count_invalid((const uint8_t *)out, out_len) != 0)
		abort(); /* the escaped text is not UTF-8 */
	if (out_len != size + 3 * invalid || out[out_len] != '\0')
		abort(); /* an invalid byte not written as \xHH, or a valid one lost */
	if (invalid == 0 && memcmp(out, data, size) != 0)
		abort(); /* valid input changed */
	if (utf8_is_valid((const char *)data, size) != (invalid == 0))
		abort();
	free(out);
	return 0;
}
