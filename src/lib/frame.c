/* frame.c — Ethernet frame building and MAC address text. */
#include "frame.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "packet.h"
#include "util.h"

size_t frame_build(uint8_t *buf, size_t size, const uint8_t dst[6], const uint8_t src[6], int tci,
		   uint16_t ethertype, const void *payload, size_t payload_len)
{
	size_t header = ETH_HEADER_LEN + (tci >= 0 ? VLAN_TAG_LEN : 0);
	size_t len = header + payload_len;
	if (len < ETH_MIN_FRAME)
		len = ETH_MIN_FRAME;
	if (len > size)
		return 0;
	memset(buf, 0, len);
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	uint8_t *p = buf + 12;
	if (tci >= 0) {
		store_be16(p, ETH_TYPE_VLAN);
		store_be16(p + 2, (uint16_t)tci);
		p += VLAN_TAG_LEN;
	}
	store_be16(p, ethertype);
	if (payload_len)
		memcpy(p + 2, payload, payload_len);
	return len;
}

int mac_parse(const char *text, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6 ||
	    strlen(text) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

char *mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}
