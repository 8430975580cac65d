/* fuzz_acl.c — libFuzzer target for the security groups' parser
 * (flow_key_parse) and the per-packet decision behind it: arbitrary bytes
 * as a frame through both directions of a port with a few rules and a small
 * connection table. Must never read outside the frame or crash. */
#include <stdlib.h>
#include <string.h>

#include "engine/acl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct acl_port *port_with_rules(void)
{
	static struct acl_rule rules[3];
	rules[0].spec = (struct acl_rule_spec){
	    .direction = ACL_INGRESS, .proto = 6, .port_lo = 0, .port_hi = 1024};
	rules[1].spec = (struct acl_rule_spec){
	    .direction = ACL_EGRESS, .proto = ACL_PROTO_ANY, .port_hi = 65535};
	rules[2].spec = (struct acl_rule_spec){.direction = ACL_INGRESS,
					       .family = 6,
					       .proto = 17,
					       .port_lo = 53,
					       .port_hi = 53,
					       .remote_len = 8,
					       .remote = {0xfd}};
	struct acl_port *acl = calloc(1, sizeof(*acl));
	acl->cls[ACL_EGRESS] = acl_compile(rules, 3, ACL_EGRESS);
	acl->cls[ACL_INGRESS] = acl_compile(rules, 3, ACL_INGRESS);
	acl->ct = conntrack_create(8);
	return acl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acl_port *acl;
	if (!acl)
		acl = port_with_rules();
	if (size > 65535)
		return 0;
	/* An exact-size copy so that ASan sees any read past the end. */
	uint8_t *frame = malloc(size ? size : 1);
	memcpy(frame, data, size);
	struct flow_key k;
	if (size >= 14)
		flow_key_parse(frame, (uint32_t)size, &k);
	if (size >= 14) {
		acl_filter_packet(acl, ACL_EGRESS, frame, (uint32_t)size, (uint32_t)size);
		acl_filter_packet(acl, ACL_INGRESS, frame, (uint32_t)size, (uint32_t)size);
	}
	free(frame);
	return 0;
}
