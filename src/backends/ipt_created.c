// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iptables-nft makes a table and a base chain the first time a rule goes into
 * them (`table ip raw` with `chain PREROUTING` for the lockdown rule), and they
 * stay after the rule is deleted. This file remembers, in the state dir, which
 * of them cdnallow's rules brought into being, and flush removes exactly those
 * once they hold nothing but cdnallow's rules: a table or chain that existed
 * before stays. iptables-legacy's tables are built in; it never comes here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_config.h"
#include "diag.h"
#include "ipt_created.h"
#include "iptables_rules.h"

#if HAVE_LIBNFTABLES
#include <nftables/libnftables.h>
#endif

#define CREATED_FILE "iptables-nft.created"
#define LINE_MAX_LEN 128

static char *created_path(const char *state_dir)
{
	char *p = NULL;

	if (!state_dir || asprintf(&p, "%s/%s", state_dir, CREATED_FILE) < 0)
		return NULL;
	return p;
}

static bool recorded(FILE *f, int fam, const char *table, const char *chain)
{
	char line[LINE_MAX_LEN], want[LINE_MAX_LEN];

	snprintf(want, sizeof(want), "%d %s %s\n", fam, table, chain);
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, want))
			return true;
	return false;
}

void ipt_created_note(const char *state_dir, int fam, const struct ipt_dump *dump,
		      const struct ipt_want *w, size_t n)
{
	char *path = created_path(state_dir);
	FILE *f = path ? fopen(path, "a+") : NULL;

	for (size_t i = 0; f && i < n; i++) {
		if (!ipt_dump_has_chain(dump, w[i].table, NULL) &&
		    !recorded(f, fam, w[i].table, "-"))
			fprintf(f, "%d %s -\n", fam, w[i].table);
		if (!ipt_dump_has_chain(dump, w[i].table, w[i].chain) &&
		    !recorded(f, fam, w[i].table, w[i].chain))
			fprintf(f, "%d %s %s\n", fam, w[i].table, w[i].chain);
	}
	if (f)
		fclose(f);
	free(path);
}

#if HAVE_LIBNFTABLES
/* One nft command; false when nftables refuses (a chain that is not empty: EBUSY). busy:
 * the listed table still holds a chain, set or map. */
static bool nft_cmd(const char *cmd, bool *busy)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	bool ok;

	if (!ctx)
		return false;
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_TERSE);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	ok = nft_run_cmd_from_buffer(ctx, cmd) == 0;
	if (ok && busy)
		*busy = strstr(nft_ctx_get_output_buffer(ctx), "chain ") ||
			strstr(nft_ctx_get_output_buffer(ctx), "set ") ||
			strstr(nft_ctx_get_output_buffer(ctx), "map ");
	nft_ctx_free(ctx);
	return ok;
}
#else
static bool nft_cmd(const char *cmd, bool *busy)
{
	(void)cmd;
	(void)busy;
	return false;
}
#endif

/* false when nftables refused: then no table of ours is deleted (deleting one is recursive) */
static bool remove_one(const struct ipt_dump *dumps, const char *line, struct diag *d)
{
	char table[32], chain[64], cmd[160];
	const struct ipt_dump *dump;
	const char *family;
	bool busy = false;
	int fam;

	if (sscanf(line, "%d %31s %63s", &fam, table, chain) != 3 || (fam != 4 && fam != 6))
		return true;
	family = fam == 4 ? "ip" : "ip6";
	dump = &dumps[fam == 6];
	if (!ipt_dump_has_chain(dump, table, NULL) ||
	    ipt_dump_admin_rules_in(dump, table, chain[0] == '-' ? NULL : chain))
		return true;
	if (!strcmp(chain, "-")) {
		/* iptables-nft-save names built-in chains that do not exist: ask nftables */
		snprintf(cmd, sizeof(cmd), "list table %s %s", family, table);
		if (!nft_cmd(cmd, &busy) || busy)
			return true;
		snprintf(cmd, sizeof(cmd), "delete table %s %s", family, table);
	} else if (ipt_dump_has_chain(dump, table, chain)) {
		snprintf(cmd, sizeof(cmd), "delete chain %s %s %s", family, table, chain);
	} else {
		return true;
	}
	if (nft_cmd(cmd, NULL))
		return true;
	diag_warn(d, "iptables-nft: could not remove what cdnallow created (%s)", cmd);
	return false;
}

void ipt_created_remove(const char *state_dir, const struct ipt_dump *dumps, struct diag *d)
{
	char *path = created_path(state_dir);
	FILE *f = path ? fopen(path, "r") : NULL;
	char line[LINE_MAX_LEN];
	bool ok = true;
	long pos;

	/* chains first, then the tables: a table goes only when every chain of ours went */
	for (int pass = 0; pass < 2 && f && ok; pass++) {
		rewind(f);
		while (fgets(line, sizeof(line), f)) {
			pos = ftell(f);
			if ((strstr(line, " -\n") != NULL) == (pass == 1))
				ok = remove_one(dumps, line, d) && ok;
			fseek(f, pos, SEEK_SET);
		}
	}
	if (f) {
		fclose(f);
		unlink(path);
	}
	free(path);
}
