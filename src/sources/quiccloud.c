// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QUIC.cloud (LiteSpeed's CDN): quic.cloud/ips lists the addresses of the
 * nodes that connect to origins, single addresses separated by "<br />"
 * (served as text/html, no final separator); quic.cloud/ips?ln is the same
 * list one a line. Both are accepted: each <br>, <br/> or <br /> becomes a
 * line break and the result is a text list. Any other tag means an error or
 * challenge page, refused rather than searched for addresses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "json_util.h"
#include "providers.h"

#define WHO "quic-cloud"

/* Length of the <br> tag at p (any case, optional space and slash), or 0. */
static size_t br_len(const char *p, const char *end)
{
	const char *q = p + 3;

	if (end - p < 4 || strncasecmp(p, "<br", 3))
		return 0;
	while (q < end && *q == ' ')
		q++;
	if (q < end && *q == '/')
		q++;
	return q < end && *q == '>' ? (size_t)(q + 1 - p) : 0;
}

static int quiccloud_parse(const struct source *src, const char *body, size_t len,
			   struct prefix_set *out, struct diag *d)
{
	const char *p = body, *end = body + len;
	char *text = NULL;
	size_t n = 0, tag;
	int ret;

	(void)src;
	if (!memchr(body, '<', len))
		return json_util_parse_text(WHO, body, len, out, d);
	text = malloc(len + 1);
	if (!text) {
		diag_err(d, WHO ": out of memory");
		return -ENOMEM;
	}
	while (p < end) {
		if (*p != '<') {
			text[n++] = *p++;
			continue;
		}
		tag = br_len(p, end);
		if (!tag) {
			ret = json_util_html_err(WHO, "an address list", d);
			goto out;
		}
		text[n++] = '\n';
		p += tag;
	}
	ret = json_util_parse_text(WHO, text, n, out, d);
out:
	free(text);
	return ret;
}

const struct provider provider_quiccloud = {
	.name = "quic-cloud",
	.summary =
		"QUIC.cloud CDN nodes that connect to origins (quic.cloud/ips, single addresses)",
	.urls = { "https://quic.cloud/ips" },
	.alt_url = "https://quic.cloud/ips?ln",
	.floor = 20,
	.parse = quiccloud_parse,
};
