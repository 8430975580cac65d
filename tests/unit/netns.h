/* netns.h — for unit tests that need real interfaces: the test process
 * moves into a private network namespace (and its own /sys), so veths it
 * makes cannot collide with anything and vanish when it exits. */
#ifndef VSWITCH_TEST_NETNS_H
#define VSWITCH_TEST_NETNS_H

/* Why the namespace tests must be skipped (not root, no unshare...), or
 * NULL once netns_enter() succeeded. */
extern const char *skip_reason;

/* Enters a private network and mount namespace with lo up and IPv6 off;
 * on failure sets skip_reason. */
void netns_enter(void);
/* Runs a shell command built like printf; returns system()'s status. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define REQUIRE_NETNS()                                                                            \
	do {                                                                                       \
		if (skip_reason)                                                                   \
			skip();                                                                    \
	} while (0)

#endif
