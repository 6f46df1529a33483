/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Change events (docs/architecture.md §1, "change events"): what one sync
 * changed, per source and family, as the JSON document the [hooks] on_change
 * command reads on stdin and history.jsonl keeps one per line:
 *   {"format": "cdnallow-change", "version": 1, "time": RFC3339 UTC,
 *    "backend", "mode", "firewall": {"changed": bool, "ipv4": {"added": [cidr…],
 *    "removed": […]}, "ipv6": {…}}, "outputs": [name…],
 *    "sources": [{"name", "ipv4": {"added", "removed"}, "ipv6": {…}}…]}
 * "sources" lists only the sources whose list changed. Building and parsing
 * are pure; the state-dir files are in history.c. Never prints.
 */
#ifndef CDNALLOW_CHANGE_H
#define CDNALLOW_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct diag;
struct prefix_set;

#define CHANGE_FORMAT "cdnallow-change"
#define CHANGE_VERSION 1
#define CHANGE_NAME_MAX 1024 /* a -s source is named by its URL or path */

/* Prefixes of one source (or the firewall) that came and went, both families in each set. */
struct change_delta {
	char name[CHANGE_NAME_MAX];
	struct prefix_set *add, *del; /* owned */
};

struct change {
	time_t time;
	char backend[32], mode[16];
	bool fw_changed;
	struct change_delta fw; /* name "" */
	struct change_delta *src;
	size_t nsrc;
	char (*outputs)[CHANGE_NAME_MAX];
	size_t noutputs;
};

/* Empties c (zeroed memory is an empty change too); 0 or -ENOMEM. */
int change_init(struct change *c);
void change_release(struct change *c);
/* Appends an empty delta named name; *out points at it until the next append. */
int change_add_source(struct change *c, const char *name, struct change_delta **out);
/* Removes the delta change_add_source() appended last (it turned out empty). */
void change_drop_last_source(struct change *c);
int change_add_output(struct change *c, const char *name);
/* No source and no output changed and the firewall did not either. */
bool change_is_empty(const struct change *c);
/* Counts one family (AF_INET/AF_INET6) of a set. */
size_t change_count(const struct prefix_set *s, int family);
/* The document as one line of compact JSON, without newline (*out malloc'd). */
int change_render(const struct change *c, char **out);
/*
 * Parses one document into c (change_init()ed by the caller): format and
 * version checked, every prefix parsed, unknown keys ignored (a newer
 * writer may add some). -EBADMSG with the reason in d.
 */
int change_parse(const char *buf, size_t len, struct change *c, struct diag *d);
/* "2026-12-03T22:40:00Z" */
void change_format_time(time_t t, char *buf, size_t size);

#endif
