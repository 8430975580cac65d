/* afxdp_prog.h — the XDP program an afxdp port attaches to its interface:
 * each frame goes to the AF_XDP socket of the queue it arrived on (an
 * XSKMAP indexed by queue), and to the kernel's stack when that queue has
 * no socket. Ours, not libxdp's, so that it can be loaded frags-aware. */
#ifndef VSWITCH_AFXDP_PROG_H
#define VSWITCH_AFXDP_PROG_H

#include <stdbool.h>
#include <stdint.h>

#define AFXDP_PROG_NAME "vswitch_xsk"

struct afxdp_prog {
	int prog_fd; /* -1: nothing attached */
	int map_fd;  /* the XSKMAP, -1 when none */
	int ifindex;
	uint32_t xdp_flags; /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE once attached */
	bool frags;	    /* loaded with BPF_F_XDP_HAS_FRAGS: multi-buffer frames reach it */
};

/* Loads the program with a map of `n_queues` sockets, frags-aware when
 * `frags` (and the kernel takes it), and attaches it to `ifindex` in native
 * mode, else generic; never over another program (EBUSY). Returns 0 or a
 * negative errno, with what failed in `what` (a short phrase). */
int afxdp_prog_attach(struct afxdp_prog *prog, int ifindex, int n_queues, bool frags,
		      const char **what);
/* Points queue `queue`'s entry of the map at socket `fd`. 0 or -errno. */
int afxdp_prog_add_socket(struct afxdp_prog *prog, int queue, int fd);
/* Detaches the program if it is still the one attached, and closes it.
 * Safe on a program never attached. */
void afxdp_prog_detach(struct afxdp_prog *prog);

#endif
