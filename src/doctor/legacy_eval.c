// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Evaluates a probe packet against `iptables-save` output (legacy, or the
 * iptables-nft tables whose xt matches the nftables JSON cannot show): raw and
 * mangle PREROUTING, mangle and filter INPUT, following jumps. Like the
 * nftables evaluator it answers "uncertain" rather than guessing when a rule
 * uses a match it does not model. Pure text processing; runs nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "doctor.h"
#include "prefix.h"

#define MAX_DEPTH 16
/* chain walks per hook: jumps may fan out (3 jumps a chain, 16 deep: 3^16 walks) */
#define MAX_WALKS 4096
#define MAX_TOKENS 96

enum tri { NO, YES, MAYBE };
enum outcome { OUT_CONTINUE, OUT_ACCEPT, OUT_DROP };

struct lev {
	const char *save;
	const struct probe *p;
	struct prefix src;
	char table[16];
	bool uncertain;
	char because[256];
	unsigned walks;
};

/* Splits one rule line into tokens, honouring "double quotes" (comments). */
static size_t tokenize(char *line, char **tok, size_t max)
{
	size_t n = 0;
	char *s = line;

	while (*s && n < max) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (*s == '"') {
			tok[n++] = ++s;
			while (*s && *s != '"')
				s += (*s == '\\' && s[1]) ? 2 : 1;
		} else {
			tok[n++] = s;
			while (*s && *s != ' ')
				s++;
		}
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static enum tri port_in_list(const char *list, uint16_t port)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		unsigned lo, hi;
		int k = sscanf(it, "%u:%u", &lo, &hi);

		if (k == 1 && lo == port)
			return YES;
		if (k == 2 && lo <= port && port <= hi)
			return YES;
		if (k < 1)
			return MAYBE; /* a service name */
	}
	return NO;
}

static enum tri state_has_new(const char *list)
{
	return strstr(list, "NEW") ? YES : NO;
}

static enum tri src_in(struct lev *e, const char *s)
{
	struct prefix p;

	if (prefix_parse(s, strlen(s), &p, NULL) < 0)
		return MAYBE;
	return prefix_contains(&p, &e->src) ? YES : NO;
}

static enum outcome eval_chain(struct lev *e, const char *chain, int depth);

/* Evaluates the options of one rule; *target gets -j/-g. */
static enum tri eval_opts(struct lev *e, char **tok, size_t n, const char **target, bool *go)
{
	enum tri m = YES;

	*target = NULL;
	*go = false;
	for (size_t i = 2; i < n; i++) {
		bool neg = !strcmp(tok[i], "!");
		const char *o, *v;
		enum tri t = YES;

		if (neg && ++i >= n)
			break;
		o = tok[i];
		v = i + 1 < n ? tok[i + 1] : "";
		if (!strcmp(o, "-j") || !strcmp(o, "-g")) {
			*target = v;
			*go = o[1] == 'g';
			break; /* what follows are the target's own options */
		}
		if (!strcmp(o, "-m")) {
			i++;
			continue;
		}
		if (!strcmp(o, "-s") || !strcmp(o, "--source")) {
			t = src_in(e, v);
		} else if (!strcmp(o, "-p") || !strcmp(o, "--protocol")) {
			t = !strcmp(v, "tcp") || !strcmp(v, "6") || !strcmp(v, "all") ? YES : NO;
		} else if (!strcmp(o, "-i") || !strcmp(o, "--in-interface")) {
			t = !strcmp(v, "lo") ? NO : MAYBE;
		} else if (!strcmp(o, "--dport") || !strcmp(o, "--destination-port") ||
			   !strcmp(o, "--dports") || !strcmp(o, "--destination-ports")) {
			t = port_in_list(v, e->p->dport);
		} else if (!strcmp(o, "--ctstate") || !strcmp(o, "--state")) {
			t = state_has_new(v);
		} else if (!strcmp(o, "--comment")) {
			t = YES;
		} else if (!strcmp(o, "--match-set")) {
			/* cdnallow's own sets hold the CDN ranges: the probe is in them */
			t = !strncmp(v, "cdnallow", 8) && i + 2 < n &&
					    !strncmp(tok[i + 2], "src", 3)
				    ? YES
				    : MAYBE;
			i++;
		} else if (!strcmp(o, "--dst-type")) {
			t = !strcmp(v, "LOCAL") ? YES : MAYBE;
		} else {
			t = MAYBE;
		}
		if (o[0] == '-' && o[1] == '-' && strcmp(o, "--syn") && i + 1 < n &&
		    tok[i + 1][0] != '-')
			i++;
		else if (o[0] == '-' && o[1] != '-' && i + 1 < n)
			i++;
		if (neg && t != MAYBE)
			t = t == YES ? NO : YES;
		if (t == NO)
			return NO;
		if (t == MAYBE)
			m = MAYBE;
	}
	return m;
}

static enum outcome eval_rule(struct lev *e, const char *line, int depth, bool *stop)
{
	char buf[2048], *tok[MAX_TOKENS];
	const char *target;
	enum outcome o;
	enum tri m;
	size_t n;
	bool go;

