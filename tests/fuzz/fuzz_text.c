// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the text-list parser and the set math behind it:
 * prefix_set_parse_text, then prefix_set_aggregate, with every invariant the
 * rest of cdnallow relies on checked and abort() on violation. Small inputs
 * are also aggregated by a naive pairwise-merge reference and compared, and
 * every accepted body is read again line by line through prefix_parse. The
 * same bytes fed to the chunked parser (prefix_stream.c) in chunk sizes taken
 * from the input itself must give the same result, prefixes, message and
 * warnings.
 * Seed corpus: tests/fuzz/corpus/text/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "prefix_set.h"
#include "prefix_stream.h"
#include "fuzz.h"

/* Host bits clear, family and length in range. */
static void check_prefix(const struct prefix *p)
{
	struct prefix q;
	char buf[PREFIX_STRLEN];
	bool host = false;
	int n;

	check(p->family == AF_INET || p->family == AF_INET6);
	check(p->len <= prefix_width(p));
	if (p->family == AF_INET)
		check((p->hi & 0xffffffffull) == 0 && p->lo == 0);
	n = prefix_format(p, buf, sizeof(buf));
	check(n > 0 && (size_t)n < sizeof(buf));
	check(prefix_parse(buf, (size_t)n, &q, &host) == 0);
	check(!host && prefix_equal(p, &q));
}

static int cmp_prefix(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

/* Reference: merge siblings and drop contained prefixes until nothing changes. */
static void naive_aggregate(struct prefix_set *s)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (size_t i = 0; i < s->n && !changed; i++) {
			for (size_t j = 0; j < s->n && !changed; j++) {
				struct prefix parent = s->v[i];
				uint8_t b[16];

				if (i == j)
					continue;
				if (prefix_contains(&s->v[i], &s->v[j])) {
					s->v[j] = s->v[--s->n];
					changed = true;
					continue;
				}
				if (parent.len == 0 || s->v[i].len != s->v[j].len)
					continue;
				parent.len--;
				prefix_first_bytes(&s->v[i], b);
				check(prefix_from_bytes(parent.family, b, parent.len, &parent) ==
				      0);
				if (prefix_contains(&parent, &s->v[j])) {
					s->v[i] = parent;
					s->v[j] = s->v[--s->n];
					changed = true;
				}
			}
		}
	}
	if (s->n) /* qsort(NULL, 0) is undefined */
		qsort(s->v, s->n, sizeof(*s->v), cmp_prefix);
}

static void check_aggregated(const struct prefix_set *raw, const struct prefix_set *s)
{
	struct prefix_set *one = prefix_set_new();

	check(one);
	for (size_t i = 0; i < s->n; i++) {
		uint8_t first[16], next[16];
		bool has_next;

		check_prefix(&s->v[i]);
		if (i > 0) {
			check(prefix_cmp(&s->v[i - 1], &s->v[i]) < 0);
			check(!prefix_contains(&s->v[i - 1], &s->v[i]));
		}
		/* the interval round trip the nftables backend does */
		prefix_first_bytes(&s->v[i], first);
		has_next = prefix_next_bytes(&s->v[i], next);
		prefix_set_clear(one);
		check(prefix_set_add_range(one, s->v[i].family, first, has_next ? next : NULL) ==
		      0);
		check(one->n == 1 && prefix_equal(&one->v[0], &s->v[i]));
	}
	for (size_t i = 0; i < raw->n; i++)
		check(prefix_set_contains(s, &raw->v[i]));
	check(prefix_set_count(s, AF_INET) + prefix_set_count(s, AF_INET6) == s->n);
	prefix_set_free(one);
}

/*
 * Reference for an accepted body, independent of prefix_text.c's one-pass
 * IPv4 path: each line cut at '#', trimmed, and put to prefix_parse must give
 * the next prefix of s, in order.
 */
static void check_lines(const char *buf, size_t len, const struct prefix_set *s)
{
	const char *p = buf, *end = buf + len;
	size_t k = 0;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *tend, *hash;
		struct prefix q;
		bool host = false;

		if (!eol)
			eol = end;
		hash = memchr(p, '#', (size_t)(eol - p));
		tend = hash ? hash : eol;
		while (p < tend && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		while (tend > p && (tend[-1] == ' ' || tend[-1] == '\t' || tend[-1] == '\r'))
			tend--;
		if (tend > p) {
			check(prefix_parse(p, (size_t)(tend - p), &q, &host) == 0);
			check(k < s->n && prefix_equal(&q, &s->v[k]));
			k++;
		}
		p = eol + 1;
	}
	check(k == s->n);
}

/* The chunked parser against the whole-body one's outcome (ret, s, d). */
static void check_chunked(const uint8_t *data, size_t size, int ret, const struct prefix_set *s,
			  const struct diag *d)
{
	struct prefix_set *c = prefix_set_new();
	struct text_stream *t = NULL;
	size_t off = 0, k = 0;
	struct diag cd;
	int r = 0;

	diag_init(&cd);
	check(c);
	t = text_stream_new(c, "fuzz", &cd);
	check(t);
	if (size & 1)
		text_stream_expect(t, size);
	while (off < size && r == 0) {
		/* 1..16 bytes, so boundaries fall inside tokens, CRLFs and comments */
		size_t n = 1 + (size_t)(data[k++ % size] % 16);

		n = n < size - off ? n : size - off;
		r = text_stream_feed(t, (const char *)data + off, n);
		off += n;
	}
	if (r == 0)
		r = text_stream_finish(t);
	fuzz_check_same(r, &cd, c, ret, d, s);
	text_stream_free(t);
	prefix_set_free(c);
	diag_release(&cd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prefix_set *s = prefix_set_new(), *raw = prefix_set_new(), *ref = prefix_set_new();
	struct prefix_set *add = prefix_set_new(), *del = prefix_set_new();
	size_t unchanged[2];
	struct diag d;
	int r;

	check(s && raw && ref && add && del);
	diag_init(&d);
	r = prefix_set_parse_text(s, (const char *)data, size, "fuzz", &d);
	check_chunked(data, size, r, s, &d);
	if (r < 0) {
		check(r == -EINVAL || r == -ENOMEM);
		check(s->n == 0 && d.msg[0]);
		goto out;
	}
	check(d.msg[0] == '\0');
	check_lines((const char *)data, size, s);
	for (size_t i = 0; i < s->n; i++)
		check_prefix(&s->v[i]);
	check(prefix_set_copy(raw, s) == 0);
	check(prefix_set_aggregate(s) == 0);
	check(s->n <= raw->n);
	check_aggregated(raw, s);
	check(prefix_set_copy(ref, s) == 0);
	check(prefix_set_aggregate(ref) == 0);
	check(prefix_set_equal(ref, s));
	if (raw->n <= 64) {
		check(prefix_set_copy(ref, raw) == 0);
		naive_aggregate(ref);
		check(prefix_set_equal(ref, s));
	}
	check(prefix_set_diff(s, ref, add, del, unchanged) == 0);
	check(add->n == 0 && del->n == 0);
	check(unchanged[0] == prefix_set_count(s, AF_INET));
	check(unchanged[1] == prefix_set_count(s, AF_INET6));
out:
	diag_release(&d);
	prefix_set_free(s);
	prefix_set_free(raw);
	prefix_set_free(ref);
	prefix_set_free(add);
	prefix_set_free(del);
	return 0;
}
