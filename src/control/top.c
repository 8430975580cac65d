/* top.c — see top.h. The rates are computed here, on the client, from
 * counters the daemon already keeps: top costs the daemon two show
 * commands per refresh and the forwarding path nothing. */
#include "top.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

/* ---- the words ------------------------------------------------------------- */

int top_parse_args(int argc, char **argv, struct top_options *opt, char *err, size_t err_size)
{
	static const char usage[] =
	    "usage: vswitchctl top [--interval SECONDS] [--count N | --once] [[--switch] NAME]";
	opt->interval = 1;
	opt->count = 0;
	opt->sw = NULL;
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;
		if (!strcmp(w, "--interval") && v) {
			opt->interval = strtod(v, &end);
			if (*end || !(opt->interval >= 0.1 && opt->interval <= 3600)) {
				snprintf(err, err_size, "top: --interval must be 0.1-3600 seconds");
				return -1;
			}
			i++;
		} else if (!strcmp(w, "--count") && v) {
			opt->count = strtol(v, &end, 10);
			if (*end || opt->count < 1) {
				snprintf(err, err_size, "top: --count must be 1 or more");
				return -1;
			}
			i++;
		} else if (!strcmp(w, "--once")) {
			opt->count = 1;
		} else if (!strcmp(w, "--switch") && v) {
			opt->sw = argv[++i];
		} else if (w[0] != '-' && !opt->sw) {
			opt->sw = w;
		} else {
			snprintf(err, err_size, "%s", usage);
			return -1;
		}
	}
	return 0;
}

/* ---- the rates -------------------------------------------------------------- */

static double number(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static double drops_of(const cJSON *counters)
{
	double sum = 0;
	const cJSON *d;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(counters, "drops"))
	{
		if (cJSON_IsNumber(d))
			sum += d->valuedouble;
	}
	return sum;
}

/* The switch a port is on, from `switch show --json`; "" if unknown. */
static const char *switch_of(const cJSON *switches, const char *port)
{
	const cJSON *sw;
	cJSON_ArrayForEach(sw, switches)
	{
		const cJSON *p;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(sw, "ports"))
		{
			if (cJSON_IsString(p) && !strcmp(p->valuestring, port)) {
				const cJSON *name = cJSON_GetObjectItemCaseSensitive(sw, "name");
				return cJSON_IsString(name) ? name->valuestring : "";
			}
		}
	}
	return "";
}

/* (after - before) / seconds; a counter that went back restarted at 0. */
static double rate(double before, double after, double seconds)
{
	return (after >= before ? after - before : after) / seconds;
}

static int busiest_first(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;
	double bx = x->rx_bps + x->tx_bps, by = y->rx_bps + y->tx_bps;
	double px = x->rx_pps + x->tx_pps + x->drops_ps, py = y->rx_pps + y->tx_pps + y->drops_ps;
	if (bx != by)
		return bx < by ? 1 : -1;
	if (px != py)
		return px < py ? 1 : -1;
	int c = strcmp(x->sw, y->sw);
	return c ? c : strcmp(x->port, y->port);
}

size_t top_rows(const cJSON *before, const cJSON *after, const cJSON *switches, double seconds,
		const char *only_sw, struct top_row **rows)
{
	size_t n = 0, cap = (size_t)cJSON_GetArraySize(after) + 1;
	*rows = calloc(cap, sizeof(**rows));
	if (!*rows || seconds <= 0)
		return 0;
	const cJSON *now;
	cJSON_ArrayForEach(now, after)
	{
		const char *sw = switch_of(switches, now->string);
		if (only_sw && strcmp(sw, only_sw) != 0)
			continue;
		const cJSON *was = cJSON_GetObjectItemCaseSensitive(before, now->string);
		struct top_row *r = &(*rows)[n++];
		copy_name(r->sw, sizeof(r->sw), sw);
		copy_name(r->port, sizeof(r->port), now->string);
		if (!was)
			continue; /* new: no rate yet */
		r->rx_pps = rate(number(was, "rx_packets"), number(now, "rx_packets"), seconds);
		r->tx_pps = rate(number(was, "tx_packets"), number(now, "tx_packets"), seconds);
		r->rx_bps = 8 * rate(number(was, "rx_bytes"), number(now, "rx_bytes"), seconds);
		r->tx_bps = 8 * rate(number(was, "tx_bytes"), number(now, "tx_bytes"), seconds);
		r->drops_ps = rate(drops_of(was), drops_of(now), seconds);
	}
	qsort(*rows, n, sizeof(**rows), busiest_first);
	return n;
}

/* ---- the frame ----------------------------------------------------------------- */

/* 1234567 -> "1.23M": SI prefixes, three significant digits. */
static const char *human(double v, char buf[16])
{
	static const char prefixes[] = " kMGTP";
	int p = 0;
	while (v >= 999.5 && p < 5) {
		v /= 1000;
		p++;
	}
	if (p == 0)
		snprintf(buf, 16, "%.0f", v);
	else
		snprintf(buf, 16, "%.*f%c", v < 9.995 ? 2 : v < 99.95 ? 1 : 0, v, prefixes[p]);
	return buf;
}

