/* afxdp_prog.c — the afxdp port's XDP program (afxdp_prog.h).
 *
 * Why our own: libxdp 1.3's built-in program (xsk_def_prog, Debian 12) is
 * built in section "xdp", not "xdp.frags", and xsk_socket__create() gives
 * no way to load it otherwise. The kernel lets a program without frags
 * support see only frames of one page: a veth with one attached caps its
 * peer's MTU at 3506 bytes, and multi-buffer (XDP_USE_SG) sockets would get
 * nothing larger. The program is five instructions, loaded from an array
 * with libbpf's bpf_prog_load() (no object file, no BTF, no clang at build
 * time):
 *
 *	r2 = ctx->rx_queue_index
 *	r1 = &xsks_map
 *	r3 = XDP_PASS			; what bpf_redirect_map returns on a miss
 *	call bpf_redirect_map		; (flags as the miss value: Linux 5.3)
 *	exit
 *
 * the same as libxdp's program for kernels from 5.3. Attaching it directly
 * (bpf_xdp_attach) also skips libxdp's multi-program dispatcher, which is
 * refused (EPERM) on the project's machine anyway. */
#include "afxdp_prog.h"

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#ifndef BPF_F_XDP_HAS_FRAGS
#define BPF_F_XDP_HAS_FRAGS (1U << 5) /* Linux 5.18 */
#endif

int afxdp_prog_attach(struct afxdp_prog *prog, int ifindex, int n_queues, bool frags,
		      const char **what)
{
	*prog = (struct afxdp_prog){.prog_fd = -1, .map_fd = -1, .ifindex = ifindex};
	prog->map_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "vswitch_xsks", sizeof(uint32_t),
				      sizeof(uint32_t), (uint32_t)n_queues, NULL);
	if (prog->map_fd < 0) {
		*what = "creating its socket map";
		int error = -errno;
		prog->map_fd = -1;
		return error;
	}
	const struct bpf_insn insns[] = {
	    {.code = BPF_LDX | BPF_MEM | BPF_W,
	     .dst_reg = BPF_REG_2,
	     .src_reg = BPF_REG_1,
	     .off = offsetof(struct xdp_md, rx_queue_index)},
	    {.code = BPF_LD | BPF_DW | BPF_IMM,
	     .dst_reg = BPF_REG_1,
	     .src_reg = BPF_PSEUDO_MAP_FD,
	     .imm = prog->map_fd},
	    {0}, /* the second half of the 64-bit load */
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = XDP_PASS},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	int error = 0;
	/* A kernel before 5.18 refuses the flag: single-buffer, as before. */
	for (int attempt = frags ? 0 : 1; attempt < 2 && prog->prog_fd < 0; attempt++) {
		LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_XDP,
			    .prog_flags = attempt == 0 ? BPF_F_XDP_HAS_FRAGS : 0);
		prog->prog_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, AFXDP_PROG_NAME, "Apache-2.0",
					      insns, sizeof(insns) / sizeof(insns[0]), &opts);
		if (prog->prog_fd < 0) {
			error = -errno;
			prog->prog_fd = -1;
		} else {
			prog->frags = attempt == 0;
		}
	}
	if (prog->prog_fd < 0) {
		*what = "loading its XDP program";
		afxdp_prog_detach(prog);
		return error;
	}
	static const uint32_t modes[] = {XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		error = bpf_xdp_attach(ifindex, prog->prog_fd,
				       XDP_FLAGS_UPDATE_IF_NOEXIST | modes[i], NULL);
		if (error == 0) {
			prog->xdp_flags = modes[i];
			return 0;
		}
		if (error == -EBUSY || error == -EEXIST || error == -EPERM)
			break; /* another program, or no right: no mode does better */
	}
	*what = "attaching its XDP program";
	afxdp_prog_detach(prog);
	return error;
}

int afxdp_prog_add_socket(struct afxdp_prog *prog, int queue, int fd)
{
	uint32_t key = (uint32_t)queue, value = (uint32_t)fd;
	return bpf_map_update_elem(prog->map_fd, &key, &value, BPF_ANY) ? -errno : 0;
}

void afxdp_prog_detach(struct afxdp_prog *prog)
{
	if (prog->prog_fd >= 0 && prog->xdp_flags) {
		/* Only if it is still ours: REPLACE names the program expected. */
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = prog->prog_fd);
		bpf_xdp_detach(prog->ifindex, prog->xdp_flags | XDP_FLAGS_REPLACE, &opts);
	}
	if (prog->prog_fd >= 0)
		close(prog->prog_fd);
	if (prog->map_fd >= 0)
		close(prog->map_fd);
	prog->prog_fd = prog->map_fd = -1;
	prog->xdp_flags = 0;
}
