// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <string.h>

#include "hash.h"

uint64_t fnv1a64(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define CHECKSUM64_MUL 0x9e3779b97f4a7c15ULL

void checksum64_init(struct checksum64_ctx *c, size_t len)
{
	c->h = 0xcbf29ce484222325ULL ^ (uint64_t)len;
	c->tail = 0;
	c->ntail = 0;
}

static void mix(struct checksum64_ctx *c, uint64_t w)
{
	c->h = (c->h ^ w) * CHECKSUM64_MUL;
	c->h ^= c->h >> 32;
}

void checksum64_add(struct checksum64_ctx *c, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	uint64_t w;
	size_t i = 0;

	/* a piece that ended inside a word: finish that word first */
	for (; c->ntail && i < n; i++) {
		c->tail |= (uint64_t)p[i] << (8 * c->ntail);
		if (++c->ntail == 8) {
			mix(c, c->tail);
			c->tail = 0;
			c->ntail = 0;
		}
	}
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		mix(c, le64toh(w));
	}
	for (; i < n; i++)
		c->tail |= (uint64_t)p[i] << (8 * c->ntail++);
}

uint64_t checksum64_final(const struct checksum64_ctx *c)
{
	uint64_t h = (c->h ^ c->tail) * CHECKSUM64_MUL;

	return h ^ (h >> 29);
}

/*
 * Eight bytes a step (FNV-1a's byte-serial loop was a sixth of a 100k
 * update): multiply and fold per word, so the order of the words matters and
 * a changed byte reaches every bit of the result. The whole-buffer form is the
 * piecewise one fed once, so the two can never disagree.
 */
uint64_t checksum64(const void *buf, size_t len)
{
	struct checksum64_ctx c;

	checksum64_init(&c, len);
	checksum64_add(&c, buf, len);
	return checksum64_final(&c);
}
