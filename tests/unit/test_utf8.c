/* test_utf8.c — UTF-8 checking and escaping (src/lib/utf8.c): well-formed
 * text passes byte for byte, every other byte becomes \xHH, and the result
 * is always well-formed. The table-driven checker is compared on every
 * input of up to two bytes, and on longer ones made of every byte pair and
 * bytes at the table's boundaries, with the reference of utf8_reference.h,
 * which decodes the code point and checks its range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"
#include "utf8_reference.h"

static bool ref_valid(const uint8_t *s, size_t len)
{
	return utf8_reference_invalid_bytes(s, len) == 0;
}

static void assert_escapes_to(const char *in, const char *want)
{
	size_t out_len = 0;
	char *out = utf8_escape_invalid(in, strlen(in), &out_len);
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(out_len, strlen(want));
	free(out);
}

/* The escape keeps valid text, makes the rest valid, and the checker agrees
 * with the reference. */
static void check_against_reference(const uint8_t *s, size_t len)
{
	bool valid = ref_valid(s, len);
	assert_int_equal(utf8_is_valid((const char *)s, len), valid);
	size_t out_len;
	char *out = utf8_escape_invalid((const char *)s, len, &out_len);
	assert_non_null(out);
	assert_true(ref_valid((const uint8_t *)out, out_len));
	if (valid) {
		assert_int_equal(out_len, len);
		assert_memory_equal(out, s, len);
	}
	free(out);
}

static void test_ascii_and_multibyte_text_is_copied_unchanged(void **state)
{
	(void)state;
	/* U+007F, U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF */
	const char *text = "port vm1 \x7f \xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 "
			   "\xef\xbf\xbf \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf caf\xc3\xa9";
	assert_true(utf8_is_valid(text, strlen(text)));
	assert_escapes_to(text, text);
	assert_escapes_to("", "");
}

static void test_invalid_byte_becomes_backslash_x_and_hex(void **state)
{
	(void)state;
	assert_false(utf8_is_valid("switch \xff", 8));
	assert_escapes_to("switch \xff: no such switch", "switch \\xff: no such switch");
	assert_escapes_to("\xfe\xc0\xc1\xf5", "\\xfe\\xc0\\xc1\\xf5");
}

static void test_stray_continuation_bytes_are_escaped_one_by_one(void **state)
{
	(void)state;
	assert_escapes_to("a\x80\xbf"
			  "b",
			  "a\\x80\\xbfb");
}

static void test_overlong_forms_are_escaped(void **state)
{
	(void)state;
	assert_escapes_to("\xc0\x80", "\\xc0\\x80");		       /* U+0000 in two */
	assert_escapes_to("\xe0\x9f\xbf", "\\xe0\\x9f\\xbf");	       /* U+07FF in three */
	assert_escapes_to("\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf"); /* U+FFFF in four */
}

static void test_surrogates_are_escaped(void **state)
{
	(void)state;
	assert_escapes_to("\xed\xa0\x80", "\\xed\\xa0\\x80");
	assert_escapes_to("\xed\xbf\xbf", "\\xed\\xbf\\xbf");
}

static void test_code_points_above_10ffff_are_escaped(void **state)
{
	(void)state;
	assert_escapes_to("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
}

static void test_cut_sequence_is_escaped_and_what_follows_kept(void **state)
{
	(void)state;
	assert_escapes_to("\xe2\x82", "\\xe2\\x82"); /* cut at the end */
	assert_escapes_to("\xe2\x82"
			  "A\xc3\xa9",
			  "\\xe2\\x82"
			  "A\xc3\xa9"); /* cut mid-text */
	assert_escapes_to("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
}

/* Bytes around every boundary of the table: ASCII, continuation ranges,
 * leads with a narrowed second byte, bytes that never appear. */
static const uint8_t edges[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
				0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff};

static void test_every_short_input_agrees_with_the_reference(void **state)
{
	(void)state;
	uint8_t s[4];
	for (uint32_t v = 0; v < (1u << 16); v++) {
		s[0] = (uint8_t)(v >> 8), s[1] = (uint8_t)v;
		check_against_reference(s + 1, 1);
		check_against_reference(s, 2);
		for (size_t i = 0; i < sizeof(edges); i++) {
			s[2] = edges[i];
			check_against_reference(s, 3);
		}
	}
	/* Four bytes: every lead of a four-byte sequence and its neighbours,
	 * every second byte, the edges after. */
	for (uint32_t v = 0xef00; v <= 0xf5ff; v++)
		for (size_t i = 0; i < sizeof(edges); i++)
			for (size_t j = 0; j < sizeof(edges); j++) {
				s[0] = (uint8_t)(v >> 8), s[1] = (uint8_t)v;
				s[2] = edges[i], s[3] = edges[j];
				check_against_reference(s, 4);
			}
}

static void test_sequence_length_of_empty_input_is_zero(void **state)
{
	(void)state;
	assert_int_equal(utf8_sequence_length((const uint8_t *)"", 0), 0);
	assert_int_equal(utf8_sequence_length((const uint8_t *)"\xf0\x90\x80\x80", 4), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ascii_and_multibyte_text_is_copied_unchanged),
	    cmocka_unit_test(test_invalid_byte_becomes_backslash_x_and_hex),
	    cmocka_unit_test(test_stray_continuation_bytes_are_escaped_one_by_one),
	    cmocka_unit_test(test_overlong_forms_are_escaped),
	    cmocka_unit_test(test_surrogates_are_escaped),
	    cmocka_unit_test(test_code_points_above_10ffff_are_escaped),
	    cmocka_unit_test(test_cut_sequence_is_escaped_and_what_follows_kept),
	    cmocka_unit_test(test_every_short_input_agrees_with_the_reference),
	    cmocka_unit_test(test_sequence_length_of_empty_input_is_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
