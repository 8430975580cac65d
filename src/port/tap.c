/* tap.c — a VM's vNIC. The port makes sure a persistent tap device exists
 * (named after the port, or dev=NAME), brings it up and lets go of its
 * queue, so QEMU can open it with `-netdev tap,ifname=NAME,script=no,
 * downscript=no,vhost=on` and own it; a tap libvirt made is used as it is.
 * We then reach the tap's host side the way the Linux bridge does, through a
 * packet socket carrying the virtio-net header (afpacket.c's I/O), so GSO
 * super-frames from the guest cross the switch whole. The carrier is up while
 * a QEMU has the queue open. The tap outlives the daemon (tun.c): a restart
 * finds it, the guest never sees its vNIC go; a tap vswitchd made is removed
 * with the port (remove), never by a restart. */
#include <errno.h>
#include <grp.h>
#include <linux/if_tun.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "afpacket.h"
#include "tun.h"

struct tap_port {
	struct afpacket_io *io;
	char ifname[IFNAMSIZ];
	bool ours; /* vswitchd made it (now, or before a restart): removable */
};

/* Parses owner=USER|UID or group=GROUP|GID; -1 when the option is absent. */
static int parse_id(const struct port *port, const char *const *options, const char *key, long *out,
		    char *err, size_t err_size)
{
	const char *value = port_option(options, key);
	*out = -1;
	if (!value)
		return 0;
	char *end;
	errno = 0;
	unsigned long id = strtoul(value, &end, 10);
	if (value[0] && !*end && !errno && id < 0xffffffffUL) {
		*out = (long)id;
		return 0;
	}
	if (strcmp(key, "owner") == 0) {
		struct passwd *pw = getpwnam(value);
		if (pw) {
			*out = (long)pw->pw_uid;
			return 0;
		}
	} else {
		struct group *gr = getgrnam(value);
		if (gr) {
			*out = (long)gr->gr_gid;
			return 0;
		}
	}
	snprintf(err, err_size, "port %s: %s '%s' is not a known %s name or number", port->name,
		 key, value, strcmp(key, "owner") == 0 ? "user" : "group");
	return -EINVAL;
}

/* Creates the persistent tap, or returns -EEXIST if an interface of that
 * name is there already. owner and group (-1 = none) may open it without
 * CAP_NET_ADMIN, for a QEMU that does not run as root. */
static int tap_create(const struct port *port, const char *ifname, long owner, long group,
		      char *err, size_t err_size)
{
	int fd = tun_attach(ifname, true);
	if (fd < 0) {
		if (fd != -EEXIST)
			snprintf(err, err_size, "port %s: cannot create tap '%s': %s", port->name,
				 ifname, strerror(-fd));
		return fd;
	}
	int error = 0;
	if ((owner >= 0 && ioctl(fd, TUNSETOWNER, (unsigned long)owner) < 0) ||
	    (group >= 0 && ioctl(fd, TUNSETGROUP, (unsigned long)group) < 0))
		error = -errno;
	if (!error)
		error = tun_keep(fd, ifname, port->name);
	if (error)
		snprintf(err, err_size, "port %s: cannot make tap '%s' persistent: %s", port->name,
			 ifname, strerror(-error));
	close(fd); /* a tap that is not persistent goes with it */
	return error;
}

static int tap_open(struct port *port, const char *const *options, char *err, size_t err_size)
{
	static const char *const known[] = {"dev", "owner", "group", AFPACKET_IO_OPTIONS, NULL};
	struct afpacket_io_config config;
	struct tap_port *tap = NULL;
	long owner, group;
	bool created = false;
	int ctl = -1;
	int error = port_check_options(port, options, known, err, err_size);
	if (!error)
		error = afpacket_io_parse_options(port, options, &config, err, err_size);
	if (!error)
		error = parse_id(port, options, "owner", &owner, err, err_size);
	if (!error)
		error = parse_id(port, options, "group", &group, err, err_size);
	if (error)
		goto out;
	tap = calloc(1, sizeof(*tap));
	if (!tap) {
		snprintf(err, err_size, "port %s: out of memory", port->name);
		error = -ENOMEM;
		goto out;
	}
	error = afpacket_ifname(port, options, tap->ifname, err, err_size);
	if (error)
		goto out;
	ctl = afpacket_ioctl_socket();
	if (ctl < 0) {
		error = ctl;
		snprintf(err, err_size, "port %s: cannot open a socket: %s", port->name,
			 strerror(-error));
		goto out;
	}

	error = tap_create(port, tap->ifname, owner, group, err, err_size);
	if (error == -EEXIST) {
		/* Made by libvirt, or by us before a restart: use it as it is.
		 * The exclusive create failed without attaching, so the tap's
		 * flags and vnet header stay as its QEMU set them. */
		if (!tun_is_tap(ctl, tap->ifname)) {
			snprintf(err, err_size, "port %s: interface '%s' exists and is not a tap",
				 port->name, tap->ifname);
			goto out;
		}
		tap->ours = tun_is_marked(tap->ifname);
		log_info("port %s: adopted tap '%s'%s", port->name, tap->ifname,
			 tap->ours ? " made before a restart"
				   : " made by someone else (kept on removal)");
		error = 0;
	} else if (error) {
		goto out;
	} else {
		tap->ours = true;
		created = true;
	}
	/* Up, so the packet socket can send and the carrier follows QEMU. */
	error = afpacket_netdev_set_up(ctl, tap->ifname);
	if (error) {
		snprintf(err, err_size, "port %s: cannot bring tap '%s' up: %s", port->name,
			 tap->ifname, strerror(-error));
		goto out;
	}
	error = afpacket_io_open(port, tap->ifname, &config, &tap->io, err, err_size);
	if (error)
		goto out;
	port->priv = tap;
	tap = NULL;
out:
	if (ctl >= 0)
		close(ctl);
	if (tap) {
		if (created)
			tun_remove(port->name, tap->ifname);
		free(tap);
	}
	return error;
}

static void tap_release(struct port *port, bool remove)
{
	struct tap_port *tap = port->priv;
	/* The socket goes first: it holds a reference to the device. */
	afpacket_io_close(tap->io);
	if (remove && tap->ours)
		tun_remove(port->name, tap->ifname);
	free(tap);
	port->priv = NULL;
}

static void tap_close(struct port *port)
{
	tap_release(port, false);
}

static void tap_remove(struct port *port)
{
	tap_release(port, true);
}

static int tap_recv(struct port *port, struct packet_pool *pool, struct packet_batch *batch)
{
	struct tap_port *tap = port->priv;
	return afpacket_io_recv(tap->io, port, pool, batch);
}

static void tap_send(struct port *port, struct packet_batch *batch)
{
	struct tap_port *tap = port->priv;
	afpacket_io_send(tap->io, port, batch);
}

static bool tap_carrier(const struct port *port)
{
	const struct tap_port *tap = port->priv;
	return afpacket_io_carrier(tap->io);
}

static void tap_update_stats(struct port *port)
{
	struct tap_port *tap = port->priv;
	afpacket_io_update_stats(tap->io, port);
}

static int tap_wait_fd(const struct port *port)
{
	const struct tap_port *tap = port->priv;
	return afpacket_io_fd(tap->io);
}

const struct port_class tap_port_class = {
    .type = "tap",
    .open = tap_open,
    .close = tap_close,
    .remove = tap_remove,
    .recv = tap_recv,
    .send = tap_send,
    .carrier = tap_carrier,
    .interfaces = afpacket_interfaces,
    .wait_fd = tap_wait_fd,
    .update_stats = tap_update_stats,
};
