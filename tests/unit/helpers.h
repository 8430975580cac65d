/* helpers.h — what the unit tests share: a switch on pipe ports built in one
 * line, frames sent in and read back out, and MAC addresses by number. */
#ifndef VSWITCH_TEST_HELPERS_H
#define VSWITCH_TEST_HELPERS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "lib/frame.h"

/* A switch with its own pool; torn down by fixture_teardown. */
struct vswitch *test_switch(enum switch_mode mode);
void test_switch_destroy(struct vswitch *sw);
/* The clock rate limits read in tests set up with test_switch_fake_clock:
 * nanoseconds that move only when the test moves them. */
extern uint64_t test_now_ns;
/* cmocka setup/teardown: a learning switch in *state, its rate limits on
 * test_now_ns (starting at 1000). */
int test_switch_fake_clock(void **state);
int test_switch_teardown(void **state);
/* Adds a pipe port; vids is a 0-terminated list of extra tagged VLANs. */
struct bridge_port *test_port(struct vswitch *sw, const char *name, uint16_t pvid,
			      const uint16_t *vids, bool uplink);
/* 02:00:00:00:HH:LL, a locally administered unicast address. */
const uint8_t *test_mac(unsigned n);
extern const uint8_t test_broadcast[6];
/* Sends one frame (tagged with tci when tci >= 0) into port and runs the
 * switch. */
void test_send(struct vswitch *sw, struct bridge_port *port, const uint8_t *dst, const uint8_t *src,
	       int tci);
/* Sends raw bytes into port and runs the switch. */
void test_send_raw(struct vswitch *sw, struct bridge_port *port, const void *frame, uint32_t len);
/* What left a port: the next frame, or len -1. */
struct test_frame {
	int len;
	uint8_t data[2048];
};
struct test_frame test_take(struct bridge_port *port);
/* Frames waiting on the port, after which they are discarded. */
uint32_t test_count_and_clear(struct bridge_port *port);
/* Discards what every port has sent. */
void test_clear_all(struct vswitch *sw);
/* -1 if the frame is untagged, else its VID. */
int test_frame_vid(const struct test_frame *f);
/* Its full TCI, or -1 if untagged. */
int test_frame_tci(const struct test_frame *f);

#endif
