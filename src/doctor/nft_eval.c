// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small evaluator of the kernel's nftables ruleset (`nft -j list ruleset`)
 * for one probe packet: a new TCP connection from a CDN address to a web port.
 * It walks every filter base chain at prerouting and input, as the kernel does
 * (a drop in any of them wins), following jumps, gotos and verdict maps. A rule
 * it cannot decide (nft_match.c says MAYBE) forks the walk: both the rule's
 * verdict and the next rule stay possible, so a drop every path reaches is
 * still certain and only a verdict that truly hangs on the unknown is
 * "uncertain": doctor must not raise false alarms, nor miss a drop.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "doctor.h"
#include "nft_match.h"
#include "prefix.h"

#define MAX_DEPTH 16
/* chain walks per base chain: jumps may fan out (3 jumps a chain, 16 deep: 3^16 walks) */
#define MAX_WALKS 4096

/* Where a walk may end: each bit a possible outcome (several when a rule is undecidable). */
#define R_ACCEPT 1u
#define R_DROP 2u
#define R_RET 4u /* back to the caller, or to the base chain's policy */

struct walk {
	struct nft_ev e;
	const char *text; /* `nft -a list ruleset`, to quote rules; may be NULL */
	unsigned walks;
	char drop_why[512], unsure_why[512];
};

static bool str_is(json_t *j, const char *s)
{
	return json_is_string(j) && !strcmp(json_string_value(j), s);
}

/* The rule as `nft list ruleset` prints it (found by its handle), else its JSON. */
static void quote_rule(struct walk *w, json_t *rule, char *buf, size_t size)
{
	long long handle = json_integer_value(json_object_get(rule, "handle"));
	char *json;

	if (nft_rule_text(w->text, w->e.family, w->e.table,
			  json_string_value(json_object_get(rule, "chain")), handle, buf,
			  size) == 0)
		return;
	json = json_dumps(json_object_get(rule, "expr"), JSON_COMPACT);
	snprintf(buf, size, "handle %lld %s", handle, json ? json : "");
	free(json);
}

static void note(struct walk *w, char *dst, json_t *rule, const char *what)
{
	char text[400];

	if (dst[0])
		return;
	quote_rule(w, rule, text, sizeof(text));
	snprintf(dst, sizeof(w->drop_why), "chain %s rule `%s`%s%s",
		 json_string_value(json_object_get(rule, "chain")) ?: "?", text, what ? " " : "",
		 what ? what : "");
}

static unsigned eval_chain(struct walk *w, const char *chain, int depth);

/* The outcome of one verdict; *fall: the walk may go on with the next rule. */
static unsigned verdict(struct walk *w, json_t *st, int depth, bool *fall)
{
	json_t *jump = json_object_get(st, "jump"), *go = json_object_get(st, "goto");
	unsigned r;

	*fall = false;
	if (json_object_get(st, "accept"))
		return R_ACCEPT;
	if (json_object_get(st, "drop") || json_object_get(st, "reject"))
		return R_DROP;
	if (json_object_get(st, "return"))
		return R_RET;
	if (json_object_get(st, "queue"))
		return R_ACCEPT | R_DROP; /* a userspace program decides */
	if (!jump && !go) {
		*fall = true; /* continue */
		return 0;
	}
	r = eval_chain(w, json_string_value(json_object_get(jump ? jump : go, "target")),
		       depth + 1);
	if (go)
		return r;
	*fall = r & R_RET;
	return r & ~R_RET;
}

/* A verdict map: the verdict of the element holding the probe's key. */
static unsigned vmap(struct walk *w, json_t *st, int depth, bool *fall, enum tri *sure)
{
	json_t *elems = NULL, *el, *x = json_object_get(st, "vmap");
	struct nft_key k;
	enum tri t = nft_key_of(&w->e, json_object_get(x, "key"), &k);
	unsigned r = 0;
	bool f;
	size_t i;

	*fall = true;
	*sure = YES;
	if (t == NO)
		return 0;
	if (t == MAYBE || nft_right_elems(&w->e, json_object_get(x, "data"), &elems) < 0) {
		*sure = MAYBE;
		return R_ACCEPT | R_DROP | R_RET;
	}
	json_array_foreach (elems, i, el) {
		t = nft_key_elem(&w->e, &k, json_array_get(el, 0));
		if (t == NO)
			continue;
		r |= verdict(w, json_array_get(el, 1), depth, &f);
		if (t == YES && *sure == YES) {
			*fall = f;
			return r;
		}
		*fall |= f;
		*sure = MAYBE;
		w->e.unknown = "a verdict map key";
	}
	return r;
}

