/* lldp_config.c — LLDP's part of the model: a port's `lldp off|rx|tx|rxtx`
 * (engine/lldp_mode.h), parsed, compared, printed in the running config and
 * shown by `port show`, each through one call from config.c and show.c;
 * and the daemon's `lldp KEY VALUE` settings (ha/lldp.h) that every port
 * announces. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "lib/frame.h"

static const char *const mode_names[] = {
    [LLDP_MODE_DEFAULT] = "default", [LLDP_MODE_OFF] = "off",	[LLDP_MODE_RX] = "rx",
    [LLDP_MODE_TX] = "tx",	     [LLDP_MODE_RXTX] = "rxtx",
};

int config_parse_lldp_mode(const char *what, const char *value, struct port_lldp *lldp, char *err,
			   size_t err_size)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (!strcmp(value, mode_names[i])) {
			lldp->mode = (uint8_t)i;
			return 0;
		}
	snprintf(err, err_size, "%s '%s' must be off, rx, tx, rxtx or default", what, value);
	return -EINVAL;
}

bool config_lldp_mode_equal(const struct port_lldp *a, const struct port_lldp *b)
{
	return a->mode == b->mode;
}

void config_print_lldp_mode(const struct port_lldp *lldp, FILE *out)
{
	if (lldp->mode != LLDP_MODE_DEFAULT && lldp->mode < ARRAY_SIZE(mode_names))
		fprintf(out, " lldp %s", mode_names[lldp->mode]);
}

void show_lldp_mode(const struct bridge_port *port, FILE *out, cJSON *json)
{
	const struct port_lldp *l = &port->config.lldp;
	const char *name = mode_names[lldp_mode_effective(l, port->config.uplink)];
	bool by_default = l->mode == LLDP_MODE_DEFAULT;
	if (json) {
		cJSON_AddStringToObject(json, "lldp", name);
		cJSON_AddBoolToObject(json, "lldp_default", by_default);
	} else {
		fprintf(out, "  lldp %s%s\n", name, by_default ? ", by default" : "");
	}
}

/* ---- the daemon's settings -------------------------------------------------- */

/* "A.B.C.D[,X:X::X]" or "none": at most one address per family. */
static int parse_mgmt(struct lldp_settings *s, const char *value, char *err, size_t n)
{
	s->n_mgmt = 0;
	memset(s->mgmt, 0, sizeof(s->mgmt));
	if (!strcmp(value, "none"))
		return 0;
	char copy[128];
	if (!copy_name(copy, sizeof(copy), value)) {
		snprintf(err, n, "lldp mgmt-address: too long");
		return -EINVAL;
	}
	for (char *save, *a = strtok_r(copy, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		uint8_t addr[16], family, len;
		if (config_parse_prefix("lldp mgmt-address", a, addr, &family, &len, err, n))
			return -EINVAL;
		if (len != (family == 4 ? 32 : 128) || strchr(a, '/')) {
			snprintf(err, n, "lldp mgmt-address '%s': an address, not a prefix", a);
			return -EINVAL;
		}
		for (unsigned i = 0; i < s->n_mgmt; i++)
			if (s->mgmt[i].family == family) {
				snprintf(err, n,
					 "lldp mgmt-address '%s': at most one IPv4 and one IPv6 "
					 "address",
					 value);
				return -EINVAL;
			}
		s->mgmt[s->n_mgmt].family = family;
		memcpy(s->mgmt[s->n_mgmt].addr, addr, 16);
		s->n_mgmt++;
	}
	return 0;
}

static int parse_name(struct lldp_settings *s, const char *value, char *err, size_t n)
{
	if (!strcmp(value, "default")) {
		s->system_name[0] = '\0';
		return 0;
	}
	return command_check_name("lldp system-name", value, sizeof(s->system_name), err, n) ||
		       !copy_name(s->system_name, sizeof(s->system_name), value)
		   ? -EINVAL
		   : 0;
}

int config_parse_lldp_setting(struct lldp_settings *s, const char *key, const char *value,
			      char *err, size_t n)
{
	if (!strcmp(key, "system-name"))
		return parse_name(s, value, err, n);
	if (!strcmp(key, "mgmt-address"))
		return parse_mgmt(s, value, err, n);
	if (!strcmp(key, "chassis-id")) {
		s->has_chassis_mac = strcmp(value, "auto") != 0;
		memset(s->chassis_mac, 0, 6);
		if (s->has_chassis_mac &&
		    (mac_parse(value, s->chassis_mac) < 0 || mac_is_group(s->chassis_mac) ||
		     mac_is_zero(s->chassis_mac))) {
			snprintf(err, n, "lldp chassis-id '%s' must be a unicast MAC or auto",
				 value);
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "tx-interval")) {
		unsigned long v;
		if (config_parse_uint("lldp tx-interval", value, 1, 3600, &v, err, n))
			return -EINVAL;
		s->tx_interval = v == LLDP_DEFAULT_TX_INTERVAL ? 0 : (uint16_t)v;
		return 0;
	}
	snprintf(err, n,
		 "lldp: unknown setting '%s' (settings: system-name, chassis-id, mgmt-address, "
		 "tx-interval)",
		 key);
	return -EINVAL;
}

bool config_lldp_settings_equal(const struct lldp_settings *a, const struct lldp_settings *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

void config_print_lldp_settings(const struct lldp_settings *s, FILE *out)
{
	if (s->system_name[0])
		fprintf(out, "lldp system-name %s\n", s->system_name);
	if (s->has_chassis_mac) {
		char mac[18];
		fprintf(out, "lldp chassis-id %s\n", mac_format(s->chassis_mac, mac));
	}
	for (unsigned i = 0; i < s->n_mgmt; i++) {
		char text[48];
		lldp_format_mgmt(&s->mgmt[i], text, sizeof(text));
		fprintf(out, "%s%s", i ? "," : "lldp mgmt-address ", text);
	}
	if (s->n_mgmt)
		fputc('\n', out);
	if (s->tx_interval)
		fprintf(out, "lldp tx-interval %u\n", s->tx_interval);
}
