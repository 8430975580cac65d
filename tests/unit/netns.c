/* netns.c — see netns.h. */
#include "netns.h"

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

const char *skip_reason = "netns_enter() was not called";

int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

void netns_enter(void)
{
	skip_reason = NULL;
	if (geteuid() != 0) {
		skip_reason = "not root: network-namespace tests need CAP_NET_ADMIN";
		return;
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
		skip_reason = "unshare(CLONE_NEWNET | CLONE_NEWNS) failed";
		return;
	}
	/* Our own /sys, so /sys/class/net lists this namespace's interfaces. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL) < 0) {
		skip_reason = "cannot mount a private /sys";
		return;
	}
	/* No IPv6 chatter (router solicitations, MLD) on the test links. */
	if (sh("ip link set lo up && sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
	       "net.ipv6.conf.default.disable_ipv6=1") != 0)
		skip_reason = "iproute2/sysctl failed in the private namespace";
}
