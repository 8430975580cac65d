/* utf8.h — UTF-8 as RFC 3629 defines it, for text the daemon hands out:
 * every control reply must be valid UTF-8 JSON, also when the request's
 * words were not (an error message names the object the caller typed). */
#ifndef VSWITCH_UTF8_H
#define VSWITCH_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length (1-4) of the well-formed sequence that s[0..len) starts with,
 * or 0 if it starts with none: a stray continuation byte, an overlong form,
 * a surrogate, a code point above U+10FFFF, a cut sequence, or len 0. */
size_t utf8_sequence_length(const uint8_t *s, size_t len);
bool utf8_is_valid(const char *s, size_t len);
/* A copy of s[0..len) in which every byte that is not part of a well-formed
 * sequence becomes the four characters \xHH (lower-case hex); well-formed
 * text, ASCII included, is copied byte for byte. Malloc'd, NUL-terminated,
 * its length in *out_len if out_len is not NULL; NULL if out of memory. */
char *utf8_escape_invalid(const char *s, size_t len, size_t *out_len);

#endif
