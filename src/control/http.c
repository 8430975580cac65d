/* http.c — see http.h: the request parser and the reason phrases. The
 * parser is strict where a lax one would let a request mean two things
 * (a bare CR, folded headers, a body, a path that climbs out with "..")
 * and lenient only where clients really differ (a bare LF ends a line). */
#include "http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "";
	}
}

/* RFC 9110 tchar: what a method or a header name is made of. */
static bool is_tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One line of the head: [start, end) without its CR LF or LF. */
struct line {
	const uint8_t *start;
	size_t len;
};

/* The end of the head (the bytes up to and including the empty line), or 0
 * if it has not all come. A CR not followed by LF is refused (-400). */
static long head_length(const uint8_t *buf, size_t len)
{
	size_t line_start = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\r' && i + 1 < len && buf[i + 1] != '\n')
			return -400;
		if (buf[i] != '\n')
			continue;
		size_t line_len = i - line_start;
		if (line_len > 0 && buf[i - 1] == '\r')
			line_len--;
		if (line_len == 0 && line_start > 0)
			return (long)(i + 1);
		line_start = i + 1;
	}
	return 0;
}

/* The line at *pos of the head (head bytes, which end in LF). */
static struct line next_line(const uint8_t *buf, size_t head, size_t *pos)
{
	const uint8_t *nl = memchr(buf + *pos, '\n', head - *pos);
	struct line l = {buf + *pos, (size_t)(nl - (buf + *pos))};
	if (l.len && l.start[l.len - 1] == '\r')
		l.len--;
	*pos = (size_t)(nl - buf) + 1;
	return l;
}

static int parse_method(const uint8_t *m, size_t len, struct http_request *req)
{
	static const char *const not_allowed[] = {"POST",    "PUT",	"DELETE", "PATCH",
						  "OPTIONS", "CONNECT", "TRACE"};
	if (len == 3 && !memcmp(m, "GET", 3)) {
		req->method = HTTP_GET;
		return 0;
	}
	if (len == 4 && !memcmp(m, "HEAD", 4)) {
		req->method = HTTP_HEAD;
		return 0;
	}
	for (size_t i = 0; i < sizeof(not_allowed) / sizeof(not_allowed[0]); i++)
		if (len == strlen(not_allowed[i]) && !memcmp(m, not_allowed[i], len))
			return -405;
	for (size_t i = 0; i < len; i++)
		if (!is_tchar(m[i]))
			return -400;
	return len ? -501 : -400;
}

static int parse_version(const uint8_t *v, size_t len, struct http_request *req)
{
	if (len != 8 || memcmp(v, "HTTP/", 5) || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
	    v[7] < '0' || v[7] > '9')
		return -400;
	if (v[5] != '1')
		return -505;
	req->http10 = v[7] == '0';
	req->keep_alive = !req->http10;
	return 0;
}

/* Whether the decoded path has a "." or ".." segment. */
static bool has_dot_segment(const char *path)
{
	for (const char *s = path; (s = strchr(s, '/')); s++) {
		size_t n = strcspn(s + 1, "/");
		if ((n == 1 && s[1] == '.') || (n == 2 && s[1] == '.' && s[2] == '.'))
			return true;
	}
	return false;
}

