// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the `ipset list -t NAME` header parser
 * (ipset_parse_list_header), which decides whether a live set can be reused,
 * and of the block cutter for `ipset list -t` of every set (ipset_header_block).
 * Input: a selector byte (family asked; bit 1: a small buffer) and the command's
 * output. Checks: the type stays a bounded string, the family is one cdnallow
 * knows or 0, "compatible" means exactly hash:net of the asked family, a block
 * found starts with the set's name and fits its buffer. Never runs ipset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipset.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipset_info info = { .plain = true };
	char block[256];
	size_t bsize;
	int family, ret;
	char *text;

	if (size < 1)
		return 0;
	family = data[0] & 1 ? AF_INET6 : AF_INET;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	bsize = data[0] & 2 ? 24 : sizeof(block);
	ret = ipset_header_block(text, "cdnallow4", block, bsize);
	check(ret == 0 || ret == 1 || ret == -E2BIG);
	if (ret == 1)
		check(strlen(block) < bsize && !strncmp(block, "Name: cdnallow4", 15));
	ipset_parse_list_header(text, family, &info);
	check(info.exists && info.plain);
	check(strnlen(info.type, sizeof(info.type)) < sizeof(info.type));
	check(info.family == 0 || info.family == AF_INET || info.family == AF_INET6);
	check(info.compatible == (!strcmp(info.type, "hash:net") && info.family == family));
	free(text);
	return 0;
}
