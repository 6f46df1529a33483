// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rule text of the iptables backend: parses iptables-save dumps, builds
 * the rules cdnallow wants in the exact form iptables-save prints them (so a
 * string compare tells whether they are in place), and writes the
 * iptables-restore --noflush script that repairs or removes them. Rules are
 * recognised only by the exact comment "cdnallow"; nothing else is ever
 * named in a script, so other rules are never touched.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "iptables_rules.h"
#include "strbuf.h"

/*
 * ufw and firewalld (iptables backend) keep their rules in chains of these
 * names; where they exist, those tools own the firewall and have backends of
 * their own.
 */
static const char *const managed_chains[] = { "ufw-",	     "ufw6-",	  "INPUT_direct",
					      "INPUT_ZONES", "IN_public", NULL };

static bool is_ours(const char *spec)
{
	static const char tag[] = "-m comment --comment " IPT_COMMENT;
	const char *p = spec;

	while ((p = strstr(p, tag))) {
		char after = p[sizeof(tag) - 1];

		if ((p == spec || p[-1] == ' ') && (after == ' ' || after == '\0'))
			return true;
		p += sizeof(tag) - 1;
	}
	return false;
}

static bool is_managed_chain(const char *chain)
{
	for (size_t i = 0; managed_chains[i]; i++)
		if (!strncmp(chain, managed_chains[i], strlen(managed_chains[i])))
			return true;
	return false;
}

static bool is_blocking(const char *spec)
{
	const char *j = strstr(spec, "-j ");

	return j && (!strncmp(j + 3, "DROP", 4) || !strncmp(j + 3, "REJECT", 6));
}

static int note_chain(struct ipt_dump *dump, const char *table, const char *chain)
{
	size_t n = dump->nchains + 1;
	const char **t = realloc(dump->chain_table, n * sizeof(*t));

	if (t)
		dump->chain_table = t;
	t = t ? realloc(dump->chain_name, n * sizeof(*t)) : NULL;
	if (!t)
		return -ENOMEM;
	dump->chain_name = t;
	dump->chain_table[dump->nchains] = table;
	dump->chain_name[dump->nchains++] = chain;
	return 0;
}

bool ipt_dump_has_chain(const struct ipt_dump *dump, const char *table, const char *chain)
{
	for (size_t i = 0; i < dump->nchains; i++)
		if (!strcmp(dump->chain_table[i], table) &&
		    (!chain || !strcmp(dump->chain_name[i], chain)))
			return true;
	return false;
}

size_t ipt_dump_admin_rules_in(const struct ipt_dump *dump, const char *table, const char *chain)
{
	size_t n = 0;

	for (size_t i = 0; i < dump->n; i++)
		n += !dump->rules[i].ours && !strcmp(dump->rules[i].table, table) &&
		     (!chain || !strcmp(dump->rules[i].chain, chain));
	return n;
}

/* ":CHAIN POLICY [pkts:bytes]" */
static int parse_chain(struct ipt_dump *dump, const char *table, char *line)
{
	char *chain = line + 1, *policy = strchr(chain, ' ');

	if (policy) {
		*policy++ = '\0';
		if (strncmp(policy, "ACCEPT", 6) && strncmp(policy, "-", 1)) {
			dump->admin_rules++;
			if (!strcmp(table, "filter") && !strcmp(chain, "INPUT"))
				dump->input_blocks = true;
		}
	}
	if (!strcmp(table, "filter") && !strcmp(chain, "DOCKER-USER"))
		dump->docker_user = true;
	if (is_managed_chain(chain))
		dump->managed = true;
	return note_chain(dump, table, chain);
}

