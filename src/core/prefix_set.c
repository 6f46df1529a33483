// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The prefix set: a growable array plus the O(n log n) math on it (sort,
 * merge into the minimal CIDR cover, diff, containment). Aggregation works in
 * place within the array's own memory so a million-entry list costs about 24
 * bytes per prefix; it must never allocate per prefix or keep a second copy.
 * Text parsing lives in prefix_text.c.
 */
#include <errno.h>
#include <math.h>
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

int prefix_set_extend(struct prefix_set *dst, const struct prefix_set *src)
{
	int r;

	if (src->n == 0)
		return 0;
	/*
	 * Into an empty set (the usual case: the first source's list) exactly
	 * what src holds: doubling would over-reserve up to 2x a big list at the
	 * moment memory peaks.
	 */
	r = dst->n ? grow(dst, src->n) : prefix_set_reserve(dst, src->n);
	if (r < 0)
		return r;
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	return 0;
}

int prefix_set_copy(struct prefix_set *dst, const struct prefix_set *src)
{
	prefix_set_clear(dst);
	return prefix_set_extend(dst, src);
}

/*
 * Writes the minimal CIDR cover of [s, e] (inclusive, s <= e) to out and
 * returns how many prefixes that took: at most 2 * 128 - 2, and never more
 * than the number of prefixes whose union is [s, e]. Each step takes the
 * largest block aligned at s that does not pass e.
 */
static size_t emit_cover(struct prefix *out, uint8_t family, struct u128 s, struct u128 e)
{
	size_t n = 0;

	for (;;) {
		unsigned k = u128_ctz(s);
		struct u128 d = u128_sub(e, s), last;

		if (!u128_eq(d, u128_max)) {
			unsigned l = u128_log2(u128_inc(d));

			if (l < k)
				k = l;
		}
		out[n].hi = s.hi;
		out[n].lo = s.lo;
		out[n].len = (uint8_t)(128 - k);
		out[n].family = family;
		n++;
		last = u128_or_low(s, k);
		if (u128_eq(last, e))
			return n;
		s = u128_inc(last);
	}
}

static bool less_addr(const struct prefix *a, const struct prefix *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi;
	if (a->lo != b->lo)
		return a->lo < b->lo;
	return a->len < b->len;
}

static void swap_prefix(struct prefix *a, struct prefix *b)
{
	struct prefix t = *a;

	*a = *b;
	*b = t;
}

static void insertion_sort(struct prefix *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct prefix x = v[i];
		size_t j = i;

		while (j > 0 && less_addr(&x, &v[j - 1])) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static void sift_down(struct prefix *v, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			return;
		if (c + 1 < n && less_addr(&v[c], &v[c + 1]))
			c++;
		if (!less_addr(&v[i], &v[c]))
			return;
		swap_prefix(&v[i], &v[c]);
		i = c;
	}
}

static void heap_sort(struct prefix *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (size_t i = n; i-- > 1;) {
		swap_prefix(&v[0], &v[i]);
		sift_down(v, 0, i);
	}
}

/* In place (qsort may allocate a copy of the array); heap sort bounds the worst case. */
static void intro_sort(struct prefix *v, size_t n, unsigned depth)
{
	while (n > 16) {
		size_t m = n / 2, i = 0, j = n - 1;
		struct prefix pivot;

		if (depth-- == 0) {
			heap_sort(v, n);
			return;
		}
		if (less_addr(&v[m], &v[0]))
			swap_prefix(&v[m], &v[0]);
		if (less_addr(&v[n - 1], &v[0]))
			swap_prefix(&v[n - 1], &v[0]);
		if (less_addr(&v[n - 1], &v[m]))
			swap_prefix(&v[n - 1], &v[m]);
		pivot = v[m];
		for (;;) {
			while (less_addr(&v[i], &pivot))
				i++;
			while (less_addr(&pivot, &v[j]))
				j--;
			if (i >= j)
				break;
			swap_prefix(&v[i], &v[j]);
			i++;
			j--;
		}
		/* [0, j] <= pivot <= [j + 1, n): recurse into the smaller half */
		if (j + 1 < n - j - 1) {
			intro_sort(v, j + 1, depth);
			v += j + 1;
			n -= j + 1;
		} else {
			intro_sort(v + j + 1, n - j - 1, depth);
			n = j + 1;
		}
	}
	insertion_sort(v, n);
}