static bool is_verdict(json_t *st)
{
	static const char *const v[] = { "accept", "drop",  "reject",	"return", "jump",
					 "goto",   "queue", "continue", "vmap" };
	json_t *x = json_object_get(st, "xt");

	if (x && str_is(json_object_get(x, "type"), "target") &&
	    str_is(json_object_get(x, "name"), "REJECT"))
		return true; /* iptables-nft's REJECT */
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (json_object_get(st, v[i]))
			return true;
	}
	return false;
}

/* Statements that make a rule's match depend on more than the packet. */
static enum tri other_stmt(struct walk *w, json_t *st)
{
	json_t *x = json_object_get(st, "xt");

	if (x && str_is(json_object_get(x, "name"), "comment"))
		return YES;
	if (x && str_is(json_object_get(x, "type"), "match")) {
		w->e.unknown = "an iptables (xt) match";
		return MAYBE;
	}
	if (json_object_get(st, "limit") || json_object_get(st, "quota") ||
	    json_object_get(st, "meter")) {
		w->e.unknown = "a rate limit or quota";
		return MAYBE;
	}
	return YES; /* counter, log, mangle, set update: no effect on the verdict */
}

/* The verdict statement ending a rule whose matches gave m. */
static unsigned rule_verdict(struct walk *w, json_t *rule, json_t *st, enum tri m, int depth,
			     bool *fall)
{
	enum tri sure = YES;
	unsigned r;

	if (json_object_get(st, "xt")) {
		*fall = false;
		r = R_DROP;
	} else if (json_object_get(st, "vmap")) {
		r = vmap(w, st, depth, fall, &sure);
	} else {
		r = verdict(w, st, depth, fall);
	}
	if (m == MAYBE || sure == MAYBE) {
		char what[80];

		*fall = true;
		snprintf(what, sizeof(what), "(cannot tell %s)",
			 w->e.unknown ? w->e.unknown : "whether it applies");
		note(w, w->unsure_why, rule, what);
	}
	if (r & R_DROP)
		note(w, w->drop_why, rule, NULL);
	return r;
}

static unsigned eval_rule(struct walk *w, json_t *rule, int depth, bool *fall)
{
	enum tri m = YES, t;
	json_t *st, *x;
	size_t i;

	*fall = true;
	w->e.unknown = NULL;
	json_array_foreach (json_object_get(rule, "expr"), i, st) {
		if (is_verdict(st))
			return rule_verdict(w, rule, st, m, depth, fall);
		x = json_object_get(st, "match");
		t = x ? nft_ev_match(&w->e, x) : other_stmt(w, st);
		if (t == NO)
			return 0;
		if (t == MAYBE)
			m = MAYBE;
	}
	return 0;
}

static unsigned eval_chain(struct walk *w, const char *chain, int depth)
{
	json_t *it, *rule;
	unsigned acc = 0;
	size_t i;

	if (!chain || depth > MAX_DEPTH || ++w->walks > MAX_WALKS) {
		if (!w->unsure_why[0])
			snprintf(w->unsure_why, sizeof(w->unsure_why), "%s",
				 !chain ? "a jump without target"
					: "jumps nested too deep or too many to follow");
		return R_ACCEPT | R_DROP | R_RET;
	}
	json_array_foreach (w->e.items, i, it) {
		bool fall;

		rule = json_object_get(it, "rule");
		if (!rule || !str_is(json_object_get(rule, "family"), w->e.family) ||
		    !str_is(json_object_get(rule, "table"), w->e.table) ||
		    !str_is(json_object_get(rule, "chain"), chain))
			continue;
		acc |= eval_rule(w, rule, depth, &fall);
		if (!fall)
			return acc;
	}
	return acc | R_RET;
}

static bool family_sees(const char *family, int af)
{
	return !strcmp(family, "inet") || (!strcmp(family, "ip") && af == AF_INET) ||
	       (!strcmp(family, "ip6") && af == AF_INET6);
}

/* Skips a "table F N {" / "chain N {" header's name, handling nft's "quoted" names. */
static bool header_is(const char *line, const char *kw, const char *a, const char *b)
{
	char want[256];

	while (*line == '\t' || *line == ' ')
		line++;
	snprintf(want, sizeof(want), "%s %s%s%s {", kw, a, b ? " " : "", b ? b : "");
	return !strncmp(line, want, strlen(want));
}

