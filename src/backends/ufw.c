// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ufw backend. Up to cfg->ufw_ipset_threshold prefixes it keeps one ufw
 * rule per prefix (`ufw allow proto tcp from P to any port PORTS comment
 * 'cdnallow:<tag>'`), read back from the `### tuple ###` lines of user.rules
 * and user6.rules; above it, ipset mode (ufw_ipset.c). A ufw call costs
 * 0.1-1 s, so only the difference is applied, additions before deletions, and
 * a sync with nothing to change runs ufw not once. It never touches a rule
 * whose comment is not cdnallow's, never parses `ufw status` and never runs
 * `ufw enable`, `disable` or `reset`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "fileio.h"
#include "diag.h"
#include "plan.h"
#include "prefix_set.h"
#include "spawn.h"
#include "ufw_int.h"

#define UFW_DIR "/etc/ufw"
#define UFW_TIMEOUT_MS 120000
#define UFW_FILE_MAX (64u << 20)

int ufw_run(const char *const *args, struct diag *d)
{
	const char *argv[24] = { "ufw" };
	struct spawn_opts o = { .argv = argv, .timeout_ms = UFW_TIMEOUT_MS, .what = NULL };
	struct spawn_result r = { 0 };
	char what[64];
	size_t i;
	int ret;

	for (i = 0; args[i] && i + 2 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	snprintf(what, sizeof(what), "ufw %s", args[0]);
	o.what = what;
	ret = spawn_run_checked(&o, &r, d);
	spawn_result_release(&r);
	return ret;
}

/* ufw.conf's ENABLED=yes: what `ufw enable` writes and ufw-init checks at boot. */
static bool ufw_conf_enabled(void)
{
	char *buf = NULL;
	size_t len = 0;
	bool on = false;

	if (file_read_all(UFW_DIR "/ufw.conf", 1u << 20, &buf, &len) < 0)
		return false;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		line += strspn(line, " \t");
		if (!strncmp(line, "ENABLED=", 8))
			on = !strncmp(line + 8, "yes", 3) || !strncmp(line + 8, "\"yes\"", 5);
		line = nl ? nl + 1 : NULL;
	}
	free(buf);
	return on;
}

/* ufw's chains are in the kernel only while it runs (ENABLED=yes alone survives a flush). */
static bool ufw_chains_loaded(void)
{
	const char *argv[] = { "iptables", "-w", "5", "-S", "ufw-user-input", NULL };
	struct spawn_opts o = { .argv = argv, .discard_out = true, .timeout_ms = 10000 };
	struct spawn_result r = { 0 };
	bool ok = spawn_run(&o, &r, NULL) == 0 && r.status == 0;

	spawn_result_release(&r);
	return ok;
}

/*
 * Every ufw command holds a POSIX lock on /run/ufw.lock, and `ufw reload`
 * takes its chains out of the kernel while it holds it. Waiting until the lock
 * is free lets a sync that meets a reload see ufw as it is afterwards instead
 * of "inactive". The lock is not kept: the ufw commands cdnallow runs take it
 * themselves (a held lock would deadlock them).
 */
static void ufw_wait_idle(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	int fd = open("/run/ufw.lock", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0;
	     i < 600 && fcntl(fd, F_SETLK, &fl) < 0 && (errno == EACCES || errno == EAGAIN); i++)
		nanosleep(&pause, NULL);
	close(fd); /* closing releases the lock if we got it */
}

/*
 * Enabled in ufw.conf and its chains loaded, once no ufw command is running:
 * `ufw reload` is a disable (ENABLED=no, chains out) and an enable.
 */
static bool ufw_active(void)
{
	if (ufw_conf_enabled() && ufw_chains_loaded())
		return true;
	ufw_wait_idle();
	return ufw_conf_enabled() && ufw_chains_loaded();
}

static int ufw_detect(struct diag *d)
{
	char path[256];

	(void)d;
	if (!spawn_find_program("ufw", path, sizeof(path)))
		return 0;
	return ufw_active() ? 30 : 0;
}

/* The tag goes through ufw's argument parser: keep it to harmless characters. */
static void make_comment(char *out, size_t size, const char *tag)
{
	size_t n;

	snprintf(out, size, "%s%s%.100s", UFW_COMMENT_PREFIX, tag && *tag ? ":" : "",
		 tag ? tag : "");
	n = strlen(UFW_COMMENT_PREFIX);
	for (char *c = out + n; *c; c++) {
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
		    !(*c >= '0' && *c <= '9') && !strchr(":+-_./", *c))
			*c = '_';
	}
}

