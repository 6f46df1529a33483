// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the firewalld entry parser (fwd_entries_parse): the
 * first byte picks the family, the rest is split at newlines into the entry
 * strings firewalld would return over D-Bus. Every entry is either counted bad
 * or parsed; the sorted copy must be sorted and searchable; formatting the
 * aggregated set and parsing that back must compare equal. Talks to nobody.
 * Seeds: tests/fuzz/corpus/fwd_entries/ (first byte = selector).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/backends/fwd_entries.h"
#include "prefix.h"
#include "prefix_set.h"
#include "fuzz.h"

/* The NULL-terminated vector of separately allocated strings
 * fwd_entries_release frees. */
static char **split_lines(const char *s, size_t n, size_t *count)
{
	size_t lines = 1, k = 0;
	char **v;

	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	v = calloc(lines + 1, sizeof(*v));
	if (!v)
		return NULL;
	/* "" is no entry, a final newline ends the last one: firewalld's [] and ["a"]
	 */
	for (size_t i = 0; i < n && k < lines;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (s + i)) : n - i;

		v[k] = strndup(s + i, len);
		if (!v[k])
			break;
		k++;
		i += len + 1;
	}
	*count = k;
	return v;
}

static char **dup_strv(char **v)
{
	size_t n = 0;
	char **c;

	while (v[n])
		n++;
	c = calloc(n + 1, sizeof(*c));
	for (size_t i = 0; c && i < n; i++) {
		c[i] = strdup(v[i]);
		if (!c[i]) {
			for (size_t j = 0; j < i; j++)
				free(c[j]);
			free(c);
			return NULL;
		}
	}
	return c;
}

static void round_trip(const struct prefix_set *want, int fam)
{
	struct fwd_entries back = { 0 };
	char **fmt = fwd_format_strv(want), **raw;

	if (!fmt)
		return;
	raw = dup_strv(fmt);
	free(fmt);
	if (!raw)
		return;
	if (fwd_entries_parse(&back, raw, fam) == 0) {
		check(back.bad == 0 && back.set->n == want->n);
		check(fwd_entries_equal(&back, want));
		check(fwd_entries_is_empty(&back) == (want->n == 0));
	}
	fwd_entries_release(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwd_entries e = { 0 };
	struct prefix_set *want = NULL;
	size_t count = 0;
	char **raw;
	int fam, r;

	if (size < 1)
		return 0;
	fam = data[0] & 1 ? AF_INET6 : AF_INET;
	raw = split_lines((const char *)data + 1, size - 1, &count);
	if (!raw)
		return 0;
	r = fwd_entries_parse(&e, raw, fam); /* owns raw from here */
	if (r < 0) {
		check(r == -ENOMEM);
		goto out;
	}
	check(e.set->n + e.bad == count);
	check(e.sorted->n == e.set->n);
	for (size_t i = 0; i < e.set->n; i++) {
		check(e.set->v[i].family == fam);
		check(fwd_set_has(e.sorted, &e.set->v[i]));
		if (i)
			check(prefix_cmp(&e.sorted->v[i - 1], &e.sorted->v[i]) <= 0);
	}
	check(fwd_entries_is_empty(&e) == (count == 0));
	want = prefix_set_new();
	if (!want || prefix_set_copy(want, e.set) < 0 || prefix_set_aggregate(want) < 0)
		goto out;
	/* equal to its own aggregate exactly when it is already aggregated and clean
	 */
	if (fwd_entries_equal(&e, want))
		check(e.bad == 0 && e.set->n == want->n);
	round_trip(want, fam);
out:
	prefix_set_free(want);
	fwd_entries_release(&e);
	return 0;
}