static int add_rule(struct ipt_dump *dump, const char *table, char *line, size_t *alloc)
{
	char *chain = line + 3, *spec = strchr(chain, ' ');
	struct ipt_rule *r, *prev = dump->n ? &dump->rules[dump->n - 1] : NULL;

	if (spec)
		*spec++ = '\0';
	else
		spec = chain + strlen(chain);
	if (dump->n == *alloc) {
		size_t na = *alloc ? 2 * *alloc : 64;
		struct ipt_rule *nr = realloc(dump->rules, na * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		dump->rules = nr;
		*alloc = na;
		prev = dump->n ? &dump->rules[dump->n - 1] : NULL;
	}
	r = &dump->rules[dump->n++];
	r->table = table;
	r->chain = chain;
	r->spec = spec;
	/* iptables-save prints each chain's rules together, in order */
	r->pos = prev && prev->table == table && !strcmp(prev->chain, chain) ? prev->pos + 1 : 1;
	r->ours = is_ours(spec);
	if (r->ours) {
		dump->ours++;
		return 0;
	}
	dump->admin_rules++;
	if (!strcmp(table, "filter") && !strcmp(chain, "INPUT") && is_blocking(spec))
		dump->input_blocks = true;
	return 0;
}

int ipt_dump_parse(struct ipt_dump *dump, char *text)
{
	const char *table = "";
	size_t alloc = 0;
	char *line, *nl;
	int ret = 0;

	memset(dump, 0, sizeof(*dump));
	dump->text = text;
	for (line = text; line && *line && !ret; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (line[0] == '*')
			table = line + 1;
		else if (line[0] == ':')
			ret = parse_chain(dump, table, line);
		else if (!strncmp(line, "-A ", 3))
			ret = add_rule(dump, table, line, &alloc);
	}
	return ret;
}

void ipt_dump_release(struct ipt_dump *dump)
{
	if (!dump)
		return;
	free(dump->text);
	free(dump->rules);
	free(dump->chain_table);
	free(dump->chain_name);
	memset(dump, 0, sizeof(*dump));
}

static struct ipt_want *want_at(struct ipt_want *w, const char *table, const char *chain)
{
	w->table = table;
	w->chain = chain;
	return w;
}

#define TAG "-m comment --comment " IPT_COMMENT

int ipt_want_build(const struct backend_cfg *cfg, int family, bool docker_user,
		   struct ipt_want w[IPT_WANT_MAX])
{
	const char *set = family == AF_INET6 ? IPT_SET6 : IPT_SET4;
	bool lockdown = cfg->mode == MODE_LOCKDOWN;
	char ports[BACKEND_MAX_PORTS * 6 + 1] = "";
	struct ipt_want *x;
	size_t len = 0;
	int n = 0;

	/* multiport takes at most 15 ports */
	if (cfg->nports == 0 || cfg->nports > 15)
		return -EINVAL;
	/* the admin's rules use the sets; any rule of ours left from another mode goes */
	if (cfg->mode == MODE_SETS)
		return 0;
	for (size_t i = 0; i < cfg->nports; i++)
		len += (size_t)snprintf(ports + len, sizeof(ports) - len, "%s%u", i ? "," : "",
					cfg->ports[i]);
	x = want_at(&w[n++], "filter", "INPUT");
	snprintf(x->spec, sizeof(x->spec),
		 "-p tcp -m multiport --dports %s -m set --match-set %s src " TAG " -j ACCEPT",
		 ports, set);
	if (lockdown) {
		/*
		 * The fallback when nftables cannot hold the lockdown: raw PREROUTING
		 * runs before conntrack and DNAT, so the destination port is still the
		 * one the client asked for, published container ports included.
		 * Loopback must pass: local proxies and health checks talk to :80.
		 */
		x = want_at(&w[n++], "raw", "PREROUTING");
		snprintf(x->spec, sizeof(x->spec), "-i lo " TAG " -j RETURN");
		x = want_at(&w[n++], "raw", "PREROUTING");
		snprintf(x->spec, sizeof(x->spec),
			 "-p tcp -m multiport --dports %s -m set ! --match-set %s src"
			 " -m addrtype --dst-type LOCAL " TAG " -j DROP",
			 ports, set);
	}
	/*
	 * Docker: published ports are DNATed in PREROUTING and then forwarded, so
	 * INPUT never sees them and Docker's own FORWARD rules accept them; the
	 * admin's only hook is DOCKER-USER. --ctstate DNAT limits the rules to
	 * published ports (a container's own outgoing :80 connection is SNATed,
	 * never DNATed), and --ctorigdstport matches the port the client used,
	 * not the container's. Allow mode RETURNs CDN sources past the admin's
	 * DOCKER-USER drops into Docker's accept (a no-op when the admin has
	 * none). Lockdown drops everyone else there too: redundant while the raw
	 * rule stands, but it is where Docker admins look, and it keeps the
	 * containers closed if something rebuilds the raw table.
	 */
	for (size_t i = 0; docker_user && i < cfg->nports; i++) {
		x = want_at(&w[n++], "filter", "DOCKER-USER");
		snprintf(x->spec, sizeof(x->spec),
			 "-p tcp -m conntrack --ctstate DNAT --ctorigdstport %u --ctdir ORIGINAL"
			 " -m set %s--match-set %s src " TAG " -j %s",
			 cfg->ports[i], lockdown ? "! " : "", set, lockdown ? "DROP" : "RETURN");
	}
	return n;
}

bool ipt_dump_matches(const struct ipt_dump *dump, const struct ipt_want *w, size_t n)
{
	if (dump->ours != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned pos = 1;
		bool found = false;

		for (size_t k = 0; k < i; k++)
			if (!strcmp(w[k].table, w[i].table) && !strcmp(w[k].chain, w[i].chain))
				pos++;
		for (size_t k = 0; k < dump->n && !found; k++) {
			const struct ipt_rule *r = &dump->rules[k];

			found = r->pos == pos && !strcmp(r->table, w[i].table) &&
				!strcmp(r->chain, w[i].chain) && !strcmp(r->spec, w[i].spec);
		}
		if (!found)
			return false;
	}
	return true;
}

static bool table_seen(const char *const *tables, size_t n, const char *t)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tables[i], t))
			return true;
	return false;
}

