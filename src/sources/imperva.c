// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Imperva (Incapsula): my.imperva.com/api/integration/v1/ips answers one
 * object with "ipRanges" and "ipv6Ranges" and a "res" status. The real API
 * wants a POST, which the fetcher does not do, so the admin downloads it
 * (curl -X POST …) and sets `path = …`. A non-zero "res" is an API error,
 * never an empty list.
 */
#include <errno.h>

#include "diag.h"
#include "json_util.h"
#include "providers.h"

#define WHO "imperva"

static int imperva_parse(const struct source *src, const char *body, size_t len,
			 struct prefix_set *out, struct diag *d)
{
	const json_t *res, *msg;
	json_t *root = NULL;
	int ret;

	(void)src;
	ret = json_util_load(WHO, body, len, &root, d);
	if (ret < 0 || !root)
		goto out;
	ret = json_util_check(WHO, NULL, root, JSON_OBJECT, d);
	if (ret < 0)
		goto out;
	res = json_object_get(root, "res");
	if (res && !(json_is_integer(res) && json_integer_value(res) == 0)) {
		msg = json_object_get(root, "res_message");
		diag_err(d, WHO ": API error (res %lld): %s",
			 json_is_integer(res) ? (long long)json_integer_value(res) : -1LL,
			 json_is_string(msg) ? json_string_value(msg) : "no res_message");
		ret = -EBADMSG;
		goto out;
	}
	ret = json_util_add_pair(WHO, NULL, root, "ipRanges", "ipv6Ranges", out, d);
out:
	json_decref(root);
	return ret;
}

const struct provider provider_imperva = {
	.name = "imperva",
	.summary = "Imperva/Incapsula proxies (POST-only API: download it, set path =)",
	.urls = { NULL },
	.alt_url = "https://my.imperva.com/api/integration/v1/ips",
	.floor = 5,
	.parse = imperva_parse,
};
