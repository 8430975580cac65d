/* counters.c — names and descriptions of the drop reasons, generated from
 * the list in counters.h, and a port's counters as the CLI shows them. */
#include "counters.h"

#include "engine.h"

#include <string.h>

static const char *const names[DROP_MAX] = {[DROP_NONE] = "none",
#define DROP_NAME(e, name, text) [DROP_##e] = name,
					    FOREACH_DROP_REASON(DROP_NAME)
#undef DROP_NAME
};

static const char *const texts[DROP_MAX] = {[DROP_NONE] = "not dropped",
#define DROP_TEXT(e, name, text) [DROP_##e] = text,
					    FOREACH_DROP_REASON(DROP_TEXT)
#undef DROP_TEXT
};

const char *drop_reason_name(enum drop_reason reason)
{
	return (unsigned)reason < DROP_MAX ? names[reason] : "unknown";
}

const char *drop_reason_text(enum drop_reason reason)
{
	return (unsigned)reason < DROP_MAX ? texts[reason] : "unknown";
}

enum drop_reason drop_reason_from_name(const char *name)
{
	for (int i = 1; i < DROP_MAX; i++)
		if (strcmp(names[i], name) == 0)
			return (enum drop_reason)i;
	return DROP_NONE;
}

/* Adds every counter of `add` to `to` (a moved port's carried counters). */
static void counters_add(struct port_counters *to, const struct port_counters *add)
{
	to->rx_packets += add->rx_packets;
	to->rx_bytes += add->rx_bytes;
	to->tx_packets += add->tx_packets;
	to->tx_bytes += add->tx_bytes;
	to->mac_moves += add->mac_moves;
	to->consumed += add->consumed;
	for (int i = 1; i < DROP_MAX; i++)
		to->drops[i] += add->drops[i];
}

void bridge_port_counters(const struct bridge_port *port, struct port_counters *out)
{
	const struct port_stats *s = &port->dev->stats;
	*out = port->counters;
	for (int i = 1; i < DROP_MAX; i++)
		out->drops[i] += port->tx_drops[i];
	out->tx_packets += s->tx_packets;
	out->tx_bytes += s->tx_bytes;
	out->drops[DROP_TX_ERROR] += s->tx_errors;
	out->drops[DROP_TX_FULL] += s->tx_full;
	out->drops[DROP_OVERSIZE] += s->rx_oversize;
	out->drops[DROP_RX_OVERFLOW] += s->rx_overflow;
	out->drops[DROP_UPLINK_INACTIVE] += s->rx_inactive;
	out->drops[DROP_RX_CHAIN_LONG] += s->rx_chain_long;
	out->drops[DROP_RX_CHAIN_BROKEN] += s->rx_chain_broken;
	counters_add(out, &port->carried);
}

void switch_clear_counters(struct bridge_port *port)
{
	memset(&port->counters, 0, sizeof(port->counters));
	memset(port->tx_drops, 0, sizeof(port->tx_drops));
	memset(&port->dev->stats, 0, sizeof(port->dev->stats));
	memset(&port->carried, 0, sizeof(port->carried));
}
