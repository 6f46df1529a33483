/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A growable array of prefixes of both families. After prefix_set_aggregate()
 * it is the minimal equivalent set: sorted (IPv4 first), no prefix overlaps or
 * is adjacent to a sibling it could merge with. Diff and containment require
 * aggregated inputs.
 */
#ifndef CDNALLOW_PREFIX_SET_H
#define CDNALLOW_PREFIX_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prefix.h"

struct diag;

struct prefix_set {
	struct prefix *v; /* owned */
	size_t n, cap;
};

struct prefix_set *prefix_set_new(void);
void prefix_set_free(struct prefix_set *s);
void prefix_set_clear(struct prefix_set *s);
int prefix_set_reserve(struct prefix_set *s, size_t cap);
int prefix_set_add(struct prefix_set *s, const struct prefix *p);
/* Appends every prefix of src to dst. */
int prefix_set_extend(struct prefix_set *dst, const struct prefix_set *src);
int prefix_set_copy(struct prefix_set *dst, const struct prefix_set *src);
/* Sorts and reduces s to the minimal equivalent set, in O(n log n). */
int prefix_set_aggregate(struct prefix_set *s);
/* Number of prefixes of AF_INET or AF_INET6. */
size_t prefix_set_count(const struct prefix_set *s, int family);
/* Addresses the prefixes of AF_INET or AF_INET6 cover (aggregated set: no overlap counted). */
double prefix_set_addresses(const struct prefix_set *s, int family);
/*
 * prefix_set_count and prefix_set_addresses of both families (index 0 IPv4, 1 IPv6) in one pass
 * over s, for callers that need several of them.
 */
void prefix_set_tally(const struct prefix_set *s, size_t count[2], double addresses[2]);
/* True when both sets hold the same prefixes (both aggregated). */
bool prefix_set_equal(const struct prefix_set *a, const struct prefix_set *b);
/*
 * Element diff of two aggregated sets: add = want - have, del = have - want
 * (exact prefixes), unchanged[0]/[1] = IPv4/IPv6 prefixes in both.
 * add and del are cleared first.
 */
int prefix_set_diff(const struct prefix_set *want, const struct prefix_set *have,
		    struct prefix_set *add, struct prefix_set *del, size_t unchanged[2]);
/* a = a - b (both aggregated): the minimal CIDR pieces of a that b does not cover. */
int prefix_set_subtract(struct prefix_set *a, const struct prefix_set *b);
/* True when p is entirely covered by the aggregated set s (binary search). */
bool prefix_set_contains(const struct prefix_set *s, const struct prefix *p);
/*
 * Adds the minimal CIDR cover of the address range [first, next) given as
 * network-order bytes; next == NULL means up to the top of the address space.
 * Used to read nftables interval sets back.
 */
int prefix_set_add_range(struct prefix_set *s, int family, const uint8_t *first,
			 const uint8_t *next);
/*
 * Parses a text list: one prefix per line, '#' comments (whole line or after a
 * prefix), blank lines, CRLF, spaces and tabs around, no trailing newline
 * needed. origin names the input in messages ("origin:LINE: ..."). Host bits
 * set → masked, one warning each. Returns 0 or -EINVAL with d naming line and
 * byte offset of the first bad entry.
 */
int prefix_set_parse_text(struct prefix_set *s, const char *buf, size_t len, const char *origin,
			  struct diag *d);

#endif
