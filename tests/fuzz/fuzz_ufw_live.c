// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the scan of `iptables -S ufw-before-input` output in
 * ufw's ipset mode (ufw_live_scan, behind live_sync in ufw_ipset.c). Input:
 * one selector byte (bit 0: IPv6, bit 1: we want our rule), then the output as
 * iptables printed it. Checks: every -A line is counted once, as kept or
 * stale; stale lines are -A lines naming our set and are never our rule's
 * first copy; our rule is found exactly when the text holds it; the jump
 * position lies within the rules kept; and applying the outcome (deleting the
 * stale lines, inserting our rule where the scan says) gives a chain a second
 * scan finds converged: our rule once, nothing stale. Never runs iptables.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/backends/ufw_int.h"
#include "fuzz.h"

#define MINE4                                                                                   \
	"-A ufw-before-input -p tcp -m multiport --dports 80,443 -m set --match-set cdnallow4 " \
	"src -j ACCEPT"
#define MINE6                                                                                    \
	"-A ufw6-before-input -p tcp -m multiport --dports 80,443 -m set --match-set cdnallow6 " \
	"src -j ACCEPT"

struct lines {
	char **v;
	size_t n;
};

/* The -A lines of a copy of text, split as strtok does (empty lines vanish). */
static void split(char *text, struct lines *l, size_t *offs, const char *base)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "-A ", 3))
			continue;
		offs[l->n] = (size_t)(line - base);
		l->v[l->n++] = line;
	}
}

static bool is_stale(const struct ufw_live_scan *s, size_t off, const char *buf)
{
	for (size_t i = 0; i < s->nstale; i++)
		if ((size_t)(s->stale[i] - buf) == off)
			return true;
	return false;
}

/* The chain after live_sync: kept lines, ours inserted at pos (or appended). */
static char *apply(const struct lines *l, const size_t *offs, const struct ufw_live_scan *s,
		   const char *buf, const char *mine, bool want)
{
	size_t cap = strlen(mine) + 2, used = 0, kept = 0;
	bool put = !want || s->found;
	char *out;

	for (size_t i = 0; i < l->n; i++)
		cap += strlen(l->v[i]) + 1;
	out = malloc(cap);
	check(out);
	for (size_t i = 0; i < l->n; i++) {
		if (is_stale(s, offs[i], buf))
			continue;
		if (!put && s->pos && kept + 1 == s->pos) {
			used += (size_t)sprintf(out + used, "%s\n", mine);
			put = true;
		}
		used += (size_t)sprintf(out + used, "%s\n", l->v[i]);
		kept++;
	}
	if (!put)
		used += (size_t)sprintf(out + used, "%s\n", mine);
	out[used] = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ufw_live_scan s = { 0 }, again = { 0 };
	struct lines l = { 0 };
	size_t *offs, nlines = 0;
	char *buf, *copy, *after;
	bool v6, want, has_mine = false;
	const char *mine;

	if (size < 1)
		return 0;
	v6 = data[0] & 1;
	want = data[0] & 2;
	mine = v6 ? MINE6 : MINE4;
	buf = malloc(size);
	copy = malloc(size);
	check(buf && copy);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	memcpy(copy, buf, size);
	l.v = calloc(size, sizeof(*l.v));
	offs = calloc(size, sizeof(*offs));
	check(l.v && offs);
	split(copy, &l, offs, copy);
	for (size_t i = 0; i < l.n; i++)
		has_mine = has_mine || !strcmp(l.v[i], mine);

	check(ufw_live_scan(buf, v6, want ? mine : "", &s) == 0);
	check(s.rules + s.nstale == l.n);
	check(s.pos <= s.rules);
	check(s.found == (want && has_mine));
	for (size_t i = 0; i < s.nstale; i++) {
		check(s.stale[i] >= buf && s.stale[i] < buf + size);
		check(!strncmp(s.stale[i], "-A ", 3));
		check(strstr(s.stale[i],
			     v6 ? " --match-set cdnallow6 src " : " --match-set cdnallow4 src "));
		nlines++;
	}
	check(nlines == s.nstale);

	after = apply(&l, offs, &s, buf, mine, want);
	check(ufw_live_scan(after, v6, want ? mine : "", &again) == 0);
	check(again.nstale == 0);
	check(again.found == want);
	check(again.rules == s.rules + (want && !s.found));
	ufw_live_scan_release(&again);
	ufw_live_scan_release(&s);
	free(after);
	free(l.v);
	free(offs);
	free(copy);
	free(buf);
	return 0;
}
