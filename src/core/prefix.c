// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One CIDR prefix: parse, format, compare, and convert to and from
 * network-order bytes. IPv4 lives in the top 32 bits of hi, so an IPv4 /n is
 * also a 128-bit /n and the set code needs no per-family math. The IPv4 parser
 * is hand-written for speed (inet_pton is the bottleneck on million-entry
 * lists) but must accept exactly what glibc's inet_pton accepts. Never
 * allocates, never prints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "prefix.h"

/* Bits [0, len) of a 64-bit word counted from the top. */
static uint64_t mask64(unsigned len)
{
	if (len == 0)
		return 0;
	if (len >= 64)
		return ~(uint64_t)0;
	return ~(uint64_t)0 << (64 - len);
}

static bool mask_addr(struct prefix *p)
{
	uint64_t mhi = mask64(p->len), mlo = p->len > 64 ? mask64(p->len - 64) : 0;
	bool host = (p->hi & ~mhi) || (p->lo & ~mlo);

	p->hi &= mhi;
	p->lo &= mlo;
	return host;
}

/* glibc inet_pton4: exactly four decimal octets, no leading zeros, each <= 255. */
static int parse_v4(const char *s, size_t n, uint32_t *out)
{
	uint32_t addr = 0, octet = 0;
	unsigned dots = 0, digits = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9') {
			if (digits == 1 && octet == 0)
				return -EINVAL;
			octet = octet * 10 + (unsigned)(c - '0');
			if (octet > 255)
				return -EINVAL;
			digits++;
		} else if (c == '.') {
			if (digits == 0 || dots == 3)
				return -EINVAL;
			addr = addr << 8 | octet;
			octet = 0;
			digits = 0;
			dots++;
		} else {
			return -EINVAL;
		}
	}
	if (dots != 3 || digits == 0)
		return -EINVAL;
	*out = addr << 8 | octet;
	return 0;
}

static int parse_v6(const char *s, size_t n, struct prefix *p)
{
	char buf[INET6_ADDRSTRLEN];
	uint8_t b[16];

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, b) != 1)
		return -EINVAL;
	p->hi = p->lo = 0;
	for (int i = 0; i < 8; i++) {
		p->hi = p->hi << 8 | b[i];
		p->lo = p->lo << 8 | b[i + 8];
	}
	return 0;
}

/* Decimal, no sign, no leading zeros, at most width. */
static int parse_len(const char *s, size_t n, unsigned width, unsigned *out)
{
	unsigned v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -ERANGE;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -ERANGE;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > width)
		return -ERANGE;
	*out = v;
	return 0;
}

/*
 * ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible) never appear as the
 * source of an IPv6 packet the firewall sees; a list carrying them meant
 * IPv4. :: and ::1 are left to the guard, which names them properly.
 */
static bool is_v4_in_v6(const struct prefix *p)
{
	uint64_t top = p->lo >> 32;

	if (p->hi != 0 || p->len < 96)
		return false;
	if (top == 0xffff)
		return true;
	/* ::/127 too: it is what aggregating :: and ::1 yields */
	return top == 0 && !(p->len >= 127 && p->lo <= 1);
}

int prefix_parse(const char *s, size_t n, struct prefix *out, bool *host_bits)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n;
	struct prefix p = { 0 };
	unsigned width, len;
	uint32_t v4 = 0; /* gcc -O2 with the sanitizers cannot see parse_v4 set it */
	int r;

	if (memchr(s, ':', alen)) {
		r = parse_v6(s, alen, &p);
		p.family = AF_INET6;
		width = 128;
	} else {
		r = parse_v4(s, alen, &v4);
		p.hi = (uint64_t)v4 << 32;
		p.family = AF_INET;
		width = 32;
	}
	if (r < 0)
		return r;
	len = width;
	if (slash) {
		r = parse_len(slash + 1, n - alen - 1, width, &len);
		if (r < 0)
			return r;
	}
	p.len = (uint8_t)len;
	if (p.family == AF_INET6 && is_v4_in_v6(&p))
		return -EAFNOSUPPORT;
	if (mask_addr(&p)) {
		if (host_bits)
			*host_bits = true;
	}
	*out = p;
	return 0;
}

/* The decimal digits of v (< 1000) at q; returns the new end. */
static char *put_dec(char *q, unsigned v)
{
	if (v >= 100)
		*q++ = (char)('0' + v / 100);
	if (v >= 10)
		*q++ = (char)('0' + v / 10 % 10);
	*q++ = (char)('0' + v % 10);
	return q;
}

