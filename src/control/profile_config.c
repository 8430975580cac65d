/* profile_config.c — port profiles in the desired-state model
 * (docs/profiles.md): the profiles themselves, the settings lists that a
 * profile and a bound port's overrides hold, the resolution of what a bound
 * port runs with, equality and running-config lines.
 *
 * A setting is kept as written (keyword and words) rather than parsed,
 * because settings combine: a profile's `allowed-addresses` and a port's
 * `mac` make one list only when replayed in order through the port parser.
 * That parser (config_parse_port_settings) is the only one: it checks each
 * setting and, by what it consumes, tells where a setting of several words
 * ends. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Deeper inheritance than this is refused: no operator means it, and a
 * bound the chain walk can keep on the stack. */
#define PROFILE_MAX_DEPTH 16
/* Words of one setting's value (allowed-addresses takes one per pair). */
#define SETTING_MAX_WORDS 64

struct profile_config *config_find_profile(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_profiles; i++)
		if (!strcmp(cfg->profiles[i].name, name))
			return &cfg->profiles[i];
	return NULL;
}

struct profile_config *config_add_profile(struct config *cfg)
{
	struct profile_config *grown =
	    realloc(cfg->profiles, (cfg->n_profiles + 1) * sizeof(*cfg->profiles));
	if (!grown)
		return NULL;
	cfg->profiles = grown;
	memset(&grown[cfg->n_profiles], 0, sizeof(*grown));
	return &grown[cfg->n_profiles++];
}

void config_del_profile(struct config *cfg, const char *name)
{
	struct profile_config *p = config_find_profile(cfg, name);
	if (!p)
		return;
	size_t i = (size_t)(p - cfg->profiles);
	memmove(p, p + 1, (cfg->n_profiles - i - 1) * sizeof(*p));
	cfg->n_profiles--;
}

/* ---- settings lists ------------------------------------------------------ */

/* The port parser names its port in messages ("port NAME: pvid ..."): a
 * scratch port without a name reads "port : pvid ...", which becomes
 * "WHAT: pvid ...". */
static void reword(const char *what, const char *strip, char *err, size_t err_size)
{
	char reason[1024];
	size_t n = strlen(strip);
	snprintf(reason, sizeof(reason), "%s", strncmp(err, strip, n) ? err : err + n);
	snprintf(err, err_size, "%s: %s", what, reason);
}

static int parse_words(struct config_port *scratch, int argc, char **argv, char *err,
		       size_t err_size)
{
	return config_parse_port_settings(scratch, argc, argv, false, err, err_size);
}

/* Where the setting starting at argv[i] ends (one past its last word),
 * given that argv[i..argc) parses: the first end after which the words
 * parse but one more word does not (the next keyword alone lacks its
 * value; a further pair of allowed-addresses would still parse). */
static int setting_end(int argc, char **argv, int i)
{
	char err[256];
	for (int j = i + 2; j < argc; j++) {
		struct config_port scratch;
		memset(&scratch, 0, sizeof(scratch));
		port_config_init(&scratch.settings);
		if (parse_words(&scratch, j - i, argv + i, err, sizeof(err)))
			continue;
		memset(&scratch, 0, sizeof(scratch));
		port_config_init(&scratch.settings);
		if (parse_words(&scratch, j + 1 - i, argv + i, err, sizeof(err)))
			return j;
	}
	return argc;
}

static struct profile_setting *find_setting(struct profile_setting *list, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i].key, key))
			return &list[i];
	return NULL;
}

