// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the `ipset save` parser behind ipset_read
 * (ipset_parse_save). The first byte picks the set name and family, the rest
 * is the save text. The text is parsed twice, once collecting prefixes and
 * once only probing: both must agree, every collected prefix must be of the
 * asked family, and a failure must explain itself. Never runs ipset.
 * Seeds: tests/fuzz/corpus/ipset_save/ (first byte = selector).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "ipset.h"
#include "prefix_set.h"
#include "fuzz.h"

static const char *const names[] = { "cdnallow4", "cdnallow6", "cdnallow4-tmp", "x" };

static char *copy(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prefix_set *out = prefix_set_new();
	struct ipset_info info, probe;
	char *text = NULL, *again = NULL;
	struct diag d, d2;
	const char *name;
	int family, ret;

	diag_init(&d);
	diag_init(&d2);
	if (size < 1 || !out)
		goto out;
	name = names[data[0] % 4];
	family = data[0] & 4 ? AF_INET6 : AF_INET;
	text = copy(data + 1, size - 1);
	again = copy(data + 1, size - 1);
	if (!text || !again)
		goto out;
	ret = ipset_parse_save(text, name, family, out, &info, &d);
	check(ret == 0 || ret == -EBADMSG || ret == -ENOMEM);
	check((ret == -EBADMSG) == (d.msg[0] != '\0'));
	check(info.exists);
	check(info.compatible == (!strcmp(info.type, "hash:net") && info.family == family));
	check(strnlen(info.type, sizeof(info.type)) < sizeof(info.type));
	for (size_t i = 0; ret == 0 && i < out->n; i++)
		check(out->v[i].family == family && out->v[i].len <= prefix_width(&out->v[i]));
	if (ret == -ENOMEM)
		goto out;
	check(ipset_parse_save(again, name, family, NULL, &probe, &d2) == ret);
	check(!strcmp(d.msg, d2.msg));
	if (ret == 0)
		check(probe.plain == info.plain && probe.family == info.family &&
		      probe.maxelem == info.maxelem && !strcmp(probe.type, info.type));
out:
	free(text);
	free(again);
	prefix_set_free(out);
	diag_release(&d);
	diag_release(&d2);
	return 0;
}