/* Merges a sorted run of one family in place; returns the new length. */
static size_t aggregate_run(struct prefix *v, size_t n)
{
	size_t w = 0, i = 0;

	while (i < n) {
		struct u128 st = prefix_start(&v[i]), en = prefix_end(&v[i]);
		uint8_t family = v[i].family;

		for (i++; i < n; i++) {
			struct u128 ne;

			if (!u128_eq(en, u128_max) && u128_lt(u128_inc(en), prefix_start(&v[i])))
				break;
			ne = prefix_end(&v[i]);
			if (u128_lt(en, ne))
				en = ne;
		}
		/* the cover of v[.. i) never needs more slots than it consumed */
		w += emit_cover(v + w, family, st, en);
	}
	return w;
}

/* LSD radix sort of 40-bit keys; returns a or tmp, whichever holds the result. */
static uint64_t *radix_sort_keys(uint64_t *a, uint64_t *tmp, size_t n)
{
	size_t count[2048];

	for (unsigned shift = 0; shift < 40; shift += 11) {
		uint64_t *t;
		size_t sum = 0;

		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[(a[i] >> shift) & 2047]++;
		if (count[(a[0] >> shift) & 2047] == n)
			continue;
		for (size_t d = 0; d < 2048; d++) {
			size_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(a[i] >> shift) & 2047]++] = a[i];
		t = a;
		a = tmp;
		tmp = t;
	}
	return a;
}

/*
 * IPv4 fast path: each prefix shrinks to a 64-bit key (address << 8 | len)
 * written over the front of its own run, and the radix sort uses the next
 * 8 bytes per prefix as scratch: 16 of the 24 bytes, so nothing is allocated.
 * Keys cross the struct prefix / uint64_t boundary through memcpy only.
 */
static size_t aggregate_v4(struct prefix *v, size_t n)
{
	unsigned char *base = (unsigned char *)v;
	uint64_t *keys = (uint64_t *)(void *)base, *sorted;
	size_t w = 0, i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		uint32_t a = (uint32_t)(v[i].hi >> 32);
		unsigned len = v[i].len;
		uint64_t key;

		a &= len ? ~(uint32_t)0 << (32 - len) : 0;
		key = (uint64_t)a << 8 | len;
		memcpy(base + i * sizeof(key), &key, sizeof(key));
	}
	sorted = radix_sort_keys(keys, keys + n, n);
	for (i = 0; i < n;) {
		uint64_t st = sorted[i] >> 8, en = st + (1ull << (32 - (sorted[i] & 0xff))) - 1;

		for (i++; i < n; i++) {
			uint64_t ns = sorted[i] >> 8, ne;

			if (ns > en + 1)
				break;
			ne = ns + (1ull << (32 - (sorted[i] & 0xff))) - 1;
			if (ne > en)
				en = ne;
		}
		/* w <= i: the cover of this interval fits in the slots it consumed */
		while (st <= en) {
			unsigned b = st ? (unsigned)__builtin_ctzll(st) : 32;
			unsigned l = 63 - (unsigned)__builtin_clzll(en - st + 1);

			if (l < b)
				b = l;
			keys[w++] = st << 8 | (32 - b);
			st += 1ull << b;
		}
	}
	/* backwards: prefix k overwrites keys 3k..3k+2, all consumed by then */
	for (i = w; i-- > 0;) {
		uint64_t key;
		struct prefix p = { 0 };

		memcpy(&key, base + i * sizeof(key), sizeof(key));
		p.hi = (key >> 8) << 32;
		p.len = (uint8_t)(key & 0xff);
		p.family = AF_INET;
		v[i] = p;
	}
	return w;
}

/* Clears host bits; false for a family or length no prefix can have. */
static bool normalize(struct prefix *p)
{
	struct u128 m;

	if (p->family == AF_INET && p->len <= 32) {
		/* in 64 bits: the set's records and lists are mostly IPv4 */
		p->hi &= p->len ? ~UINT64_C(0) << (64 - p->len) : 0;
		p->lo = 0;
		return true;
	}
	if (p->family != AF_INET6 || p->len > 128)
		return false;
	m = u128_or_low((struct u128){ 0, 0 }, 128 - p->len);
	p->hi &= ~m.hi;
	p->lo &= ~m.lo;
	return true;
}

