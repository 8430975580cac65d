/* fuzz_http.c — libFuzzer target for http_parse_request() (src/control/
 * http.c), the parser any local user reaches through the HTTP listener:
 * it must never read past its input, and whatever it accepts must keep
 * http.h's promises (a path that starts with '/', holds no "//", no "."
 * or ".." segment, fits with its NUL; a query that fits). The input is
 * parsed as the server does, request after request (pipelining), and
 * every prefix of the first request must ask for more or be refused. */
#include <stdlib.h>
#include <string.h>

#include "control/http.h"

static void check(const struct http_request *req)
{
	size_t len = strnlen(req->path, sizeof(req->path));
	if (len == sizeof(req->path) || req->path[0] != '/' || strstr(req->path, "//"))
		abort();
	if (strnlen(req->query, sizeof(req->query)) == sizeof(req->query))
		abort();
	for (const char *s = req->path; (s = strchr(s, '/')); s++) {
		size_t n = strcspn(s + 1, "/");
		if ((n == 1 && s[1] == '.') || (n == 2 && s[1] == '.' && s[2] == '.'))
			abort();
	}
	if (strnlen(req->host, sizeof(req->host)) == sizeof(req->host))
		abort();
	(void)http_host_is_local(req->host); /* the guard's check, on any Host */
	if (req->method != HTTP_GET && req->method != HTTP_HEAD)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan sees a read one beyond. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	size_t used = 0;
	struct http_request req;
	for (int n = 0; used < size && n < 64; n++) {
		int taken = http_parse_request(buf + used, size - used, &req);
		if (taken <= 0) {
			if (taken < -505 || (taken == 0 && size - used >= HTTP_MAX_REQUEST))
				abort();
			break;
		}
		if ((size_t)taken > size - used || taken > HTTP_MAX_REQUEST)
			abort();
		check(&req);
		used += (size_t)taken;
	}
	int whole = http_parse_request(buf, size, &req);
	if (whole > 0) {
		for (size_t cut = 0; cut < (size_t)whole; cut += 1 + cut / 8)
			if (http_parse_request(buf, cut, &req) > 0)
				abort(); /* a request whole before its empty line */
	}
	free(buf);
	return 0;
}
