// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The iptables backend: ipsets cdnallow4/cdnallow6 (hash:net) hold the ranges
 * and are replaced atomically by swap; a few rules tagged with the comment
 * "cdnallow" head INPUT (and raw PREROUTING in lockdown, DOCKER-USER on Docker
 * hosts) and are only rewritten when missing or out of place. Works with
 * iptables-legacy or iptables-nft, whichever holds the host's rules, always by
 * the explicit binaries. Never flushes a chain or touches a rule without the
 * exact comment "cdnallow".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend.h"
#include "diag.h"
#include "ipset.h"
#include "ipt_cache.h"
#include "ipt_created.h"
#include "iptables_rules.h"
#include "plan.h"
#include "prefix_set.h"
#include "spawn.h"
#include "strbuf.h"

#define IPT_TIMEOUT_MS 60000

enum { VAR_LEGACY = 0, VAR_NFT = 1 };

struct variant {
	const char *name;
	const char *save[2];
	const char *restore[2];
};

#define VAR_NFT 1 /* index of iptables-nft in variants[] */

static const struct variant variants[2] = {
	{ "iptables-legacy",
	  { "iptables-legacy-save", "ip6tables-legacy-save" },
	  { "iptables-legacy-restore", "ip6tables-legacy-restore" } },
	{ "iptables-nft",
	  { "iptables-nft-save", "ip6tables-nft-save" },
	  { "iptables-nft-restore", "ip6tables-nft-restore" } },
};

static const char *const set_names[2] = { IPT_SET4, IPT_SET6 };
static const int families[2] = { AF_INET, AF_INET6 };

struct ipt {
	struct backend_cfg cfg;
	int var;
	struct ipt_dump dump[2][2]; /* [variant][family] */
	bool usable[2][2];	    /* the variant's tools ran for that family */
	bool loaded;
	bool read_done;
	struct ipset_info set[2];
	/* from one header listing: the set's header block (1), absent (0), too big (-E2BIG) */
	int live[2];
	char block[2][IPT_CACHE_BLOCK_MAX];
	bool tmp_exists[2];
	bool set_dirty[2]; /* holds overlapping or foreign entries: rewrite it whole */
	bool rules_ok[2];
	bool present;	   /* any of cdnallow's sets or rules, at read() */
	bool failed_first; /* the last apply failed with nothing of ours there before it */
};

static int load_dump(int var, int fam, struct ipt_dump *dump, struct diag *d)
{
	const char *argv[] = { variants[var].save[fam], NULL };
	struct spawn_opts o = { .argv = argv, .timeout_ms = IPT_TIMEOUT_MS };
	struct spawn_result r;
	char *text;
	int ret = spawn_run_checked(&o, &r, d);

	if (ret)
		goto out;
	text = r.out;
	r.out = NULL;
	ret = ipt_dump_parse(dump, text);
out:
	spawn_result_release(&r);
	return ret;
}

/* Dumps of both variants and families; a variant or family whose tools fail is unusable. */
static int load_dumps(struct ipt *h, bool v4_only, struct diag *d)
{
	int any = 0;

	for (int v = 0; v < 2; v++) {
		for (int f = 0; f < (v4_only ? 1 : 2); f++) {
			struct diag tmp;

			ipt_dump_release(&h->dump[v][f]);
			diag_init(&tmp);
			h->usable[v][f] = load_dump(v, f, &h->dump[v][f], &tmp) == 0;
			if (h->usable[v][f])
				any++;
			else if (f == 0 && tmp.msg[0])
				diag_warn(d, "%s", tmp.msg);
			diag_release(&tmp);
		}
	}
	h->loaded = true;
	return any ? 0 : -ENOENT;
}

static size_t admin_rules(const struct ipt *h, int v)
{
	return h->dump[v][0].admin_rules + h->dump[v][1].admin_rules;
}

static bool blocks(const struct ipt *h, int v)
{
	return h->dump[v][0].input_blocks || h->dump[v][1].input_blocks;
}

/* Which variant plain `iptables` runs: the tie-breaker when neither holds rules. */
static int default_variant(void)
{
	char path[PATH_MAX], real[PATH_MAX];

	if (spawn_find_program("iptables", path, sizeof(path)) && realpath(path, real) &&
	    strstr(real, "legacy"))
		return VAR_LEGACY;
	return VAR_NFT;
}

