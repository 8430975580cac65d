/* util.h — small helpers every part of vswitch uses: bit sets, the hash of a
 * 64-bit key, unaligned big-endian loads, the monotonic clock and the TSC.
 * Everything here is static inline so the fast path pays no call. */
#ifndef VSWITCH_UTIL_H
#define VSWITCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define ARRAY_SIZE(a)			(sizeof(a) / sizeof((a)[0]))
#define CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define LIKELY(x)			__builtin_expect(!!(x), 1)
#define UNLIKELY(x)			__builtin_expect(!!(x), 0)
#define PREFETCH(p)			__builtin_prefetch(p)
#define PREFETCH_WRITE(p)		__builtin_prefetch((p), 1)

/* In a spin-wait loop: lets the other hyperthread run. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* Unaligned reads go through memcpy so the compiler emits plain loads. */
static inline uint16_t load_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A 48-bit MAC address in the low bits of a 64-bit word, byte 0 most significant. */
static inline uint64_t mac_to_u64(const uint8_t *mac)
{
	return ((uint64_t)load_be16(mac) << 32) | ((uint64_t)load_be16(mac + 2) << 16) |
	       load_be16(mac + 4);
}

/* Two MACs equal, in two loads each: memcmp(a, b, 6) is a call. */
static inline bool mac_equal(const uint8_t *a, const uint8_t *b)
{
	uint32_t a4, b4;
	uint16_t a2, b2;
	memcpy(&a4, a, 4);
	memcpy(&b4, b, 4);
	memcpy(&a2, a + 4, 2);
	memcpy(&b2, b + 4, 2);
	return ((a4 ^ b4) | (uint32_t)(a2 ^ b2)) == 0;
}

static inline uint32_t load_be32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

static inline void mac_from_u64(uint64_t v, uint8_t *mac)
{
	for (int i = 5; i >= 0; i--, v >>= 8)
		mac[i] = (uint8_t)v;
}

static inline bool mac_is_group(const uint8_t *mac)
{
	return mac[0] & 1;
}

static inline bool mac_is_zero(const uint8_t *mac)
{
	static const uint8_t zero[6];
	return memcmp(mac, zero, 6) == 0;
}

/* murmur3's 64-bit finaliser: every input bit reaches the high bits, which
 * hash_reduce() uses. */
static inline uint64_t hash_u64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* Maps a hash onto [0, n) without a division and without needing n to be a
 * power of two (Lemire's multiply-shift reduction). */
static inline uint32_t hash_reduce(uint64_t hash, uint32_t n)
{
	return (uint32_t)(((unsigned __int128)hash * n) >> 64);
}

/* Bit sets over fixed universes: VLAN membership (4096 VIDs), port sets. */
static inline bool bitset_test(const uint64_t *set, unsigned bit)
{
	return (set[bit / 64] >> (bit % 64)) & 1;
}

static inline void bitset_set(uint64_t *set, unsigned bit)
{
	set[bit / 64] |= 1ULL << (bit % 64);
}

static inline void bitset_clear(uint64_t *set, unsigned bit)
{
	set[bit / 64] &= ~(1ULL << (bit % 64));
}

static inline bool bitset_empty(const uint64_t *set, unsigned words)
{
	for (unsigned w = 0; w < words; w++)
		if (set[w])
			return false;
	return true;
}

static inline uint64_t time_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint32_t time_now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

static inline uint64_t rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
#else
	return time_now_ns();
#endif
}

/* Copies at most size-1 bytes and always terminates; returns false if cut. */
static inline bool copy_name(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

#endif
