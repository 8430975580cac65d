/* mirror_config.c — mirrors in the desired-state model: the words of
 * `mirror add`, the checks that tie a mirror to its switch and ports, and
 * its line in running-config (docs/mirrors.md).
 *
 * A mirror's output port leaves normal forwarding (mirror.c), and may not
 * itself be mirrored: a copy is never copied again, and the output port's
 * lock is always taken after a source port's, never before. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Mirrors a port may be a source of in the model; the rest of
 * MIRROR_PER_PORT is for live captures. */
#define CONFIG_MIRRORS_PER_PORT (MIRROR_PER_PORT - 2)
/* Mirrors a switch may have in the model; the rest are for captures. */
#define CONFIG_MIRRORS_PER_SWITCH (SWITCH_MAX_MIRRORS - 8)

static int parse_sources(struct mirror_config *m, const char *value, char *err, size_t n)
{
	char copy[MIRROR_MAX_SOURCES * PORT_NAME_MAX + MIRROR_MAX_SOURCES];
	if (strlen(value) >= sizeof(copy)) {
		snprintf(err, n, "mirror %s: source list too long", m->spec.name);
		return -EINVAL;
	}
	strcpy(copy, value);
	m->spec.n_sources = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (m->spec.n_sources == MIRROR_MAX_SOURCES) {
			snprintf(err, n, "mirror %s: at most %d source ports", m->spec.name,
				 MIRROR_MAX_SOURCES);
			return -EINVAL;
		}
		if (!copy_name(m->spec.sources[m->spec.n_sources++], PORT_NAME_MAX, t)) {
			snprintf(err, n, "mirror %s: port name '%s' too long", m->spec.name, t);
			return -EINVAL;
		}
	}
	if (!m->spec.n_sources) {
		snprintf(err, n, "mirror %s: source must name at least one port", m->spec.name);
		return -EINVAL;
	}
	return 0;
}

static int parse_direction(struct mirror_config *m, const char *value, char *err, size_t n)
{
	static const char *const names[] = {NULL, "rx", "tx", "both"};
	for (uint8_t d = MIRROR_RX; d <= MIRROR_BOTH; d++)
		if (!strcmp(value, names[d])) {
			m->spec.direction = d;
			return 0;
		}
	snprintf(err, n, "mirror %s: direction '%s' is not rx, tx or both", m->spec.name, value);
	return -EINVAL;
}

static int parse_address(struct mirror_config *m, const char *what, const char *value,
			 struct in_addr *out, char *err, size_t n)
{
	if (inet_pton(AF_INET, value, out) != 1) {
		snprintf(err, n, "mirror %s: %s '%s' is not an IPv4 address", m->spec.name, what,
			 value);
		return -EINVAL;
	}
	return 0;
}

/* `output erspan` and its keywords, argv[0] being the first keyword. */
static int parse_erspan(struct mirror_config *m, int argc, char **argv, char *err, size_t n)
{
	char what[96];
	unsigned long v;
	m->spec.sink = MIRROR_TO_EXPORT;
	m->spec.output[0] = '\0';
	m->erspan = (struct erspan_params){.session_id = 1, .version = 2};
	for (int i = 0; i < argc; i += 2) {
		const char *key = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (!value) {
			snprintf(err, n, "mirror %s: erspan %s needs a value", m->spec.name, key);
			return -EINVAL;
		}
		snprintf(what, sizeof(what), "mirror %s: erspan %s", m->spec.name, key);
		int error = 0;
		if (!strcmp(key, "remote"))
			error = parse_address(m, "remote", value, &m->erspan.remote, err, n);
		else if (!strcmp(key, "local"))
			error = parse_address(m, "local", value, &m->erspan.local, err, n);
		else if (!strcmp(key, "session-id")) {
			error = config_parse_uint(what, value, 0, ERSPAN_SESSION_MAX, &v, err, n);
			m->erspan.session_id = (uint16_t)v;
		} else if (!strcmp(key, "version")) {
			error = config_parse_uint(what, value, 2, 3, &v, err, n);
			m->erspan.version = (uint8_t)v;
		} else {
			snprintf(err, n,
				 "mirror %s: unknown erspan keyword '%s' (remote, local, "
				 "session-id, version)",
				 m->spec.name, key);
			error = -EINVAL;
		}
		if (error)
			return -EINVAL;
	}
	if (m->erspan.remote.s_addr == INADDR_ANY) {
		snprintf(err, n, "mirror %s: output erspan needs 'remote A.B.C.D'", m->spec.name);
		return -EINVAL;
	}
	return 0;
}