static int choose_variant(const struct ipt *h, struct diag *d)
{
	size_t n[2] = { admin_rules(h, VAR_LEGACY), admin_rules(h, VAR_NFT) };

	if (!h->usable[VAR_LEGACY][0])
		return VAR_NFT;
	if (!h->usable[VAR_NFT][0])
		return VAR_LEGACY;
	if (n[0] && n[1]) {
		diag_warn(d,
			  "both iptables-legacy and iptables-nft hold rules: %zu and %zu; packets "
			  "traverse both, a DROP in either wins",
			  n[0], n[1]);
		/* the accept must sit where the drop is; else follow the bulk of the rules */
		if (blocks(h, VAR_LEGACY) != blocks(h, VAR_NFT))
			return blocks(h, VAR_LEGACY) ? VAR_LEGACY : VAR_NFT;
		if (n[0] != n[1])
			return n[0] > n[1] ? VAR_LEGACY : VAR_NFT;
	} else if (n[0] || n[1]) {
		return n[0] ? VAR_LEGACY : VAR_NFT;
	} else if (h->dump[VAR_LEGACY][0].ours + h->dump[VAR_LEGACY][1].ours !=
		   h->dump[VAR_NFT][0].ours + h->dump[VAR_NFT][1].ours) {
		/* only cdnallow's own rules: stay where they are */
		return h->dump[VAR_LEGACY][0].ours + h->dump[VAR_LEGACY][1].ours ? VAR_LEGACY
										 : VAR_NFT;
	}
	return default_variant();
}

static void ipt_close(void *hv)
{
	struct ipt *h = hv;

	if (!h)
		return;
	for (int v = 0; v < 2; v++)
		for (int f = 0; f < 2; f++)
			ipt_dump_release(&h->dump[v][f]);
	free(h);
}

static int ipt_detect(struct diag *d)
{
	struct ipt *h = calloc(1, sizeof(*h));
	int score = 0;

	(void)d; /* open() warns about rules in both variants; once is enough */
	if (!h)
		return -ENOMEM;
	if (load_dumps(h, true, NULL) == 0) {
		bool managed = h->dump[0][0].managed || h->dump[1][0].managed;

		/* ufw and firewalld build on iptables but own it: their backends score higher */
		if (!managed && (admin_rules(h, VAR_LEGACY) || admin_rules(h, VAR_NFT)))
			score = 10;
	}
	ipt_close(h);
	return score;
}

