// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ufw backend's ipset mode, for lists too long for one ufw rule each: the
 * kernel sets cdnallow4/cdnallow6, created by a marked block in before.init
 * (ufw runs it before loading its rules, at boot and on every reload), and
 * one ACCEPT rule per family in a marked block of before.rules/before6.rules,
 * which make it survive ufw reloads and reboots. ufw itself is never run: the
 * running rule is inserted with iptables where a reload would put it, because
 * a reload briefly drops new connections; routine updates only swap the sets
 * (ipset.c). Every byte of ufw's files outside our
 * blocks is kept as it was; the sets are destroyed only once no rule uses them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fileio.h"
#include "diag.h"
#include "ipset.h"
#include "prefix_set.h"
#include "spawn.h"
#include "ufw_int.h"

#define UFW_FILE_MAX (64u << 20)

enum { F_RULES4, F_RULES6, F_INIT, F_COUNT };

static int live_sync(struct ufw *u, bool v6, bool want, bool *has, struct diag *d);

static const char *const file_names[F_COUNT] = { "before.rules", "before6.rules", "before.init" };

struct ufw_file {
	char path[256];
	char *text; /* owned; "" for a missing file */
	size_t len;
	unsigned mode;
	bool exists;
};

static int file_load(struct ufw *u, int which, struct ufw_file *f, struct diag *d)
{
	struct stat sb;
	int ret;

	memset(f, 0, sizeof(*f));
	ufw_path(u, file_names[which], f->path, sizeof(f->path));
	ret = file_read_all(f->path, UFW_FILE_MAX, &f->text, &f->len);
	if (ret == -ENOENT) {
		f->text = strdup(which == F_INIT ? "#!/bin/sh\n" : "");
		f->len = f->text ? strlen(f->text) : 0;
		f->mode = 0750;
		return f->text ? 0 : -ENOMEM;
	}
	if (ret < 0) {
		diag_err(d, "reading '%s': %s", f->path, strerror(-ret));
		return ret;
	}
	f->exists = true;
	f->mode = stat(f->path, &sb) == 0 ? (unsigned)(sb.st_mode & 07777) : 0640;
	return 0;
}

static void file_release(struct ufw_file *f)
{
	free(f->text);
	f->text = NULL;
}

static int block_want(struct ufw *u, int which, char **out)
{
	if (which == F_INIT)
		return ufw_block_init(out);
	return ufw_block_rules(which == F_RULES6, u->ports, out);
}

/* Is the block there, and is it byte for byte the one we would write? */
static int block_state(struct ufw *u, int which, const struct ufw_file *f, bool *present,
		       bool *exact)
{
	size_t s, e;
	char *want = NULL;
	int ret;

	*present = ufw_block_find(f->text, f->len, &s, &e);
	*exact = false;
	if (!*present)
		return 0;
	ret = block_want(u, which, &want);
	if (ret < 0)
		return ret;
	*exact = strlen(want) == e - s && !memcmp(want, f->text + s, e - s);
	free(want);
	return 0;
}

int ufw_ipset_read(struct ufw *u, struct ufw_ipset_state *s, struct prefix_set *out, struct diag *d)
{
	bool present[F_COUNT], exact[F_COUNT];
	struct ipset_info i4 = { 0 }, i6 = { 0 };
	int ret = 0;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < F_COUNT && !ret; i++) {
		struct ufw_file f;

		ret = file_load(u, i, &f, d);
		if (!ret)
			ret = block_state(u, i, &f, &present[i], &exact[i]);
		if (!ret && i == F_INIT && f.exists && !(f.mode & 0100))
			exact[i] = false;
		file_release(&f);
	}
	if (ret < 0)
		return ret;
	s->block4 = present[F_RULES4];
	s->block6 = present[F_RULES6];
	s->init = present[F_INIT];
	s->exact = exact[F_RULES4] && exact[F_RULES6] && exact[F_INIT];
	if (!s->block4 && !s->block6 && !s->init)
		return 0;
	ret = ipset_read(UFW_SET4, AF_INET, out, &i4, d);
	if (!ret)
		ret = ipset_read(UFW_SET6, AF_INET6, out, &i6, d);
	s->set4 = i4.exists && i4.compatible && i4.plain;
	s->set6 = i6.exists && i6.compatible && i6.plain;
	if (!ret)
		ret = live_sync(u, false, true, &s->live4, d);
	if (!ret)
		ret = live_sync(u, true, true, &s->live6, d);
	return ret;
}

