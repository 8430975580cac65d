/* tun.h — private to src/port: the tap devices that tap.c and internal.c
 * make, keep across restarts and remove, and that internal.c's vnic attaches
 * to. Nothing outside src/port includes this. */
#ifndef VSWITCH_PORT_TUN_H
#define VSWITCH_PORT_TUN_H

#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>

/* Every tap vswitchd makes or attaches to has these flags. TUNSETIFF on an
 * existing tap replaces the device's flags with the caller's, so attaching
 * again after a restart with other flags would take the vnet header away
 * from the QEMU or the switch that reads the other side. */
#define TUN_TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

/* A new nonblocking tun fd attached to the queue of tap `ifname` with
 * TUN_TAP_FLAGS. `create`: make the tap, never attach to what is there.
 * Returns the fd or a negative errno: -EEXIST (create, and an interface of
 * that name exists), -EBUSY (its queue is held: by a QEMU, another
 * vswitchd), -EINVAL (an interface of that name that is not a tap). */
int tun_attach(const char *ifname, bool create);
/* Sets or clears IFF_PERSIST on the tap `fd` is attached to: a persistent tap
 * outlives every fd, the daemon's too. Returns 0 or a negative errno. */
int tun_set_persist(int fd, bool on);
/* For a tap just made for port `port_name`: tun_set_persist() and tun_mark()
 * (a mark that cannot be set is logged, not fatal). Returns 0 or the
 * negative errno of making it persistent. */
int tun_keep(int fd, const char *ifname, const char *port_name);
/* True when `ifname` is a tap (the tun driver in TAP mode): not a tun (L3)
 * device, not another kind of interface. `ctl` is afpacket_ioctl_socket(). */
bool tun_is_tap(int ctl, const char *ifname);

/* Marks a tap as made by vswitchd for port `port_name` (its interface alias,
 * shown by `ip link`), so that a restarted daemon that adopts it knows it may
 * remove it, and leaves alone a tap libvirt made. Returns 0 or a negative
 * errno. */
int tun_mark(const char *ifname, const char *port_name);
/* Whether `ifname` carries tun_mark()'s mark. */
bool tun_is_marked(const char *ifname);
/* Removes persistent tap `ifname`: attaches to it, clears IFF_PERSIST and
 * lets go. A tap whose queue is held (a running QEMU) is left in place,
 * logged, rather than pulled from under a running guest. */
void tun_remove(const char *port_name, const char *ifname);

#endif