	*stop = false;
	snprintf(buf, sizeof(buf), "%s", line);
	n = tokenize(buf, tok, MAX_TOKENS);
	m = eval_opts(e, tok, n, &target, &go);
	if (m == NO || !target)
		return OUT_CONTINUE;
	if (m == MAYBE) {
		if (!strcmp(target, "ACCEPT") || !strcmp(target, "DROP") ||
		    !strcmp(target, "REJECT") || strchr(target, '-') || target[0] >= 'a') {
			if (!e->uncertain)
				snprintf(e->because, sizeof(e->because),
					 "table %s: undecidable rule: %.200s", e->table, line);
			e->uncertain = true;
		}
		return OUT_CONTINUE;
	}
	if (!strcmp(target, "ACCEPT") || !strcmp(target, "DROP") || !strcmp(target, "REJECT")) {
		snprintf(e->because, sizeof(e->because), "table %s: %.200s", e->table, line);
		*stop = true;
		return target[0] == 'A' ? OUT_ACCEPT : OUT_DROP;
	}
	if (!strcmp(target, "RETURN")) {
		*stop = true;
		return OUT_CONTINUE;
	}
	/* LOG, MARK, CT, …: non-terminating targets are upper case; chains are user names */
	if (!strcmp(target, "LOG") || !strcmp(target, "MARK") || !strcmp(target, "CT") ||
	    !strcmp(target, "NFLOG") || !strcmp(target, "CONNMARK") || !strcmp(target, "NOTRACK"))
		return OUT_CONTINUE;
	if (depth >= MAX_DEPTH) {
		/* a "may drop" finding must say why */
		if (!e->uncertain)
			snprintf(e->because, sizeof(e->because),
				 "table %s: jumps nested deeper than %d: %.200s", e->table,
				 MAX_DEPTH, line);
		e->uncertain = true;
		return OUT_CONTINUE;
	}
	o = eval_chain(e, target, depth + 1);
	*stop = o != OUT_CONTINUE || go;
	return o;
}

/* Walks the "-A CHAIN" lines of the current table in order. */
static enum outcome eval_chain(struct lev *e, const char *chain, int depth)
{
	char head[96], want[96];
	const char *s = e->save;
	bool in_table = false;

	if (++e->walks > MAX_WALKS) {
		if (!e->uncertain)
			snprintf(e->because, sizeof(e->because),
				 "table %s: more than %d jumps to follow", e->table, MAX_WALKS);
		e->uncertain = true;
		return OUT_CONTINUE;
	}
	snprintf(head, sizeof(head), "*%s", e->table);
	snprintf(want, sizeof(want), "-A %s ", chain);
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char line[2048];

		snprintf(line, sizeof(line), "%.*s",
			 (int)(len < sizeof(line) ? len : sizeof(line) - 1), s);
		if (line[0] == '*')
			in_table = !strcmp(line, head);
		else if (in_table && !strncmp(line, want, strlen(want))) {
			bool stop;
			enum outcome o = eval_rule(e, line, depth, &stop);

			if (stop)
				return o;
		}
		s = nl ? nl + 1 : NULL;
	}
	return OUT_CONTINUE;
}

/* Policy of a built-in chain (":INPUT DROP [0:0]"), or NULL when the table is absent. */
static bool chain_policy(const char *save, const char *table, const char *chain, char *pol,
			 size_t size)
{
	char head[32], want[64];
	const char *s = save;
	bool in_table = false;

	snprintf(head, sizeof(head), "*%s\n", table);
	snprintf(want, sizeof(want), ":%s ", chain);
	while (s && *s) {
		const char *nl = strchr(s, '\n');

		if (*s == '*')
			in_table = !strncmp(s, head, strlen(head));
		else if (in_table && !strncmp(s, want, strlen(want))) {
			sscanf(s + strlen(want), "%15s", pol);
			(void)size;
			return true;
		}
		s = nl ? nl + 1 : NULL;
	}
	return false;
}

int legacy_eval_save(const char *save, const char *label, const struct probe *p,
		     struct chain_verdict **out, size_t *n, struct diag *d)
{
	static const struct {
		const char *table, *chain;
	} hooks[] = {
		{ "raw", "PREROUTING" },
		{ "mangle", "PREROUTING" },
		{ "mangle", "INPUT" },
		{ "filter", "INPUT" },
	};
	struct lev e = { .save = save, .p = p };
	int ret;

	*out = NULL;
	*n = 0;
	ret = prefix_from_bytes(p->family, p->saddr, p->family == AF_INET ? 32 : 128, &e.src);
	if (ret < 0) {
		diag_err(d, "bad probe address");
		return ret;
	}
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		char pol[16] = "";
		struct chain_verdict *nv;
		enum outcome o;

		if (!chain_policy(save, hooks[i].table, hooks[i].chain, pol, sizeof(pol)))
			continue;
		snprintf(e.table, sizeof(e.table), "%s", hooks[i].table);
		e.uncertain = false;
		e.walks = 0;
		e.because[0] = '\0';
		o = eval_chain(&e, hooks[i].chain, 0);
		if (o == OUT_CONTINUE) {
			o = !strcmp(pol, "DROP") ? OUT_DROP : OUT_ACCEPT;
			if (!e.uncertain)
				snprintf(e.because, sizeof(e.because), "policy %s", pol);
		}
		nv = realloc(*out, (*n + 1) * sizeof(*nv));
		if (!nv) {
			free(*out);
			*out = NULL;
			*n = 0;
			return -ENOMEM;
		}
		*out = nv;
		snprintf(nv[*n].where, sizeof(nv[*n].where), "%s%s table %s chain %s",
			 p->family == AF_INET ? "ip" : "ip6", label + 2, hooks[i].table,
			 hooks[i].chain);
		nv[*n].verdict = o == OUT_DROP ? VERDICT_DROP : VERDICT_ACCEPT;
		nv[*n].uncertain = e.uncertain;
		snprintf(nv[*n].because, sizeof(nv[*n].because), "%s", e.because);
		(*n)++;
	}
	return (int)*n;
}