/* Writes file which with our block set to block (NULL removes it); *changed when the text moved. */
static int block_write(struct ufw *u, int which, const char *block, bool *changed, struct diag *d)
{
	struct ufw_file f;
	char *text = NULL;
	size_t len = 0;
	unsigned mode;
	int ret;

	ret = file_load(u, which, &f, d);
	if (ret < 0)
		return ret;
	if (!block && !f.exists)
		goto out;
	ret = ufw_block_set(f.text, f.len, block,
			    which == F_INIT ? UFW_ANCHOR_INIT : UFW_ANCHOR_FILTER, &text, &len);
	if (ret == -ENOENT) {
		diag_err(d,
			 "'%s' has no *filter section ending in COMMIT; cannot add the "
			 "cdnallow block",
			 f.path);
		goto out;
	}
	if (ret == -EBADMSG) {
		diag_err(d,
			 "'%s' holds a '%s' or '%s' line without its pair (edited by hand?); "
			 "remove the stray line so that cdnallow can edit its block",
			 f.path, UFW_BLOCK_BEGIN, UFW_BLOCK_END);
		goto out;
	}
	if (ret < 0)
		goto out;
	/* ufw runs before.init only when it is executable */
	mode = which == F_INIT && block ? f.mode | 0100 : f.mode;
	if (len == f.len && (!len || !memcmp(text, f.text, len)) && mode == f.mode)
		goto out;
	ret = file_write_atomic(f.path, text, len, mode);
	if (ret < 0) {
		diag_err(d, "writing '%s': %s", f.path, strerror(-ret));
		goto out;
	}
	*changed = true;
out:
	free(text);
	file_release(&f);
	return ret;
}

#define IPT_TIMEOUT_MS 30000
#define LIVE_ARGS 32

static const char *ipt_prog(bool v6)
{
	return v6 ? "ip6tables" : "iptables";
}

static const char *chain_name(bool v6)
{
	return v6 ? "ufw6-before-input" : "ufw-before-input";
}

/* Runs iptables/ip6tables with argv split from line at spaces (our rules never quote). */
static int ipt_line(bool v6, const char *op, const char *pos, char *line, struct diag *d)
{
	const char *argv[LIVE_ARGS] = { ipt_prog(v6), "-w", "10", op, chain_name(v6) };
	struct spawn_opts o = { .argv = argv, .timeout_ms = IPT_TIMEOUT_MS, .discard_out = true };
	struct spawn_result r = { 0 };
	size_t n = 5;
	char *save = NULL, *tok;
	int ret;

	if (pos)
		argv[n++] = pos;
	/* skip "-A CHAIN" */
	tok = strtok_r(line, " ", &save);
	tok = tok ? strtok_r(NULL, " ", &save) : NULL;
	while (tok && n + 1 < LIVE_ARGS) {
		tok = strtok_r(NULL, " ", &save);
		if (tok)
			argv[n++] = tok;
	}
	argv[n] = NULL;
	o.what = argv[0];
	ret = spawn_run_checked(&o, &r, d);
	spawn_result_release(&r);
	return ret;
}

void ufw_live_scan_release(struct ufw_live_scan *s)
{
	free(s->stale);
	memset(s, 0, sizeof(*s));
}

int ufw_live_scan(char *out, bool v6, const char *mine, struct ufw_live_scan *s)
{
	char *jump = NULL, *match = NULL, *line, *save = NULL;
	unsigned rule = 0;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	if (asprintf(&jump, "-A %s -j %s-user-input", chain_name(v6), v6 ? "ufw6" : "ufw") < 0 ||
	    asprintf(&match, " --match-set %s src ", v6 ? UFW_SET6 : UFW_SET4) < 0) {
		jump = NULL;
		ret = -ENOMEM;
		goto out;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char **grown;

		if (strncmp(line, "-A ", 3))
			continue;
		rule++;
		/* numbered as after the deletions of the stale lines before it */
		if (!s->pos && !strcmp(line, jump))
			s->pos = rule - (unsigned)s->nstale;
		if (!strstr(line, match))
			continue;
		if (!s->found && !strcmp(line, mine)) {
			s->found = true;
			continue;
		}
		/* an old port list or a duplicate */
		grown = realloc(s->stale, (s->nstale + 1) * sizeof(*s->stale));
		if (!grown) {
			ret = -ENOMEM;
			goto out;
		}
		s->stale = grown;
		s->stale[s->nstale++] = line;
	}
	s->rules = rule - (unsigned)s->nstale;
out:
	if (ret < 0)
		ufw_live_scan_release(s);
	free(jump);
	free(match);
	return ret;
}

