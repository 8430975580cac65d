/* file.c — the startup file: a text file of the same commands vswitchctl
 * takes, one per line, '#' comments. Loading builds a new model and checks
 * it whole, so a bad file is rejected with FILE:LINE and nothing applied;
 * saving writes the running model atomically (temp file, fsync, rename). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_WORDS 64
/* Far above any real line (64 words of at most 128 characters). */
#define LINE_MAX_BYTES 16384

/* Opens a regular file only: a FIFO without a writer would block the
 * control thread forever, a device would never end. */
static FILE *open_regular(const char *path, char *err, size_t err_size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	FILE *in = fdopen(fd, "r");
	if (!in) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return in;
}

/* Objects a line added remember it, for errors found later. */
static void stamp_line(struct config *cfg, const size_t before[4], unsigned lineno)
{
	for (size_t i = before[0]; i < cfg->n_switches; i++)
		cfg->switches[i].line = lineno;
	for (size_t i = before[1]; i < cfg->n_ports; i++)
		cfg->ports[i].line = lineno;
	for (size_t i = before[2]; i < cfg->n_macs; i++)
		cfg->macs[i].line = lineno;
	for (size_t i = before[3]; i < cfg->n_mirrors; i++)
		cfg->mirrors[i].line = lineno;
}

/* Why a line cannot be a command before it is split, or NULL. */
static const char *bad_line(const char *line, ssize_t len)
{
	if ((size_t)len != strlen(line))
		return "a NUL byte in the line";
	if (len > LINE_MAX_BYTES)
		return "line longer than 16384 bytes";
	return NULL;
}

struct config *config_load(const char *path, char *err, size_t err_size)
{
	FILE *in = open_regular(path, err, err_size);
	if (!in)
		return NULL;
	struct config *cfg = config_new();
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	char reason[512];
	bool ok = cfg != NULL;
	ssize_t len;
	if (cfg)
		copy_name(cfg->source, sizeof(cfg->source), path);
	while (ok && (len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		char *argv[LINE_MAX_WORDS];
		const char *bad = bad_line(line, len);
		int argc = bad ? 0 : command_split(line, argv, LINE_MAX_WORDS);
		if (bad) {
			snprintf(reason, sizeof(reason), "%s", bad);
			ok = false;
		} else if (argc == 0) {
			continue;
		} else if (argc < 0) {
			snprintf(reason, sizeof(reason), "more than %d words", LINE_MAX_WORDS);
			ok = false;
		} else if (!command_is_config(argc, argv)) {
			snprintf(reason, sizeof(reason),
				 "'%s %s' is not a configuration command (use switch/port/fdb add "
				 "or set)",
				 argv[0], argc > 1 ? argv[1] : "");
			ok = false;
		} else {
			struct command_context ctx = {.cfg = cfg, .out = NULL};
			size_t before[4] = {cfg->n_switches, cfg->n_ports, cfg->n_macs,
					    cfg->n_mirrors};
			ok = command_run(&ctx, argc, argv, reason, sizeof(reason)) == 0;
			stamp_line(cfg, before, lineno);
		}
		if (!ok)
			snprintf(err, err_size, "%s:%u: %s", path, lineno, reason);
	}
	if (ok && ferror(in)) {
		snprintf(err, err_size, "%s: read error: %s", path, strerror(errno));
		ok = false;
	}
	/* Errors about an object carry its FILE:LINE already. */
	if (ok && (config_resolve_profiles(cfg, reason, sizeof(reason)) < 0 ||
		   config_check(cfg, reason, sizeof(reason)) < 0)) {
		size_t n = strlen(path);
		bool located = !strncmp(reason, path, n) && reason[n] == ':';
		snprintf(err, err_size, "%s%s%s", located ? "" : path, located ? "" : ": ", reason);
		ok = false;
	}
	if (!cfg)
		snprintf(err, err_size, "%s: out of memory", path);
	free(line);
	fclose(in);
	if (!ok) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

int config_save(const struct config *cfg, const char *path, char *err, size_t err_size)
{
	char tmp[4096];
	int error = 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, err_size, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		error = -errno;
		snprintf(err, err_size, "save: cannot create %s: %s", tmp, strerror(errno));
		return error;
	}
	FILE *out = fdopen(fd, "w");
	if (!out) {
		error = -errno;
		close(fd);
		goto fail;
	}
	fprintf(out, "# vswitch configuration, written by vswitchctl save\n");
	config_print(cfg, out);
	if (fflush(out) != 0 || fsync(fd) != 0) {
		error = -errno;
		fclose(out);
		goto fail;
	}
	if (fclose(out) != 0) {
		error = -errno;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		error = -errno;
		goto fail;
	}
	/* The rename is durable only once the directory is. */
	char dir[4096];
	copy_name(dir, sizeof(dir), path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	snprintf(err, err_size, "save: cannot write %s: %s", path, strerror(-error));
	unlink(tmp);
	return error;
}
