// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The prefix set: a growable array plus the O(n log n) math on it (sort,
 * merge into the minimal CIDR cover, diff, containment). Aggregation works in
 * place within the array's own memory so a million-entry list costs about 24
 * bytes per prefix; it must never allocate per prefix or keep a second copy.
 * Text parsing lives in prefix_text.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "prefix_set.h"

/* A 128-bit address in the shared layout (IPv4 in the top 32 bits of hi). */
struct u128 {
	uint64_t hi, lo;
};

static const struct u128 u128_max = { UINT64_MAX, UINT64_MAX };

static bool u128_lt(struct u128 a, struct u128 b)
{
	return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
}

static bool u128_eq(struct u128 a, struct u128 b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

static struct u128 u128_inc(struct u128 a)
{
	a.lo++;
	if (a.lo == 0)
		a.hi++;
	return a;
}

static struct u128 u128_dec(struct u128 a)
{
	if (a.lo == 0)
		a.hi--;
	a.lo--;
	return a;
}

static struct u128 u128_sub(struct u128 a, struct u128 b)
{
	struct u128 r = { a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo };

	return r;
}

/* Number of trailing zero bits; 128 for zero. */
static unsigned u128_ctz(struct u128 a)
{
	if (a.lo)
		return (unsigned)__builtin_ctzll(a.lo);
	if (a.hi)
		return 64 + (unsigned)__builtin_ctzll(a.hi);
	return 128;
}

/* floor(log2(a)), a != 0 */
static unsigned u128_log2(struct u128 a)
{
	if (a.hi)
		return 127 - (unsigned)__builtin_clzll(a.hi);
	return 63 - (unsigned)__builtin_clzll(a.lo);
}

/* Sets the k low bits. */
static struct u128 u128_or_low(struct u128 a, unsigned k)
{
	if (k >= 128)
		return u128_max;
	if (k >= 64) {
		a.lo = UINT64_MAX;
		a.hi |= k == 64 ? 0 : (UINT64_MAX >> (128 - k));
	} else if (k > 0) {
		a.lo |= UINT64_MAX >> (64 - k);
	}
	return a;
}

static struct u128 prefix_start(const struct prefix *p)
{
	struct u128 r = { p->hi, p->lo };

	return r;
}

static struct u128 prefix_end(const struct prefix *p)
{
	return u128_or_low(prefix_start(p), 128 - p->len);
}

struct prefix_set *prefix_set_new(void)
{
	return calloc(1, sizeof(struct prefix_set));
}

void prefix_set_free(struct prefix_set *s)
{
	if (!s)
		return;
	free(s->v);
	free(s);
}

void prefix_set_clear(struct prefix_set *s)
{
	s->n = 0;
}

int prefix_set_reserve(struct prefix_set *s, size_t cap)
{
	struct prefix *v;

	if (cap <= s->cap)
		return 0;
	if (cap > SIZE_MAX / sizeof(*v))
		return -ENOMEM;
	v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

static int grow(struct prefix_set *s, size_t more)
{
	size_t want = s->n + more, cap = s->cap ? s->cap : 16;

	if (want < s->n)
		return -ENOMEM;
	while (cap < want) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	return prefix_set_reserve(s, cap);
}

static bool prefix_valid(const struct prefix *p)
{
	struct prefix m;

	if (p->family != AF_INET && p->family != AF_INET6)
		return false;
	if (p->len > prefix_width(p) || (p->family == AF_INET && (p->hi & 0xffffffff || p->lo)))
		return false;
	m = *p;
	return prefix_from_bytes(AF_INET6, (const uint8_t[16]){ 0 }, 0, &m) == 0 &&
	       u128_eq(prefix_start(p), u128_sub(prefix_end(p), u128_sub(prefix_end(p),
									 prefix_start(p))));
}

int prefix_set_add(struct prefix_set *s, const struct prefix *p)
{
	int r;

	if (p->family != AF_INET && p->family != AF_INET6)
		return -EINVAL;
	if (p->len > prefix_width(p))
		return -EINVAL;
	if (s->n == s->cap) {
		r = grow(s, 1);
		if (r < 0)
			return r;
	}
	s->v[s->n++] = *p;
	return 0;
}
