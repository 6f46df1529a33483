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

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/*
 * The count a writer would put beside packed prefix records (prefix_pack.h):
 * records walked by their length byte, a cut last one counted too, so the
 * decoder is reached with the count the bytes suggest. For the element cache
 * harnesses (fuzz_nft_cache, fuzz_ipt_cache).
 */
static inline size_t fuzz_pack_count(const uint8_t *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i + 1 < len; i += 2 + ((size_t)p[i + 1] + 7) / 8)
		n++;
	return n;
}

#endif
