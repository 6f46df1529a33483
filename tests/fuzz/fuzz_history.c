// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the readers of the change-event files in the state
 * dir: history_parse (history.jsonl, what `cdnallow history` reads),
 * history_unpack_sources (sources.rec) and history_parse_sources (the
 * sources.json it migrates from). Never a crash or a leak; every event
 * accepted renders again and parses back to the same document (the --json
 * output is that rendering), byte for byte what the jansson tree of the
 * renderer before change_render.c gave; a sources.rec accepted packs back to the same
 * bytes; a refused record leaves nothing behind.
 * Seed corpus: tests/fuzz/corpus/history/.
 */
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

static void check_packs_back(const struct source_records *r, const uint8_t *data, size_t size)
{
	char *img = NULL;
	size_t len = 0;

	check(history_pack_sources(r, &img, &len) == 0);
	check(len == size && memcmp(img, data, size) == 0);
	free(img);
}

static void check_unpack(const uint8_t *data, size_t size)
{
	struct source_records r = { 0 };
	struct diag d;

	diag_init(&d);
	if (history_unpack_sources(data, size, &r, &d) == 0)
		check_packs_back(&r, data, size);
	else
		check(r.n == 0 && d.msg[0]);
	history_sources_release(&r);
	diag_release(&d);
}

/* The same input with a header that matches its payload: the records' reader past the checksum. */
static void check_unpack_sealed(const uint8_t *data, size_t size)
{
	uint8_t *img;
	uint64_t n, h;

	if (size < 28)
		return;
	img = malloc(size);
	check(img != NULL);
	memcpy(img, data, size);
	n = size - 28;
	h = fnv1a64(img + 28, n);
	for (int i = 0; i < 8; i++) {
		img[8 + i] = (uint8_t)(n >> (8 * i));
		img[16 + i] = (uint8_t)(h >> (8 * i));
	}
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
