// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cdnallow providers: the built-in providers, their endpoints, floors,
 * filters and the capture date and age of the built-in snapshot. Reads only the registry.
 */
#include <jansson.h>
#include <stdio.h>
#include <time.h>

#include "age.h"
#include "cli.h"
#include "msg.h"
#include "source.h"

/* The snapshot's capture date (UTC, ISO 8601), or "" when the provider has none. */
static void snapshot_date(const struct snapshot *snap, char *buf, size_t size)
{
	time_t taken = snap ? (time_t)snap->taken : 0;
	struct tm tm;

	buf[0] = '\0';
	if (snap && gmtime_r(&taken, &tm))
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *provider_json(const struct provider *p, time_t now)
{
	const struct snapshot *snap = snapshot_find(p->name);
	json_t *urls = json_array();
	long long age = snap ? (long long)(now - snap->taken) : -1;
	char date[32];

	snapshot_date(snap, date, sizeof(date));
	for (size_t i = 0; urls && p->urls[i]; i++)
		json_array_append_new(urls, json_string(p->urls[i]));
	return json_pack("{s:s, s:s, s:o, s:s?, s:I, s:s?, s:I, s:s?, s:I}", "name", p->name,
			 "summary", p->summary, "urls", urls, "alt_url", p->alt_url, "floor",
			 (json_int_t)p->floor, "filter", p->default_filter, "snapshot_age_s",
			 (json_int_t)age, "snapshot_captured", snap ? date : NULL,
			 "snapshot_age_days", (json_int_t)(snap ? age / 86400 : -1));
}

int cmd_providers(int argc, char **argv)
{
	time_t now = time(NULL);
	struct cli_opts o;
	json_t *all;
	int ret;

	ret = cli_parse(argc, argv, &o);
	if (ret != CLI_CONTINUE)
		return ret;
	if (o.json) {
		all = json_array();
		for (size_t i = 0; all && provider_registry[i]; i++)
			json_array_append_new(all, provider_json(provider_registry[i], now));
		if (!all)
			return EXIT_ERROR;
		msg_out_json(all);
		json_decref(all);
		return EXIT_OK;
	}
	for (size_t i = 0; provider_registry[i]; i++) {
		const struct provider *p = provider_registry[i];
		const struct snapshot *snap = snapshot_find(p->name);

		msg_out("%-16s %s\n", p->name, p->summary);
		for (size_t u = 0; p->urls[u]; u++)
			msg_out("%16s url %s\n", "", p->urls[u]);
		if (!p->urls[0])
			msg_out("%16s no public URL: set [provider:%s] path = FILE\n", "", p->name);
		if (p->alt_url)
			msg_out("%16s alternative %s\n", "", p->alt_url);
		msg_out("%16s floor %zu", "", p->floor);
		if (p->default_filter)
			msg_out(", filter %s", p->default_filter);
		if (snap) {
			char date[32], age[32];

			snapshot_date(snap, date, sizeof(date));
			age_format((long long)(now - snap->taken), age, sizeof(age));
			msg_out(", snapshot captured %.10s (%s old)", date, age);
		} else {
			msg_out(", no built-in snapshot");
		}
		msg_out("\n");
	}
	return EXIT_OK;
}
