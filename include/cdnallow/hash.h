/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The checksum of the state dir's records (cache meta, nft.applied, ipt.applied,
 * sources.rec): FNV-1a, 64 bits. It detects a torn or damaged file, not a
 * forger: the state dir's owner checks keep other users out.
 */
#ifndef CDNALLOW_HASH_H
#define CDNALLOW_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t fnv1a64(const void *buf, size_t len);

#endif
