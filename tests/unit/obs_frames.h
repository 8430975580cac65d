/* obs_frames.h — frames for the observability tests (test_web.c,
 * test_metrics.c) as `port inject` hex: an IGMPv2 join and an LLDPDU, so a
 * test can put a snooped group or an LLDP neighbour on a pipe port. */
#ifndef VSWITCH_TEST_OBS_FRAMES_H
#define VSWITCH_TEST_OBS_FRAMES_H

/* An IGMPv2 report for 239.1.2.3 from 02:00:00:00:00:01, untagged (VLAN 1),
 * padded to 60 bytes (the snooping does not check IGMP's checksum). */
#define IGMP_JOIN_HEX                                                                              \
	"01005e01020302000000000108004500001c00000000010200000a000001ef0102"                       \
	"0316000000ef010203000000000000000000000000000000000000"

/* An LLDPDU from tor1's eth1 (chassis 02:aa:bb:cc:dd:01, TTL 120). */
#define LLDPDU_HEX                                                                                 \
	"0180c200000e02aabbccdd0188cc02070402aabbccdd0104050565746831060200780a04746f723100000000" \
	"00000000000000000000000000000000"

#endif
