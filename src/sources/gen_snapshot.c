// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Build-time tool: reads data/snapshot/MANIFEST (provider, capture date, file,
 * endpoint), parses each real provider payload with the providers' own parsers
 * and writes the aggregated lists as C source, so the binary carries a
 * snapshot without checked-in blobs. Missing data, a manifest that disagrees
 * with the provider registry or a payload that no longer parses fails the
 * build rather than shipping a binary without (part of) its snapshot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileio.h"
#include "diag.h"
#include "prefix_set.h"
#include "source.h"

/* The generator runs before the real snapshot exists: snapshot_find() sees this empty one. */
const struct snapshot snapshot_table[] = { { NULL, NULL, 0 } };

#define MAX_DEFS 32
#define MAX_FILES 4

struct snap_def {
	char provider[64];
	char files[MAX_FILES][128];
	size_t nfiles;
	long long taken; /* the oldest capture among the provider's files */
};

struct manifest {
	struct snap_def defs[MAX_DEFS];
	size_t n;
};

/* "2025-07-24T20:23:14Z" -> unix time; only this UTC form is accepted. */
static int parse_utc(const char *s, long long *out)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);

	if (!end || *end)
		return -EINVAL;
	*out = (long long)timegm(&tm);
	return 0;
}

/* The manifest's endpoint must be one the provider really fetches: one truth for URLs. */
static int check_endpoint(const struct provider *prov, const char *url)
{
	if (!strcmp(url, "-"))
		return prov->urls[0] ? -EINVAL : 0;
	for (size_t i = 0; prov->urls[i]; i++) {
		if (!strcmp(prov->urls[i], url))
			return 0;
	}
	return -EINVAL;
}

static struct snap_def *def_for(struct manifest *m, const char *provider)
{
	for (size_t i = 0; i < m->n; i++) {
		if (!strcmp(m->defs[i].provider, provider))
			return &m->defs[i];
	}
	if (m->n == MAX_DEFS || strlen(provider) >= sizeof(m->defs[0].provider))
		return NULL;
	snprintf(m->defs[m->n].provider, sizeof(m->defs[0].provider), "%s", provider);
	m->defs[m->n].taken = -1;
	return &m->defs[m->n++];
}

/* One "provider<TAB>captured<TAB>file<TAB>endpoint" line into m. */
static int manifest_line(struct manifest *m, char *line, const char *where)
{
	char *f[4];
	char *save = NULL;
	struct snap_def *def;
	long long taken;
	size_t n = 0;

	for (char *t = strtok_r(line, "\t\n", &save); t && n < 4; t = strtok_r(NULL, "\t\n", &save))
		f[n++] = t;
	if (n != 4 || parse_utc(f[1], &taken) < 0) {
		fprintf(stderr,
			"gen_snapshot: %s: want provider, YYYY-MM-DDTHH:MM:SSZ, file, "
			"endpoint (tab-separated)\n",
			where);
		return -EINVAL;
	}
	if (!provider_find(f[0]) || check_endpoint(provider_find(f[0]), f[3]) < 0) {
		fprintf(stderr, "gen_snapshot: %s: '%s' is not an endpoint of provider '%s'\n",
			where, f[3], f[0]);
		return -EINVAL;
	}
	def = def_for(m, f[0]);
	if (!def || def->nfiles == MAX_FILES || strlen(f[2]) >= sizeof(def->files[0]) ||
	    strchr(f[2], '/')) {
		fprintf(stderr, "gen_snapshot: %s: bad file name or too many entries\n", where);
		return -EINVAL;
	}
	snprintf(def->files[def->nfiles++], sizeof(def->files[0]), "%s", f[2]);
	if (def->taken < 0 || taken < def->taken)
		def->taken = taken;
	return 0;
}

static int manifest_read(const char *dir, struct manifest *m)
{
	char path[4096], line[1024], where[4200];
	unsigned lineno = 0;
	int ret = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	fp = fopen(path, "r");
	if (!fp) {
		fprintf(stderr,
			"gen_snapshot: %s: %s (the snapshot data folder %s is incomplete)\n", path,
			strerror(errno), dir);
		return -errno;
	}
	while (ret == 0 && fgets(line, sizeof(line), fp)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		ret = manifest_line(m, line, where);
	}
	fclose(fp);
	if (ret == 0 && m->n == 0) {
		fprintf(stderr, "gen_snapshot: %s: no provider listed\n", path);
		ret = -EINVAL;
	}
	return ret;
}

static int emit_one(FILE *out, const char *dir, const struct snap_def *def)
{
	const struct provider *prov = provider_find(def->provider);
	struct prefix_set *set = prefix_set_new(), *excl = prefix_set_new();
	struct source src = { 0 };
	struct diag d;
	int ret = -ENOMEM;

	diag_init(&d);
	if (!set || !excl)
		goto out;
	ret = source_init_provider(&src, prov);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < def->nfiles; i++) {
		char path[4096];
		char *body = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, def->files[i]);
		ret = file_read_all(path, 64u << 20, &body, &len);
		if (ret < 0) {
			fprintf(stderr, "gen_snapshot: %s: %s\n", path, strerror(-ret));
			goto out;
		}
		ret = source_parse_endpoint(&src, i, body, len, set, excl, &d);
		free(body);
		if (ret < 0) {
			fprintf(stderr, "gen_snapshot: %s: %s\n", path, d.msg);
			goto out;
		}
	}
	ret = source_finish(&src, set, excl, &d);
	if (ret < 0 || set->n == 0) {
		fprintf(stderr, "gen_snapshot: %s: empty snapshot\n", def->provider);
		ret = -EINVAL;
		goto out;
	}
	fprintf(out, "\t{ \"%s\",\n\t  \"", def->provider);
	for (size_t i = 0; i < set->n; i++) {
		char buf[PREFIX_STRLEN];

		prefix_format(&set->v[i], buf, sizeof(buf));
		fprintf(out, "%s\\n%s", buf,
			(i + 1) % 4 == 0 && i + 1 < set->n ? "\"\n\t  \"" : "");
	}
	fprintf(out, "\",\n\t  %lldLL },\n", def->taken);
	ret = 0;
out:
	source_release(&src);
	prefix_set_free(set);
	prefix_set_free(excl);
	diag_release(&d);
	return ret;
}

int main(int argc, char **argv)
{
	static struct manifest m;
	FILE *out;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_snapshot SNAPSHOT_DIR OUTPUT.c\n");
		return 2;
	}
	ret = manifest_read(argv[1], &m);
	if (ret < 0)
		return 1;
	out = fopen(argv[2], "w");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	fprintf(out,
		"/* Generated by gen_snapshot from %s: do not edit. */\n"
		"#include <stddef.h>\n#include \"source.h\"\n\n"
		"const struct snapshot snapshot_table[] = {\n",
		argv[1]);
	for (size_t i = 0; i < m.n && ret == 0; i++)
		ret = emit_one(out, argv[1], &m.defs[i]);
	fprintf(out, "\t{ NULL, NULL, 0 },\n};\n");
	if (fclose(out) != 0 || ret < 0) {
		remove(argv[2]);
		return 1;
	}
	return 0;
}