static void script_table(struct strbuf *t, const char *table, const struct ipt_dump *dump,
			 const struct ipt_want *w, size_t n)
{
	strbuf_addf(t, "*%s\n", table);
	/* deletions by exact spec first: positions below refer to the chain without ours */
	for (size_t i = 0; i < dump->n; i++)
		if (dump->rules[i].ours && !strcmp(dump->rules[i].table, table))
			strbuf_addf(t, "-D %s %s\n", dump->rules[i].chain, dump->rules[i].spec);
	for (size_t i = 0; i < n; i++) {
		unsigned pos = 1;

		if (strcmp(w[i].table, table))
			continue;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(w[k].table, table) && !strcmp(w[k].chain, w[i].chain))
				pos++;
		strbuf_addf(t, "-I %s %u %s\n", w[i].chain, pos, w[i].spec);
	}
	strbuf_addf(t, "COMMIT\n");
}

void ipt_script_build(struct strbuf *t, const struct ipt_dump *dump, const struct ipt_want *w,
		      size_t n)
{
	const char *tables[IPT_WANT_MAX + 8];
	size_t nt = 0;

	for (size_t i = 0; i < n; i++)
		if (!table_seen(tables, nt, w[i].table))
			tables[nt++] = w[i].table;
	for (size_t i = 0; i < dump->n && nt < sizeof(tables) / sizeof(tables[0]); i++)
		if (dump->rules[i].ours && !table_seen(tables, nt, dump->rules[i].table))
			tables[nt++] = dump->rules[i].table;
	for (size_t i = 0; i < nt; i++)
		script_table(t, tables[i], dump, w, n);
}

static bool line_has(const char *line, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(line + i, s, n))
			return true;
	return false;
}

/* Saturates: a forged or wrapped counter line must not overflow the sum. */
static void add_count(int64_t *slot, unsigned long long packets)
{
	uint64_t have = *slot < 0 ? 0 : (uint64_t)*slot;

	*slot = packets >= (uint64_t)INT64_MAX - have ? INT64_MAX : (int64_t)(have + packets);
}

void ipt_counters_parse(const char *text, int64_t *accepted, int64_t *dropped)
{
	while (text && *text) {
		size_t len = strcspn(text, "\n");
		unsigned long long pk = 0, bytes = 0;
		int end = 0;

		/* "[packets:bytes] -A CHAIN spec": only lines with the exact comment */
		if (len < 256 * 1024 && sscanf(text, "[%llu:%llu] -A %n", &pk, &bytes, &end) == 2 &&
		    end > 0 && line_has(text, len, " " TAG " ") &&
		    line_has(text, len, "--match-set ")) {
			if (line_has(text, len, " -j DROP"))
				add_count(dropped, pk);
			else if (line_has(text, len, " -j ACCEPT") ||
				 line_has(text, len, " -j RETURN"))
				add_count(accepted, pk);
		}
		text += len + (text[len] == '\n');
	}
}
