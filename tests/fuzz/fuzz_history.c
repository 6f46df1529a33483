// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the readers of the change-event files in the state
 * dir: history_parse (history.jsonl, what `cdnallow history` reads),
 * history_unpack_sources (sources.rec) and history_parse_sources (the
 * sources.json it migrates from). Never a crash or a leak; every event
 * accepted renders again and parses back to the same document (the --json
 * output is that rendering), byte for byte what the jansson tree of the
 * renderer before change_render.c gave; a version 3 sources.rec accepted packs back to the
 * same bytes (its references to applied.rec resolve against a fixed set); a refused record
 * leaves nothing behind; version 2 images are read too (the upgrade).
 * Seed corpus: tests/fuzz/corpus/history/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "../unit/change_json_ref.h"
#include "hash.h"
#include "diag.h"
#include "fuzz.h"
#include "history.h"
#include "prefix_pack.h"
#include "prefix_set.h"

static void check_event(const struct change *c)
{
	struct change back;
	char *doc = NULL, *again = NULL, *ref = NULL;

	check(change_render(c, &doc) == 0);
	check(ref_change_render(c, &ref) == 0 && strcmp(doc, ref) == 0);
	free(ref);
	check(change_init(&back) == 0);
	check(change_parse(doc, strlen(doc), &back, NULL) == 0);
	check(change_render(&back, &again) == 0);
	check(strcmp(doc, again) == 0);
	free(doc);
	free(again);
	change_release(&back);
}

/* The applied set a version 3 record may refer to (the loader's applied.rec). */
static struct prefix_set *applied_set(void)
{
	static struct prefix_set *s;
	static const char text[] = "192.0.2.0/24\n2001:db8::/32\n";

	if (!s) {
		s = prefix_set_new();
		check(s && prefix_set_parse_text(s, text, sizeof(text) - 1, "fuzz", NULL) == 0);
		check(prefix_set_aggregate(s) == 0);
	}
	return s;
}

/*
 * A version 3 image packs back to the same bytes when its header names an
 * applied set exactly when a record refers to it, and no record holds a
 * copy of that set (the writer would have made it a reference).
 */
static void check_packs_back(const struct source_records *r, const uint8_t *data, size_t size,
			     uint64_t sum)
{
	bool refs = false, copy = false;
	char *img = NULL;
	size_t len = 0;

	for (size_t i = 0; i < r->n; i++) {
		refs = refs || r->v[i].borrowed;
		copy = copy || (!r->v[i].borrowed && prefix_set_equal(r->v[i].set, applied_set()));
	}
	if (size < 8 || memcmp(data, "CDNASRC3", 8) || refs != (sum != 0) || copy)
		return;
	check(history_pack_sources(r, applied_set(), sum, &img, &len) == 0);
	check(len == size && memcmp(img, data, size) == 0);
	free(img);
}

static void check_unpack(const uint8_t *data, size_t size)
{
	struct source_records r = { 0 };
	uint64_t sum = history_sources_ref(data, size);
	struct diag d;

	diag_init(&d);
	if (history_unpack_sources(data, size, sum ? applied_set() : NULL, &r, &d) == 0)
		check_packs_back(&r, data, size, sum);
	else
		check(r.n == 0 && d.msg[0]);
	history_sources_release(&r);
	diag_release(&d);
}

/*
 * The same input with a header that matches its payload: the records' reader
 * past the checksum. Version 2 when it says so, else version 3.
 */
static void check_unpack_sealed(const uint8_t *data, size_t size)
{
	bool v2 = size >= 8 && !memcmp(data, "CDNASRC2", 8);
	size_t hlen = v2 ? 28 : 36;
	uint8_t *img;
	uint64_t n, h;

	if (size < hlen)
		return;
	img = malloc(size);
	check(img != NULL);
	memcpy(img, data, size);
	if (!v2)
		memcpy(img, "CDNASRC3", 8);
	n = size - hlen;
	pack_put_le(img + 8, n, 8);
	h = v2 ? fnv1a64(img + 28, n) : checksum64(img + 24, size - 24);
	pack_put_le(img + 16, h, 8);
	check_unpack(img, size);
	free(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct history h = { 0 };
	struct source_records r = { 0 };
	struct diag d;

	diag_init(&d);
	check(history_parse((const char *)data, size, "fuzz", &h, &d) == 0);
	for (size_t i = 0; i < h.n; i++)
		check_event(&h.v[i]);
	history_release(&h);
	diag_release(&d);
	diag_init(&d);
	if (history_parse_sources((const char *)data, size, &r, &d) != 0)
		check(r.n == 0 && d.msg[0]);
	history_sources_release(&r);
	diag_release(&d);
	check_unpack(data, size);
	check_unpack_sealed(data, size);
	return 0;
}