/*
 * By hand rather than snprintf: writing the applied state formats every
 * prefix, and snprintf's ~2000 instructions a prefix were a third of a 100k
 * sync's CPU. Same contract as snprintf: returns the full length, writes at
 * most size - 1 characters and a NUL.
 */
int prefix_format(const struct prefix *p, char *buf, size_t size)
{
	char t[INET6_ADDRSTRLEN + 8], *q = t;
	uint8_t b[16];
	size_t n;

	if (p->family == AF_INET) {
		uint32_t v = (uint32_t)(p->hi >> 32);

		q = put_dec(q, v >> 24);
		*q++ = '.';
		q = put_dec(q, (v >> 16) & 0xff);
		*q++ = '.';
		q = put_dec(q, (v >> 8) & 0xff);
		*q++ = '.';
		q = put_dec(q, v & 0xff);
	} else {
		prefix_first_bytes(p, b);
		if (!inet_ntop(AF_INET6, b, t, INET6_ADDRSTRLEN))
			t[0] = '\0';
		q = t + strlen(t);
	}
	*q++ = '/';
	q = put_dec(q, p->len);
	n = (size_t)(q - t);
	if (size) {
		size_t k = n < size - 1 ? n : size - 1;

		memcpy(buf, t, k);
		buf[k] = '\0';
	}
	return (int)n;
}

int prefix_cmp_start(const struct prefix *a, const struct prefix *b)
{
	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

int prefix_cmp(const struct prefix *a, const struct prefix *b)
{
	int c = prefix_cmp_start(a, b);

	if (c || a->len == b->len)
		return c;
	return a->len < b->len ? -1 : 1;
}

bool prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && a->hi == b->hi && a->lo == b->lo && a->len == b->len;
}

bool prefix_contains(const struct prefix *outer, const struct prefix *inner)
{
	uint64_t mhi = mask64(outer->len), mlo = outer->len > 64 ? mask64(outer->len - 64) : 0;

	return outer->family == inner->family && outer->len <= inner->len &&
	       (inner->hi & mhi) == outer->hi && (inner->lo & mlo) == outer->lo;
}

unsigned prefix_width(const struct prefix *p)
{
	return p->family == AF_INET ? 32 : 128;
}

static size_t put_bytes(const struct prefix *p, uint64_t hi, uint64_t lo, uint8_t out[16])
{
	if (p->family == AF_INET) {
		for (int i = 0; i < 4; i++)
			out[i] = (uint8_t)(hi >> (56 - 8 * i));
		return 4;
	}
	for (int i = 0; i < 8; i++) {
		out[i] = (uint8_t)(hi >> (56 - 8 * i));
		out[i + 8] = (uint8_t)(lo >> (56 - 8 * i));
	}
	return 16;
}

size_t prefix_first_bytes(const struct prefix *p, uint8_t out[16])
{
	return put_bytes(p, p->hi, p->lo, out);
}

/* In the shared layout an IPv4 /n spans the same 128-bit block as an IPv6 /n. */
static void last_addr(const struct prefix *p, uint64_t *hi, uint64_t *lo)
{
	*hi = p->hi | ~mask64(p->len);
	*lo = p->lo | ~(p->len > 64 ? mask64(p->len - 64) : 0);
}

size_t prefix_last_bytes(const struct prefix *p, uint8_t out[16])
{
	uint64_t hi, lo;

	last_addr(p, &hi, &lo);
	return put_bytes(p, hi, lo, out);
}

bool prefix_next_bytes(const struct prefix *p, uint8_t out[16])
{
	uint64_t hi, lo;

	last_addr(p, &hi, &lo);
	if (hi == UINT64_MAX && lo == UINT64_MAX)
		return false;
	/* lo is all ones for IPv4, so the carry lands in the IPv4 bits of hi */
	lo++;
	if (lo == 0)
		hi++;
	put_bytes(p, hi, lo, out);
	return true;
}

int prefix_from_bytes(int family, const uint8_t *addr, unsigned len, struct prefix *out)
{
	struct prefix p = { 0 };

	if (family == AF_INET) {
		if (len > 32)
			return -EINVAL;
		for (int i = 0; i < 4; i++)
			p.hi |= (uint64_t)addr[i] << (56 - 8 * i);
	} else if (family == AF_INET6) {
		if (len > 128)
			return -EINVAL;
		for (int i = 0; i < 8; i++) {
			p.hi = p.hi << 8 | addr[i];
			p.lo = p.lo << 8 | addr[i + 8];
		}
	} else {
		return -EINVAL;
	}
	p.family = (uint8_t)family;
	p.len = (uint8_t)len;
	mask_addr(&p);
	*out = p;
	return 0;
}
