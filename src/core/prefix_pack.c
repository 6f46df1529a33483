// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Packs and unpacks prefixes in the state dir's compact binary records
 * (include/cdnallow/prefix_pack.h). The reader trusts no byte: it never reads
 * past end and refuses what the writer cannot produce (host bits, a bad
 * family or length), so a record that unpacks packs back to the same bytes.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "prefix.h"
#include "prefix_pack.h"
#include "prefix_set.h"
#include "strbuf.h"

/*
 * One record of pf at out, which has room for 18 bytes; its length. The
 * address is stored whole, big-endian, straight from the 128-bit layout (an
 * IPv4 address in the top of hi), and the record ends after its significant
 * bytes (host bits are zero): the next record overwrites the rest. A byte
 * loop per prefix was a sixth of a 100k update.
 */
static size_t pack_one(const struct prefix *pf, uint8_t *out)
{
	uint64_t hi = htobe64(pf->hi), lo = htobe64(pf->lo);

	out[0] = pf->family == AF_INET ? 4 : 6;
	out[1] = pf->len;
	memcpy(out + 2, &hi, 8);
	if (pf->family != AF_INET)
		memcpy(out + 10, &lo, 8);
	return 2 + ((size_t)pf->len + 7) / 8;
}

static size_t packed_size(const struct prefix_set *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += 2 + ((size_t)s->v[i].len + 7) / 8;
	return n;
}

int prefix_pack(struct strbuf *sb, const struct prefix_set *s)
{
	size_t len = 0;
	uint8_t *buf;

	if (s->n == 0 || sb->err)
		return sb->err;
	buf = prefix_pack_new(s, &len);
	if (!buf) {
		sb->err = -ENOMEM;
		return sb->err;
	}
	strbuf_add(sb, buf, len);
	free(buf);
	return sb->err;
}

uint8_t *prefix_pack_new(const struct prefix_set *s, size_t *len)
{
	/* sized exactly: a doubling buffer would hold up to twice the record at 1M prefixes */
	size_t n = packed_size(s);
	uint8_t *buf = malloc(n + 18); /* pack_one writes up to 18 bytes */

	if (!buf)
		return NULL;
	*len = 0;
	for (size_t i = 0; i < s->n; i++)
		*len += pack_one(&s->v[i], buf + *len);
	return buf;
}

/* The inverse of pack_one; every byte checked (the bytes past the record's are zero). */
static int unpack_one(const uint8_t **p, const uint8_t *end, struct prefix *out)
{
	const uint8_t *r = *p;
	unsigned width, len;
	uint64_t hi = 0, lo = 0;
	size_t nbytes;

	if (end - r < 2 || (r[0] != 4 && r[0] != 6))
		return -EBADMSG;
	width = r[0] == 4 ? 32 : 128;
	len = r[1];
	nbytes = (len + 7) / 8;
	if (len > width || (size_t)(end - r - 2) < nbytes)
		return -EBADMSG;
	/* host bits in the last byte: the writer never sets them */
	if (len % 8 && (r[1 + nbytes] & (0xffu >> (len % 8))))
		return -EBADMSG;
	for (size_t k = 0; k < nbytes && k < 8; k++)
		hi |= (uint64_t)r[2 + k] << (56 - 8 * k);
	for (size_t k = 8; k < nbytes; k++)
		lo |= (uint64_t)r[2 + k] << (120 - 8 * k);
	out->hi = hi;
	out->lo = lo;
	out->len = (uint8_t)len;
	out->family = r[0] == 4 ? AF_INET : AF_INET6;
	*p = r + 2 + nbytes;
	return 0;
}

int prefix_unpack(const uint8_t **p, const uint8_t *end, size_t count, struct prefix_set *s)
{
	int ret;

	/* every record takes at least 2 bytes: a count beyond that is a lie, not a reservation */
	if (count > (size_t)(end - *p) / 2)
		return -EBADMSG;
	ret = prefix_set_reserve(s, s->n + count);
	for (size_t i = 0; i < count && ret == 0; i++) {
		struct prefix pf;

		ret = unpack_one(p, end, &pf);
		if (ret == 0)
			s->v[s->n++] = pf; /* reserved above; family and length checked */
	}
	return ret;
}

int prefix_unpack_all(const uint8_t *buf, size_t len, size_t count, struct prefix_set *s)
{
	const uint8_t *p = buf, *end = buf + len;
	size_t n0 = s->n;
	int ret;

	if (!buf)
		return -EBADMSG;
	ret = prefix_unpack(&p, end, count, s);
	if (ret == 0 && p != end)
		ret = -EBADMSG;
	if (ret < 0)
		s->n = n0;
	return ret;
}

void pack_put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t pack_get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}
