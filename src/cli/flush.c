// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow flush: remove every object cdnallow installed (in the backend the
 * last sync used, and the lockdown table), nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "msg.h"

static int flush_lockdown_table(struct engine *e, struct diag *d)
{
	const struct backend_ops *nft = backend_find("nftables");
	struct backend_cfg cfg = e->bcfg;
	void *h = NULL;
	int ret;

	if (!nft || !strcmp(e->be->name, "nftables"))
		return 0;
	cfg.lockdown_only = true;
	cfg.nft_table = NULL;
	cfg.nft_chain = NULL;
	ret = nft->open(&cfg, &h, d);
	if (ret < 0)
		return ret;
	ret = nft->flush(h, d);
	nft->close(h);
	return ret;
}

int cmd_flush(int argc, char **argv)
{
	struct cli_opts o;
	struct engine e;
	struct diag d;
	int ret;

	ret = cli_parse(argc, argv, &o);
	if (ret != CLI_CONTINUE)
		return ret;
	diag_init(&d);
	ret = EXIT_ERROR;
	if (engine_init(&e, &o) < 0)
		goto out;
	if (engine_lock(&e) < 0 || engine_open_backend(&e, true) < 0)
		goto out;
	if (e.be->flush(e.bh, &d) < 0) {
		diag_prefix(&d, "%s: flush: ", e.be->name);
		goto out;
	}
	if (flush_lockdown_table(&e, &d) < 0) {
		diag_prefix(&d, "nftables lockdown table: flush: ");
		goto out;
	}
	if (o.verbosity >= 0)
		printf("removed cdnallow's objects from %s\n", e.be->name);
	ret = EXIT_OK;
out:
	engine_report(&e, &d, NULL);
	diag_release(&d);
	engine_release(&e);
	return ret;
}
