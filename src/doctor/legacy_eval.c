// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Evaluates a probe packet against `iptables-save` output (legacy, or the
 * iptables-nft tables whose xt matches the nftables JSON cannot show): raw and
 * mangle PREROUTING, mangle and filter INPUT, following jumps. --match-set
 * is judged by the set's members (`ipset save` text). Like the nftables
 * evaluator, a rule it cannot decide forks the walk, so only a verdict that
 * truly hangs on the unknown is "uncertain". Pure text processing; runs nothing.
 */
#include <errno.h>
#include <stddef.h>
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

/* Where a walk may end: each bit a possible outcome (several when a rule is undecidable). */
#define R_ACCEPT 1u
#define R_DROP 2u
#define R_RET 4u

struct lev {
	const char *save, *ipsets;
	const struct probe *p;
	struct prefix src;
	char table[16];
	const char *unknown;
	char drop_why[512], unsure_why[512];
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

static enum tri addr_in(struct lev *e, const char *s, bool dst)
{
	struct prefix p;
	char a[PREFIX_STRLEN], *dash;

	snprintf(a, sizeof(a), "%s", s);
	dash = strchr(a, '-');
	if (dash) { /* an ipset range a-b */
		struct prefix lo, hi;

		*dash = '\0';
		if (prefix_parse(a, strlen(a), &lo, NULL) < 0 ||
		    prefix_parse(dash + 1, strlen(dash + 1), &hi, NULL) < 0)
			return MAYBE;
		if (lo.family != e->src.family)
			return NO;
		if (dst)
			return MAYBE;
		return prefix_cmp(&lo, &e->src) <= 0 && prefix_cmp(&e->src, &hi) <= 0 ? YES : NO;
	}
	if (prefix_parse(a, strlen(a), &p, NULL) < 0)
		return MAYBE;
	if (p.family != e->src.family)
		return NO;
	if (dst) {
		/* the CDN connects to a unicast address of this host */
		static const char *const never[] = { "127.0.0.0/8", "224.0.0.0/4",
						     "255.255.255.255/32", "::1/128", "ff00::/8" };
		struct prefix n;

		for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
			prefix_parse(never[i], strlen(never[i]), &n, NULL);
			if (prefix_contains(&n, &p))
				return NO;
		}
		e->unknown = "the destination address";
		return MAYBE;
	}
	return prefix_contains(&p, &e->src) ? YES : NO;
}

/* Interfaces a CDN packet never arrives on: loopback and container or VM bridges. */
static enum tri iif_is(struct lev *e, const char *s)
{
	static const char *const inner[] = { "docker", "br-", "veth", "virbr", "lxcbr", NULL };
	size_t n = strlen(s);

	if (e->p->iif[0])
		return (n && s[n - 1] == '+')  ? !strncmp(s, e->p->iif, n - 1) ? YES : NO
		       : !strcmp(s, e->p->iif) ? YES
					       : NO;
	if (!strcmp(s, "lo"))
		return NO;
	for (size_t i = 0; inner[i]; i++) {
		if (!strncmp(s, inner[i], strlen(inner[i])))
			return NO;
	}
	e->unknown = "the input interface";
	return MAYBE;
}

/* One "add NAME ENTRY" line of `ipset save`: entry "addr[,proto:port]"; flags "src[,dst]". */
static enum tri entry_has(struct lev *e, const char *entry, const char *flags, bool port_dim)
{
	char a[96], *comma;
	enum tri t;

	snprintf(a, sizeof(a), "%s", entry);
	comma = strchr(a, ',');
	if (comma)
		*comma = '\0';
	t = addr_in(e, a, false);
	if (t != YES || !port_dim)
		return t;
	if (!comma || strncmp(flags, "src,dst", 7) || strncmp(comma + 1, "tcp:", 4))
		return comma && !strncmp(comma + 1, "udp:", 4) ? NO : MAYBE;
	return (unsigned)atoi(comma + 5) == e->p->dport ? YES : NO;
}

/* Is the probe in ipset name (matched with flags "src", "src,dst")? Needs `ipset save`. */
static enum tri set_has(struct lev *e, const char *name, const char *flags)
{
	char create[64], add[64], type[32] = "";
	enum tri r = NO, t;
	bool port_dim;
	const char *s;

