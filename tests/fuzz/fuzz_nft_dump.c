// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the two netlink dumps the nftables backend parses
 * (nft_read.c): set elements (the installed allowlist) and rules (ours are
 * found by their "cdnallow" comment; flush deletes them by name and handle).
 * Input: one selector byte (0 IPv4 elements, 1 IPv6 elements, 2 rules), then
 * the kernel's reply as received. Checks: only documented errors; every
 * prefix is of the asked family and well formed; at most NFT_MAX_OUR_RULES
 * rules, names bounded, positions inside the dump. Seeds are real replies of
 * a 6.x kernel to cdnallow's own requests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/backends/nft_int.h"
#include "prefix_set.h"
#include "fuzz.h"

static void rules(const void *buf, size_t len)
{
	struct nft_rule_list l;
	int ret = nft_parse_rule_dump(buf, len, &l);

	check(ret == 0 || ret == -EBADMSG);
	check(l.n <= NFT_MAX_OUR_RULES && l.n <= l.total);
	for (size_t i = 0; i < l.n; i++) {
		check(strnlen(l.v[i].table, NFT_NAME_MAX) < NFT_NAME_MAX);
		check(strnlen(l.v[i].chain, NFT_NAME_MAX) < NFT_NAME_MAX);
		check(l.v[i].pos < l.total);
	}
}

static void elems(const void *buf, size_t len, int af)
{
	struct prefix_set *s = prefix_set_new();
	int ret;

	if (!s)
		return;
	ret = nft_parse_elem_dump(buf, len, af, s);
	check(ret == 0 || ret == -EBADMSG || ret == -ENOMEM || ret == -EINVAL);
	for (size_t i = 0; ret == 0 && i < s->n; i++)
		check(s->v[i].family == af && s->v[i].len <= prefix_width(&s->v[i]));
	if (ret == 0)
		check(prefix_set_aggregate(s) == 0);
	prefix_set_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *buf;

	if (size < 1)
		return 0;
	/* netlink messages arrive 4-byte aligned in the receive buffer */
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	if (data[0] % 3 == 2)
		rules(buf, size - 1);
	else
		elems(buf, size - 1, data[0] % 3 ? AF_INET6 : AF_INET);
	free(buf);
	return 0;
}