static void print_json(FILE *out, const struct top_row *rows, size_t n)
{
	cJSON *doc = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "switch", rows[i].sw);
		cJSON_AddStringToObject(o, "port", rows[i].port);
		cJSON_AddNumberToObject(o, "rx_packets_per_s", rows[i].rx_pps);
		cJSON_AddNumberToObject(o, "rx_bits_per_s", rows[i].rx_bps);
		cJSON_AddNumberToObject(o, "tx_packets_per_s", rows[i].tx_pps);
		cJSON_AddNumberToObject(o, "tx_bits_per_s", rows[i].tx_bps);
		cJSON_AddNumberToObject(o, "drops_per_s", rows[i].drops_ps);
		cJSON_AddItemToArray(doc, o);
	}
	char *text = cJSON_PrintUnformatted(doc);
	if (text)
		fprintf(out, "%s\n", text);
	free(text);
	cJSON_Delete(doc);
}

void top_print(FILE *out, const struct top_row *rows, size_t n, const struct top_options *opt)
{
	if (opt->json) {
		print_json(out, rows, n);
		return;
	}
	char when[16];
	time_t t = time(NULL);
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	fprintf(out, "vswitchctl top  %s  every %g s, %zu port%s%s%s, busiest first\n", when,
		opt->interval, n, n == 1 ? "" : "s", opt->sw ? " of switch " : "",
		opt->sw ? opt->sw : "");
	fprintf(out, "%s%-16s %-16s %10s %10s %10s %10s %9s%s\n", opt->clear ? "\033[7m" : "",
		"SWITCH", "PORT", "RX pkt/s", "RX bit/s", "TX pkt/s", "TX bit/s", "DROPS/s",
		opt->clear ? "\033[0m" : "");
	for (size_t i = 0; i < n; i++) {
		const struct top_row *r = &rows[i];
		char a[16], b[16], c[16], d[16], e[16];
		fprintf(out, "%-16s %-16s %10s %10s %10s %10s %9s\n", r->sw, r->port,
			human(r->rx_pps, a), human(r->rx_bps, b), human(r->tx_pps, c),
			human(r->tx_bps, d), human(r->drops_ps, e));
	}
	if (!opt->clear)
		fputc('\n', out); /* frames apart when written to a file or a pipe */
}

/* ---- the loop -------------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Reads counters and switches; 0 or the fetch's exit status. */
static int sample(top_fetch_fn *fetch, void *arg, cJSON **counters, cJSON **switches, uint64_t *at)
{
	static const char *const counters_words[] = {"counters"};
	static const char *const switch_words[] = {"switch", "show"};
	char *text = NULL;
	int status = fetch(arg, counters_words, 1, &text);
	*at = time_now_ns();
	*counters = status ? NULL : cJSON_Parse(text);
	free(text);
	text = NULL;
	if (!status)
		status = fetch(arg, switch_words, 2, &text);
	*switches = status ? NULL : cJSON_Parse(text);
	free(text);
	if (!status && (!*counters || !*switches)) {
		fprintf(stderr, "vswitchctl: top: malformed answer from vswitchd\n");
		status = 2;
	}
	return status;
}

/* The name if `switches` has a switch of that name, else "". */
static const char *switch_name_in(const cJSON *switches, const char *name)
{
	const cJSON *sw;
	cJSON_ArrayForEach(sw, switches)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(sw, "name");
		if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
			return n->valuestring;
	}
	return "";
}

static bool wait_interval(double seconds)
{
	struct timespec left = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
	while (!stop && nanosleep(&left, &left) < 0 && errno == EINTR)
		;
	return !stop;
}

int top_run(top_fetch_fn *fetch, void *arg, const struct top_options *opt, FILE *out)
{
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: the sleep ends */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cJSON *before = NULL, *after = NULL, *switches = NULL;
	uint64_t t0, t1;
	int status = sample(fetch, arg, &before, &switches, &t0);
	if (!status && opt->sw && !*switch_name_in(switches, opt->sw)) {
		fprintf(stderr, "vswitchctl: top: switch %s: no such switch\n", opt->sw);
		status = 1;
	}
	for (long frame = 0; !status && (!opt->count || frame < opt->count); frame++) {
		if (!wait_interval(opt->interval))
			break;
		cJSON_Delete(switches);
		status = sample(fetch, arg, &after, &switches, &t1);
		if (status)
			break;
		struct top_row *rows;
		size_t n =
		    top_rows(before, after, switches, (double)(t1 - t0) / 1e9, opt->sw, &rows);
		if (opt->clear && !opt->json)
			fputs("\033[H\033[2J", out);
		top_print(out, rows, n, opt);
		fflush(out);
		free(rows);
		cJSON_Delete(before);
		before = after;
		after = NULL;
		t0 = t1;
	}
	cJSON_Delete(before);
	cJSON_Delete(after);
	cJSON_Delete(switches);
	return status;
}

int top_main(top_fetch_fn *fetch, void *arg, int argc, char **argv, bool json, bool terminal)
{
	struct top_options opt;
	char err[256];
	if (top_parse_args(argc, argv, &opt, err, sizeof(err)) < 0) {
		fprintf(stderr, "vswitchctl: %s\n", err);
		return 2;
	}
	opt.json = json;
	opt.clear = terminal && !json;
	return top_run(fetch, arg, &opt, stdout);
}
