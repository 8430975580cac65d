/* file.c — the startup file: a text file of the same commands vswitchctl
 * takes, one per line, '#' comments. Loading builds a new model and checks
 * it whole, so a bad file is rejected with FILE:LINE and nothing applied;
 * saving writes the running model atomically (temp file, fsync, rename). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_WORDS 64

struct config *config_load(const char *path, char *err, size_t err_size)
{
	FILE *in = fopen(path, "r");
	if (!in) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct config *cfg = config_new();
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	char reason[512];
	bool ok = cfg != NULL;
	while (ok && getline(&line, &cap, in) >= 0) {
		lineno++;
		char *argv[LINE_MAX_WORDS];
		int argc = command_split(line, argv, LINE_MAX_WORDS);
		if (argc == 0)
			continue;
		if (argc < 0) {
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
			ok = command_run(&ctx, argc, argv, reason, sizeof(reason)) == 0;
		}
		if (!ok)
			snprintf(err, err_size, "%s:%u: %s", path, lineno, reason);
	}
	if (ok && ferror(in)) {
		snprintf(err, err_size, "%s: read error: %s", path, strerror(errno));
		ok = false;
	}
	if (ok && config_check(cfg, reason, sizeof(reason)) < 0) {
		snprintf(err, err_size, "%s: %s", path, reason);
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