int config_settings_set(struct profile_setting *list, int *n, const char *what, int argc,
			char **argv, char *err, size_t err_size)
{
	struct config_port scratch;
	memset(&scratch, 0, sizeof(scratch));
	port_config_init(&scratch.settings);
	if (argc < 1) {
		snprintf(err, err_size, "%s: no setting given (SETTING VALUE...)", what);
		return -EINVAL;
	}
	if (parse_words(&scratch, argc, argv, err, err_size)) {
		reword(what, "port : ", err, err_size);
		return -EINVAL;
	}
	struct profile_setting next[PROFILE_MAX_SETTINGS];
	int count = *n;
	memcpy(next, list, (size_t)count * sizeof(*list));
	for (int i = 0; i < argc;) {
		int end = setting_end(argc, argv, i);
		struct profile_setting s;
		memset(&s, 0, sizeof(s));
		bool fits = copy_name(s.key, sizeof(s.key), argv[i]);
		size_t used = 0;
		for (int w = i + 1; w < end && fits; w++) {
			int k = snprintf(s.value + used, sizeof(s.value) - used, "%s%s",
					 w > i + 1 ? " " : "", argv[w]);
			fits = k >= 0 && (size_t)k < sizeof(s.value) - used;
			used += fits ? (size_t)k : 0;
		}
		if (!fits) {
			snprintf(err, err_size, "%s: %s: the value is longer than %d characters",
				 what, argv[i], PROFILE_VALUE_MAX - 1);
			return -E2BIG;
		}
		struct profile_setting *same = find_setting(next, count, s.key);
		if (!same && count == PROFILE_MAX_SETTINGS) {
			snprintf(err, err_size, "%s: at most %d settings", what,
				 PROFILE_MAX_SETTINGS);
			return -E2BIG;
		}
		*(same ? same : &next[count++]) = s;
		i = end;
	}
	memcpy(list, next, (size_t)count * sizeof(*list));
	*n = count;
	return 0;
}

int config_settings_unset(struct profile_setting *list, int *n, const char *what, int argc,
			  char **argv, char *err, size_t err_size)
{
	struct profile_setting next[PROFILE_MAX_SETTINGS];
	int count = *n;
	memcpy(next, list, (size_t)count * sizeof(*list));
	for (int a = 0; a < argc; a++) {
		struct profile_setting *s = find_setting(next, count, argv[a]);
		if (!s) {
			char keys[512] = "";
			size_t used = 0;
			for (int i = 0; i < count && used < sizeof(keys); i++)
				used += (size_t)snprintf(keys + used, sizeof(keys) - used, "%s%s",
							 i ? ", " : "", next[i].key);
			snprintf(err, err_size, "%s: no setting '%s' of its own (it has: %s)", what,
				 argv[a], count ? keys : "none");
			return -ENOENT;
		}
		memmove(s, s + 1, (size_t)(next + count - s - 1) * sizeof(*s));
		count--;
	}
	memcpy(list, next, (size_t)count * sizeof(*list));
	*n = count;
	return 0;
}

/* Replays a list through the port parser onto scratch. */
static int apply_settings(struct config_port *scratch, const struct profile_setting *list, int n,
			  char *err, size_t err_size)
{
	for (int i = 0; i < n; i++) {
		char value[PROFILE_VALUE_MAX];
		char *argv[SETTING_MAX_WORDS + 1];
		int argc = 0;
		memcpy(value, list[i].value, sizeof(value));
		argv[argc++] = (char *)list[i].key;
		for (char *save = NULL, *w = strtok_r(value, " ", &save);
		     w && argc <= SETTING_MAX_WORDS; w = strtok_r(NULL, " ", &save))
			argv[argc++] = w;
		int error = parse_words(scratch, argc, argv, err, err_size);
		if (error)
			return error;
	}
	return 0;
}

/* ---- resolution ---------------------------------------------------------- */

/* The profile and its ancestors, root first, into chain; their count, or
 * -EINVAL with err naming the profile for an unknown parent or a loop. */
