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

#endif
