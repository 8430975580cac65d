/* fuzz_lldp.c — libFuzzer target for the LLDPDU codec (src/ha/lldp_tlv.c):
 * arbitrary bytes must give a verdict without reading past the PDU; a PDU
 * that is accepted must encode again and decode to the same neighbour
 * (chassis, port, TTL, names, addresses, VLANs), and every field must
 * format as printable text. Input: the bytes after the EtherType;
 * tests/fuzz/make-corpus.py writes seeds (fuzz_lldp). */
#include <stdlib.h>
#include <string.h>

#include "ha/lldp_tlv.h"

static void check_printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so AddressSanitizer sees any read past the end. */
	uint8_t *pdu = malloc(size ? size : 1);
	if (!pdu)
		return 0;
	memcpy(pdu, data, size);
	static struct lldp_info a, b;
	enum lldp_error error = lldp_decode(pdu, size, &a);
	free(pdu);
	if (error >= LLDP_ERR_MAX)
		abort();
	if (error != LLDP_OK)
		return 0;
	if (a.chassis.len < 1 || a.port.len < 1 || a.n_mgmt > LLDP_MGMT_MAX ||
	    a.n_vlans > LLDP_VLANS_MAX)
		abort();
	char text[3 * LLDP_ID_MAX + 1];
	lldp_format_id(&a.chassis, true, text, sizeof(text));
	check_printable(text);
	lldp_format_id(&a.port, false, text, sizeof(text));
	check_printable(text);
	lldp_format_text(&a.sys_name, text, sizeof(text));
	check_printable(text);
	static uint8_t buf[9000];
	int n = lldp_encode(&a, buf, sizeof(buf));
	if (n < 0)
		abort(); /* everything kept fits a jumbo frame */
	if (lldp_decode(buf, (size_t)n, &b) != LLDP_OK)
		abort();
	if (memcmp(&a.chassis, &b.chassis, sizeof(a.chassis)) ||
	    memcmp(&a.port, &b.port, sizeof(a.port)) || a.ttl != b.ttl ||
	    a.sys_name.len != b.sys_name.len ||
	    memcmp(a.sys_name.data, b.sys_name.data, a.sys_name.len) || a.n_mgmt != b.n_mgmt ||
	    memcmp(a.mgmt, b.mgmt, sizeof(a.mgmt)) || a.n_vlans != b.n_vlans || a.pvid != b.pvid)
		abort();
	for (unsigned i = 0; i < a.n_vlans; i++)
		if (a.vlans[i].vid != b.vlans[i].vid ||
		    a.vlans[i].name_len != b.vlans[i].name_len ||
		    memcmp(a.vlans[i].name, b.vlans[i].name, a.vlans[i].name_len))
			abort();
	return 0;
}
