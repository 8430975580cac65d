/* test_top.c — vswitchctl top's rates and frames (src/control/top.c): the
 * difference of two counter reads over the time between them, per port
 * with its switch; a new port and a cleared counter start from zero; the
 * switch filter; busiest first; the table's units; and the words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "control/top.h"

static const char switches_json[] =
    "[{\"name\":\"sw0\",\"ports\":[\"a\",\"b\"]},{\"name\":\"sw1\",\"ports\":[\"c\",\"d\"]}]";

static const char before_json[] =
    "{\"a\":{\"rx_packets\":100,\"rx_bytes\":10000,\"tx_packets\":0,\"tx_bytes\":0,"
    "\"drops\":{\"runt\":1,\"tx-full\":0}},"
    "\"b\":{\"rx_packets\":0,\"rx_bytes\":0,\"tx_packets\":50,\"tx_bytes\":5000,"
    "\"drops\":{}},"
    "\"c\":{\"rx_packets\":900,\"rx_bytes\":90000,\"tx_packets\":0,\"tx_bytes\":0,"
    "\"drops\":{}}}";

/* Two seconds later: a received 2000 frames of 1000 bytes and dropped 10,
 * b sent 2000, c was cleared (now 4), d is new. */
static const char after_json[] =
    "{\"a\":{\"rx_packets\":2100,\"rx_bytes\":2010000,\"tx_packets\":0,\"tx_bytes\":0,"
    "\"drops\":{\"runt\":5,\"tx-full\":6}},"
    "\"b\":{\"rx_packets\":0,\"rx_bytes\":0,\"tx_packets\":2050,\"tx_bytes\":2005000,"
    "\"drops\":{}},"
    "\"c\":{\"rx_packets\":4,\"rx_bytes\":400,\"tx_packets\":0,\"tx_bytes\":0,\"drops\":{}},"
    "\"d\":{\"rx_packets\":7,\"rx_bytes\":700,\"tx_packets\":0,\"tx_bytes\":0,\"drops\":{}}}";

static size_t rows_of(const char *only, struct top_row **rows)
{
	cJSON *before = cJSON_Parse(before_json), *after = cJSON_Parse(after_json);
	cJSON *switches = cJSON_Parse(switches_json);
	assert_non_null(before);
	assert_non_null(after);
	assert_non_null(switches);
	size_t n = top_rows(before, after, switches, 2.0, only, rows);
	cJSON_Delete(before);
	cJSON_Delete(after);
	cJSON_Delete(switches);
	return n;
}

static void test_rates_are_differences_over_the_interval(void **state)
{
	(void)state;
	struct top_row *rows;
	size_t n = rows_of(NULL, &rows);
	assert_int_equal(n, 4);
	/* busiest first: a and b carry 8 Mbit/s each; a's drops break the tie */
	assert_string_equal(rows[0].port, "a");
	assert_string_equal(rows[0].sw, "sw0");
	assert_true(rows[0].rx_pps == 1000);
	assert_true(rows[0].rx_bps == 8000000);
	assert_true(rows[0].tx_pps == 0);
	assert_true(rows[0].drops_ps == 5);
	assert_string_equal(rows[1].port, "b");
	assert_true(rows[1].tx_pps == 1000 && rows[1].tx_bps == 8000000);
	/* c went back (counters clear): from zero, 4 frames in 2 s */
	assert_string_equal(rows[2].port, "c");
	assert_string_equal(rows[2].sw, "sw1");
	assert_true(rows[2].rx_pps == 2 && rows[2].rx_bps == 1600);
	/* d is new: no rate yet */
	assert_string_equal(rows[3].port, "d");
	assert_true(rows[3].rx_pps == 0 && rows[3].rx_bps == 0);
	free(rows);
}

static void test_switch_filter(void **state)
{
	(void)state;
	struct top_row *rows;
	size_t n = rows_of("sw1", &rows);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].port, "c");
	assert_string_equal(rows[1].port, "d");
	free(rows);
	assert_int_equal(rows_of("nosuch", &rows), 0);
	free(rows);
}

static void test_text_frame_uses_si_units(void **state)
{
	(void)state;
	struct top_row *rows;
	size_t n = rows_of(NULL, &rows);
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	struct top_options opt = {.interval = 2};
	top_print(out, rows, n, &opt);
	fclose(out);
	assert_non_null(strstr(text, "4 ports, busiest first"));
	assert_non_null(strstr(text, "SWITCH"));
	assert_non_null(strstr(text, "DROPS/s"));
	/* a: 1000 pkt/s is "1.00k", 8 Mbit/s "8.00M", 5 drops/s */
	char *a = strstr(text, "\nsw0              a ");
	assert_non_null(a);
	char word[7][16];
	assert_int_equal(sscanf(a, "%15s %15s %15s %15s %15s %15s %15s", word[0], word[1], word[2],
				word[3], word[4], word[5], word[6]),
			 7);
	assert_string_equal(word[2], "1.00k");
	assert_string_equal(word[3], "8.00M");
	assert_string_equal(word[4], "0");
	assert_string_equal(word[6], "5");
	assert_null(strchr(text, '\033')); /* no terminal, no escapes */
	free(text);
	/* JSON: one line, exact numbers */
	text = NULL;
	out = open_memstream(&text, &size);
	opt.json = true;
	top_print(out, rows, n, &opt);
	fclose(out);
	cJSON *doc = cJSON_Parse(text);
	assert_int_equal(cJSON_GetArraySize(doc), 4);
	cJSON *first = cJSON_GetArrayItem(doc, 0);
	assert_true(cJSON_GetObjectItem(first, "rx_bits_per_s")->valuedouble == 8000000);
	assert_int_equal(strchr(text, '\n') - text, (long)strlen(text) - 1);
	cJSON_Delete(doc);
	free(text);
	free(rows);
}

static void test_words(void **state)
{
	(void)state;
	struct top_options opt;
	char err[256];
	char *ok[] = {"--interval", "0.5", "--count", "3", "sw0"};
	assert_int_equal(top_parse_args(5, ok, &opt, err, sizeof(err)), 0);
	assert_true(opt.interval == 0.5);
	assert_int_equal(opt.count, 3);
	assert_string_equal(opt.sw, "sw0");
	char *once[] = {"--once", "--switch", "x"};
	assert_int_equal(top_parse_args(3, once, &opt, err, sizeof(err)), 0);
	assert_int_equal(opt.count, 1);
	assert_true(opt.interval == 1);
	assert_string_equal(opt.sw, "x");
	char *bad[][2] = {{"--interval", "0"}, {"--interval", "x"}, {"--count", "0"},
			  {"--count", "-1"},   {"--bogus", "1"},    {"a", "b"}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(top_parse_args(2, bad[i], &opt, err, sizeof(err)), -1);
	char *alone[] = {"--interval"};
	assert_int_equal(top_parse_args(1, alone, &opt, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rates_are_differences_over_the_interval),
	    cmocka_unit_test(test_switch_filter),
	    cmocka_unit_test(test_text_frame_uses_si_units),
	    cmocka_unit_test(test_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
