/* security_config.h — the port-security settings of a port as text:
 * parsed by `port add`/`port set` and the startup file, compared, printed
 * in running-config and shown by `port show` (docs/port-security.md). */
#ifndef VSWITCH_SECURITY_CONFIG_H
#define VSWITCH_SECURITY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "engine/engine.h"

struct cJSON;

/* mac, allowed-addresses, promiscuous, mac-changes, forged-transmits, trusted. */
bool config_is_security_setting(const char *key);
/* Parses the setting `key` whose value is argv[*i]; allowed-addresses
 * takes every following word that is a MAC[,IP...] pair, leaving *i on the
 * last one. `what` ("port vm1: mac") starts the error message. */
int config_parse_security_setting(struct port_security *s, const char *what, const char *key,
				  int argc, char **argv, int *i, char *err, size_t err_size);
bool config_security_equal(const struct port_security *a, const struct port_security *b);
/* The settings that differ from the defaults, each as " key value". */
void config_print_security(const struct port_security *s, FILE *out);
/* `port show`: one line of text, or a "security" object. */
void show_security_text(FILE *out, const struct bridge_port *p);
void show_security_json(struct cJSON *port, const struct bridge_port *p);

#endif
