// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the reader of the kernel's ipset netlink replies
 * (ipset_reply_next): ACKs, errors carrying a copy of the refused request with
 * its line number, the handshake's data messages, a header-only list's sets
 * and its NLMSG_DONE, each set rendered as `ipset list -t` prints it
 * (ipset_header_format). Input: one receive buffer. Checks: every step moves
 * forward and stays in the buffer, a malformed message ends the walk with
 * -EBADMSG, a kind is one of the four, a line number comes only with an error,
 * a rendered block is a whole string of the length returned or -E2BIG.
 * Never opens a socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/backends/ipset_msg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes: ASan sees any read past what was received */
	uint8_t *copy = malloc(size ? size : 1);
	const uint8_t *p = copy;
	size_t len = size;
	struct ipset_reply r;
	char text[256];
	int ret, n;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	for (;;) {
		size_t before = len;

		ret = ipset_reply_next(&p, &len, &r);
		if (ret <= 0)
			break;
		check(len < before && p == copy + (size - len));
		check(r.kind == IPSET_REPLY_ACK || r.kind == IPSET_REPLY_DATA ||
		      r.kind == IPSET_REPLY_DONE || r.kind == IPSET_REPLY_OTHER);
		check(r.lineno == 0 || (r.kind == IPSET_REPLY_ACK && r.error != 0));
		check(!r.has_header || (r.kind == IPSET_REPLY_DATA && r.header.name[0]));
		if (!r.has_header)
			continue;
		/* small enough that a long type name or many words hit the limit */
		n = ipset_header_format(&r.header, text, sizeof(text));
		check(n == -E2BIG || (n > 0 && (size_t)n == strlen(text)));
	}
	check(ret == 0 || ret == -EBADMSG);
	check(ret != 0 || len == 0);
	free(copy);
	return 0;
}