static int ufw_open(const struct backend_cfg *cfg, void **handle, struct diag *d)
{
	char path[256];
	struct ufw *u;
	int ret;

	*handle = NULL;
	if (!spawn_find_program("ufw", path, sizeof(path))) {
		diag_err(d, "ufw is not installed; install it or pick another backend with -b");
		return -ENOENT;
	}
	if (!ufw_active()) {
		diag_err(d, "ufw is not active (ufw status: inactive); enable it with `ufw enable` "
			    "or pick another backend with -b");
		return -ENOTSUP;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	ret = ufw_ports_format(cfg->ports, cfg->nports, u->ports, sizeof(u->ports));
	if (ret < 0) {
		diag_err(d, "ufw takes 1 to %d ports, not %zu", UFW_PORTS_MAX, cfg->nports);
		free(u);
		return ret;
	}
	u->cfg = cfg;
	make_comment(u->comment, sizeof(u->comment), cfg->source_tag);
	snprintf(u->dir, sizeof(u->dir), "%s", UFW_DIR);
	*handle = u;
	return 0;
}

static void ufw_close(void *h)
{
	free(h);
}

static int read_rules(struct ufw *u, struct ufw_rules *r, struct diag *d)
{
	static const char *const files[] = { "user.rules", "user6.rules" };
	int ret = 0;

	for (size_t i = 0; i < 2 && !ret; i++) {
		char path[256], *buf = NULL;
		size_t len = 0;

		ufw_path(u, files[i], path, sizeof(path));
		ret = file_read_all(path, UFW_FILE_MAX, &buf, &len);
		if (ret == -ENOENT) {
			ret = 0;
			continue;
		}
		if (ret < 0) {
			diag_err(d, "reading '%s': %s", path, strerror(-ret));
			break;
		}
		ret = ufw_rules_parse(r, buf, len, i == 1, d);
		free(buf);
	}
	return ret;
}

/* Our rule is one cdnallow writes itself: a plain allow of a single prefix (any ports). */
static bool ours_deletable(const struct ufw_rule *x, struct prefix *p)
{
	return ufw_rule_is_ours(x) && !x->forward && !x->app && !strcmp(x->action, "allow") &&
	       !strcmp(x->proto, "tcp") && !strcmp(x->sport, "any") && !strcmp(x->dir, "in") &&
	       ufw_rule_src_prefix(x, p);
}

static size_t find_rule(const struct ufw_rules *r, const struct prefix *p, const char *ports,
			bool *ours)
{
	struct prefix q;

	for (size_t i = 0; i < r->n; i++) {
		if (ufw_rule_is_plain_allow(&r->v[i], ports) && ufw_rule_src_prefix(&r->v[i], &q) &&
		    prefix_equal(&q, p)) {
			*ours = ufw_rule_is_ours(&r->v[i]);
			return i;
		}
	}
	return r->n;
}

static int ufw_read(void *h, struct backend_state *st, struct diag *d)
{
	struct ufw *u = h;
	struct ufw_rules r = { 0 };
	struct ufw_ipset_state is = { 0 };
	size_t ours = 0, bad = 0, manual = 0, n;
	struct prefix p;
	bool ipset_mode;
	int ret;

	ret = read_rules(u, &r, d);
	if (ret < 0)
		goto out;
	ret = ufw_ipset_read(u, &is, st->set, d);
	if (ret < 0)
		goto out;
	ipset_mode = is.block4 || is.block6 || is.init || is.set4 || is.set6;
	for (size_t i = 0; i < r.n; i++) {
		const struct ufw_rule *x = &r.v[i];

		if (ufw_rule_is_ours(x)) {
			ours++;
			if (!ufw_rule_is_plain_allow(x, u->ports) || !ufw_rule_src_prefix(x, &p)) {
				bad++;
				continue;
			}
		} else if (ipset_mode || !ufw_rule_is_plain_allow(x, u->ports) ||
			   !ufw_rule_src_prefix(x, &p)) {
			continue;
		} else {
			manual++;
		}
		ret = prefix_set_add(st->set, &p);
		if (ret < 0)
			goto out;
	}
	n = st->set->n;
	ret = prefix_set_aggregate(st->set);
	if (ret < 0)
		goto out;
	if (manual)
		diag_warn(d,
			  "ufw: %zu rule(s) not made by cdnallow already allow CDN prefixes on "
			  "port %s; cdnallow counts them and leaves them alone",
			  manual, u->ports);
	st->present = ours > 0 || ipset_mode;
	/* n != set->n: duplicates or mergeable rules, which apply() cleans up */
	if (ipset_mode) {
		st->complete = ours == 0 && is.exact && is.set4 && is.set6 && is.live4 &&
			       is.live6 && st->set->n > u->cfg->ufw_ipset_threshold;
		snprintf(st->where, sizeof(st->where),
			 "ipsets %s/%s + blocks in %s/before.rules, before6.rules, before.init%s",
			 UFW_SET4, UFW_SET6, u->dir, ours ? " (and per-prefix rules)" : "");
	} else {
		st->complete =
			bad == 0 && n == st->set->n && st->set->n <= u->cfg->ufw_ipset_threshold;
		snprintf(st->where, sizeof(st->where),
			 "%zu ufw rules in %s/user.rules, user6.rules", ours, u->dir);
	}
out:
	ufw_rules_release(&r);
	return ret;
}

static int rule_add(struct ufw *u, const struct prefix *p, struct diag *d)
{
	char src[PREFIX_STRLEN];
	const char *args[] = { "allow", "proto", "tcp",	   "from",    src,	  "to",
			       "any",	"port",	 u->ports, "comment", u->comment, NULL };

	prefix_format(p, src, sizeof(src));
	return ufw_run(args, d);
}

/* ufw matches a delete on the rule's fields, never its comment. */
static int rule_delete(const struct ufw_rule *x, struct diag *d)
{
	const char *args[] = { "delete", "allow", "proto", "tcp",    "from", x->src,
			       "to",	 "any",	  "port",  x->dport, NULL };

	if (!strcmp(x->dport, "any"))
		args[8] = NULL;
	return ufw_run(args, d);
}

static bool wanted(const struct prefix_set *want, const struct prefix *p)
{
	for (size_t i = 0; i < want->n; i++) {
		if (prefix_equal(&want->v[i], p))
			return true;
	}
	return false;
}

/*
 * Deletes every rule of ours that is not an exact wanted prefix on the right
 * ports (all of them when want is NULL). ufw keeps one rule per tuple, so a
 * delete by tuple never takes a second rule with it.
 */
/*
 * One planned change done (a ufw call, or a rule found already there): each
 * call takes about a second, so a terminal is told. A repair (ports changed)
 * makes more calls than the plan has changes: the total grows with them.
 */
static void advance(struct ufw *u)
{
	if (++u->calls > u->total)
		u->total = u->calls;
	backend_progress(u->cfg, "ufw", u->calls, u->total);
}

static int delete_stale(struct ufw *u, const struct prefix_set *want, struct diag *d)
{
	struct ufw_rules r = { 0 };
	struct prefix p;
	int ret;

	ret = read_rules(u, &r, d);
	if (!want) {
		/* everything of ours goes: now the number of calls is known */
		u->calls = 0;
		u->total = 0;
		for (size_t i = 0; !ret && i < r.n; i++)
			u->total += ufw_rule_is_ours(&r.v[i]);
	}
	for (size_t i = 0; i < r.n && !ret; i++) {
		const struct ufw_rule *x = &r.v[i];

		if (!ufw_rule_is_ours(x))
			continue;
		if (!ours_deletable(x, &p)) {
			diag_warn(d,
				  "ufw: %s:%u carries a cdnallow comment but is no rule cdnallow "
				  "writes; left alone",
				  x->v6 ? "user6.rules" : "user.rules", x->line);
			continue;
		}
		if (want && ufw_rule_is_plain_allow(x, u->ports) && wanted(want, &p))
			continue;
		ret = rule_delete(x, d);
		advance(u);
	}
	ufw_rules_release(&r);
	return ret;
}

static int add_missing(struct ufw *u, const struct prefix_set *want, struct diag *d)
{
	struct ufw_rules r = { 0 };
	char buf[PREFIX_STRLEN];
	int ret;

	ret = read_rules(u, &r, d);
	for (size_t i = 0; i < want->n && !ret; i++) {
		bool ours = false;

		if (find_rule(&r, &want->v[i], u->ports, &ours) < r.n) {
			if (!ours) {
				prefix_format(&want->v[i], buf, sizeof(buf));
				diag_warn(d,
					  "ufw: a rule not made by cdnallow already allows %s on "
					  "port %s; not duplicated",
					  buf, u->ports);
			}
			advance(u);
			continue;
		}
		ret = rule_add(u, &want->v[i], d);
		advance(u);
	}
	ufw_rules_release(&r);
	return ret;
}

static int ufw_apply(void *h, const struct plan *p, struct diag *d)
{
	struct ufw *u = h;
	size_t n4 = prefix_set_count(p->want, AF_INET), n6 = prefix_set_count(p->want, AF_INET6);
	int ret;

	u->applied[0] = '\0';
	u->live_added[0] = u->live_added[1] = false;
	u->calls = 0;
	u->total = p->add->n + p->del->n;
	if (p->want->n > u->cfg->ufw_ipset_threshold) {
		/* the sets and their rule are live before the per-prefix rules go */
		ret = ufw_ipset_install(u, p->want, d);
		if (!ret)
			ret = delete_stale(u, NULL, d);
		if (!ret)
			snprintf(u->applied, sizeof(u->applied),
				 "ipsets %s, %s with %zu + %zu members, matched by a rule in "
				 "%s/before.rules, before6.rules; created by before.init",
				 UFW_SET4, UFW_SET6, n4, n6, u->dir);
		u->failed_first = ret && p->create;
		return ret;
	}
	ret = add_missing(u, p->want, d);
	if (!ret)
		ret = ufw_ipset_remove(u, false, d);
	if (!ret)
		ret = delete_stale(u, p->want, d);
	if (!ret)
		snprintf(u->applied, sizeof(u->applied),
			 "%zu ufw rules in %s/user.rules, user6.rules (%zu IPv4, %zu IPv6)",
			 n4 + n6, u->dir, n4, n6);
	u->failed_first = ret && p->create;
	return ret;
}

/*
 * backend_ops.undo_new. A first sync found no rule with a cdnallow comment, no
 * block and no set (ufw_read's present), so every deletable rule of ours and
 * the ipset mode's objects are this failed apply's; the admin's rules carry
 * no cdnallow comment and stay.
 */
static int ufw_undo_new(void *h, struct diag *d)
{
	struct ufw *u = h;
	int ret;

	if (!u->failed_first)
		return 0;
	u->failed_first = false;
	ret = delete_stale(u, NULL, d);
	if (!ret)
		ret = ufw_ipset_undo(u, d);
	return ret < 0 ? ret : 1;
}

static void ufw_describe(void *h, char *where, size_t size)
{
	const struct ufw *u = h;

	if (u->applied[0])
		snprintf(where, size, "%s", u->applied);
}

static int ufw_flush(void *h, struct diag *d)
{
	struct ufw *u = h;
	int ret = delete_stale(u, NULL, d);

	if (!ret)
		ret = ufw_ipset_remove(u, true, d);
	return ret;
}

/* DEFAULT_INPUT_POLICY in /etc/default/ufw: with ACCEPT nothing needs allowing. */
static bool default_input_accepts(void)
{
	char *buf = NULL;
	size_t len = 0;
	bool acc;

	if (file_read_all("/etc/default/ufw", 1u << 20, &buf, &len) < 0)
		return false;
	acc = strstr(buf, "\nDEFAULT_INPUT_POLICY=\"ACCEPT\"") != NULL;
	free(buf);
	return acc;
}

static int ufw_audit(void *h, struct diag *d)
{
	struct ufw *u = h;
	struct ufw_rules r = { 0 };
	struct ufw_ipset_state is = { 0 };
	int ret;

	ret = read_rules(u, &r, d);
	if (!ret)
		ret = ufw_ipset_read(u, &is, NULL, d);
	if (ret < 0)
		goto out;
	if (default_input_accepts())
		diag_warn(d,
			  "ufw: the default incoming policy is allow: every source reaches "
			  "the web ports; `ufw default deny incoming` makes the allowlist matter");
	ufw_rules_audit(&r, u->cfg->ports, u->cfg->nports, is.block4 || is.block6, d);
out:
	ufw_rules_release(&r);
	return ret;
}

const struct backend_ops backend_ufw = {
	.name = "ufw",
	.summary = "ufw: one rule per prefix in user.rules, ipsets above a threshold",
	.detect = ufw_detect,
	.open = ufw_open,
	.read = ufw_read,
	.apply = ufw_apply,
	.describe = ufw_describe,
	.undo_new = ufw_undo_new,
	.flush = ufw_flush,
	.audit = ufw_audit,
	.close = ufw_close,
};
