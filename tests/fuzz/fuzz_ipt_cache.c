// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the parser of STATE_DIR/ipt.id and the applied.rec it
 * refers to (ipt_cache_parse), which decides whether a no-op sync may skip
 * `ipset save`. Input: one flag byte, ipt.id's text, a NUL, then applied.rec's
 * bytes. Flag bit 0: the bytes are packed records, wrapped in a valid
 * applied.rec header, and the harness appends the fingerprint, count,
 * checksum and the recorded header blocks, so the record decoder is reached
 * (a fuzzer cannot guess a 64-bit checksum); bits 1 and 2: the IPv4 and IPv6 sets exist (their
 * live header blocks are given). Checks: only the documented errors, a failure
 * loads nothing and matches nothing, a set matches only when it exists, only
 * matched families are loaded, every prefix is well formed. Never touches a
 * file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/backends/ipt_cache.h"
#include "hash.h"
#include "prefix_set.h"
#include "fuzz.h"

#define FP "boot=x netns=1"
#define B4 "Name: cdnallow4\nType: hash:net\nNumber of entries: 2"
#define B6 "Name: cdnallow6\nType: hash:net\nNumber of entries: 0"
#define E4 "Name: cdnallow4|Type: hash:net|Number of entries: 2"
#define E6 "Name: cdnallow6|Type: hash:net|Number of entries: 0"

static char *make_meta(const uint8_t *data, size_t mlen, uint64_t sum, size_t count)
{
	char *meta = NULL;

	if (data[0] & 1) {
		/* the fuzzed lines first: the harness's own, later, win */
		if (asprintf(&meta,
			     "cdnallow-ipt-cache 3\n%.*s\nfingerprint %s\ncount %zu\napplied "
			     "%" PRIx64 "\nset4 %s\nset6 %s\n",
			     (int)mlen, (const char *)data + 1, FP, count, sum, E4, E6) < 0)
			meta = NULL;
		return meta;
	}
	meta = malloc(mlen + 1);
	if (meta) {
		memcpy(meta, data + 1, mlen);
		meta[mlen] = '\0';
	}
	return meta;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prefix_set *s = prefix_set_new();
	const uint8_t *nul, *applied = NULL;
	uint8_t *rec = NULL;
	const char *live[2];
	bool match[2];
	size_t mlen, alen = 0, count = 0;
	uint64_t sum = 0;
	char *meta = NULL;
	int ret;

	if (size < 1 || !s)
		goto out;
	nul = memchr(data + 1, '\0', size - 1);
	mlen = nul ? (size_t)(nul - data - 1) : size - 1;
	if (nul) {
		applied = nul + 1;
		alen = size - (size_t)(applied - data);
	}
	if (data[0] & 1) {
		rec = fuzz_applied_rec(applied, alen, &alen, &sum, &count);
		applied = rec;
	}
	meta = make_meta(data, mlen, sum, count);
	if (!meta)
		goto out;
	live[0] = data[0] & 2 ? B4 : NULL;
	live[1] = data[0] & 4 ? B6 : NULL;
	ret = ipt_cache_parse(meta, FP, live, (const char *)applied, alen, match, s);
	check(ret == 0 || ret == -ESTALE || ret == -EBADMSG || ret == -ENOMEM);
	if (ret < 0)
		check(s->n == 0 && !match[0] && !match[1]);
	check(!match[0] || live[0]);
	check(!match[1] || live[1]);
	for (size_t i = 0; i < s->n; i++) {
		check(s->v[i].len <= prefix_width(&s->v[i]));
		check(match[s->v[i].family == AF_INET6]);
	}
out:
	free(meta);
	free(rec);
	prefix_set_free(s);
	return 0;
}
