/* ipfix_export.c — sends a switch's ended flows to its collector over UDP
 * (RFC 7011 §10.3), on the control thread: the engine only fills the
 * cache's ring. The socket is connected, so an ICMP unreachable from a
 * collector that is down comes back as an error on the next send, which is
 * then tried once more; other errors are counted (send_errors). Over UDP the templates are sent
 * first and again every template-refresh seconds (§8.4), with the options record (sampling,
 * totals); the sequence number counts data records (§3.1). */
#include "ipfix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/datapath.h"
#include "erspan.h"
#include "execute.h"

struct ipfix_exporter {
	struct ipfix_export_params params;
	int fd;
	uint32_t sequence;
	bool templates_sent;
	uint32_t templates_at; /* seconds */
	struct ipfix_export_stats stats;
};

struct ipfix_exporter *ipfix_exporter_open(const struct ipfix_export_params *params, char *err,
					   size_t err_size)
{
	struct ipfix_exporter *ex = calloc(1, sizeof(*ex));
	if (!ex) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	ex->params = *params;
	int family = params->collector.ss_family;
	socklen_t len =
	    family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	ex->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ex->fd < 0 || connect(ex->fd, (const struct sockaddr *)&params->collector, len) < 0) {
		snprintf(err, err_size, "ipfix: cannot reach the collector: %s", strerror(errno));
		if (ex->fd >= 0)
			close(ex->fd);
		free(ex);
		return NULL;
	}
	return ex;
}

void ipfix_exporter_close(void *exporter)
{
	struct ipfix_exporter *ex = exporter;
	if (!ex)
		return;
	close(ex->fd);
	free(ex);
}

static void send_message(struct ipfix_exporter *ex, struct ipfix_message *m, uint32_t now)
{
	size_t len = ipfix_message_finish(m, now, ex->sequence, ex->params.observation_domain);
	ex->sequence += m->data_records;
	ssize_t rc = send(ex->fd, m->buf, len, 0);
	/* The error an earlier datagram's ICMP unreachable left on the socket
	 * (a collector that was not listening then) is reported once, here:
	 * this message was not sent, try it again. */
	if (rc < 0 && errno == ECONNREFUSED)
		rc = send(ex->fd, m->buf, len, 0);
	if (rc == (ssize_t)len) {
		ex->stats.messages++;
		ex->stats.records += m->data_records;
	} else {
		ex->stats.send_errors++;
	}
}

uint32_t ipfix_exporter_flush(struct ipfix_cache *c, uint32_t now)
{
	struct ipfix_exporter *ex = c->sink_ctx;
	static uint8_t buf[IPFIX_MAX_MESSAGE];
	struct ipfix_message m;
	uint32_t sent = 0;
	if (!ex->templates_sent || now - ex->templates_at >= ex->params.template_refresh) {
		struct ipfix_process_stats s = {
		    .observation_domain = ex->params.observation_domain,
		    .sampling = c->config.sampling,
		    .messages = ex->stats.messages,
		    .records = ex->stats.records,
		    .lost = __atomic_load_n(&c->stats.ring_full, __ATOMIC_RELAXED),
		    .ignored = __atomic_load_n(&c->stats.refused, __ATOMIC_RELAXED),
		};
		ipfix_message_begin(&m, buf);
		ipfix_message_add_templates(&m);
		ipfix_message_add_options(&m, &s);
		send_message(ex, &m, now);
		ex->templates_sent = true;
		ex->templates_at = now;
	}
	struct ipfix_record r;
	bool open = false;
	while (ipfix_cache_pop(c, &r)) {
		if (!open)
			ipfix_message_begin(&m, buf);
		open = true;
		if (!ipfix_message_add_record(&m, &r)) {
			send_message(ex, &m, now);
			ipfix_message_begin(&m, buf);
			ipfix_message_add_record(&m, &r);
		}
		sent++;
	}
	if (open)
		send_message(ex, &m, now);
	return sent;
}

void ipfix_exporter_stats(const struct ipfix_cache *c, struct ipfix_export_stats *out)
{
	const struct ipfix_exporter *ex = c->sink_ctx;
	*out = ex ? ex->stats : (struct ipfix_export_stats){0};
}

bool ipfix_export_tick(void *state)
{
	const struct datapath *dp = ((struct control_state *)state)->dp;
	bool any = false;
	uint32_t now = (uint32_t)time(NULL);
	for (size_t i = 0; dp && i < dp->n_switches; i++) {
		struct ipfix_cache *c = dp->switches[i]->ipfix;
		if (!c || !c->sink_ctx)
			continue;
		any = true;
		ipfix_exporter_flush(c, now);
	}
	return any;
}

bool control_export_tick(void *state)
{
	bool erspan = erspan_export_tick(state);
	bool ipfix = ipfix_export_tick(state);
	return erspan || ipfix;
}
