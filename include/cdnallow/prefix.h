/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One IPv4 or IPv6 CIDR prefix. Both families share one 128-bit layout so that
 * sorting, merging and interval math have a single code path: an IPv4 address
 * sits in the top 32 bits of hi (hi = addr << 32, lo = 0), an IPv6 address is
 * hi:lo in host order. Host bits are always zero in a struct prefix.
 */
#ifndef CDNALLOW_PREFIX_H
#define CDNALLOW_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128" + NUL, rounded up */
#define PREFIX_STRLEN 64

struct prefix {
	uint64_t hi, lo;
	uint8_t len;	/* 0..32 (AF_INET) or 0..128 (AF_INET6) */
	uint8_t family; /* AF_INET or AF_INET6 */
};

/*
 * Parses "a.b.c.d[/n]" or "x:y::z[/n]" from s[0..n) (not NUL-terminated, no
 * surrounding spaces). A bare address is /32 or /128. Host bits are masked and
 * *host_bits (may be NULL) set true. Returns 0, -EINVAL on garbage, -EAFNOSUPPORT
 * for IPv4-mapped/compatible IPv6 (::ffff:a.b.c.d), -ERANGE for a bad length.
 */
int prefix_parse(const char *s, size_t n, struct prefix *out, bool *host_bits);
/* Canonical text ("192.0.2.0/24", "2001:db8::/32"); returns the length. */
int prefix_format(const struct prefix *p, char *buf, size_t size);
/* Orders by family (v4 first), then address, then length (shorter first). */
int prefix_cmp(const struct prefix *a, const struct prefix *b);
/* The same order without the length: prefixes that start at one address compare equal. */
int prefix_cmp_start(const struct prefix *a, const struct prefix *b);
bool prefix_equal(const struct prefix *a, const struct prefix *b);
/* True when inner lies entirely inside outer (same family). */
bool prefix_contains(const struct prefix *outer, const struct prefix *inner);
/* Width of the family's address: 32 or 128. */
unsigned prefix_width(const struct prefix *p);

/* Network-order bytes of the first address; returns 4 or 16. */
size_t prefix_first_bytes(const struct prefix *p, uint8_t out[16]);
/* Network-order bytes of the last address; returns 4 or 16. */
size_t prefix_last_bytes(const struct prefix *p, uint8_t out[16]);
/*
 * Network-order bytes of the address just after the prefix (an nftables
 * interval end element). Returns false when the prefix reaches the top of
 * its address space, where no end element is sent.
 */
bool prefix_next_bytes(const struct prefix *p, uint8_t out[16]);
/* Builds a prefix from network-order bytes; host bits are masked. -EINVAL on bad family/len. */
int prefix_from_bytes(int family, const uint8_t *addr, unsigned len, struct prefix *out);

#endif
