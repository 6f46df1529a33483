/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by the ufw backend's files: the `### tuple ###` lines of
 * user.rules/user6.rules as parsed records, the marked `# BEGIN cdnallow` blocks
 * cdnallow keeps in before.init/before.rules/before6.rules, and the ipset mode.
 * Parsing and text editing here are pure (unit tested); nothing in this header
 * runs ufw.
 */
#ifndef CDNALLOW_UFW_INT_H
#define CDNALLOW_UFW_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backend.h"
#include "prefix.h"

struct diag;
struct plan;
struct prefix_set;

#define UFW_COMMENT_PREFIX "cdnallow"
#define UFW_BLOCK_BEGIN "# BEGIN cdnallow"
#define UFW_BLOCK_END "# END cdnallow"
#define UFW_SET4 "cdnallow4"
#define UFW_SET6 "cdnallow6"
#define UFW_PORTS_MAX 15 /* iptables multiport takes at most 15 ports */
#define UFW_PORTS_STRLEN (UFW_PORTS_MAX * 6 + 1)

/* One `### tuple ### ACTION PROTO DPORT DST SPORT SRC [DAPP SAPP] DIR [comment=HEX]` line. */
struct ufw_rule {
	char action[24]; /* allow, deny, reject, limit (a _log/_log-all suffix is kept out) */
	bool forward;	 /* "route:" rule (FORWARD chain) */
	char proto[16];	 /* tcp, udp, any, ipv6, esp, ... */
	char dport[96];	 /* "any", "443", "80,443", "8000:8100" */
	char dst[64];
	char sport[96];
	char src[64];
	char dir[48];	   /* "in", "out", "in_eth0", "in_eth0!out_eth1" */
	bool app;	   /* an application profile rule (dapp/sapp fields) */
	char comment[256]; /* hex-decoded; "" when none */
	bool v6;	   /* from user6.rules */
	unsigned line;	   /* 1-based line in its file */
};

struct ufw_rules {
	struct ufw_rule *v; /* owned, file order */
	size_t n, cap;
};

/* Appends the tuples of one user.rules (v6 false) or user6.rules (v6 true) text. */
int ufw_rules_parse(struct ufw_rules *r, const char *buf, size_t len, bool v6, struct diag *d);
void ufw_rules_release(struct ufw_rules *r);
/* True when the rule's comment marks it as cdnallow's ("cdnallow" or "cdnallow:<tag>"). */
bool ufw_rule_is_ours(const struct ufw_rule *r);
/* Sorted, deduplicated port list as ufw writes it ("80,443"); -EINVAL when empty or > 15. */
int ufw_ports_format(const uint16_t *ports, size_t n, char *buf, size_t size);
/*
 * True when the rule is exactly what `ufw allow proto tcp from SRC to any port PORTS`
 * writes: allow tcp PORTS any-dst any-sport SRC in, no interface, no app, not routed.
 */
bool ufw_rule_is_plain_allow(const struct ufw_rule *r, const char *ports);
/* The rule's source as a prefix; false when it is not a single address or prefix. */
bool ufw_rule_src_prefix(const struct ufw_rule *r, struct prefix *p);
/* True when the rule's source is Anywhere (0.0.0.0/0, ::/0). */
bool ufw_rule_src_any(const struct ufw_rule *r);
/* True when an incoming TCP packet to port may match the rule's protocol and dport. */
bool ufw_rule_covers_port(const struct ufw_rule *r, uint16_t port);
/*
 * Warnings into d about rules that defeat the allowlist (allow/limit from
 * Anywhere on one of ports) or shadow it (deny/reject on one of ports ahead of
 * cdnallow's first rule of the family; none in ipset mode, whose rule runs
 * before every user rule).
 */
void ufw_rules_audit(const struct ufw_rules *r, const uint16_t *ports, size_t nports,
		     bool ipset_mode, struct diag *d);
/* Lower-case hex of s, as ufw stores comments; "" for an empty s. */
void ufw_hex_encode(const char *s, char *out, size_t size);

