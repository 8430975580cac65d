/* acl.h — security groups in the engine: a port's rules compiled, per
 * direction, into a classifier whose cost per packet grows with the number
 * of distinct rule shapes, not of rules (tuple-space search, as Open
 * vSwitch's classifier), with the port's connection table (conntrack.h) in
 * front so that the packets of an open connection skip it. The model and
 * the commands are in src/control/acl_config.c and acl_commands.c. */
#ifndef VSWITCH_ACL_H
#define VSWITCH_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conntrack.h"
#include "flow_key.h"

#define ACL_GROUP_MAX	     32 /* a group's name, with its NUL */
#define ACL_PORT_GROUPS	     8	/* groups one port may have */
#define ACL_PROTO_ANY	     (-1)
#define ACL_NO_MATCH	     UINT32_MAX
#define ACL_MAX_RULES	     1000000
#define ACL_PRIORITY_MAX     65535
#define ACL_DEFAULT_PRIORITY 1000

/* One rule as the engine matches it. The rule allows (whitelist): a packet
 * passes if some rule of its direction matches; the lowest priority number
 * (then the earliest rule) is the one counted. */
struct acl_rule_spec {
	uint32_t id;		   /* the rule's number in its group */
	uint32_t priority;	   /* 0-65535, lower first */
	uint8_t direction;	   /* enum acl_direction */
	uint8_t family;		   /* 0 = IPv4 and IPv6, 4, 6 */
	int16_t proto;		   /* IP protocol or ACL_PROTO_ANY */
	uint16_t port_lo, port_hi; /* destination port range (TCP/UDP); 0-65535 = any */
	uint8_t remote_len;	   /* prefix length of `remote`; 0 = any */
	uint8_t pad[3];
	uint8_t remote[16]; /* the remote end: source when ingress, destination when egress */
};

struct acl_rule {
	struct acl_rule_spec spec;
	char group[ACL_GROUP_MAX];
	uint64_t rank; /* priority, then position: unique */
	uint64_t packets, bytes;
};

/* Whether the rule matches the packet's key in `dir` (the reference the
 * classifier is tested against; a linear scan). */
bool acl_rule_matches(const struct acl_rule_spec *r, const struct flow_key *k,
		      enum acl_direction dir);

/* A port's setting (port_config.acl): its groups and its table's size. */
struct port_acl_config {
	uint8_t n_groups;	/* 0: no security groups, everything passes */
	uint32_t conntrack_max; /* 0: CONNTRACK_DEFAULT_MAX */
	char groups[ACL_PORT_GROUPS][ACL_GROUP_MAX];
};

struct acl_subtable;

/* The rules of one direction of one port. */
struct acl_classifier {
	uint32_t gen; /* unique per compile: conntrack entries name rules by it */
	uint8_t direction;
	size_t n_rules;
	struct acl_rule *rules;
	/* Per family (IPv4, IPv6), by rising best rank, then one sentinel
	 * (best rank UINT64_MAX) that ends lookups. */
	struct acl_subtable *subtables[2];
	size_t n_subtables[2];
};

/* Compiles n rules of direction `dir` (copied; their counters start at 0).
 * NULL when out of memory. Runs on the control thread. */
struct acl_classifier *acl_compile(const struct acl_rule *rules, size_t n, enum acl_direction dir);
void acl_classifier_destroy(struct acl_classifier *cls);
/* The index of the best rule matching k, or ACL_NO_MATCH. */
uint32_t acl_classify(const struct acl_classifier *cls, const struct flow_key *k);
/* Subtables (distinct rule shapes) of both families, for show and bench. */
size_t acl_classifier_shapes(const struct acl_classifier *cls);

/* What a port with security groups holds (bridge_port.acl; NULL = none). */
struct acl_port {
	struct acl_classifier *cls[2]; /* by enum acl_direction */
	struct conntrack *ct;
};

/* Frees the classifiers and the table; NULL is a no-op. */
void acl_port_destroy(struct acl_port *acl);

/* Stage 6: the egress direction (from the VM) of the batch received on
 * `in`, which must have in->acl. Frames no rule or connection allows leave
 * the batch, counted on `in`. */
struct vswitch;
struct bridge_port;
struct packet_batch;
void acl_from_vm_batch(struct vswitch *sw, struct bridge_port *in, struct packet_batch *batch);
/* Stage 11: the ingress direction (to the VM) of a queue about to be sent
 * on `out` (with out->acl), under its tx_lock; drops are tx drops. */
void acl_to_vm_queue(struct bridge_port *out, struct packet_batch *q);
/* The per-packet decision for one direction, under the table's lock:
 * returns DROP_NONE (0) or the drop reason. */
int acl_filter_packet(struct acl_port *acl, enum acl_direction dir, const uint8_t *data,
		      uint32_t len, uint32_t now);

#endif