	snprintf(create, sizeof(create), "create %s ", name);
	snprintf(add, sizeof(add), "add %s ", name);
	for (s = e->ipsets; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		if (!strncmp(s, create, strlen(create)))
			sscanf(s + strlen(create), "%31s", type);
	}
	if (!type[0] || strncmp(flags, "src", 3) ||
	    (strncmp(type, "hash:ip", 7) && strncmp(type, "hash:net", 8))) {
		e->unknown = "the members of an ipset";
		return MAYBE;
	}
	port_dim = strstr(type, ",port") != NULL;
	if (strchr(type + 5, ',') && !port_dim)
		return MAYBE;
	for (s = e->ipsets; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		char entry[96] = "", opt[16] = "";

		if (strncmp(s, add, strlen(add)))
			continue;
		sscanf(s + strlen(add), "%95s %15s", entry, opt);
		t = entry_has(e, entry, flags, port_dim);
		if (t == YES && !strcmp(opt, "nomatch"))
			t = MAYBE; /* the most specific entry wins: not modelled */
		if (t == YES)
			return YES;
		if (t == MAYBE)
			r = MAYBE;
	}
	return r;
}

/* --tcp-flags MASK COMP for a SYN */
static enum tri tcp_flags(const char *mask, const char *comp)
{
	static const char *const names[] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG" };
	unsigned m = 0, c = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strstr(mask, names[i]) || !strcmp(mask, "ALL"))
			m |= 1u << i;
		if (strstr(comp, names[i]) || !strcmp(comp, "ALL"))
			c |= 1u << i;
	}
	return (0x02u & m) == c ? YES : NO;
}

/* One match option o with its value v (and the next token w); *used: extra tokens taken. */
static enum tri eval_opt(struct lev *e, const char *o, const char *v, const char *w, int *used)
{
	*used = 1;
	if (!strcmp(o, "-s") || !strcmp(o, "--source"))
		return addr_in(e, v, false);
	if (!strcmp(o, "-d") || !strcmp(o, "--destination"))
		return addr_in(e, v, true);
	if (!strcmp(o, "-p") || !strcmp(o, "--protocol"))
		return !strcmp(v, "tcp") || !strcmp(v, "6") || !strcmp(v, "all") ? YES : NO;
	if (!strcmp(o, "-i") || !strcmp(o, "--in-interface"))
		return iif_is(e, v);
	if (!strcmp(o, "--dport") || !strcmp(o, "--destination-port") || !strcmp(o, "--dports") ||
	    !strcmp(o, "--destination-ports") || !strcmp(o, "--ports"))
		return port_in_list(v, e->p->dport);
	if (!strcmp(o, "--ctstate") || !strcmp(o, "--state"))
		return state_has_new(v);
	if (!strcmp(o, "--ctstatus"))
		return strstr(v, "DNAT") || strstr(v, "SNAT") ? NO : MAYBE;
	if (!strcmp(o, "--ctdir"))
		return !strcmp(v, "ORIGINAL") ? YES : NO;
	if (!strcmp(o, "--comment"))
		return YES;
	if (!strcmp(o, "--syn")) {
		*used = 0;
		return YES;
	}
	if (!strcmp(o, "--tcp-flags")) {
		*used = 2;
		return tcp_flags(v, w);
	}
	if (!strcmp(o, "--match-set")) {
		*used = 2;
		return set_has(e, v, w);
	}
	if (!strcmp(o, "--rt-type") || !strcmp(o, "--rt-segsleft") || !strcmp(o, "--fragid") ||
	    !strcmp(o, "--fragfirst") || !strcmp(o, "--fragmore") || !strcmp(o, "--fraglast"))
		return NO; /* a routing or fragment header: a TCP SYN from the CDN has none */
	if (!strcmp(o, "--dst-type"))
		return !strcmp(v, "LOCAL") ? YES : NO;
	if (!strcmp(o, "--pkt-type"))
		return !strcmp(v, "unicast") || !strcmp(v, "host") ? YES : NO;
	if (!strcmp(o, "--invert")) { /* -m rpfilter --invert: the reverse path exists */
		*used = 0;
		return NO;
	}
	if (!strcmp(o, "--loose") || !strcmp(o, "--validmark") || !strcmp(o, "--accept-local")) {
		*used = 0;
		return YES;
	}
	e->unknown = "a match the doctor does not model";
	return MAYBE;
}