/* Decodes the path of the target into req->path; "//" becomes "/". */
static int decode_path(const uint8_t *t, size_t len, struct http_request *req)
{
	size_t out = 0;
	for (size_t i = 0; i < len; i++) {
		int c = t[i];
		if (c == '%') {
			int hi = i + 2 < len ? hex_value(t[i + 1]) : -1;
			int lo = i + 2 < len ? hex_value(t[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -400;
			c = hi << 4 | lo;
			i += 2;
			if (c == 0)
				return -400;
		}
		if (c == '/' && out > 0 && req->path[out - 1] == '/')
			continue;
		if (out + 1 >= sizeof(req->path))
			return -414;
		req->path[out++] = (char)c;
	}
	req->path[out] = '\0';
	return has_dot_segment(req->path) ? -400 : 0;
}

/* The target, origin-form only ("/path?query"): what a browser, curl and
 * Prometheus send to a server that is not a proxy. */
static int parse_target(const uint8_t *t, size_t len, struct http_request *req)
{
	if (len == 0 || t[0] != '/')
		return -400;
	for (size_t i = 0; i < len; i++)
		if (t[i] <= ' ' || t[i] >= 0x7f || t[i] == '#')
			return -400;
	const uint8_t *q = memchr(t, '?', len);
	size_t path_len = q ? (size_t)(q - t) : len;
	if (q) {
		size_t qlen = len - path_len - 1;
		if (qlen >= sizeof(req->query))
			return -414;
		memcpy(req->query, q + 1, qlen);
		req->query[qlen] = '\0';
	}
	return decode_path(t, path_len, req);
}

static int parse_request_line(struct line l, struct http_request *req)
{
	const uint8_t *sp1 = memchr(l.start, ' ', l.len);
	if (!sp1)
		return -400;
	int status = parse_method(l.start, (size_t)(sp1 - l.start), req);
	if (status)
		return status;
	const uint8_t *target = sp1 + 1, *end = l.start + l.len;
	const uint8_t *sp2 = memchr(target, ' ', (size_t)(end - target));
	if (!sp2)
		return -400;
	status = parse_version(sp2 + 1, (size_t)(end - sp2 - 1), req);
	return status ? status : parse_target(target, (size_t)(sp2 - target), req);
}

/* Whether the comma-separated header value holds the token (any case). */
static bool has_token(const uint8_t *v, size_t len, const char *token)
{
	size_t tlen = strlen(token), i = 0;
	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t start = i;
		while (i < len && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i - start == tlen && !strncasecmp((const char *)v + start, token, tlen))
			return true;
	}
	return false;
}

/* What the headers change: Connection, Host, and a body we refuse. */
struct headers_seen {
	bool host;
};

static int parse_header(struct line l, struct http_request *req, struct headers_seen *seen)
{
	const uint8_t *colon = memchr(l.start, ':', l.len);
	if (!colon || colon == l.start)
		return -400; /* no name, or an obsolete folded line */
	size_t nlen = (size_t)(colon - l.start);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar(l.start[i]))
			return -400;
	const uint8_t *v = colon + 1;
	size_t vlen = l.len - nlen - 1;
	for (size_t i = 0; i < vlen; i++)
		if ((v[i] < ' ' && v[i] != '\t') || v[i] == 0x7f)
			return -400;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	const char *name = (const char *)l.start;
	if (nlen == 4 && !strncasecmp(name, "Host", 4)) {
		if (seen->host || vlen >= sizeof(req->host))
			return -400;
		seen->host = true;
		memcpy(req->host, v, vlen);
		req->host[vlen] = '\0';
	} else if (nlen == 10 && !strncasecmp(name, "Connection", 10)) {
		if (has_token(v, vlen, "close"))
			req->keep_alive = false;
		else if (has_token(v, vlen, "keep-alive"))
			req->keep_alive = true;
	} else if (nlen == 14 && !strncasecmp(name, "Content-Length", 14)) {
		if (vlen != 1 || v[0] != '0')
			return -400; /* no request has a body here */
	} else if (nlen == 17 && !strncasecmp(name, "Transfer-Encoding", 17)) {
		return -501;
	}
	return 0;
}

/* ":PORT" with 1 to 5 digits, or nothing. */
static bool is_port_suffix(const char *s)
{
	if (!*s)
		return true;
	size_t digits = strspn(s + 1, "0123456789");
	return s[0] == ':' && digits >= 1 && digits <= 5 && !s[1 + digits];
}

bool http_host_is_local(const char *host)
{
	char addr[INET6_ADDRSTRLEN + 1];
	uint8_t bytes[16];
	size_t n;
	if (host[0] == '[') {
		n = strcspn(host + 1, "]");
		if (!host[1 + n] || n >= sizeof(addr))
			return false;
		memcpy(addr, host + 1, n);
		addr[n] = '\0';
		return inet_pton(AF_INET6, addr, bytes) == 1 && is_port_suffix(host + n + 2);
	}
	n = strcspn(host, ":");
	if (n == 9 && !strncasecmp(host, "localhost", 9))
		return is_port_suffix(host + n);
	if (n >= sizeof(addr))
		return false;
	memcpy(addr, host, n);
	addr[n] = '\0';
	return inet_pton(AF_INET, addr, bytes) == 1 && is_port_suffix(host + n);
}

int http_parse_request(const uint8_t *buf, size_t len, struct http_request *req)
{
	memset(req, 0, sizeof(*req));
	size_t scan = len < HTTP_MAX_REQUEST ? len : HTTP_MAX_REQUEST;
	long head = head_length(buf, scan);
	if (head < 0)
		return (int)head;
	if (head == 0) {
		if (len < HTTP_MAX_REQUEST)
			return 0;
		/* Too long: the request line itself (414), or the headers. */
		return memchr(buf, '\n', HTTP_MAX_REQUEST) ? -431 : -414;
	}
	size_t pos = 0;
	struct line first = next_line(buf, (size_t)head, &pos);
	for (size_t i = 0; i < first.len; i++)
		if (first.start[i] < ' ' || first.start[i] == 0x7f)
			return -400;
	int status = parse_request_line(first, req);
	struct headers_seen seen = {false};
	while (!status) {
		struct line l = next_line(buf, (size_t)head, &pos);
		if (l.len == 0)
			break;
		status = parse_header(l, req, &seen);
	}
	if (!status && !req->http10 && !seen.host)
		status = -400; /* HTTP/1.1 requires Host (RFC 9112 3.2) */
	return status ? status : (int)head;
}
