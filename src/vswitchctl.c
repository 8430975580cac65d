/* vswitchctl.c — the CLI: sends its words to vswitchd as one JSON-RPC
 * request over the control socket and prints the answer. Exit status 0 on
 * success, 1 when vswitchd refused the command (the reason on stderr), 2
 * when vswitchd cannot be reached. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/capture.h"
#include "control/server.h"
#include "control/top.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vswitchctl [--socket PATH] [--json] COMMAND...\n"
		"       vswitchctl help      (lists the commands)\n"
		"       vswitchctl capture PORT [count N] [direction rx|tx|both]\n"
		"                  writes the port's frames as pcap to stdout (| tcpdump -r -)\n"
		"                  until N frames, Ctrl-C, or the reader closes the pipe\n"
		"       vswitchctl [--json] top [--interval S] [--count N | --once] [SWITCH]\n"
		"                  per-port packet, bit and drop rates, refreshed every S s\n"
		"The socket is also taken from $VSWITCH_SOCKET (default %s).\n",
		CONTROL_DEFAULT_SOCKET);
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "vswitchctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "vswitchctl: cannot connect to %s: %s (is vswitchd running?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* SO_RCVTIMEO bounds each recv(), not the whole reply: a long reply
	 * keeps arriving in parts and is never cut; 60 s without a byte is a
	 * daemon that hangs. */
	struct timeval timeout = {.tv_sec = 60};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	return fd;
}

/* Reads one reply line of any size; NULL if the daemon hung up or went
 * silent before its newline. */
static char *read_line(int fd)
{
	size_t cap = 65536, used = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (used + 1 == cap) {
			char *grown = realloc(buf, cap * 2);
			if (!grown)
				break;
			buf = grown;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + used, cap - 1 - used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Only the new bytes are searched: a reply of megabytes
		 * arrives in hundreds of parts. */
		bool done = memchr(buf + used, '\n', (size_t)n) != NULL;
		used += (size_t)n;
		buf[used] = '\0';
		if (done)
			return buf;
	}
	free(buf);
	return NULL;
}

/* ---- capture: a streamed reply written as pcap ------------------------- */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* A buffer of what the daemon sent and we have not used yet. */
struct stream_buf {
	uint8_t *data;
	size_t used, start, cap;
};

/* Reads more into the buffer; false on EOF, an error or Ctrl-C. */
static bool stream_more(int fd, struct stream_buf *b)
{
	if (b->start) {
		memmove(b->data, b->data + b->start, b->used - b->start);
		b->used -= b->start;
		b->start = 0;
	}
	for (;;) {
		ssize_t n = recv(fd, b->data + b->used, b->cap - b->used, 0);
		if (n > 0) {
			b->used += (size_t)n;
			return true;
		}
		if (n < 0 && errno == EINTR && !interrupted)
			continue;
		return false;
	}
}

/* Writes frame records as pcap until the end record; returns the exit
 * status. The reader going away (EPIPE on stdout) ends it quietly. */
static int write_pcap(int fd, struct stream_buf *b)
{
	pcap_t *dead =
	    pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *dumper = dead ? pcap_dump_fopen(dead, stdout) : NULL;
	if (!dumper) {
		fprintf(stderr, "vswitchctl: cannot write pcap to stdout\n");
		return 2;
	}
	pcap_dump_flush(dumper); /* the file header, so a reader starts at once */
	int status = 0;
	for (;;) {
		size_t have = b->used - b->start;
		const uint8_t *p = b->data + b->start;
		struct capture_frame f;
		if (have >= sizeof(f)) {
			memcpy(&f, p, sizeof(f));
			if (f.magic == CAPTURE_MAGIC_END) {
				struct capture_end end;
				memcpy(&end, p, sizeof(end));
				fprintf(stderr,
					"vswitchctl: %llu frames captured, %llu dropped%s\n",
					(unsigned long long)end.captured,
					(unsigned long long)end.dropped,
					end.dropped ? " (the reader was too slow)" : "");
				break;
			}
			if (f.magic != CAPTURE_MAGIC_FRAME || f.caplen > 65535) {
				fprintf(stderr, "vswitchctl: malformed capture stream\n");
				status = 2;
				break;
			}
			if (have >= sizeof(f) + f.caplen) {
				struct pcap_pkthdr h = {.caplen = f.caplen, .len = f.len};
				h.ts.tv_sec = (time_t)(f.time_ns / 1000000000u);
				h.ts.tv_usec = (suseconds_t)(f.time_ns % 1000000000u);
				pcap_dump((u_char *)dumper, &h, p + sizeof(f));
				b->start += sizeof(f) + f.caplen;
				continue;
			}
		}
		if (pcap_dump_flush(dumper) < 0)
			break; /* the reader closed the pipe */
		if (!stream_more(fd, b)) {
			if (!interrupted)
				fprintf(stderr,
					"vswitchctl: the capture ended (vswitchd hung up)\n");
			break;
		}
	}
	pcap_dump_flush(dumper);
	pcap_dump_close(dumper);
	pcap_close(dead);
	return status;
}