/* Evaluates the matches of one rule; *target gets -j/-g. */
static enum tri eval_opts(struct lev *e, char **tok, size_t n, const char **target, bool *go)
{
	enum tri m = YES;

	*target = NULL;
	*go = false;
	for (size_t i = 2; i < n; i++) {
		bool neg = !strcmp(tok[i], "!");
		enum tri t;
		int used;

		if (neg && ++i >= n)
			break;
		if (!strcmp(tok[i], "-j") || !strcmp(tok[i], "-g")) {
			*target = i + 1 < n ? tok[i + 1] : "";
			*go = tok[i][1] == 'g';
			break; /* what follows are the target's own options */
		}
		if (!strcmp(tok[i], "-m")) {
			/* rpfilter, comment, tcp, … are modelled by their options */
			i++;
			continue;
		}
		t = eval_opt(e, tok[i], i + 1 < n ? tok[i + 1] : "", i + 2 < n ? tok[i + 2] : "",
			     &used);
		if (t == MAYBE && tok[i][0] == '-' && tok[i][1] == '-')
			for (used = 0; i + used + 1 < n && tok[i + used + 1][0] != '-' &&
				       strcmp(tok[i + used + 1], "!");)
				used++; /* an unknown option: skip its values */
		i += (size_t)used;
		if (neg && t != MAYBE)
			t = t == YES ? NO : YES;
		if (t == NO)
			return NO;
		if (t == MAYBE)
			m = MAYBE;
	}
	return m;
}

static bool has_chain(struct lev *e, const char *chain)
{
	char head[40], want[96];
	bool in_table = false;

	snprintf(head, sizeof(head), "*%s\n", e->table);
	snprintf(want, sizeof(want), ":%s ", chain);
	for (const char *s = e->save; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		if (*s == '*')
			in_table = !strncmp(s, head, strlen(head));
		else if (in_table && !strncmp(s, want, strlen(want)))
			return true;
	}
	return false;
}

static void note(struct lev *e, char *dst, const char *line, const char *what)
{
	/* without the target's options: an IPv4 and an IPv6 reject are one cause */
	int len = (int)(strstr(line, " --reject-with") ? strstr(line, " --reject-with") - line
						       : (ptrdiff_t)strlen(line));

	if (!dst[0])
		snprintf(dst, sizeof(e->drop_why), "table %.15s: %.*s%s%.60s", e->table,
			 len < 400 ? len : 400, line, what ? " " : "", what ? what : "");
}

static unsigned eval_chain(struct lev *e, const char *chain, int depth);

/* The outcome of target; *fall: the walk goes on with the next rule. */
static unsigned eval_target(struct lev *e, const char *target, bool go, int depth, bool *fall)
{
	static const char *const pass[] = { "LOG",	"NFLOG",       "MARK",	"CONNMARK",
					    "CT",	"NOTRACK",     "TRACE", "ULOG",
					    "AUDIT",	"TCPMSS",      "DSCP",	"TOS",
					    "CHECKSUM", "SET",	       "TEE",	"CLASSIFY",
					    "SECMARK",	"CONNSECMARK", "TTL",	"HL" };
	unsigned r;

	*fall = false;
	if (!strcmp(target, "ACCEPT"))
		return R_ACCEPT;
	if (!strcmp(target, "DROP") || !strcmp(target, "REJECT") || !strcmp(target, "TARPIT"))
		return R_DROP;
	if (!strcmp(target, "RETURN"))
		return R_RET;
	if (has_chain(e, target)) {
		r = eval_chain(e, target, depth + 1);
		if (go)
			return r;
		*fall = r & R_RET;
		return r & ~R_RET;
	}
	*fall = true;
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		if (!strcmp(target, pass[i]))
			return 0;
	}
	e->unknown = "what its target does";
	return R_ACCEPT | R_DROP; /* NFQUEUE and the like: a program decides */
}

