/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A compact binary encoding of prefixes for the state dir (src/core/prefix_pack.c):
 * per prefix one family byte (4 or 6), one length byte and the (len + 7) / 8
 * leading bytes of the network address, host bits zero. A /32 takes 6 bytes, a
 * /24 5, an IPv6 /48 8: a third of the text and nothing to parse. Readers check
 * every byte; the checksum of the file around the records is the caller's.
 */
#ifndef CDNALLOW_PREFIX_PACK_H
#define CDNALLOW_PREFIX_PACK_H

#include <stddef.h>
#include <stdint.h>

struct prefix_set;
struct strbuf;

/* Appends the records of s's prefixes to sb; 0 or sb->err. */
int prefix_pack(struct strbuf *sb, const struct prefix_set *s);
/*
 * Appends count records read from *p (advanced past them, never beyond end) to
 * s. -EBADMSG on a record cut short, a family other than 4 and 6, a length
 * beyond the family's width or host bits set; -ENOMEM.
 */
int prefix_unpack(const uint8_t **p, const uint8_t *end, size_t count, struct prefix_set *s);
/*
 * The element caches' record (nft.applied, ipt.applied): exactly count
 * records filling buf's len bytes, appended to s. -EBADMSG as prefix_unpack or
 * on bytes left over; on failure s is back to its old size.
 */
int prefix_unpack_all(const uint8_t *buf, size_t len, size_t count, struct prefix_set *s);
/* The records of s in a new buffer of *len bytes (free()); NULL on -ENOMEM. */
uint8_t *prefix_pack_new(const struct prefix_set *s, size_t *len);
/* The n (≤ 8) low bytes of v at p, least significant first: the record headers' integers. */
void pack_put_le(uint8_t *p, uint64_t v, size_t n);
/* The n (≤ 8) bytes at p read back as pack_put_le wrote them. */
uint64_t pack_get_le(const uint8_t *p, size_t n);

#endif