static int ipt_open(const struct backend_cfg *cfg, void **handle, struct diag *d)
{
	struct ipt_want w[IPT_WANT_MAX];
	struct ipt *h = NULL;
	char path[PATH_MAX];
	int ret;

	*handle = NULL;
	if (ipt_want_build(cfg, AF_INET, true, w) < 0) {
		diag_err(d, "the iptables backend needs 1 to 15 ports, not %zu", cfg->nports);
		return -EINVAL;
	}
	if (!spawn_find_program("ipset", path, sizeof(path))) {
		diag_err(d, "ipset is not installed");
		return -ENOENT;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cfg = *cfg;
	ret = load_dumps(h, false, d);
	if (ret) {
		diag_err(d, "neither iptables-legacy-save nor iptables-nft-save works");
		goto out;
	}
	h->var = choose_variant(h, d);
	*handle = h;
	h = NULL;
out:
	ipt_close(h);
	return ret;
}

/* The headers of both sets and their temporaries from one listing (text, owned). */
static void take_sets(struct ipt *h, char *text)
{
	char tmpname[IPSET_NAME_MAX + 8], buf[IPT_CACHE_BLOCK_MAX];

	for (int f = 0; f < 2; f++) {
		snprintf(tmpname, sizeof(tmpname), "%s%s", set_names[f], IPSET_TMP_SUFFIX);
		h->live[f] =
			ipset_header_block(text, set_names[f], h->block[f], sizeof(h->block[f]));
		h->tmp_exists[f] = ipset_header_block(text, tmpname, buf, sizeof(buf)) != 0;
	}
	free(text);
}

static int list_sets(struct ipt *h, struct diag *d)
{
	char *text = NULL;
	int ret = ipset_list_headers(&text, d);

	if (!ret)
		take_sets(h, text);
	return ret;
}

static const char *live_block(const struct ipt *h, int f)
{
	return h->live[f] == 1 ? h->block[f] : NULL;
}

/* A set whose header is as recorded after the last apply: its content came from the record. */
static void info_from_block(struct ipt *h, int f)
{
	char copy[IPT_CACHE_BLOCK_MAX];

	memset(&h->set[f], 0, sizeof(h->set[f]));
	h->set[f].plain = true;
	snprintf(copy, sizeof(copy), "%s", h->block[f]);
	ipset_parse_list_header(copy, families[f], &h->set[f]);
	h->set_dirty[f] = false;
}

static int read_family(struct ipt *h, int f, bool cached, struct prefix_set *out, struct diag *d)
{
	struct prefix_set *tmp;
	size_t raw;
	int ret;

	if (cached) {
		info_from_block(h, f);
		return 0;
	}
	if (h->live[f] == 0) {
		memset(&h->set[f], 0, sizeof(h->set[f]));
		h->set[f].plain = true;
		h->set_dirty[f] = false;
		return 0;
	}
	tmp = prefix_set_new();
	if (!tmp)
		return -ENOMEM;
	ret = ipset_read(set_names[f], families[f], tmp, &h->set[f], d);
	if (ret)
		goto out;
	raw = tmp->n;
	ret = prefix_set_aggregate(tmp);
	if (ret)
		goto out;
	h->set_dirty[f] = tmp->n != raw;
	ret = prefix_set_extend(out, tmp);
out:
	prefix_set_free(tmp);
	return ret;
}

static bool rules_in_place(const struct ipt *h, int f)
{
	const struct ipt_dump *dump = &h->dump[h->var][f];
	struct ipt_want w[IPT_WANT_MAX];
	int n = ipt_want_build(&h->cfg, families[f], dump->docker_user, w);

	return n >= 0 && ipt_dump_matches(dump, w, (size_t)n) && h->dump[!h->var][f].ours == 0;
}

static int ipt_read(void *hv, struct backend_state *st, struct diag *d)
{
	struct ipt *h = hv;
	bool present = false, complete = true, cached[2] = { false, false };
	const char *live[2];
	int ret = 0;

	if (!h->loaded) {
		ret = load_dumps(h, false, d);
		if (ret)
			return ret;
	}
	ret = list_sets(h, d);
	if (ret)
		return ret;
	live[0] = live_block(h, 0);
	live[1] = live_block(h, 1);
	st->applied_sum = 0;
	if (live[0] || live[1])
		ipt_cache_load(h->cfg.state_dir, live, cached, st->set, &st->applied_sum);
	for (int f = 0; f < 2; f++) {
		ret = read_family(h, f, cached[f], st->set, d);
		if (ret)
			return ret;
		h->rules_ok[f] = h->usable[h->var][f] && rules_in_place(h, f);
		present |= h->set[f].exists || h->dump[0][f].ours || h->dump[1][f].ours;
		complete &= h->set[f].compatible && h->set[f].plain && !h->set_dirty[f] &&
			    h->rules_ok[f];
	}
	ret = prefix_set_aggregate(st->set);
	if (ret)
		return ret;
	st->present = h->present = present;
	st->complete = complete;
	if (h->cfg.mode == MODE_SETS)
		snprintf(st->where, sizeof(st->where), "ipsets %s, %s, no rule (%s)", IPT_SET4,
			 IPT_SET6, variants[h->var].name);
	else
		snprintf(st->where, sizeof(st->where), "ipsets %s, %s + INPUT rules%s%s (%s)",
			 IPT_SET4, IPT_SET6,
			 h->cfg.mode == MODE_LOCKDOWN ? " + raw PREROUTING" : "",
			 h->dump[h->var][0].docker_user ? " + DOCKER-USER" : "",
			 variants[h->var].name);
	h->read_done = true;
	return 0;
}

static int run_restore(int var, int f, const struct strbuf *t, struct diag *d)
{
	const char *argv[] = { variants[var].restore[f], "-w", "10", "--noflush", NULL };
	struct spawn_opts o = {
		.argv = argv, .in = t->buf, .in_len = t->len, .timeout_ms = IPT_TIMEOUT_MS
	};
	struct spawn_result r;
	int ret;

	if (t->err)
		return t->err;
	if (!t->len)
		return 0;
	ret = spawn_run_checked(&o, &r, d);
	spawn_result_release(&r);
	return ret;
}

/* Deletes every cdnallow rule of family f (want = NULL) or makes them exactly want. */
static int rewrite_rules(struct ipt *h, int var, int f, const struct ipt_want *w, size_t n,
			 struct diag *d)
{
	struct strbuf t = { 0 };
	int ret;

	if (!w && !h->dump[var][f].ours)
		return 0;
	ipt_script_build(&t, &h->dump[var][f], w, n);
	ret = run_restore(var, f, &t, d);
	strbuf_release(&t);
	return ret;
}

static int remove_rules_everywhere(struct ipt *h, int f, struct diag *d)
{
	int ret = 0;

	for (int v = 0; v < 2 && !ret; v++)
		if (h->usable[v][f])
			ret = rewrite_rules(h, v, f, NULL, 0, d);
	return ret;
}

static int install_rules(struct ipt *h, int f, struct diag *d)
{
	struct ipt_want w[IPT_WANT_MAX];
	int n = ipt_want_build(&h->cfg, families[f], h->dump[h->var][f].docker_user, w);
	int ret;

	if (n < 0)
		return n;
	if (n == 0)
		return remove_rules_everywhere(h, f, d);
	if (!h->usable[h->var][f]) {
		diag_err(d, "%s does not work for %s", variants[h->var].restore[f],
			 f ? "IPv6" : "IPv4");
		return -ENOTSUP;
	}
	if (h->var == VAR_NFT)
		ipt_created_note(h->cfg.state_dir, f ? 6 : 4, &h->dump[h->var][f], w, (size_t)n);
	ret = rewrite_rules(h, h->var, f, w, (size_t)n, d);
	/* rules a switch of variant left behind would keep matching in the other stack */
	if (!ret && h->usable[!h->var][f])
		ret = rewrite_rules(h, !h->var, f, NULL, 0, d);
	return ret;
}

static bool family_changes(const struct plan *p, int f)
{
	return prefix_set_count(p->add, families[f]) || prefix_set_count(p->del, families[f]);
}

static int ipt_flush(void *hv, struct diag *d);

/*
 * backend_ops.undo_new: a first sync that failed half-way (a set made, a rule
 * refused) takes out what it made: nothing of cdnallow's was there before it,
 * so that is everything flush removes.
 */
static int ipt_undo_new(void *hv, struct diag *d)
{
	struct ipt *h = hv;
	int ret;

	if (!h->failed_first)
		return 0;
	h->failed_first = false;
	ret = ipt_flush(h, d);
	return ret < 0 ? ret : 1;
}

/*
 * What the sets hold and how their headers look now, so the next read() need
 * not read them back; headers (owned): the listing ipset_replace read right
 * after its swaps, NULL when it ran none (or that read failed).
 */
static void record_sets(struct ipt *h, const struct plan *p, char *headers)
{
	struct diag tmp;
	const char *live[2];
	int ret = 0;

	diag_init(&tmp);
	if (headers)
		take_sets(h, headers);
	else
		ret = list_sets(h, &tmp);
	if (ret == 0) {
		live[0] = live_block(h, 0);
		live[1] = live_block(h, 1);
		ipt_cache_save(h->cfg.state_dir, live, p->want, p->want_sum);
	}
	diag_release(&tmp);
}

static int ipt_apply(void *hv, const struct plan *p, struct diag *d)
{
	struct ipt *h = hv;
	struct ipset_job jobs[2];
	bool rules_gone[2] = { false, false };
	char *headers = NULL;
	size_t njobs = 0;
	int ret = 0;

	if (!h->read_done) {
		struct backend_state st = { .set = prefix_set_new() };

		ret = st.set ? ipt_read(h, &st, d) : -ENOMEM;
		prefix_set_free(st.set);
		if (ret)
			return ret;
	}
	/* from here the sets may differ from the record */
	ipt_cache_drop(h->cfg.state_dir);
	for (int f = 0; f < 2 && !ret; f++) {
		const struct ipset_info *si = &h->set[f];

		/* swap cannot replace a set of another type: unhook it, destroy, start over */
		if (si->exists && !si->compatible) {
			ret = remove_rules_everywhere(h, f, d);
			if (!ret)
				ret = ipset_destroy(set_names[f], d);
			rules_gone[f] = true;
		}
		if (!si->exists || !si->compatible || !si->plain || h->set_dirty[f] ||
		    family_changes(p, f))
			jobs[njobs++] = (struct ipset_job){ .name = set_names[f],
							    .family = families[f],
							    .want = p->want,
							    .known = true,
							    .live = *si,
							    .tmp_exists = h->tmp_exists[f] };
		if (rules_gone[f]) /* destroyed above */
			jobs[njobs - 1].live.exists = false;
	}
	if (!ret && njobs)
		ret = ipset_replace(jobs, njobs, &headers, d);
	for (int f = 0; f < 2 && !ret; f++) {
		if (!rules_gone[f] && h->rules_ok[f])
			continue;
		ret = install_rules(h, f, d);
		/* a rule put in or taken out moves its set's References: list again */
		free(headers);
		headers = NULL;
	}
	if (!ret)
		record_sets(h, p, headers);
	else
		free(headers);
	/* what was read no longer describes the kernel */
	h->read_done = false;
	h->loaded = false;
	h->failed_first = ret && !h->present;
	return ret;
}

static int ipt_flush(void *hv, struct diag *d)
{
	struct ipt *h = hv;
	int ret = 0;

	if (!h->loaded)
		ret = load_dumps(h, false, d);
	for (int f = 0; f < 2 && !ret; f++)
		ret = remove_rules_everywhere(h, f, d);
	if (!ret && (h->usable[VAR_NFT][0] || h->usable[VAR_NFT][1]))
		ipt_created_remove(h->cfg.state_dir, h->dump[VAR_NFT], d);
	ipt_cache_drop(h->cfg.state_dir);
	for (int f = 0; f < 2 && !ret; f++)
		ret = ipset_destroy(set_names[f], d);
	h->read_done = false;
	h->loaded = false;
	return ret;
}

static int ipt_audit(void *hv, struct diag *d)
{
	struct ipt *h = hv;
	int ret = 0;

	if (!h->loaded)
		ret = load_dumps(h, false, d);
	if (ret)
		return ret;
	for (int f = 0; f < 2; f++) {
		const char *fam = f ? "IPv6" : "IPv4";

		if (h->cfg.mode == MODE_ALLOW && h->usable[h->var][f] &&
		    !h->dump[h->var][f].input_blocks)
			diag_warn(d,
				  "%s %s INPUT drops nothing: allow mode opens ports that are "
				  "already open; --mode lockdown closes them to others",
				  variants[h->var].name, fam);
		if (h->cfg.mode != MODE_SETS && h->usable[!h->var][f] &&
		    h->dump[!h->var][f].input_blocks)
			diag_warn(d,
				  "%s %s INPUT drops too and cdnallow's accept is in %s: a DROP in "
				  "either wins",
				  variants[!h->var].name, fam, variants[h->var].name);
	}
	return 0;
}

/* `iptables-save -c` of the variant in use, per family: INPUT/DOCKER-USER accepts, raw drops. */
static int ipt_counters(void *hv, struct backend_counters *c, struct diag *d)
{
	struct ipt *h = hv;
	int ret = 0;

	backend_counters_unknown(c);
	for (int f = 0; f < 2 && !ret; f++) {
		const char *argv[] = { variants[h->var].save[f], "-c", NULL };
		struct spawn_opts o = { .argv = argv, .timeout_ms = IPT_TIMEOUT_MS };
		struct spawn_result r;

		if (!h->usable[h->var][f])
			continue;
		ret = spawn_run_checked(&o, &r, d);
		if (!ret)
			ipt_counters_parse(r.out, &c->accepted[f], &c->dropped[f]);
		spawn_result_release(&r);
	}
	return ret;
}

const struct backend_ops backend_iptables = {
	.name = "iptables",
	.summary = "ipsets cdnallow4/cdnallow6 + INPUT rules (iptables-nft or iptables-legacy)",
	.sets = "ipsets cdnallow4/cdnallow6",
	.detect = ipt_detect,
	.open = ipt_open,
	.read = ipt_read,
	.apply = ipt_apply,
	.undo_new = ipt_undo_new,
	.flush = ipt_flush,
	.audit = ipt_audit,
	.counters = ipt_counters,
	.close = ipt_close,
};
