// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the config parser (config_load_string): any input
 * either fails with "fuzz:LINE: ..." and -EINVAL, or yields a config whose
 * every field is within the ranges cdnallow.conf(5) promises; a second parse
 * of the same input over the result must agree. abort() on any violation.
 * Seed corpus: tests/fuzz/corpus/config/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "config.h"
#include "diag.h"
#include "fuzz.h"

static void check_error(const char *msg)
{
	const char *p = msg + 5;

	check(strncmp(msg, "fuzz:", 5) == 0);
	check(*p >= '1' && *p <= '9');
	while (*p >= '0' && *p <= '9')
		p++;
	check(strncmp(p, ": ", 2) == 0 && p[2]);
}

static void check_config(const struct config *c)
{
	check(c->backend && c->state_dir && c->state_dir[0] == '/');
	check(c->nports >= 1 && c->nports <= BACKEND_MAX_PORTS);
	for (size_t i = 0; i < c->nports; i++) {
		check(c->ports[i] != 0);
		for (size_t j = 0; j < i; j++)
			check(c->ports[i] != c->ports[j]);
	}
	for (size_t i = 0; i < c->nproviders; i++)
		check(c->providers[i] && provider_find(c->providers[i]));
	check(c->mode == MODE_ALLOW || c->mode == MODE_LOCKDOWN);
	check(c->max_shrink <= 100);
	check(c->timeout_s >= 1 && c->timeout_s <= 3600);
	check(c->retries <= 10);
	check(c->hook_timeout_s >= 1 && c->hook_timeout_s <= COMMAND_MAX_TIMEOUT_S);
	check(!c->hook_on_change || command_check(c->hook_on_change, NULL) == 0);
	check(c->max_size >= 1 && c->max_size <= (size_t)1 << 30);
	check(!c->ca_file || c->ca_file[0] == '/');
	for (size_t i = 0; i < c->noverrides; i++) {
		const struct provider_override *o = &c->overrides[i];

		check(o->name && provider_find(o->name));
		check(o->nurls <= SOURCE_MAX_URLS);
		for (size_t j = 0; j < o->nurls; j++)
			check(o->urls[j] && o->urls[j][0]);
		check(config_find_override(c, o->name) == o);
	}
	for (size_t i = 0; i < c->nsources; i++) {
		const struct source_def *s = &c->sources[i];

		check(s->name && s->name[0]);
		check(!s->url != !s->path);
		check(!s->path || s->path[0] == '/');
		check(s->format != FORMAT_JSON || s->json_path);
	}
	check(!c->nft_table == !c->nft_chain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c, again;
	struct diag d;
	int r;

	check(config_init(&c) == 0);
	check(config_init(&again) == 0);
	diag_init(&d);
	r = config_load_string(&c, (const char *)data, size, "fuzz", &d);
	if (r < 0) {
		check(r == -EINVAL || r == -ENOMEM);
		if (r == -EINVAL)
			check_error(d.msg);
		goto out;
	}
	check(r == 0 && d.msg[0] == '\0');
	check_config(&c);
	/* deterministic, and loading over an earlier result replaces rather than adds */
	check(config_load_string(&again, (const char *)data, size, "fuzz", &d) == 0);
	check(config_load_string(&again, (const char *)data, size, "fuzz", &d) == 0);
	check(again.nproviders == c.nproviders && again.nports == c.nports);
	check(again.noverrides == c.noverrides && again.nsources == c.nsources);
	check(memcmp(again.ports, c.ports, c.nports * sizeof(c.ports[0])) == 0);
	check(again.max_size == c.max_size && again.mode == c.mode);
out:
	config_release(&c);
	config_release(&again);
	diag_release(&d);
	return 0;
}
