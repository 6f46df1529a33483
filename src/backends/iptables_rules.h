/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the iptables backend: the rules cdnallow wants, what an
 * `iptables-save` dump holds, and the iptables-restore --noflush script that
 * turns one into the other. Pure text processing: runs nothing.
 */
#ifndef CDNALLOW_IPTABLES_RULES_H
#define CDNALLOW_IPTABLES_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"

struct strbuf;

#define IPT_COMMENT "cdnallow"
#define IPT_SET4 "cdnallow4"
#define IPT_SET6 "cdnallow6"
#define IPT_SPEC_MAX 320
/* INPUT accept, raw lo return + drop, one DOCKER-USER rule per port */
#define IPT_WANT_MAX (3 + BACKEND_MAX_PORTS)

struct ipt_rule {
	const char *table; /* into the dump's text */
	const char *chain;
	const char *spec; /* everything after "-A CHAIN " */
	unsigned pos;	  /* 1-based position in its chain */
	bool ours;	  /* tagged exactly "-m comment --comment cdnallow" */
};

struct ipt_dump {
	char *text; /* owned, cut into the strings above */
	struct ipt_rule *rules;
	size_t n;
	size_t admin_rules; /* rules and non-ACCEPT policies cdnallow did not make */
	size_t ours;
	bool docker_user;  /* filter has a DOCKER-USER chain */
	bool managed;	   /* chains of ufw or firewalld: a higher-level firewall owns this */
	bool input_blocks; /* filter INPUT drops by policy or by a rule */
	/* every chain the dump lists (iptables-nft lists only those that exist) */
	const char **chain_table, **chain_name;
	size_t nchains;
};

/* Parses an iptables-save dump; takes ownership of text (malloc'ed) even on failure. */
int ipt_dump_parse(struct ipt_dump *dump, char *text);
/* chain NULL: does the dump list the table at all? */
bool ipt_dump_has_chain(const struct ipt_dump *dump, const char *table, const char *chain);
/* Rules not cdnallow's in table (and chain, unless NULL). */
size_t ipt_dump_admin_rules_in(const struct ipt_dump *dump, const char *table, const char *chain);
void ipt_dump_release(struct ipt_dump *dump);

struct ipt_want {
	const char *table;
	const char *chain;
	char spec[IPT_SPEC_MAX];
};

/*
 * The rules cdnallow wants for one family (AF_INET/AF_INET6) in the order they
 * must head their chains. Returns how many, or -EINVAL for an unusable port list.
 */
/*
 * iptables-save -c text: the packets of cdnallow's --match-set rules (comment "cdnallow")
 * added to *accepted (ACCEPT, RETURN) and *dropped (DROP); a slot stays as it is when no
 * such rule is there (-1: unknown), else starts from 0.
 */
void ipt_counters_parse(const char *text, int64_t *accepted, int64_t *dropped);
int ipt_want_build(const struct backend_cfg *cfg, int family, bool docker_user,
		   struct ipt_want w[IPT_WANT_MAX]);
/* True when every wanted rule heads its chain in order and no other cdnallow rule exists. */
bool ipt_dump_matches(const struct ipt_dump *dump, const struct ipt_want *w, size_t n);
/*
 * Appends an iptables-restore --noflush script that deletes every cdnallow rule
 * of dump and inserts w[0..n) at the top of their chains (n = 0: delete only).
 * Nothing is appended when there is nothing to do.
 */
void ipt_script_build(struct strbuf *t, const struct ipt_dump *dump, const struct ipt_want *w,
		      size_t n);

#endif