int config_parse_mirror(struct mirror_config *m, int argc, char **argv, char *err, size_t n)
{
	char what[96];
	unsigned long v;
	snprintf(what, sizeof(what), "mirror %s: vlan", m->spec.name);
	for (int i = 0; i < argc; i += 2) {
		const char *key = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
		int error = 0;
		if (!value) {
			snprintf(err, n, "mirror %s: %s needs a value", m->spec.name, key);
			return -EINVAL;
		}
		if (!strcmp(key, "source")) {
			error = parse_sources(m, value, err, n);
		} else if (!strcmp(key, "direction")) {
			error = parse_direction(m, value, err, n);
		} else if (!strcmp(key, "vlan")) {
			error = config_parse_uint(what, value, 1, VID_MAX, &v, err, n);
			m->spec.vid = (uint16_t)v;
		} else if (!strcmp(key, "output") && !strcmp(value, "erspan")) {
			return parse_erspan(m, argc - i - 2, argv + i + 2, err, n);
		} else if (!strcmp(key, "output")) {
			m->spec.sink = MIRROR_TO_PORT;
			if (!copy_name(m->spec.output, PORT_NAME_MAX, value)) {
				snprintf(err, n, "mirror %s: port name '%s' too long", m->spec.name,
					 value);
				return -EINVAL;
			}
		} else {
			snprintf(
			    err, n,
			    "mirror %s: unknown keyword '%s' (source, direction, vlan, output)",
			    m->spec.name, key);
			return -EINVAL;
		}
		if (error)
			return -EINVAL;
	}
	return 0;
}

/* ---- checks ----------------------------------------------------------------- */

static bool port_on(const struct config *cfg, const char *port, const char *sw)
{
	const struct config_port *p = config_find_port(cfg, port);
	return p && !strcmp(p->sw, sw);
}

static bool is_output(const struct config *cfg, const char *port)
{
	for (size_t i = 0; i < cfg->n_mirrors; i++)
		if (cfg->mirrors[i].spec.sink == MIRROR_TO_PORT &&
		    !strcmp(cfg->mirrors[i].spec.output, port))
			return true;
	return false;
}

static unsigned mirrors_of(const struct config *cfg, const char *port)
{
	unsigned count = 0;
	for (size_t i = 0; i < cfg->n_mirrors; i++)
		for (uint8_t s = 0; s < cfg->mirrors[i].spec.n_sources; s++)
			count += !strcmp(cfg->mirrors[i].spec.sources[s], port);
	return count;
}

static int check_mirror(const struct config *cfg, const struct mirror_config *m, char *err,
			size_t n)
{
	const char *name = m->spec.name;
	if (!config_find_switch(cfg, m->sw)) {
		snprintf(err, n, "mirror %s: no switch %s", name, m->sw);
		return -ENOENT;
	}
	for (uint8_t s = 0; s < m->spec.n_sources; s++) {
		const char *src = m->spec.sources[s];
		if (!port_on(cfg, src, m->sw)) {
			snprintf(err, n, "mirror %s: no port %s on switch %s", name, src, m->sw);
			return -ENOENT;
		}
		if (is_output(cfg, src)) {
			snprintf(err, n,
				 "mirror %s: port %s is the output of a mirror, which cannot be "
				 "mirrored",
				 name, src);
			return -EINVAL;
		}
		if (mirrors_of(cfg, src) > CONFIG_MIRRORS_PER_PORT) {
			snprintf(err, n, "mirror %s: port %s is a source of more than %d mirrors",
				 name, src, CONFIG_MIRRORS_PER_PORT);
			return -ENOSPC;
		}
	}
	if (m->spec.sink != MIRROR_TO_PORT)
		return 0;
	const struct config_port *out = config_find_port(cfg, m->spec.output);
	if (!out || strcmp(out->sw, m->sw)) {
		snprintf(err, n, "mirror %s: no output port %s on switch %s", name, m->spec.output,
			 m->sw);
		return -ENOENT;
	}
	if (out->settings.uplink || config_sea_of_port(cfg, out->name)) {
		snprintf(err, n,
			 "mirror %s: output port %s is an uplink or an SEA's port; a mirror's "
			 "output takes no part in forwarding",
			 name, out->name);
		return -EINVAL;
	}
	return 0;
}

