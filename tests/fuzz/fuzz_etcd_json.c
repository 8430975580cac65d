/* fuzz_etcd_json.c — libFuzzer target for the decoders of etcd's answers
 * (src/cluster/etcd_json.c) that take bytes from the network: one watch
 * stream line and one range answer. Any input must be refused or decoded
 * without a crash, a leak or a read past len; what is decoded must hold
 * together (a NUL after every value, events only with 0). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	char err[256];
	struct etcd_event *events;
	size_t n;
	int64_t revision;
	int rc = etcd_json_watch_response(copy, size, &events, &n, &revision, err, sizeof(err));
	if (rc != 0 && (events || n))
		abort(); /* events without success */
	for (size_t i = 0; i < n; i++)
		if (events[i].kv.value[events[i].kv.value_len] != '\0' || !events[i].kv.key)
			abort();
	etcd_events_free(events, n);
	struct etcd_result result;
	rc = etcd_json_range_response(copy, size, &result, err, sizeof(err));
	if (rc != 0 && (result.kvs || result.n))
		abort();
	for (size_t i = 0; i < result.n; i++)
		if (result.kvs[i].value[result.kvs[i].value_len] != '\0')
			abort();
	etcd_result_free(&result);
	char *out;
	size_t len;
	if (etcd_base64_decode(copy, size, &out, &len) == 0) {
		char *again = etcd_base64_encode(out, len);
		/* Canonical input comes back as it was. */
		if (again && strlen(again) == size && memcmp(again, copy, size) != 0 &&
		    memchr(copy, '=', size) == NULL)
			abort();
		free(again);
		free(out);
	}
	free(copy);
	return 0;
}
