/* top.h — `vswitchctl top`: per-port rates refreshing in the terminal.
 * Each round reads `counters --json` (and `switch show --json`, for the
 * switch each port is on) over the control socket; a rate is the
 * difference of two successive reads over the time measured between them.
 * Plain text with ANSI clear-screen on a terminal, one frame after
 * another otherwise (or one JSON line per frame with --json). The control
 * socket client is vswitchctl's: it hands in a fetch function. */
#ifndef VSWITCH_TOP_H
#define VSWITCH_TOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct cJSON;

/* Runs one read-only command with --json; returns 0 and *output (malloc'd
 * text), or the exit status vswitchctl would have (its message printed). */
typedef int top_fetch_fn(void *arg, const char *const *words, int n_words, char **output);

struct top_options {
	double interval; /* seconds between refreshes */
	long count;	 /* frames to print, 0: until interrupted */
	const char *sw;	 /* only this switch's ports, NULL: all */
	bool json;	 /* a JSON line per frame */
	bool clear;	 /* clear the screen before each frame (a terminal) */
};

/* One port's rates in a frame. */
struct top_row {
	char sw[32];
	char port[32];
	double rx_pps, rx_bps, tx_pps, tx_bps, drops_ps;
};

/* Parses top's words (`--interval S`, `--count N`, `--once`, `--switch
 * NAME` or a bare NAME); 0, or -1 with a message in err. */
int top_parse_args(int argc, char **argv, struct top_options *opt, char *err, size_t err_size);
/* The rows of a frame from two `counters --json` documents `seconds`
 * apart, with each port's switch from `switch show --json` (`switches`),
 * filtered and sorted by bits/s then packets/s, busiest first. A port
 * absent from `before`, or whose counters went back (cleared), starts from
 * zero. Returns the number of rows (malloc'd in *rows). */
size_t top_rows(const struct cJSON *before, const struct cJSON *after, const struct cJSON *switches,
		double seconds, const char *only_sw, struct top_row **rows);
/* Writes a frame as text (a header and a table) or as one JSON line. */
void top_print(FILE *out, const struct top_row *rows, size_t n, const struct top_options *opt);
/* The loop: reads, waits, reads, prints, `count` times or until SIGINT.
 * Returns vswitchctl's exit status. */
int top_run(top_fetch_fn *fetch, void *arg, const struct top_options *opt, FILE *out);
/* `vswitchctl [--json] top WORDS...`: parses the words and runs; a
 * terminal gets the screen cleared between frames. */
int top_main(top_fetch_fn *fetch, void *arg, int argc, char **argv, bool json, bool terminal);

#endif