static int profile_chain(const struct config *cfg, const struct profile_config *prof,
			 const struct profile_config *chain[PROFILE_MAX_DEPTH], char *err,
			 size_t err_size)
{
	const struct profile_config *up[PROFILE_MAX_DEPTH];
	int n = 0;
	for (const struct profile_config *p = prof; p;) {
		for (int i = 0; i < n; i++)
			if (up[i] == p) {
				char path[PROFILE_MAX_DEPTH * (PROFILE_NAME_MAX + 4)];
				size_t used = 0;
				for (int k = 0; k < n; k++)
					used += (size_t)snprintf(path + used, sizeof(path) - used,
								 "%s -> ", up[k]->name);
				snprintf(path + used, sizeof(path) - used, "%s", p->name);
				snprintf(err, err_size, "profile %s: inherit loop %s", prof->name,
					 path);
				return -EINVAL;
			}
		if (n == PROFILE_MAX_DEPTH) {
			snprintf(err, err_size, "profile %s: more than %d levels of inherit",
				 prof->name, PROFILE_MAX_DEPTH);
			return -EINVAL;
		}
		up[n++] = p;
		if (!p->inherit[0])
			break;
		const struct profile_config *parent = config_find_profile(cfg, p->inherit);
		if (!parent) {
			snprintf(err, err_size,
				 "profile %s: inherits profile %s, which does not exist", p->name,
				 p->inherit);
			return -EINVAL;
		}
		p = parent;
	}
	for (int i = 0; i < n; i++)
		chain[i] = up[n - 1 - i];
	return n;
}

/* What a port bound to prof with these overrides runs with, into *port's
 * settings (its name names it in messages; "" for the profile alone). */
static int resolve(const struct config *cfg, const struct profile_config *prof,
		   struct config_port *port, const struct profile_setting *overrides,
		   int n_overrides, char *err, size_t err_size)
{
	const struct profile_config *chain[PROFILE_MAX_DEPTH];
	int n = profile_chain(cfg, prof, chain, err, err_size);
	if (n < 0)
		return n;
	char what[PROFILE_NAME_MAX * 2 + PORT_NAME_MAX + 64], strip[PORT_NAME_MAX + 8];
	snprintf(strip, sizeof(strip), "port %s: ", port->name);
	port_config_init(&port->settings);
	for (int i = 0; i <= n; i++) {
		const struct profile_config *p = i < n ? chain[i] : NULL;
		int error = p ? apply_settings(port, p->settings, p->n_settings, err, err_size)
			      : apply_settings(port, overrides, n_overrides, err, err_size);
		if (!error)
			continue;
		if (!port->name[0])
			snprintf(what, sizeof(what), "profile %s (setting of profile %s)",
				 prof->name, p->name);
		else if (p)
			snprintf(what, sizeof(what),
				 "port %s bound to profile %s (setting of profile %s)", port->name,
				 prof->name, p->name);
		else
			snprintf(what, sizeof(what), "port %s bound to profile %s (its override)",
				 port->name, prof->name);
		reword(what, strip, err, err_size);
		return error;
	}
	const char *named = port->name[0] ? port->name : prof->name;
	if (port_config_validate(named, &port->settings, err, err_size)) {
		if (port->name[0])
			snprintf(what, sizeof(what), "port %s bound to profile %s", port->name,
				 prof->name);
		else
			snprintf(what, sizeof(what), "profile %s", prof->name);
		snprintf(strip, sizeof(strip), "port %s: ", named);
		reword(what, strip, err, err_size);
		return -EINVAL;
	}
	return 0;
}

int config_profile_settings(const struct config *cfg, const struct profile_config *prof,
			    struct port_config *out, char *err, size_t err_size)
{
	struct config_port scratch;
	memset(&scratch, 0, sizeof(scratch));
	int error = resolve(cfg, prof, &scratch, NULL, 0, err, err_size);
	*out = scratch.settings;
	return error;
}

int config_resolve_port(const struct config *cfg, struct config_port *port, char *err,
			size_t err_size)
{
	if (!port->profile[0])
		return 0;
	const struct profile_config *prof = config_find_profile(cfg, port->profile);
	if (!prof) {
		snprintf(err, err_size, "port %s: profile %s does not exist", port->name,
			 port->profile);
		return -EINVAL;
	}
	struct config_port scratch = *port;
	int error = resolve(cfg, prof, &scratch, port->overrides, port->n_overrides, err, err_size);
	if (!error)
		port->settings = scratch.settings;
	return error;
}

