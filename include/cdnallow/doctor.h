/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `cdnallow doctor`: one small check per cause of a CDN-to-origin failure
 * (error 521 and friends). Checks only look; they never change the system.
 * Each adds findings (severity, message, fix) and returns 0, or a negative
 * errno when it could not check at all (the command then exits 1).
 */
#ifndef CDNALLOW_DOCTOR_H
#define CDNALLOW_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct curl_certinfo;
struct diag;
struct prefix;
struct prefix_set;

/* info: something to know, never a problem (never changes the exit code) */
enum severity { SEV_ERROR = 0, SEV_WARNING = 1, SEV_INFO = 2 };

struct finding {
	const char *check; /* static: "listen", "bind", "firewall", "docker", "freshness", "dns",
			      "sets", "tls", "origin-auth" */
	enum severity severity;
	char *message; /* owned */
	char *fix;     /* owned */
};

struct findings {
	struct finding *v;
	size_t n;
};

void findings_add(struct findings *f, const char *check, enum severity sev, const char *fix,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void findings_release(struct findings *f);
size_t findings_count(const struct findings *f, enum severity sev);

struct doctor_ctx {
	const uint16_t *ports;
	size_t nports;
	const struct prefix_set *cdn; /* the ranges that must get through (aggregated) */
	const char *proc;	      /* "/proc"; tests point it elsewhere */
	const char *etc;	      /* "/etc" (NULL: "/etc"), where web server configs are read */
	bool lockdown;
	bool sets; /* mode sets: no rule of cdnallow's, the admin's rules use the sets */
};

/* mode sets: how many of the admin's rules use the sets, nft text (`nft list ruleset`) or
 * iptables-save; cdnallow's own rules (comment "cdnallow") do not count. */
size_t doctor_sets_count_refs(const char *text, bool nft);
/* mode sets: says the admin's rules must use the sets, and how many do. */
int doctor_check_sets(const struct doctor_ctx *c, struct findings *f, struct diag *d);

/* One listening TCP socket (from /proc/net/tcp{,6}). */
struct listener {
	int family;
	uint8_t addr[16];
	uint16_t port;
	unsigned long inode;
};

/* Parses a /proc/net/tcp or tcp6 table; appends LISTEN sockets. */
int listen_parse_proc(const char *text, int family, struct listener **v, size_t *n);
/* Check 1 + 2: something listens on every port, on an address the CDN can reach. */
int doctor_check_listen(const struct doctor_ctx *c, struct findings *f, struct diag *d);

/* A packet the CDN sends: source address, TCP destination port, not on lo, ct state new. */
struct probe {
	int family;
	uint8_t saddr[16];
	uint16_t dport;
	char iif[16]; /* the interface it arrives on; "" when the host has several */
};

enum verdict { VERDICT_ACCEPT, VERDICT_DROP };

/* The fate of a probe in one base chain of the nftables ruleset. */
struct chain_verdict {
	char where[160]; /* "table inet filter chain input (hook input, priority 0)" */
	enum verdict verdict;
	bool uncertain;	   /* a rule the evaluator could not decide came before */
	char because[512]; /* "chain input rule `tcp dport 80 drop`", "policy drop" */
};

/*
 * Evaluates a probe against `nft -j list ruleset` JSON: every filter base chain
 * hooked at prerouting or input. text (`nft -a list ruleset`, may be NULL)
 * quotes rules in nft syntax. Returns the number of verdicts or -errno.
 */
int nft_eval_ruleset(const char *json, size_t len, const char *text, const struct probe *p,
		     struct chain_verdict **out, size_t *n, struct diag *d);
/* The rule of `nft -a list ruleset` text with this handle, without it; -ENOENT. */
int nft_rule_text(const char *text, const char *family, const char *table, const char *chain,
		  long long handle, char *buf, size_t size);
/*
 * Same for `iptables-save` output (filter INPUT, raw/mangle PREROUTING); label
 * names the variant in verdicts ("iptables-legacy", "iptables-nft"). ipsets
 * (`ipset save`, may be NULL) gives the members of --match-set sets.
 */
int legacy_eval_save(const char *save, const char *ipsets, const char *label, const struct probe *p,
		     struct chain_verdict **out, size_t *n, struct diag *d);

/* A ban list (set, ipset or rule) a drop/reject rule on the web ports uses that holds CDN
 * addresses. */
struct ban {
	char where[160]; /* "table inet f2b-table set addr-set-nginx", "ipset f2b-nginx (…)" */
	char addrs[256]; /* "203.0.113.77, 203.0.113.78", cut with "…" */
	size_t count;
	bool rule_level; /* the addresses are in the rule itself, not in a set */
};

/*
 * Appends to *out the bans of CDN addresses in `nft -j list ruleset` JSON:
 * every saddr set or value of a drop/reject rule, intersected with cdn, each
 * hit checked against the rest of its rule for a probe from that address.
 * skip_xt: leave iptables-nft's tables to doctor_bans_ipt on their save text.
 */
int doctor_bans_nft(const char *json, size_t len, bool skip_xt, const struct prefix_set *cdn,
		    const uint16_t *ports, size_t nports, struct ban **out, size_t *n,
		    struct diag *d);
/* Same for iptables-save text: -s addresses and --match-set members (ipsets: `ipset save`). */
int doctor_bans_ipt(const char *save, const char *ipsets, const char *label,
		    const struct prefix_set *cdn, const uint16_t *ports, size_t nports,
		    struct ban **out, size_t *n);

/* Check 3: would the host's rules accept the CDN on every port (every place that can drop)? */
int doctor_check_firewall(const struct doctor_ctx *c, struct findings *f, struct diag *d);
/* Check 4: ports published by DNAT (Docker) that bypass INPUT rules. */
int doctor_check_docker(const struct doctor_ctx *c, struct findings *f, struct diag *d);
/*
 * A DNS host name: dot-separated labels of letters, digits and inner hyphens,
 * 1-63 bytes each, 253 in all, one final dot allowed. No port, user, path.
 */
bool doctor_domain_valid(const char *name);
/* The "Expire date:" of the first certificate libcurl reported; 0 when absent or unparsable. */
time_t doctor_cert_expiry(const struct curl_certinfo *ci);
/* Check 8: does the web server demand more than the CDN's address (info findings only)? */
int doctor_check_origin_auth(const struct doctor_ctx *c, const char *domain, struct findings *f);
/*
 * Checks 6 + 7 (+ 8): DNS of domain, the certificate served on 443 and what
 * the allowlist cannot do; -EINVAL for a bad name.
 */
int doctor_check_domain(const struct doctor_ctx *c, const char *domain, struct findings *f,
			struct diag *d);

#endif