int config_check_mirrors(const struct config *cfg, char *err, size_t err_size)
{
	for (size_t i = 0; i < cfg->n_mirrors; i++) {
		const struct mirror_config *m = &cfg->mirrors[i];
		int error = check_mirror(cfg, m, err, err_size);
		if (error) {
			char where[300], reason[512];
			snprintf(reason, sizeof(reason), "%s", err);
			snprintf(err, err_size, "%s%s",
				 config_where(cfg, m->line, where, sizeof(where)), reason);
			return error;
		}
	}
	for (size_t s = 0; s < cfg->n_switches; s++) {
		size_t count = 0;
		for (size_t i = 0; i < cfg->n_mirrors; i++)
			count += !strcmp(cfg->mirrors[i].sw, cfg->switches[s].name);
		if (count > CONFIG_MIRRORS_PER_SWITCH) {
			snprintf(err, err_size, "switch %s: %zu mirrors, at most %d",
				 cfg->switches[s].name, count, CONFIG_MIRRORS_PER_SWITCH);
			return -ENOSPC;
		}
	}
	return 0;
}

/* ---- comparing and printing ----------------------------------------------- */

bool config_mirror_equal(const struct mirror_config *a, const struct mirror_config *b)
{
	const struct mirror_spec *x = &a->spec, *y = &b->spec;
	if (strcmp(a->sw, b->sw) || strcmp(x->name, y->name) || x->n_sources != y->n_sources ||
	    x->direction != y->direction || x->vid != y->vid || x->sink != y->sink)
		return false;
	for (uint8_t s = 0; s < x->n_sources; s++)
		if (strcmp(x->sources[s], y->sources[s]))
			return false;
	if (x->sink == MIRROR_TO_PORT)
		return !strcmp(x->output, y->output);
	return a->erspan.remote.s_addr == b->erspan.remote.s_addr &&
	       a->erspan.local.s_addr == b->erspan.local.s_addr &&
	       a->erspan.session_id == b->erspan.session_id &&
	       a->erspan.version == b->erspan.version;
}

void config_print_mirror(const struct mirror_config *m, FILE *out)
{
	static const char *const directions[] = {"", "rx", "tx", "both"};
	fprintf(out, "mirror add %s %s source ", m->sw, m->spec.name);
	for (uint8_t s = 0; s < m->spec.n_sources; s++)
		fprintf(out, "%s%s", s ? "," : "", m->spec.sources[s]);
	fprintf(out, " direction %s", directions[m->spec.direction & MIRROR_BOTH]);
	if (m->spec.vid)
		fprintf(out, " vlan %u", m->spec.vid);
	if (m->spec.sink == MIRROR_TO_PORT) {
		fprintf(out, " output %s\n", m->spec.output);
		return;
	}
	char remote[INET_ADDRSTRLEN], local[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &m->erspan.remote, remote, sizeof(remote));
	fprintf(out, " output erspan remote %s", remote);
	if (m->erspan.local.s_addr != INADDR_ANY)
		fprintf(out, " local %s",
			inet_ntop(AF_INET, &m->erspan.local, local, sizeof(local)));
	fprintf(out, " session-id %u version %u\n", m->erspan.session_id, m->erspan.version);
}
