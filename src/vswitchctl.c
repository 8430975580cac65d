/* vswitchctl.c — the CLI: sends its words to vswitchd as one JSON-RPC
 * request over the control socket and prints the answer. Exit status 0 on
 * success, 1 when vswitchd refused the command (the reason on stderr), 2
 * when vswitchd cannot be reached. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/server.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vswitchctl [--socket PATH] [--json] COMMAND...\n"
		"       vswitchctl help      (lists the commands)\n"
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
	cJSON *req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "jsonrpc", "2.0");
	cJSON_AddNumberToObject(req, "id", 1);
	cJSON_AddStringToObject(req, "method", "execute");
	cJSON *params = cJSON_AddObjectToObject(req, "params");
	cJSON *words = cJSON_AddArrayToObject(params, "argv");
	for (; i < argc; i++)
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
		cJSON *output = cJSON_GetObjectItemCaseSensitive(result, "output");
		if (cJSON_IsString(output))
			fputs(output->valuestring, stdout);
		status = 0;
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