int nft_rule_text(const char *text, const char *family, const char *table, const char *chain,
		  long long handle, char *buf, size_t size)
{
	char tail[40];
	bool in_table = false, in_chain = false;

	if (!text || !family || !table || !chain)
		return -ENOENT;
	snprintf(tail, sizeof(tail), " # handle %lld", handle);
	for (const char *s = text; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s), tl = strlen(tail);
		char line[1024];

		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : 1023), s);
		if (!strncmp(line, "table ", 6)) {
			in_table = header_is(line, "table", family, table);
			in_chain = false;
		} else if (in_table && line[0] == '\t' && line[1] != '\t') {
			in_chain = header_is(line, "chain", chain, NULL); /* a set, map or chain */
		} else if (in_chain && len > tl && len < sizeof(line) &&
			   !strcmp(line + len - tl, tail)) {
			const char *r = line;

			while (*r == '\t' || *r == ' ')
				r++;
			snprintf(buf, size, "%.*s", (int)(line + len - tl - r), r);
			return 0;
		}
		s = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

/* The verdict of one base chain, its policy applied to walks that fall off its end. */
static void chain_result(struct walk *w, json_t *ch, const char *name, struct chain_verdict *v)
{
	const char *policy = json_string_value(json_object_get(ch, "policy"));
	bool pdrop = policy && !strcmp(policy, "drop");
	unsigned r;

	w->walks = 0;
	w->drop_why[0] = w->unsure_why[0] = '\0';
	r = eval_chain(w, name, 0);
	if (r & R_RET) {
		r = (r & ~R_RET) | (pdrop ? R_DROP : R_ACCEPT);
		if (pdrop && !w->drop_why[0])
			snprintf(w->drop_why, sizeof(w->drop_why), "policy drop");
	}
	snprintf(v->where, sizeof(v->where), "table %s %s chain %s (hook %s, priority %lld)",
		 w->e.family, w->e.table, name, json_string_value(json_object_get(ch, "hook")),
		 (long long)json_integer_value(json_object_get(ch, "prio")));
	v->verdict = r & R_DROP ? VERDICT_DROP : VERDICT_ACCEPT;
	v->uncertain = (r & R_DROP) && (r & R_ACCEPT);
	if (v->uncertain && !strncmp(w->unsure_why, w->drop_why, strlen(w->drop_why)))
		snprintf(v->because, sizeof(v->because), "%s", w->unsure_why);
	else if (v->uncertain)
		snprintf(v->because, sizeof(v->because), "%.250s; %.250s", w->drop_why,
			 w->unsure_why);
	else if (r & R_DROP)
		snprintf(v->because, sizeof(v->because), "%s", w->drop_why);
	else
		snprintf(v->because, sizeof(v->because), "accepts");
}

int nft_eval_ruleset(const char *json, size_t len, const char *text, const struct probe *p,
		     struct chain_verdict **out, size_t *n, struct diag *d)
{
	struct walk w = { .e.p = p, .text = text };
	json_error_t jerr;
	json_t *root, *it, *ch;
	size_t i;
	int ret = 0;

	*out = NULL;
	*n = 0;
	root = json_loadb(json, len, 0, &jerr);
	w.e.items = json_object_get(root, "nftables");
	if (!json_is_array(w.e.items)) {
		diag_err(d, "nft ruleset JSON: %s", root ? "no \"nftables\" array" : jerr.text);
		ret = -EBADMSG;
		goto out;
	}
	ret = prefix_from_bytes(p->family, p->saddr, p->family == AF_INET ? 32 : 128, &w.e.src);
	if (ret < 0)
		goto out;
	json_array_foreach (w.e.items, i, it) {
		struct chain_verdict *nv;
		const char *hook, *type, *name;

		ch = json_object_get(it, "chain");
		hook = json_string_value(json_object_get(ch, "hook"));
		type = json_string_value(json_object_get(ch, "type"));
		if (!ch || !hook || !type || strcmp(type, "filter") ||
		    (strcmp(hook, "input") && strcmp(hook, "prerouting")))
			continue;
		w.e.family = json_string_value(json_object_get(ch, "family"));
		w.e.table = json_string_value(json_object_get(ch, "table"));
		name = json_string_value(json_object_get(ch, "name"));
		if (!w.e.family || !w.e.table || !name || !family_sees(w.e.family, p->family))
			continue;
		nv = realloc(*out, (*n + 1) * sizeof(*nv));
		if (!nv) {
			ret = -ENOMEM;
			goto out;
		}
		*out = nv;
		chain_result(&w, ch, name, &nv[(*n)++]);
	}
	ret = (int)*n;
out:
	json_decref(root);
	if (ret < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return ret;
}
