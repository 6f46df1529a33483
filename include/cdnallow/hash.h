/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The checksums of the state dir's records: FNV-1a, 64 bits (cache meta,
 * ipt.applied, sources.rec), and checksum64, the same job a word at a time
 * (applied.rec, nft.applied, the local-file digests). They detect a torn or
 * damaged file, not a forger: the state dir's owner checks keep other users out.
 */
#ifndef CDNALLOW_HASH_H
#define CDNALLOW_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t fnv1a64(const void *buf, size_t len);
/* 64 bits, eight bytes a step; records that use it name a version made with it. */
uint64_t checksum64(const void *buf, size_t len);

/* checksum64 of a body fed in pieces: the same value once exactly len bytes were added. */
struct checksum64_ctx {
	uint64_t h, tail;
	size_t ntail;
};

void checksum64_init(struct checksum64_ctx *c, size_t len);
void checksum64_add(struct checksum64_ctx *c, const void *buf, size_t n);
uint64_t checksum64_final(const struct checksum64_ctx *c);

#endif
