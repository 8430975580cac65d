/* fuzz_utf8.c — libFuzzer target for utf8_escape_invalid(): arbitrary bytes
 * must come out as well-formed UTF-8 (checked by the reference decoder of
 * utf8_reference.h, not by utf8.c itself), each invalid byte as exactly four
 * characters, and well-formed input byte for byte. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/utf8_reference.h"
#include "lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t out_len;
	char *out = utf8_escape_invalid((const char *)data, size, &out_len);
	if (!out)
		return 0;
	size_t invalid = utf8_reference_invalid_bytes(data, size);
	if (utf8_reference_invalid_bytes((const uint8_t *)out, out_len) != 0)
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