int config_resolve_profiles(struct config *cfg, char *err, size_t err_size)
{
	for (size_t i = 0; i < cfg->n_profiles; i++) {
		struct port_config settings;
		if (config_profile_settings(cfg, &cfg->profiles[i], &settings, err, err_size))
			return -EINVAL;
	}
	/* Every port is worked out before any is written: a refusal leaves
	 * the model as it was. */
	struct port_config *resolved = calloc(cfg->n_ports + 1, sizeof(*resolved));
	if (!resolved) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	int error = 0;
	for (size_t i = 0; i < cfg->n_ports && !error; i++) {
		struct config_port scratch = cfg->ports[i];
		error = config_resolve_port(cfg, &scratch, err, err_size);
		resolved[i] = scratch.settings;
	}
	for (size_t i = 0; i < cfg->n_ports && !error; i++)
		if (cfg->ports[i].profile[0])
			cfg->ports[i].settings = resolved[i];
	free(resolved);
	return error;
}

/* ---- equality and printing ------------------------------------------------ */

static bool settings_equal(const struct profile_setting *a, int n_a,
			   const struct profile_setting *b, int n_b)
{
	if (n_a != n_b)
		return false;
	for (int i = 0; i < n_a; i++)
		if (strcmp(a[i].key, b[i].key) || strcmp(a[i].value, b[i].value))
			return false;
	return true;
}

bool config_settings_equal(const struct profile_setting *a, int n_a,
			   const struct profile_setting *b, int n_b)
{
	return settings_equal(a, n_a, b, n_b);
}

/* The domain flags are left out: they say who manages an object, not what
 * it is, and running-config does not carry them. */
bool config_profiles_equal(const struct config *a, const struct config *b)
{
	if (a->n_profiles != b->n_profiles)
		return false;
	for (size_t i = 0; i < a->n_profiles; i++) {
		const struct profile_config *x = &a->profiles[i];
		const struct profile_config *y = config_find_profile(b, x->name);
		if (!y || strcmp(x->inherit, y->inherit) ||
		    memcmp(x->system_vids, y->system_vids, sizeof(x->system_vids)) ||
		    !settings_equal(x->settings, x->n_settings, y->settings, y->n_settings))
			return false;
	}
	for (size_t i = 0; i < a->n_ports; i++) {
		const struct config_port *x = &a->ports[i];
		const struct config_port *y = config_find_port(b, x->name);
		if (!y || strcmp(x->profile, y->profile) ||
		    !settings_equal(x->overrides, x->n_overrides, y->overrides, y->n_overrides))
			return false;
	}
	return true;
}

void config_print_settings(const struct profile_setting *list, int n, FILE *out)
{
	for (int i = 0; i < n; i++)
		fprintf(out, " %s %s", list[i].key, list[i].value);
}

void config_print_profiles(const struct config *cfg, FILE *out)
{
	bool *printed = calloc(cfg->n_profiles + 1, sizeof(*printed));
	if (!printed)
		return;
	/* Parents first: each pass prints those whose parent is out; a model
	 * with a loop (refused before it runs) prints the rest as they are. */
	for (size_t done = 0, pass = 0; done < cfg->n_profiles; pass++) {
		for (size_t i = 0; i < cfg->n_profiles; i++) {
			const struct profile_config *p = &cfg->profiles[i];
			const struct profile_config *parent =
			    p->inherit[0] ? config_find_profile(cfg, p->inherit) : NULL;
			bool ready =
			    !parent || printed[parent - cfg->profiles] || pass > cfg->n_profiles;
			if (printed[i] || !ready)
				continue;
			fprintf(out, "profile add %s", p->name);
			if (p->inherit[0])
				fprintf(out, " inherit %s", p->inherit);
			char vids[1024];
			config_format_vids(p->system_vids, vids, sizeof(vids));
			if (vids[0])
				fprintf(out, " system-vlans %s", vids);
			config_print_settings(p->settings, p->n_settings, out);
			fputc('\n', out);
			printed[i] = true;
			done++;
		}
	}
	free(printed);
}