/*
 * Marked blocks. ufw_block_find locates "# BEGIN cdnallow" .. "# END cdnallow\n"
 * (whole lines); ufw_block_set returns a new text where that block is replaced
 * by block (which must carry its own markers), removed when block is NULL, or
 * inserted at the place ufw_block_anchor names when absent.
 */
enum ufw_anchor {
	UFW_ANCHOR_INIT,   /* before.init: right after the #! line (or at the top) */
	UFW_ANCHOR_FILTER, /* before*.rules: before the COMMIT of the *filter section */
};

bool ufw_block_find(const char *text, size_t len, size_t *start, size_t *end);
/*
 * *out owned, NUL-terminated; -ENOENT when an anchor is needed but missing,
 * -EBADMSG when the markers are not one BEGIN line followed by one END line.
 */
int ufw_block_set(const char *text, size_t len, const char *block, enum ufw_anchor anchor,
		  char **out, size_t *out_len);
/* The exact blocks cdnallow writes; *out owned. */
int ufw_block_rules(bool v6, const char *ports, char **out);
int ufw_block_init(char **out);

/* The handle: configuration and the files ufw keeps its state in. */
struct ufw {
	const struct backend_cfg *cfg;
	char ports[UFW_PORTS_STRLEN];
	char comment[128];
	char dir[64];	     /* /etc/ufw */
	char applied[256];   /* what the last apply() left holding the list ("" before one) */
	size_t calls, total; /* ufw calls made and expected by this apply (progress) */
	bool failed_first;   /* the last apply failed with nothing of ours there before it */
	bool live_added[2];  /* this apply put our rule into ufw-before-input, ufw6-before-input */
};

/* File path of name ("user.rules", "before.init", ...) in u->dir. Inline: ufw_ipset.c
 * needs it, and ufw.c must stay the only file that calls into ufw_ipset.c, not the reverse. */
static inline void ufw_path(const struct ufw *u, const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", u->dir, name);
}
/* Runs `ufw ARGS...` (NULL-terminated); -EIO with ufw's message in d on failure. */
int ufw_run(const char *const *args, struct diag *d);

/* ipset mode (ufw_ipset.c). */
/*
 * The scan of `iptables -S ufw-before-input` output (live_sync): the first
 * -A line equal to mine (our rule; "" to find none) is found, every other line
 * matching our set is stale (to be deleted, in order), pos is the 1-based rule
 * number of the jump to ufw-user-input once they are gone (0: none), rules the
 * -A count then. out is cut into lines in place; stale points into it.
 */
struct ufw_live_scan {
	bool found;
	unsigned pos, rules;
	char **stale; /* owned array */
	size_t nstale;
};
int ufw_live_scan(char *out, bool v6, const char *mine, struct ufw_live_scan *s);
void ufw_live_scan_release(struct ufw_live_scan *s);

struct ufw_ipset_state {
	bool block4, block6,
		init;	   /* our blocks exist in before.rules, before6.rules, before.init */
	bool exact;	   /* all three blocks exist and read exactly as cdnallow writes them */
	bool set4, set6;   /* the kernel sets exist */
	bool live4, live6; /* the running ufw(6)-before-input holds exactly our rule */
};

/* Reads our blocks and, when any exists, the sets' content into out (may be NULL). */
int ufw_ipset_read(struct ufw *u, struct ufw_ipset_state *s, struct prefix_set *out,
		   struct diag *d);
/* Fills the sets with want, writes the blocks and puts the rules into the running chains. */
int ufw_ipset_install(struct ufw *u, const struct prefix_set *want, struct diag *d);
/*
 * Removes the blocks and the running rules, then destroys the sets; without
 * always (flush) only when a block existed.
 */
int ufw_ipset_remove(struct ufw *u, bool always, struct diag *d);
/*
 * After a failed first sync in ipset mode: removes the blocks, the running rules
 * this apply inserted (u->live_added) and the sets, which nothing of ours named before.
 */
int ufw_ipset_undo(struct ufw *u, struct diag *d);

#endif
