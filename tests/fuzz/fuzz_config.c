/* fuzz_config.c — libFuzzer target for the command language: arbitrary text
 * as a startup file. Every line is split and run against a model (no live
 * datapath), the whole model is checked; a model that passes must print as
 * a running-config that parses back to the same model (what `save` writes is
 * exactly what `reload` reads): the reloaded model equals the original. */
#include <stdlib.h>
#include <string.h>

#include "control/config.h"

#define MAX_WORDS 64

/* Runs text as a startup file; NULL if any line or the check fails. */
static struct config *load_text(char *text)
{
	struct config *cfg = config_new();
	char err[512];
	for (char *line = strtok(text, "\n"); cfg && line; line = strtok(NULL, "\n")) {
		char *argv[MAX_WORDS];
		int argc = command_split(line, argv, MAX_WORDS);
		if (argc == 0)
			continue;
		struct command_context ctx = {.cfg = cfg};
		if (argc < 0 || !command_is_config(argc, argv) ||
		    command_run(&ctx, argc, argv, err, sizeof(err)) != 0) {
			config_free(cfg);
			return NULL;
		}
	}
	if (cfg && (config_resolve_profiles(cfg, err, sizeof(err)) != 0 ||
		    config_check(cfg, err, sizeof(err)) != 0)) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

static char *print(const struct config *cfg)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (!out)
		abort();
	config_print(cfg, out);
	fclose(out);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct config *cfg = load_text(text);
	free(text);
	if (!cfg)
		return 0;
	char *printed = print(cfg);
	char *copy = strdup(printed);
	struct config *again = load_text(copy);
	if (!again)
		abort(); /* running-config that does not load */
	if (!config_equal(cfg, again))
		abort(); /* save then reload changes the configuration */
	free(copy);
	free(printed);
	config_free(again);
	config_free(cfg);
	return 0;
}
