/* frame.h — builds Ethernet frames (test and demo traffic) and reads and
 * writes MAC addresses as text. */
#ifndef VSWITCH_FRAME_H
#define VSWITCH_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define ETH_MIN_FRAME 60 /* without FCS */

/* Writes dst, src, an 802.1Q tag when tci >= 0, ethertype and payload into
 * buf, zero-padded to 60 bytes. Returns the frame length, or 0 if it does
 * not fit in `size`. */
size_t frame_build(uint8_t *buf, size_t size, const uint8_t dst[6], const uint8_t src[6], int tci,
		   uint16_t ethertype, const void *payload, size_t payload_len);

/* Parses "aa:bb:cc:dd:ee:ff"; returns 0 or -EINVAL. */
int mac_parse(const char *text, uint8_t mac[6]);
/* Formats into buf (at least 18 bytes) and returns buf. */
char *mac_format(const uint8_t mac[6], char *buf);

#endif
