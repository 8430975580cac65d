/* schedule.c — when the data-plane thread reads carriers and does its
 * housekeeping, and how long it may sleep (schedule.h).
 *
 * An idle daemon sleeps until something happens rather than polling
 * carriers: the kernel reports at once, on rtnetlink, a tap losing or getting
 * its queue, a veth losing its peer, and a carrier an SEA lowers on purpose
 * (internal.c reads it back, which makes the kernel report it). What it may
 * report up to a second late (a NIC driver's carrier loss goes through the
 * kernel's rate-limited link watch) is read when the thread wakes, before it
 * forwards anything; while frames flow, uplinks are read every
 * SCHEDULE_UPLINK_MS as before. */
#include "schedule.h"

#include "engine/datapath.h"
#include "monitor.h"

void schedule_init(struct schedule *s, int link_fd)
{
	*s = (struct schedule){.link_fd = link_fd};
}

static void before_change(struct schedule *s)
{
	if (s->before_change)
		s->before_change(s->arg);
}

static void read_uplinks(struct schedule *s, struct datapath *dp, uint64_t now_ms)
{
	/* Without uplinks there is nothing to read, nor to pause for. */
	if (!datapath_has_uplinks(dp)) {
		s->has_uplinks = false;
	} else if (!s->before_change) {
		s->has_uplinks = datapath_refresh_uplinks(dp) > 0;
	} else {
		/* The other threads forward while the carriers are read: a read
		 * changes nothing they use. Only a change (new VLAN tables, MACs
		 * flushed, announcements) needs them paused, and is read again
		 * then; steady carriers cost them no pause. */
		bool changed = false;
		uint32_t n = datapath_probe_uplinks(dp, &changed);
		if (changed) {
			before_change(s);
			n = datapath_refresh_uplinks(dp);
		}
		s->has_uplinks = n > 0;
	}
	s->uplinks_due_ms = now_ms + SCHEDULE_UPLINK_MS;
}

bool schedule_run(struct schedule *s, struct datapath *dp, uint64_t now_ms)
{
	bool links = false;
	if (now_ms != s->links_read_ms && s->link_fd >= 0) {
		s->links_read_ms = now_ms;
		links = link_monitor_drain(s->link_fd);
		if (links) {
			before_change(s);
			datapath_refresh_links(dp);
		}
	}
	if (now_ms >= s->uplinks_due_ms)
		read_uplinks(s, dp, now_ms);
	if (now_ms >= s->housekeeping_due_ms) {
		s->housekeeping_due_ms = now_ms + SCHEDULE_HOUSEKEEPING_MS;
		before_change(s);
		datapath_run(dp, time_now_seconds());
	}
	return links;
}

int schedule_timeout_ms(const struct schedule *s, uint64_t now_ms, uint64_t due_ms, bool must_poll)
{
	if (must_poll)
		return 1;
	uint64_t until = s->housekeeping_due_ms;
	if (s->link_fd < 0 && s->has_uplinks && s->uplinks_due_ms < until)
		until = s->uplinks_due_ms;
	if (due_ms < until)
		until = due_ms;
	return until > now_ms ? (int)(until - now_ms) : 0;
}

void schedule_woke(struct schedule *s, struct datapath *dp, uint64_t now_ms)
{
	if (now_ms >= s->uplinks_due_ms)
		read_uplinks(s, dp, now_ms);
}