/* True when b, the prefix after a, leaves a gap after a (so neither merges nor overlaps). */
static bool gap_between(const struct prefix *a, const struct prefix *b)
{
	struct u128 en;

	if (a->family != b->family)
		return a->family == AF_INET;
	if (a->family == AF_INET) {
		uint64_t end = (a->hi >> 32) | (UINT64_C(0xffffffff) >> a->len);

		return end + 1 < b->hi >> 32;
	}
	en = prefix_end(a);
	return !u128_eq(en, u128_max) && u128_lt(u128_inc(en), prefix_start(b));
}

/*
 * Clears host bits and, in the same pass, sets *minimal when the set is
 * already its minimal cover: v4 before v6, each family ascending, and a gap
 * between neighbours, so every prefix is a range of its own. What the state
 * dir's records and most lists hold; adjacent prefixes take the full path,
 * which knows when they merge. -EINVAL for a family or length no prefix has.
 */
static int normalize_all(struct prefix *v, size_t n, bool *minimal)
{
	bool min = true;

	for (size_t i = 0; i < n; i++) {
		if (!normalize(&v[i]))
			return -EINVAL;
		if (i > 0 && min)
			min = gap_between(&v[i - 1], &v[i]);
	}
	*minimal = min;
	return 0;
}

/* Gives back what growth over-reserved; failing to shrink is harmless. */
static void shrink(struct prefix_set *s)
{
	struct prefix *v;

	if (s->cap <= 64 || s->cap / 4 <= s->n / 3)
		return;
	v = realloc(s->v, (s->n ? s->n : 1) * sizeof(*v));
	if (v) {
		s->v = v;
		s->cap = s->n ? s->n : 1;
	}
}

int prefix_set_aggregate(struct prefix_set *s)
{
	size_t lo = 0, hi = s->n, n4, m4, m6, depth = 0;
	bool minimal;
	int r;

	if (s->n == 0)
		return 0; /* v may be NULL: no pointer arithmetic on it */
	r = normalize_all(s->v, s->n, &minimal);
	if (r < 0)
		return r;
	if (minimal) {
		shrink(s);
		return 0;
	}
	while (lo < hi) {
		if (s->v[lo].family == AF_INET) {
			lo++;
		} else {
			hi--;
			swap_prefix(&s->v[lo], &s->v[hi]);
		}
	}
	n4 = lo;
	for (size_t k = s->n - n4; k > 1; k >>= 1)
		depth += 2;
	intro_sort(s->v + n4, s->n - n4, (unsigned)depth);
	m6 = aggregate_run(s->v + n4, s->n - n4);
	m4 = aggregate_v4(s->v, n4);
	if (m6 && m4 != n4)
		memmove(s->v + m4, s->v + n4, m6 * sizeof(*s->v));
	s->n = m4 + m6;
	shrink(s);
	return 0;
}

/* Addresses of per_len[len] prefixes of each length in a space of width bits. */
static double sum_addresses(const size_t *per_len, unsigned width)
{
	double sum = 0;

	/* one ldexp per length: ldexp per prefix was a tenth of a 100k sync */
	for (unsigned len = 0; len <= width; len++) {
		if (per_len[len])
			sum += (double)per_len[len] * ldexp(1.0, (int)(width - len));
	}
	return sum;
}

double prefix_set_addresses(const struct prefix_set *s, int family)
{
	unsigned width = family == AF_INET ? 32 : 128;
	size_t per_len[129] = { 0 };

	for (size_t i = 0; s && i < s->n; i++) {
		if (s->v[i].family == family && s->v[i].len <= width)
			per_len[s->v[i].len]++;
	}
	return sum_addresses(per_len, width);
}

void prefix_set_tally(const struct prefix_set *s, size_t count[2], double addresses[2])
{
	/* [family][len]; a length past the family's width is counted, never summed */
	size_t per_len[2][256] = { { 0 } };

	count[0] = count[1] = 0;
	for (size_t i = 0; s && i < s->n; i++) {
		if (s->v[i].family == AF_INET)
			per_len[0][s->v[i].len]++;
		else if (s->v[i].family == AF_INET6)
			per_len[1][s->v[i].len]++;
	}
	for (unsigned len = 0; len < 256; len++) {
		count[0] += per_len[0][len];
		count[1] += per_len[1][len];
	}
	addresses[0] = sum_addresses(per_len[0], 32);
	addresses[1] = sum_addresses(per_len[1], 128);
}

