// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the iptables-save parser of the iptables backend
 * (ipt_dump_parse) and what runs on its result: the wanted-rule comparison and
 * the iptables-restore script builder. The input is copied into a
 * NUL-terminated buffer the parser owns. Checks the counters and chain
 * positions the backend relies on; runs nothing.
 * Seeds: tests/fuzz/corpus/ipt_dump/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/backends/iptables_rules.h"
#include "strbuf.h"
#include "fuzz.h"

static void check_dump(const struct ipt_dump *dump)
{
	size_t ours = 0;

	for (size_t i = 0; i < dump->n; i++) {
		const struct ipt_rule *r = &dump->rules[i], *prev = i ? r - 1 : NULL;

		check(r->table && r->chain && r->spec);
		if (prev && prev->table == r->table && !strcmp(prev->chain, r->chain))
			check(r->pos == prev->pos + 1);
		else
			check(r->pos == 1);
		ours += r->ours;
	}
	check(ours == dump->ours);
	check(dump->admin_rules >= dump->n - dump->ours);
}

static void exercise(const struct ipt_dump *dump, int family, const struct backend_cfg *cfg)
{
	struct ipt_want w[IPT_WANT_MAX];
	struct strbuf t = { 0 };
	int n = ipt_want_build(cfg, family, dump->docker_user, w);

	check(n > 0 && n <= IPT_WANT_MAX);
	(void)ipt_dump_matches(dump, w, (size_t)n);
	ipt_script_build(&t, dump, w, (size_t)n);
	check(t.err == 0 || t.err == -ENOMEM);
	strbuf_release(&t);
	ipt_script_build(&t, dump, w, 0);
	/* delete only: nothing to do exactly when none of ours exists */
	check(t.err || (t.len == 0) == (dump->ours == 0));
	strbuf_release(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backend_cfg cfg = { .mode = MODE_ALLOW, .ports = { 80, 443 }, .nports = 2 };
	struct ipt_dump dump;
	char *text = malloc(size + 1);
	int ret;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	{
		int64_t acc = -1, drop = -1;

		ipt_counters_parse(text, &acc, &drop);
		check(acc >= -1 && drop >= -1);
	}
	ret = ipt_dump_parse(&dump, text); /* owns text from here */
	check(ret == 0 || ret == -ENOMEM);
	if (ret == 0) {
		check_dump(&dump);
		exercise(&dump, AF_INET, &cfg);
		cfg.mode = MODE_LOCKDOWN;
		exercise(&dump, AF_INET6, &cfg);
	}
	ipt_dump_release(&dump);
	return 0;
}