/*
 * Makes the running ufw-before-input hold exactly our rule (want) or none of
 * ours, without `ufw reload`: a reload flushes ufw's chains and leaves new
 * connections to the DROP policy for a moment (measured: failed connections
 * from the CDN host in test_ufw_e2e.sh). The rule goes where a reload would
 * put it, just before the jump to ufw-user-input.
 */
static int live_sync(struct ufw *u, bool v6, bool want, bool *has, struct diag *d)
{
	const char *argv[] = { ipt_prog(v6), "-w", "10", "-S", chain_name(v6), NULL };
	struct spawn_opts o = { .argv = argv, .timeout_ms = IPT_TIMEOUT_MS, .what = argv[0] };
	struct spawn_result r = { 0 };
	struct ufw_live_scan scan = { 0 };
	char *block = NULL, *mine = NULL;
	int ret;

	ret = ufw_block_rules(v6, u->ports, &block);
	if (ret < 0)
		goto out;
	/* the block's rule line is the one before "# END cdnallow" */
	mine = strstr(block, "\n-A ");
	if (!mine) {
		ret = -EINVAL;
		goto out;
	}
	mine++;
	mine[strcspn(mine, "\n")] = '\0';
	ret = spawn_run_checked(&o, &r, d);
	if (ret == 0)
		ret = ufw_live_scan(r.out ? r.out : (char[]){ "" }, v6, want ? mine : "", &scan);
	if (ret < 0)
		goto out;
	if (has) {
		*has = scan.found && scan.nstale == 0;
		goto out;
	}
	for (size_t i = 0; i < scan.nstale && ret == 0; i++)
		ret = ipt_line(v6, "-D", NULL, scan.stale[i], d);
	if (!ret && want && !scan.found) {
		char num[16];

		snprintf(num, sizeof(num), "%u", scan.pos ? scan.pos : scan.rules + 1);
		ret = ipt_line(v6, "-I", num, mine, d);
		u->live_added[v6] = ret == 0;
	}
out:
	ufw_live_scan_release(&scan);
	spawn_result_release(&r);
	free(block);
	return ret;
}

int ufw_ipset_install(struct ufw *u, const struct prefix_set *want, struct diag *d)
{
	struct ipset_job jobs[2] = { { .name = UFW_SET4, .family = AF_INET, .want = want },
				     { .name = UFW_SET6, .family = AF_INET6, .want = want } };
	bool changed = false;
	int ret;

	/* the sets exist and are full before any rule can name them */
	ret = ipset_replace(jobs, 2, NULL, d);
	for (int i = 0; i < F_COUNT && !ret; i++) {
		char *block = NULL;

		ret = block_want(u, i, &block);
		if (!ret)
			ret = block_write(u, i, block, &changed, d);
		free(block);
	}
	if (!ret)
		ret = live_sync(u, false, true, NULL, d);
	if (!ret)
		ret = live_sync(u, true, true, NULL, d);
	return ret;
}

int ufw_ipset_remove(struct ufw *u, bool always, struct diag *d)
{
	bool changed_rules = false, changed_init = false;
	char path[256];
	int ret = 0;

	for (int i = 0; i < F_COUNT && !ret; i++)
		ret = block_write(u, i, NULL, i == F_INIT ? &changed_init : &changed_rules, d);
	if (ret)
		return ret;
	/* rules mode without blocks (the common case) spawns no iptables or ipset at all */
	if (!changed_rules && !changed_init && !always)
		return 0;
	ret = live_sync(u, false, false, NULL, d);
	if (!ret)
		ret = live_sync(u, true, false, NULL, d);
	if (ret)
		return ret;
	if (!spawn_find_program("ipset", path, sizeof(path)))
		return 0;
	ret = ipset_destroy(UFW_SET4, d);
	if (!ret)
		ret = ipset_destroy(UFW_SET6, d);
	return ret;
}

int ufw_ipset_undo(struct ufw *u, struct diag *d)
{
	bool changed = false;
	char path[256];
	int ret = 0;

	for (int i = 0; i < F_COUNT && !ret; i++)
		ret = block_write(u, i, NULL, &changed, d);
	/* a family whose chain refused our rule (the failure being undone) is not asked again */
	for (int v6 = 0; v6 < 2 && !ret; v6++) {
		if (u->live_added[v6])
			ret = live_sync(u, v6, false, NULL, d);
	}
	if (ret || !spawn_find_program("ipset", path, sizeof(path)))
		return ret;
	ret = ipset_destroy(UFW_SET4, d);
	if (!ret)
		ret = ipset_destroy(UFW_SET6, d);
	return ret;
}
