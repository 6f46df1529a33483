// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for every source parser: the first input byte picks a
 * built-in provider (registry order) or a generic mode with one of a few
 * json_paths, the rest is the body. Checks that a parser either fails with a
 * message or succeeds without one, and that what it adds is a valid prefix.
 * Seeds: tests/fuzz/corpus/json. With N providers and 5 generic modes, pick =
 * byte % (N + 5), variant = byte / (N + 5): pick < N is provider_registry[pick],
 * then generic auto, auto + paths[variant], text, json_path paths[variant],
 * cdnallow. Appending a provider shifts the generic seeds' first byte (their
 * names say the intended mode and path; re-encode them). The body is also fed
 * to source_stream.c in 1..32-byte chunks (sizes from the body itself), which
 * must give the same result, prefixes, message and warnings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "prefix_set.h"
#include "source.h"
#include "source_stream.h"
#include "fuzz.h"

enum generic_mode {
	GEN_AUTO,
	GEN_AUTO_PATH,
	GEN_TEXT,
	GEN_JSON_PATH,
	GEN_CDNALLOW,
	GEN_MODES,
};

static const char *const paths[] = {
	"[]",
	"a",
	"a[]",
	"a[][]",
	"data.ranges[]",
	"prefixes[].ip_prefix",
	"prefixes[].ipv4Prefix",
	"values[].properties.addressPrefixes",
};

static size_t registry_size(void)
{
	size_t n = 0;

	while (provider_registry[n])
		n++;
	return n;
}

static int setup(struct source *src, uint8_t sel)
{
	size_t nprov = registry_size(), nchoices = nprov + GEN_MODES;
	size_t pick = sel % nchoices, variant = sel / nchoices;
	int ret;

	if (pick < nprov) {
		ret = source_init_provider(src, provider_registry[pick]);
		if (ret == 0 && (variant & 1) && src->filter) {
			/* the other documented selector of each filtered provider */
			free(src->filter);
			src->filter = strdup(strcmp(src->prov->name, "cloudfront") ? "AzureCloud"
										   : "CLOUDFRONT");
		}
		return ret;
	}
	ret = source_init_generic(src, "fuzz", "/dev/null");
	if (ret < 0)
		return ret;
	switch ((enum generic_mode)(pick - nprov)) {
	case GEN_AUTO:
		break;
	case GEN_AUTO_PATH:
	case GEN_JSON_PATH:
		src->format = pick - nprov == GEN_JSON_PATH ? FORMAT_JSON : FORMAT_AUTO;
		src->json_path = strdup(paths[variant % (sizeof(paths) / sizeof(paths[0]))]);
		if (!src->json_path)
			return -1;
		break;
	case GEN_TEXT:
		src->format = FORMAT_TEXT;
		break;
	case GEN_CDNALLOW:
	case GEN_MODES:
		src->format = FORMAT_CDNALLOW;
		break;
	}
	return 0;
}

/* The chunked parse of body against the whole one's outcome (ret, set, d). */
static void check_chunked(const struct source *src, const uint8_t *body, size_t size, int ret,
			  const struct prefix_set *set, const struct diag *d)
{
	struct prefix_set *c = prefix_set_new();
	struct source_stream *ss = NULL;
	size_t off = 0, k = 0;
	struct diag cd;
	int r = 0;

	diag_init(&cd);
	check(c);
	ss = source_stream_new(src, 0, c, c, &cd);
	check(ss);
	if (size & 1)
		source_stream_expect(ss, size);
	while (off < size && r == 0) {
		size_t n = 1 + (size_t)(body[k++ % size] % 32);

		n = n < size - off ? n : size - off;
		r = source_stream_feed(ss, (const char *)body + off, n);
		off += n;
	}
	if (r == 0)
		r = source_stream_finish(ss);
	fuzz_check_same(r, &cd, c, ret, d, set);
	source_stream_free(ss);
	prefix_set_free(c);
	diag_release(&cd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prefix_set *set = NULL;
	struct source src = { 0 };
	struct diag d;
	int ret;

	if (size < 1)
		return 0;
	diag_init(&d);
	set = prefix_set_new();
	if (!set || setup(&src, data[0]) < 0)
		goto out;
	ret = source_parse(&src, (const char *)data + 1, size - 1, set, &d);
	if ((ret < 0) != (d.msg[0] != '\0'))
		abort(); /* every failure explains itself; no success carries an error */
	check_chunked(&src, data + 1, size - 1, ret, set, &d);
	if (ret == 0) {
		for (size_t i = 0; i < set->n; i++) {
			const struct prefix *p = &set->v[i];

			if ((p->family != AF_INET && p->family != AF_INET6) ||
			    p->len > prefix_width(p))
				abort();
		}
		if (prefix_set_aggregate(set) < 0)
			abort();
	}
out:
	source_release(&src);
	prefix_set_free(set);
	diag_release(&d);
	return 0;
}