size_t prefix_set_count(const struct prefix_set *s, int family)
{
	size_t c = 0;

	for (size_t i = 0; i < s->n; i++)
		c += s->v[i].family == family;
	return c;
}

bool prefix_set_equal(const struct prefix_set *a, const struct prefix_set *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (!prefix_equal(&a->v[i], &b->v[i]))
			return false;
	}
	return true;
}

int prefix_set_diff(const struct prefix_set *want, const struct prefix_set *have,
		    struct prefix_set *add, struct prefix_set *del, size_t unchanged[2])
{
	size_t i = 0, j = 0, same[2] = { 0, 0 };
	int r = 0;

	prefix_set_clear(add);
	prefix_set_clear(del);
	while (i < want->n || j < have->n) {
		int c;

		if (i == want->n)
			c = 1;
		else if (j == have->n)
			c = -1;
		else
			c = prefix_cmp(&want->v[i], &have->v[j]);
		if (c == 0) {
			same[want->v[i].family == AF_INET ? 0 : 1]++;
			i++;
			j++;
		} else if (c < 0) {
			r = prefix_set_add(add, &want->v[i++]);
		} else {
			r = prefix_set_add(del, &have->v[j++]);
		}
		if (r < 0)
			return r;
	}
	if (unchanged) {
		unchanged[0] = same[0];
		unchanged[1] = same[1];
	}
	return 0;
}

bool prefix_set_contains(const struct prefix_set *s, const struct prefix *p)
{
	size_t lo = 0, hi = s->n;

	/* the only candidate is the last prefix starting at or before p */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (prefix_cmp_start(&s->v[mid], p) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && prefix_contains(&s->v[lo - 1], p);
}

int prefix_set_add_range(struct prefix_set *s, int family, const uint8_t *first,
			 const uint8_t *next)
{
	struct prefix f, x;
	struct u128 st, en;
	int r;

	r = prefix_from_bytes(family, first, family == AF_INET ? 32 : 128, &f);
	if (r < 0)
		return r;
	st = prefix_start(&f);
	en = u128_max;
	if (next) {
		prefix_from_bytes(family, next, family == AF_INET ? 32 : 128, &x);
		if (u128_eq(prefix_start(&x), st))
			return 0;
		if (u128_lt(prefix_start(&x), st))
			return -EINVAL;
		en = u128_dec(prefix_start(&x));
	}
	r = grow(s, 256);
	if (r < 0)
		return r;
	s->n += emit_cover(s->v + s->n, (uint8_t)family, st, en);
	return 0;
}

/* Emits the parts of p outside b by halving p around every b prefix inside it. */
static int subtract_one(const struct prefix *p, const struct prefix_set *b, struct prefix_set *out)
{
	struct prefix half[2];
	bool inside = false;
	int ret;

	for (size_t i = 0; i < b->n; i++) {
		if (b->v[i].family != p->family)
			continue;
		if (prefix_contains(&b->v[i], p))
			return 0;
		if (prefix_contains(p, &b->v[i]))
			inside = true;
	}
	if (!inside)
		return prefix_set_add(out, p);
	half[0] = *p;
	half[0].len++;
	half[1] = half[0];
	if (p->len < 64)
		half[1].hi |= (uint64_t)1 << (63 - p->len);
	else
		half[1].lo |= (uint64_t)1 << (127 - p->len);
	ret = subtract_one(&half[0], b, out);
	return ret < 0 ? ret : subtract_one(&half[1], b, out);
}

int prefix_set_subtract(struct prefix_set *a, const struct prefix_set *b)
{
	struct prefix_set *out = prefix_set_new();
	int ret = out ? 0 : -ENOMEM;

	for (size_t i = 0; ret == 0 && i < a->n; i++)
		ret = subtract_one(&a->v[i], b, out);
	if (ret == 0)
		ret = prefix_set_copy(a, out);
	if (ret == 0)
		ret = prefix_set_aggregate(a);
	prefix_set_free(out);
	return ret;
}
