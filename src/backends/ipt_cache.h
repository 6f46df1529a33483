/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The identity of cdnallow's ipsets after an apply (ipt_cache.c), so that a
 * no-op sync reads a set back only when its `ipset list -t` header changed.
 */
#ifndef CDNALLOW_IPT_CACHE_H
#define CDNALLOW_IPT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prefix_set;

#define IPT_CACHE_BLOCK_MAX 1024

struct ipt_cache_meta {
	char fp[256];
	char block[2][IPT_CACHE_BLOCK_MAX]; /* [0] IPv4 set, [1] IPv6 set, newlines as '|' */
	unsigned long long count, sum;	    /* the applied.rec checksum of the recorded set */
};

/*
 * The pure check behind ipt_cache_load, for the fuzzer and tests: meta (the
 * ipt.id text, cut in place) against want_fp and the live header blocks
 * (live[f] NULL: set absent). match[f] true when set f is as recorded; its
 * prefixes from rec (applied.rec's len bytes, NULL: missing) are then added
 * to out. -ESTALE (also when applied.rec holds another set) or -EBADMSG when
 * nothing can be trusted (out unchanged, no match).
 */
int ipt_cache_parse(char *meta, const char *want_fp, const char *const live[2], const char *rec,
		    size_t len, bool match[2], struct prefix_set *out);
/*
 * ipt_cache_parse on the files of state dir dir; -ENOENT without a record.
 * *sum: applied.rec's checksum when out (empty before) now holds that whole set
 * (both blocks matched: backend_state.applied_sum), else 0.
 */
int ipt_cache_load(const char *dir, const char *const live[2], bool match[2],
		   struct prefix_set *out, uint64_t *sum);
/*
 * Records s (both families) as the content of the sets whose header blocks are
 * live; sum: s's applied.rec checksum (plan.want_sum), 0 when not known.
 */
void ipt_cache_save(const char *dir, const char *const live[2], const struct prefix_set *s,
		    uint64_t sum);
/* Forgets the record: the next read() reads the sets back. */
void ipt_cache_drop(const char *dir);

#endif
