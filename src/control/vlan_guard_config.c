/* vlan_guard_config.c — the VLAN-hopping guard's part of a port's settings
 * (engine/vlan_guard.h): `stacked-tags forward|drop`, parsed, compared,
 * printed in the running config and shown by `port show`, each through one
 * call from config.c and show.c. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

static const char *const stacked_tags_names[] = {
    [STACKED_TAGS_DEFAULT] = "default",
    [STACKED_TAGS_FORWARD] = "forward",
    [STACKED_TAGS_DROP] = "drop",
};

int config_parse_vlan_guard(const char *what, const char *value, struct vlan_guard *guard,
			    char *err, size_t err_size)
{
	for (size_t i = 0; i < ARRAY_SIZE(stacked_tags_names); i++)
		if (!strcmp(value, stacked_tags_names[i])) {
			guard->stacked_tags = (uint8_t)i;
			return 0;
		}
	snprintf(err, err_size, "%s '%s' must be forward, drop or default", what, value);
	return -EINVAL;
}

bool config_vlan_guard_equal(const struct vlan_guard *a, const struct vlan_guard *b)
{
	return a->stacked_tags == b->stacked_tags;
}

void config_print_vlan_guard(const struct vlan_guard *guard, FILE *out)
{
	if (guard->stacked_tags != STACKED_TAGS_DEFAULT)
		fprintf(out, " stacked-tags %s", stacked_tags_names[guard->stacked_tags]);
}

void show_vlan_guard(const struct vlan_guard *guard, bool security, bool uplink, FILE *out,
		     cJSON *json)
{
	bool drops = vlan_guard_drops(guard, security, uplink);
	const char *name = drops ? "drop" : "forward";
	if (json) {
		cJSON_AddStringToObject(json, "stacked_tags", name);
		cJSON_AddBoolToObject(json, "stacked_tags_default",
				      guard->stacked_tags == STACKED_TAGS_DEFAULT);
	} else {
		fprintf(out, "  stacked-tags %s%s%s\n", name,
			drops ? " (VLAN-hopping guard)" : " (802.1Q: inner tag is payload)",
			guard->stacked_tags == STACKED_TAGS_DEFAULT ? ", by default" : "");
	}
}
