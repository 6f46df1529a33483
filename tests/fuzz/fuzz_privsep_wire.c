// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the root parent's reader of the downloader's messages
 * (privsep_decode, format in src/sources/privsep_wire.h). Input: one message
 * body, as the length word announced it. Checks: only 0, -EBADMSG or
 * -ENOMEM; a refused message leaves no output behind; an accepted one is
 * consistent (a parsed list has prefixes unless it failed, never with a
 * transfer error or a 304), every prefix is in canonical form, and encoding
 * what was accepted gives back the input byte for byte (no field is read
 * loosely or silently dropped).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/sources/privsep_wire.h"
#include "fetch.h"
#include "fuzz.h"
#include "prefix.h"
#include "prefix_set.h"
#include "strbuf.h"

static void check_prefixes(const struct prefix_set *s)
{
	for (size_t i = 0; s && i < s->n; i++) {
		struct prefix back;
		uint8_t b[16];

		check(s->v[i].family == AF_INET || s->v[i].family == AF_INET6);
		check(s->v[i].len <= prefix_width(&s->v[i]));
		prefix_first_bytes(&s->v[i], b);
		check(prefix_from_bytes(s->v[i].family, b, s->v[i].len, &back) == 0);
		check(prefix_equal(&back, &s->v[i]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fetch_req r = { 0 };
	struct strbuf sb = { 0 };
	char why[160] = "";
	int ret = privsep_decode(data, size, &r, why, sizeof(why));

	check(ret == 0 || ret == -EBADMSG || ret == -ENOMEM);
	if (ret < 0) {
		check(why[0]);
		check(!r.prefixes && !r.new_etag && !r.new_last_modified && !r.body);
		check(!r.parsed && r.parse_diag.nwarnings == 0);
		return 0;
	}
	check(!r.body);
	check(r.err <= 0 && r.err >= -4095 && r.parse_err <= 0);
	check(!r.parsed || (!r.err && !r.not_modified));
	check(r.parsed || r.err || r.not_modified);
	check(!r.parsed || (r.parse_err == 0) == (r.prefixes != NULL));
	check_prefixes(r.prefixes);
	if (r.parse_diag.nwarnings <= PRIVSEP_MAX_WARNINGS) {
		check(privsep_encode(&r, &sb) == 0);
		check(sb.len == size + 4);
		check(!memcmp(sb.buf + 4, data, size));
	}
	strbuf_release(&sb);
	fetch_req_release(&r);
	return 0;
}
