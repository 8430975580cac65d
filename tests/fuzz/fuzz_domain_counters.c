/* fuzz_domain_counters.c — libFuzzer target for counters/PORT's codec
 * (src/control/domain_move.c): another host writes those bytes, so any of
 * them must decode or be refused, never crash, and what decodes must
 * encode and decode again to the same counters and MACs. */
#include <stdlib.h>
#include <string.h>

#include "control/domain_move.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct domain_counters m, back;
	if (domain_counters_decode((const char *)data, size, &m))
		return 0;
	if (m.n_macs < 0 || m.n_macs > DOMAIN_MOVE_MACS)
		abort();
	char *json = domain_counters_encode(&m);
	if (!json)
		return 0;
	if (domain_counters_decode(json, strlen(json), &back) || strcmp(back.host, m.host) ||
	    back.released != m.released || back.n_macs != m.n_macs ||
	    memcmp(back.macs, m.macs, sizeof(m.macs[0]) * (size_t)m.n_macs))
		abort();
	free(json);
	return 0;
}
