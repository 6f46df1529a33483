// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Amazon CloudFront. Default: AWS ip-ranges.json, keeping the records whose
 * "service" equals the filter (default CLOUDFRONT_ORIGIN_FACING, the
 * addresses CloudFront uses towards origins; CLOUDFRONT selects the edge
 * ranges). Also accepts the list-cloudfront-ips format (global + regional
 * edge arrays), recognised by its keys. Never takes every AWS service: a
 * filter that matches nothing is an error, not an empty list.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "json_util.h"
#include "providers.h"

#define WHO "cloudfront"
#define LIST_GLOBAL "CLOUDFRONT_GLOBAL_IP_LIST"
#define LIST_REGIONAL "CLOUDFRONT_REGIONAL_EDGE_IP_LIST"

/* Remembers up to a few distinct service names to explain a filter that matched nothing. */
static void note_service(char *seen, size_t size, const char *svc)
{
	char item[96];
	size_t used = strlen(seen);

	snprintf(item, sizeof(item), "%s%s", used ? ", " : "", svc);
	if (strstr(seen, svc) || used + strlen(item) + 1 > size)
		return;
	memcpy(seen + used, item, strlen(item) + 1);
}

static int parse_records(const json_t *root, const char *arrkey, const char *valkey, int family,
			 const char *filter, size_t *matched, char *seen, size_t seen_size,
			 struct prefix_set *out, struct diag *d)
{
	const json_t *arr, *rec, *svc, *val;
	char path[128];
	size_t i;
	int ret;

	ret = json_util_get(WHO, arrkey, root, arrkey, JSON_ARRAY, &arr, d);
	if (ret < 0)
		return ret;
	json_array_foreach (arr, i, rec) {
		ret = json_util_elem_string(WHO, arrkey, i, rec, "service", &svc, d);
		if (ret < 0)
			return ret;
		if (strcmp(json_string_value(svc), filter)) {
			note_service(seen, seen_size, json_string_value(svc));
			continue;
		}
		snprintf(path, sizeof(path), "%s[%zu].%s", arrkey, i, valkey);
		val = json_object_get(rec, valkey);
		if (!val) {
			diag_err(d, WHO ": missing key \"%s\"", path);
			return -EBADMSG;
		}
		ret = json_util_add_prefix(WHO, path, val, family, out, d);
		if (ret < 0)
			return ret;
		(*matched)++;
	}
	return 0;
}

static int parse_root(const json_t *root, const void *ctx, struct prefix_set *out, struct diag *d)
{
	const char *filter = ctx;
	char seen[256] = "";
	size_t matched = 0;
	int ret;

	if (json_object_get(root, LIST_GLOBAL) || json_object_get(root, LIST_REGIONAL)) {
		/* edge list format: no services, so the filter does not apply */
		ret = json_util_add_key(WHO, NULL, root, LIST_GLOBAL, AF_INET, out, d);
		if (ret == 0)
			ret = json_util_add_key(WHO, NULL, root, LIST_REGIONAL, AF_INET, out, d);
		return ret;
	}
	ret = parse_records(root, "prefixes", "ip_prefix", AF_INET, filter, &matched, seen,
			    sizeof(seen), out, d);
	if (ret < 0)
		return ret;
	ret = parse_records(root, "ipv6_prefixes", "ipv6_prefix", AF_INET6, filter, &matched, seen,
			    sizeof(seen), out, d);
	if (ret < 0)
		return ret;
	if (!matched && seen[0]) {
		diag_err(d, WHO ": no record has service \"%s\" (services include %s)", filter,
			 seen);
		return -ENOENT;
	}
	return 0;
}

static int cloudfront_parse(const struct source *src, const char *body, size_t len,
			    struct prefix_set *out, struct diag *d)
{
	const char *filter = src && src->filter ? src->filter : provider_cloudfront.default_filter;

	return json_util_parse_object(WHO, body, len, parse_root, filter, out, d);
}

const struct provider provider_cloudfront = {
	.name = "cloudfront",
	.summary = "Amazon CloudFront (AWS ip-ranges.json, service filter)",
	.urls = { "https://ip-ranges.amazonaws.com/ip-ranges.json" },
	.alt_url = "https://d7uri8nf7uskq.cloudfront.net/tools/list-cloudfront-ips",
	.floor = 20,
	.default_filter = "CLOUDFRONT_ORIGIN_FACING",
	.parse = cloudfront_parse,
};
