// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Packs and unpacks prefixes in the state dir's compact binary records
 * (include/cdnallow/prefix_pack.h). The reader trusts no byte: it never reads
 * past end and refuses what the writer cannot produce (host bits, a bad
 * family or length), so a record that unpacks packs back to the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "prefix.h"
#include "prefix_pack.h"
#include "prefix_set.h"
#include "strbuf.h"

/* One record of pf at out (room for 18 bytes); its length. */
static size_t pack_one(const struct prefix *pf, uint8_t *out)
{
	uint8_t rec[18];
	size_t n = 2 + ((size_t)pf->len + 7) / 8;

	rec[0] = pf->family == AF_INET ? 4 : 6;
	rec[1] = pf->len;
	prefix_first_bytes(pf, rec + 2);
	memcpy(out, rec, n);
	return n;
}

int prefix_pack(struct strbuf *sb, const struct prefix_set *s)
{
	for (size_t i = 0; i < s->n && sb->err == 0; i++) {
		uint8_t rec[18];

		strbuf_add(sb, rec, pack_one(&s->v[i], rec));
	}
	return sb->err;
}

uint8_t *prefix_pack_new(const struct prefix_set *s, size_t *len)
{
	size_t n = 0;
	uint8_t *buf;

	/* sized exactly: a doubling buffer would hold up to twice the record at 1M prefixes */
	for (size_t i = 0; i < s->n; i++)
		n += 2 + ((size_t)s->v[i].len + 7) / 8;
	buf = malloc(n + 1);
	if (!buf)
		return NULL;
	*len = 0;
	for (size_t i = 0; i < s->n; i++)
		*len += pack_one(&s->v[i], buf + *len);
	return buf;
}

static int unpack_one(const uint8_t **p, const uint8_t *end, struct prefix *out)
{
	uint8_t addr[16] = { 0 };
	const uint8_t *r = *p;
	unsigned width, len;
	size_t nbytes;

	if (end - r < 2 || (r[0] != 4 && r[0] != 6))
		return -EBADMSG;
	width = r[0] == 4 ? 32 : 128;
	len = r[1];
	nbytes = (len + 7) / 8;
	if (len > width || (size_t)(end - r - 2) < nbytes)
		return -EBADMSG;
	memcpy(addr, r + 2, nbytes);
	/* host bits in the last byte: the writer never sets them */
	if (len % 8 && (addr[nbytes - 1] & (0xffu >> (len % 8))))
		return -EBADMSG;
	*p = r + 2 + nbytes;
	return prefix_from_bytes(r[0] == 4 ? AF_INET : AF_INET6, addr, len, out) < 0 ? -EBADMSG : 0;
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
			ret = prefix_set_add(s, &pf);
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
