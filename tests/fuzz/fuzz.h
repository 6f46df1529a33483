/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every libFuzzer harness of tests/fuzz shares: the entry points' prototypes
 * (-Wmissing-prototypes) and check(), an invariant that aborts so libFuzzer keeps
 * the input. Harnesses only; never included by the product.
 */
#ifndef CDNALLOW_FUZZ_H
#define CDNALLOW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "hash.h"
#include "prefix.h"
#include "prefix_pack.h"
#include "prefix_set.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/*
 * An applied.rec image around the fuzzed records p (magic, length, the counts
 * the records suggest and the checksum over counts and records, as
 * src/core/applied.c writes them), so the harnesses of the records that refer
 * to applied.rec (nft.genid, ipt.id, sources.rec) reach its decoder: a fuzzer
 * cannot guess a 64-bit checksum. *len its length, *sum its checksum, *count
 * the prefixes its header announces; NULL when out of memory.
 */
static inline uint8_t *fuzz_applied_rec(const uint8_t *p, size_t n, size_t *len, uint64_t *sum,
					size_t *count)
{
	uint8_t *img = malloc(32 + n);
	size_t n4 = 0, n6 = 0;

	if (!img)
		return NULL;
	for (size_t i = 0; i + 1 < n; i += 2 + ((size_t)p[i + 1] + 7) / 8)
		*(p[i] == 4 ? &n4 : &n6) += 1;
	memcpy(img, "CDNAAPL1", 8);
	if (n)
		memcpy(img + 32, p, n);
	pack_put_le(img + 8, n, 8);
	pack_put_le(img + 24, n4, 4);
	pack_put_le(img + 28, n6, 4);
	*sum = checksum64(img + 24, n + 8);
	pack_put_le(img + 16, *sum, 8);
	*len = 32 + n;
	*count = n4 + n6;
	return img;
}

/* Two parses of one body gave the same return, message, warnings and prefixes in order. */
static inline void fuzz_check_same(int ra, const struct diag *da, const struct prefix_set *sa,
				   int rb, const struct diag *db, const struct prefix_set *sb)
{
	check(ra == rb && !strcmp(da->msg, db->msg) && da->nwarnings == db->nwarnings);
	for (size_t i = 0; i < da->nwarnings; i++)
		check(!strcmp(da->warnings[i], db->warnings[i]));
	check(sa->n == sb->n);
	for (size_t i = 0; i < sa->n; i++)
		check(prefix_equal(&sa->v[i], &sb->v[i]));
}

#endif
