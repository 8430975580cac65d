/* overlay.h — the VXLAN overlay of a distributed switch's domain
 * (docs/distributed.md "Overlay"), its pure parts: what a host publishes in
 * its leased hosts/HOST key beside the schema-1 fields (its VNIs and, per
 * VNI, the MACs of its bound VMs), and what every other host works out
 * from all of them (each VNI's flood list, the static remote MACs).
 * Schema 1 readers ignore the added fields; a host without them serves no
 * VNI. Unit-tested (test_overlay.c) and fuzzed (fuzz_overlay.c): the
 * values come from other hosts. */
#ifndef VSWITCH_OVERLAY_H
#define VSWITCH_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OVERLAY_VNI_MAX	 16777215u
#define OVERLAY_VNIS_MAX 4096 /* VNIs one host publishes */
/* MACs one host publishes (bound ports with a `mac`): beyond them a VM's
 * unicast is learned, not published (counted in domain show). */
#define OVERLAY_MACS_MAX 4096

/* One VNI of a vxlan port's vni= spec and the VLAN it carries (vid 0 is
 * the untagged frames, given as the port's pvid by overlay_vni_map). */
struct overlay_vni {
	uint32_t vni;
	uint16_t vid;
};

struct overlay_mac {
	uint32_t vni;
	uint8_t mac[6];
};

/* A host's overlay fields: its VTEP ("IP" or "IP:PORT"), VNIs, MACs. */
struct overlay_host {
	char name[32];
	char vtep[64];
	uint32_t *vnis; /* sorted, distinct */
	size_t n_vnis;
	struct overlay_mac *macs; /* sorted (vni, mac), distinct */
	size_t n_macs;
};

/* The (VNI, VLAN) pairs of a vni= spec ("5000,10:5010,100-109:6100"),
 * the untagged item's VLAN being `pvid`. Returns how many (at most max are
 * written) or -EINVAL for a spec the vxlan port would refuse. */
int overlay_vni_map(const char *spec, uint16_t pvid, struct overlay_vni *out, size_t max);

/* hosts/HOST's JSON with the overlay fields added ("vnis":[N,...],
 * "vni-macs":{"N":["02:..",...]}): a malloc'd text, NULL when out of
 * memory or `json` is not an object. */
char *overlay_host_extend(const char *json, const struct overlay_host *h);
/* The overlay fields of hosts/HOST's value (and its "vtep"). 0 or -EINVAL
 * (with err) for a value that does not decode; fields absent: none. */
int overlay_host_decode(const char *name, const char *json, size_t len, struct overlay_host *out,
			char *err, size_t err_size);
void overlay_host_free(struct overlay_host *h);
/* Sorts and removes duplicates (decode and the publisher use it). */
void overlay_host_normalise(struct overlay_host *h);
bool overlay_host_serves(const struct overlay_host *h, uint32_t vni);
/* Whether two hosts publish the same VTEP, VNIs and MACs. */
bool overlay_host_equal(const struct overlay_host *a, const struct overlay_host *b);

/* VNI vni's flood list as this host (`self`, its VTEP `own_vtep`) makes it
 * from the live hosts: the VTEP of every other host serving the VNI, once,
 * never its own address, sorted. Pointers into hosts[] are written to out
 * (up to max); returns how many, or max + 1 when more did not fit. */
size_t overlay_flood(const struct overlay_host *hosts, size_t n, const char *self,
		     const char *own_vtep, uint32_t vni, const char **out, size_t max);

#endif
