// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the `ipset list -t NAME` header parser
 * (ipset_parse_list_header), which decides whether a live set can be reused.
 * Input: a selector byte (family asked) and the command's output. Checks: the
 * type stays a bounded string, the family is one cdnallow knows or 0, and
 * "compatible" means exactly hash:net of the asked family. Never runs ipset.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipset.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipset_info info = { .plain = true };
	int family;
	char *text;

	if (size < 1)
		return 0;
	family = data[0] & 1 ? AF_INET6 : AF_INET;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	ipset_parse_list_header(text, family, &info);
	check(info.exists && info.plain);
	check(strnlen(info.type, sizeof(info.type)) < sizeof(info.type));
	check(info.family == 0 || info.family == AF_INET || info.family == AF_INET6);
	check(info.compatible == (!strcmp(info.type, "hash:net") && info.family == family));
	free(text);
	return 0;
}
