/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the parser tests (test_providers.c, test_generic.c,
 * test_prefix_text.c, test_prefix_set.c, and the chunked parsers' tests):
 * reading fixtures, comparing a set with its expected text or two parses'
 * outcomes, and counting entries in the raw bytes with scanners
 * that share no code with the parsers, so a count is checked, not copied from
 * the output. Test-only; static inline so each test uses what it needs.
 */
#ifndef CDNALLOW_PARSE_HELPERS_H
#define CDNALLOW_PARSE_HELPERS_H

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "diag.h"
#include "prefix.h"
#include "prefix_set.h"

/* Whole fixture file, NUL-terminated; NULL when missing. */
static inline char *fixture_read(const char *name, size_t *len)
{
	char path[4096];
	char *buf = NULL;
	long n;
	FILE *f;

	*len = 0;
	snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		n = ftell(f);
		rewind(f);
		buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* The set as space-separated canonical prefixes. */
static inline void assert_set(const struct prefix_set *s, const char *want)
{
	char got[8192] = "", buf[PREFIX_STRLEN];
	size_t o = 0;

	for (size_t i = 0; i < s->n; i++) {
		prefix_format(&s->v[i], buf, sizeof(buf));
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s", i ? " " : "", buf);
		assert_true(o < sizeof(got));
	}
	assert_string_equal(got, want);
}

static inline size_t set_count(const struct prefix_set *s, int family)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].family == family;
	return n;
}

/* Lines that are not blank after trimming spaces/tabs/CR and do not start with '#'. */
static inline size_t count_text_entries(const char *b, size_t len)
{
	size_t n = 0, i = 0;

	while (i < len) {
		size_t e = i;

		while (e < len && b[e] != '\n')
			e++;
		while (i < e && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r'))
			i++;
		if (i < e && b[i] != '#')
			n++;
		i = e + 1;
	}
	return n;
}

/* True when s[0..n) is "addr" or "addr/len" that inet_pton accepts. */
static inline bool looks_like_prefix(const char *s, size_t n, int *family)
{
	char tmp[64];
	unsigned char addr[16];
	char *slash;

	if (n == 0 || n >= sizeof(tmp) || strspn(s, "0123456789abcdefABCDEF.:/") < n)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	slash = strchr(tmp, '/');
	if (slash)
		*slash = '\0';
	*family = strchr(tmp, ':') ? AF_INET6 : AF_INET;
	return inet_pton(*family, tmp, addr) == 1;
}

/* Counts the quoted strings in b[from..to) that are IP prefixes, per family. */
static inline void count_quoted_prefixes(const char *b, size_t from, size_t to, size_t *v4,
					 size_t *v6)
{
	size_t i = from;

	*v4 = *v6 = 0;
	while (i < to) {
		const char *q = memchr(b + i, '"', to - i), *e;
		int family;

		if (!q)
			break;
		e = memchr(q + 1, '"', b + to - (q + 1));
		if (!e)
			break;
		if (looks_like_prefix(q + 1, (size_t)(e - q - 1), &family))
			(*(family == AF_INET ? v4 : v6))++;
		i = (size_t)(e - b) + 1;
	}
}

/* Non-overlapping occurrences of needle in b[0..len). */
static inline size_t count_substr(const char *b, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);
	const char *p = b, *end = b + len;

	while ((p = memmem(p, (size_t)(end - p), needle, nl))) {
		n++;
		p += nl;
	}
	return n;
}

/* What one parse gave: its return, its set and its messages (the chunked-parser tests compare two).
 */
struct outcome {
	int ret;
	struct prefix_set *s;
	struct diag d;
};

static inline void outcome_init(struct outcome *o)
{
	o->ret = 0;
	o->s = prefix_set_new();
	assert_non_null(o->s);
	diag_init(&o->d);
}

static inline void outcome_release(struct outcome *o)
{
	prefix_set_free(o->s);
	diag_release(&o->d);
}

/* Same return, message, warnings and prefixes in the same order. */
static inline void assert_same(const struct outcome *a, const struct outcome *b)
{
	assert_int_equal(a->ret, b->ret);
	assert_string_equal(a->d.msg, b->d.msg);
	assert_int_equal(a->d.nwarnings, b->d.nwarnings);
	for (size_t i = 0; i < a->d.nwarnings; i++)
		assert_string_equal(a->d.warnings[i], b->d.warnings[i]);
	assert_int_equal(a->s->n, b->s->n);
	for (size_t i = 0; i < a->s->n; i++)
		assert_true(prefix_equal(&a->s->v[i], &b->s->v[i]));
}

#endif