/* vswitchctl capture PORT...: method "stream" (server.h, capture.h). */
static int capture(int fd, int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_interrupt}; /* no SA_RESTART: recv returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct timeval forever = {0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &forever, sizeof(forever));

	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "jsonrpc", "2.0");
	cJSON_AddNumberToObject(req, "id", 1);
	cJSON_AddStringToObject(req, "method", "stream");
	cJSON *words = cJSON_AddArrayToObject(cJSON_AddObjectToObject(req, "params"), "argv");
	for (int i = 0; i < argc; i++)
		cJSON_AddItemToArray(words, cJSON_CreateString(argv[i]));
	char *text = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	size_t len = text ? strlen(text) : 0;
	bool sent = text && send(fd, text, len, MSG_NOSIGNAL) == (ssize_t)len &&
		    send(fd, "\n", 1, MSG_NOSIGNAL) == 1;
	free(text);

	struct stream_buf b = {.cap = 1 << 20};
	b.data = malloc(b.cap);
	uint8_t *nl = NULL;
	while (sent && b.data && !nl && stream_more(fd, &b))
		nl = memchr(b.data, '\n', b.used);
	if (!nl) {
		fprintf(stderr, "vswitchctl: no answer from vswitchd\n");
		free(b.data);
		return 2;
	}
	*nl = '\0';
	b.start = (size_t)(nl + 1 - b.data);
	cJSON *answer = cJSON_Parse((char *)b.data);
	cJSON *error = cJSON_GetObjectItemCaseSensitive(answer, "error");
	int status;
	if (error) {
		cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
		fprintf(stderr, "vswitchctl: %s\n",
			cJSON_IsString(message) ? message->valuestring : "error");
		status = 1;
	} else {
		status = write_pcap(fd, &b);
	}
	cJSON_Delete(answer);
	free(b.data);
	return status;
}

/* Runs words on the daemon at path: 0 with *output (malloc'd), 1 when
 * vswitchd refused (its message printed), 2 when it cannot be reached. */
static int call(const char *path, int argc, char **argv, bool json, char **output)
{
	*output = NULL;
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "jsonrpc", "2.0");
	cJSON_AddNumberToObject(req, "id", 1);
	cJSON_AddStringToObject(req, "method", "execute");
	cJSON *params = cJSON_AddObjectToObject(req, "params");
	cJSON *words = cJSON_AddArrayToObject(params, "argv");
	for (int i = 0; i < argc; i++)
		cJSON_AddItemToArray(words, cJSON_CreateString(argv[i]));
	cJSON_AddBoolToObject(params, "json", json);
	char *text = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);

	int fd = connect_to(path);
	if (fd < 0) {
		free(text);
		return 2;
	}
	size_t len = strlen(text);
	text[len] = '\0';
	bool sent = send(fd, text, len, MSG_NOSIGNAL) == (ssize_t)len &&
		    send(fd, "\n", 1, MSG_NOSIGNAL) == 1;
	free(text);
	char *line = sent ? read_line(fd) : NULL;
	close(fd);
	if (!line) {
		fprintf(stderr, "vswitchctl: no answer from vswitchd on %s\n", path);
		return 2;
	}
	cJSON *answer = cJSON_Parse(line);
	free(line);
	cJSON *result = cJSON_GetObjectItemCaseSensitive(answer, "result");
	cJSON *error = cJSON_GetObjectItemCaseSensitive(answer, "error");
	int status = 2;
	if (result) {
		cJSON *item = cJSON_GetObjectItemCaseSensitive(result, "output");
		*output = strdup(cJSON_IsString(item) ? item->valuestring : "");
		status = *output ? 0 : 2;
	} else if (error) {
		cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
		fprintf(stderr, "vswitchctl: %s\n",
			cJSON_IsString(message) ? message->valuestring : "error");
		status = 1;
	} else {
		fprintf(stderr, "vswitchctl: malformed answer from vswitchd\n");
	}
	cJSON_Delete(answer);
	return status;
}

static int top_fetch(void *path, const char *const *words, int n_words, char **output)
{
	return call(path, n_words, (char **)words, true, output);
}

int main(int argc, char **argv)
{
	const char *path =
	    getenv("VSWITCH_SOCKET") ? getenv("VSWITCH_SOCKET") : CONTROL_DEFAULT_SOCKET;
	bool json = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "capture")) {
		int fd = connect_to(path);
		if (fd < 0)
			return 2;
		int status = capture(fd, argc - i - 1, argv + i + 1);
		close(fd);
		return status;
	}
	if (!strcmp(argv[i], "top"))
		return top_main(top_fetch, (void *)path, argc - i - 1, argv + i + 1, json,
				isatty(STDOUT_FILENO));
	char *output;
	int status = call(path, argc - i, argv + i, json, &output);
	if (output)
		fputs(output, stdout);
	free(output);
	return status;
}