static unsigned eval_rule(struct lev *e, const char *line, int depth, bool *fall)
{
	char buf[2048], *tok[MAX_TOKENS];
	const char *target;
	unsigned r;
	enum tri m;
	size_t n;
	bool go;

	*fall = true;
	e->unknown = NULL;
	snprintf(buf, sizeof(buf), "%s", line);
	n = tokenize(buf, tok, MAX_TOKENS);
	m = eval_opts(e, tok, n, &target, &go);
	if (m == NO || !target)
		return 0;
	r = eval_target(e, target, go, depth, fall);
	if (m == MAYBE || e->unknown) {
		char what[80];

		*fall = true;
		snprintf(what, sizeof(what), "(cannot tell %s)",
			 e->unknown ? e->unknown : "whether it applies");
		if (r)
			note(e, e->unsure_why, line, what);
	}
	if (r & R_DROP)
		note(e, e->drop_why, line, NULL);
	return r;
}

/* Walks the "-A CHAIN" lines of the current table in order. */
static unsigned eval_chain(struct lev *e, const char *chain, int depth)
{
	char head[96], want[96];
	const char *s = e->save;
	bool in_table = false;
	unsigned acc = 0;

	if (depth > MAX_DEPTH || ++e->walks > MAX_WALKS) {
		if (!e->unsure_why[0])
			snprintf(e->unsure_why, sizeof(e->unsure_why),
				 "table %s: jumps nested too deep or too many to follow", e->table);
		return R_ACCEPT | R_DROP | R_RET;
	}
	snprintf(head, sizeof(head), "*%s", e->table);
	snprintf(want, sizeof(want), "-A %s ", chain);
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char line[2048];

		snprintf(line, sizeof(line), "%.*s",
			 (int)(len < sizeof(line) ? len : sizeof(line) - 1), s);
		if (line[0] == '*') {
			in_table = !strcmp(line, head);
		} else if (in_table && !strncmp(line, want, strlen(want))) {
			bool fall;

			acc |= eval_rule(e, line, depth, &fall);
			if (!fall)
				return acc;
		}
		s = nl ? nl + 1 : NULL;
	}
	return acc | R_RET;
}

/* Policy of a built-in chain (":INPUT DROP [0:0]"), or false when the table is absent. */
static bool chain_policy(const char *save, const char *table, const char *chain, char *pol)
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
			return true;
		}
		s = nl ? nl + 1 : NULL;
	}
	return false;
}

/* The verdict of one hooked chain, its policy applied to walks that fall off its end. */
static void hook_result(struct lev *e, const char *chain, const char *pol, const char *label,
			struct chain_verdict *v)
{
	bool pdrop = !strcmp(pol, "DROP");
	unsigned r;

	e->walks = 0;
	e->drop_why[0] = e->unsure_why[0] = '\0';
	r = eval_chain(e, chain, 0);
	if (r & R_RET) {
		r = (r & ~R_RET) | (pdrop ? R_DROP : R_ACCEPT);
		if (pdrop && !e->drop_why[0])
			snprintf(e->drop_why, sizeof(e->drop_why), "policy DROP");
	}
	snprintf(v->where, sizeof(v->where), "%s%s table %s chain %s",
		 e->p->family == AF_INET ? "ip" : "ip6", label + 2, e->table, chain);
	v->verdict = r & R_DROP ? VERDICT_DROP : VERDICT_ACCEPT;
	v->uncertain = (r & R_DROP) && (r & R_ACCEPT);
	if (v->uncertain && !strncmp(e->unsure_why, e->drop_why, strlen(e->drop_why)))
		snprintf(v->because, sizeof(v->because), "%s", e->unsure_why);
	else if (v->uncertain)
		snprintf(v->because, sizeof(v->because), "%.250s; %.250s", e->drop_why,
			 e->unsure_why);
	else if (r & R_DROP)
		snprintf(v->because, sizeof(v->because), "%s", e->drop_why);
	else
		snprintf(v->because, sizeof(v->because), "accepts");
}

int legacy_eval_save(const char *save, const char *ipsets, const char *label, const struct probe *p,
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
	struct lev e = { .save = save, .ipsets = ipsets, .p = p };
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

		if (!chain_policy(save, hooks[i].table, hooks[i].chain, pol))
			continue;
		nv = realloc(*out, (*n + 1) * sizeof(*nv));
		if (!nv) {
			free(*out);
			*out = NULL;
			*n = 0;
			return -ENOMEM;
		}
		*out = nv;
		snprintf(e.table, sizeof(e.table), "%s", hooks[i].table);
		hook_result(&e, hooks[i].chain, pol, label, &nv[(*n)++]);
	}
	return (int)*n;
}
