// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the marked-block editor of ufw's files (ufw_block.c):
 * input = one selector byte (anchor, v6) and the text of before.init or
 * before.rules as an admin may have left it. Checks the promises ufw_ipset.c
 * relies on: after an insert the block is found again and is exactly ours;
 * setting it twice changes nothing; removing it gives back the admin's text
 * (plus at most the newline an unterminated last line needed); no byte outside
 * the block moves. Never reads or writes a file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/backends/ufw_int.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *block = NULL, *o1 = NULL, *o2 = NULL, *o3 = NULL;
	const char *text = (const char *)data + 1;
	size_t len, l1 = 0, l2 = 0, l3 = 0, s, e;
	enum ufw_anchor anchor;
	bool had;
	int ret;

	if (size < 1)
		return 0;
	len = size - 1;
	anchor = data[0] & 1 ? UFW_ANCHOR_FILTER : UFW_ANCHOR_INIT;
	if ((anchor == UFW_ANCHOR_INIT ? ufw_block_init(&block)
				       : ufw_block_rules(data[0] & 2, "80,443", &block)) < 0)
		goto out;
	had = ufw_block_find(text, len, &s, &e);
	if (had)
		check(s < e && e <= len);
	ret = ufw_block_set(text, len, block, anchor, &o1, &l1);
	check(ret == 0 || ret == -ENOENT || ret == -EBADMSG || ret == -ENOMEM);
	if (ret < 0)
		goto out;
	check(o1[l1] == '\0');
	check(ufw_block_find(o1, l1, &s, &e));
	check(e - s == strlen(block) && !memcmp(o1 + s, block, e - s));
	check(!memcmp(o1 + e, text + (len - (l1 - e)), l1 - e)); /* the tail never moves */
	check(ufw_block_set(o1, l1, block, anchor, &o2, &l2) == 0);
	check(l2 == l1 && !memcmp(o1, o2, l1));
	check(ufw_block_set(o1, l1, NULL, anchor, &o3, &l3) == 0);
	check(!ufw_block_find(o3, l3, &s, &e) || had);
	if (!had) {
		/* back to the admin's text, but for the newline an unterminated line got */
		size_t k = 0;

		check(l3 == len || l3 == len + 1);
		while (k < len && o3[k] == text[k])
			k++;
		check(l3 == len ? k == len
				: o3[k] == '\n' && !memcmp(o3 + k + 1, text + k, len - k));
	}
out:
	free(block);
	free(o1);
	free(o2);
	free(o3);
	return 0;
}
