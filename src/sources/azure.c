// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Azure Front Door: Microsoft's weekly ServiceTags_Public_*.json download
 * (no stable URL, so the admin sets `path = …`). Takes values[] whose "name"
 * equals the filter (default AzureFrontDoor.Backend, the addresses Front
 * Door connects to origins from) and its properties.addressPrefixes, IPv4
 * and IPv6 mixed. Never takes a tag other than the one asked for.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "json_util.h"
#include "providers.h"

#define WHO "azure-frontdoor"

static int add_tag(const json_t *val, size_t i, struct prefix_set *out, struct diag *d)
{
	const json_t *props, *arr;
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "values[%zu].properties", i);
	ret = json_util_get(WHO, path, val, "properties", JSON_OBJECT, &props, d);
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "values[%zu].properties.addressPrefixes", i);
	ret = json_util_get(WHO, path, props, "addressPrefixes", JSON_ARRAY, &arr, d);
	if (ret < 0)
		return ret;
	return json_util_add_array(WHO, path, arr, 0, out, d);
}

static int parse_root(const json_t *root, const void *ctx, struct prefix_set *out, struct diag *d)
{
	const char *filter = ctx;
	const json_t *values, *val, *name;
	size_t i, matched = 0;
	int ret;

	ret = json_util_get(WHO, "values", root, "values", JSON_ARRAY, &values, d);
	if (ret < 0)
		return ret;
	json_array_foreach (values, i, val) {
		ret = json_util_elem_string(WHO, "values", i, val, "name", &name, d);
		if (ret < 0)
			return ret;
		if (strcmp(json_string_value(name), filter))
			continue;
		ret = add_tag(val, i, out, d);
		if (ret < 0)
			return ret;
		matched++;
	}
	if (!matched && json_array_size(values)) {
		diag_err(d, WHO ": no service tag named \"%s\"", filter);
		return -ENOENT;
	}
	return 0;
}

static int azure_parse(const struct source *src, const char *body, size_t len,
		       struct prefix_set *out, struct diag *d)
{
	const char *filter =
		src && src->filter ? src->filter : provider_azure_frontdoor.default_filter;

	return json_util_parse_object(WHO, body, len, parse_root, filter, out, d);
}

const struct provider provider_azure_frontdoor = {
	.name = "azure-frontdoor",
	.summary = "Azure Front Door backends (ServiceTags_Public JSON, Microsoft download 56519; "
		   "set path =)",
	.urls = { NULL },
	.floor = 20,
	.default_filter = "AzureFrontDoor.Backend",
	.parse = azure_parse,
};
