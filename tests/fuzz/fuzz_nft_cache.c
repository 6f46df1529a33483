// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the parser of STATE_DIR/nft.genid and the applied.rec
 * it refers to (nft_cache_parse). Input: one flag byte, nft.genid's text, a
 * NUL, then applied.rec's bytes. With flag bit 0 the bytes are packed records:
 * the harness wraps them in a valid applied.rec header and writes a genid file
 * whose count and checksum match, so the record decoder is reached (a fuzzer
 * cannot guess a 64-bit checksum). Checks: only the documented errors, a
 * failure leaves the set empty, every prefix loaded is well formed, a
 * mismatched generation is -ESTALE. Never touches a file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/backends/nft_int.h"
#include "hash.h"
#include "prefix_set.h"
#include "fuzz.h"

#define FP "boot=x netns=1 table=inet/cdnallow ports=80,443"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prefix_set *s = prefix_set_new();
	const uint8_t *nul, *applied = NULL;
	uint8_t *rec = NULL;
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
		/* the fuzzed lines first: the harness's own, later, win */
		if (!rec || asprintf(&meta,
				     "cdnallow-nft-cache 4\n%.*s\ngenid 7\nfingerprint %s\ncount "
				     "%zu\napplied %" PRIx64 "\n",
				     (int)mlen, (const char *)data + 1, FP, count, sum) < 0)
			meta = NULL;
	} else {
		meta = malloc(mlen + 1);
		if (meta) {
			memcpy(meta, data + 1, mlen);
			meta[mlen] = '\0';
		}
	}
	if (!meta)
		goto out;
	ret = nft_cache_parse(meta, FP, data[0] & 2 ? 8 : 7, (const char *)applied, alen, s);
	check(ret == 0 || ret == -ESTALE || ret == -EBADMSG || ret == -ENOMEM);
	if (ret < 0)
		check(s->n == 0);
	if ((data[0] & 3) == 3)
		check(ret == -ESTALE);
	for (size_t i = 0; ret == 0 && i < s->n; i++)
		check(s->v[i].len <= prefix_width(&s->v[i]));
	for (size_t i = 1; ret == 0 && i < s->n; i++)
		check(prefix_cmp(&s->v[i - 1], &s->v[i]) < 0);
out:
	free(meta);
	free(rec);
	prefix_set_free(s);
	return 0;
}
