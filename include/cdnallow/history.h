/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state-dir files of change events (docs/architecture.md §1):
 * history.jsonl, one change document (change.h) a line, rotated to
 * history.jsonl.1 beyond HISTORY_ROTATE_SIZE, so the two together stay under
 * about twice that; and sources.rec (formerly sources.json), per source the list of the last
 * successful sync and the running count of prefixes added and removed (what
 * the next sync's per-source difference and the ranges_changed_total metric
 * come from). Both follow the state dir's rules: never through a symlink,
 * only regular files owned by root (or the running user) that nobody else
 * may write. Never prints.
 */
#ifndef CDNALLOW_HISTORY_H
#define CDNALLOW_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "change.h"

struct diag;
struct prefix_set;

#define HISTORY_FILE "history.jsonl"
#define HISTORY_OLD_FILE "history.jsonl.1"
#define HISTORY_SOURCES_FILE "sources.json" /* before 2026-12: read once, then removed */
#define HISTORY_SOURCES_REC "sources.rec"
#define HISTORY_ROTATE_SIZE (1024u * 1024u)
#define HISTORY_READ_MAX (64u << 20)

/*
 * Appends doc and a newline to STATE_DIR/history.jsonl (0600), first moving a
 * file that would grow past rotate_at bytes to history.jsonl.1 (replacing
 * the older one). A torn last line of a crashed run is ended first, so it
 * spoils no other line.
 */
int history_append(const char *state_dir, const char *doc, size_t rotate_at, struct diag *d);

struct history {
	struct change *v;
	size_t n;
};

/*
 * Appends the documents of buf's lines to h. A line that is not a valid
 * document is skipped with a warning "origin:LINE: …" in d; only memory
 * exhaustion fails (-ENOMEM).
 */
int history_parse(const char *buf, size_t len, const char *origin, struct history *h,
		  struct diag *d);
/* history.jsonl.1 then history.jsonl, oldest first; missing files are empty. */
int history_read(const char *state_dir, struct history *h, struct diag *d);
void history_release(struct history *h);

struct source_record {
	char name[CHANGE_NAME_MAX];
	struct prefix_set *set;		  /* owned unless borrowed */
	unsigned long long changed_total; /* prefixes added + removed, all syncs */
	bool borrowed;			  /* set belongs to the caller of history_borrow_source */
};

struct source_records {
	struct source_record *v;
	size_t n;
	bool legacy; /* read from sources.json or version 2: the next save writes version 3 */
	struct prefix_set *applied; /* owned: applied.rec's set, which references borrow */
};

/* Parses a sources.json text into r (empty); -EBADMSG with the reason in d. */
int history_parse_sources(const char *buf, size_t len, struct source_records *r, struct diag *d);
/*
 * Parses a sources.rec image (version 3, or 2 of before 2026-12) into r
 * (empty); -EBADMSG with the reason in d. A record that refers to the applied
 * set borrows applied, the set of applied.rec whose checksum is
 * history_sources_ref(buf): without one such a record is -EBADMSG.
 */
int history_unpack_sources(const void *buf, size_t len, const struct prefix_set *applied,
			   struct source_records *r, struct diag *d);
/* The applied.rec checksum a sources.rec image's references name; 0 when none. */
uint64_t history_sources_ref(const void *buf, size_t len);
/*
 * Renders r as a sources.rec image (*out owned). A record whose list equals
 * applied (may be NULL) is stored as a reference to applied.rec, which holds
 * it with checksum applied_sum (state_applied_sum): the usual single source
 * costs no second copy of the list.
 */
int history_pack_sources(const struct source_records *r, const struct prefix_set *applied,
			 uint64_t applied_sum, char **out, size_t *len);
/*
 * Reads STATE_DIR/sources.rec, or sources.json when there is no sources.rec
 * (r->legacy set); -ENOENT when there is neither. References resolve against
 * applied.rec: -ESTALE when it no longer holds the set they name.
 */
int history_load_sources(const char *state_dir, struct source_records *r, struct diag *d);
/*
 * history_load_sources, with *known (when not NULL) the set applied.rec holds
 * with checksum known_sum, already in memory: references to it take it over
 * (*known set to NULL) instead of reading applied.rec again.
 */
int history_load_sources_known(const char *state_dir, struct prefix_set **known, uint64_t known_sum,
			       struct source_records *r, struct diag *d);
/*
 * Replaces STATE_DIR/sources.rec atomically (0600) and removes sources.json;
 * applied, applied_sum as for history_pack_sources (applied.rec must already
 * hold that set).
 */
int history_save_sources(const char *state_dir, const struct source_records *r,
			 const struct prefix_set *applied, uint64_t applied_sum, struct diag *d);
/* Appends a record named name holding a copy of set (may be NULL: empty). */
int history_add_source(struct source_records *r, const char *name, const struct prefix_set *set,
		       unsigned long long changed_total);
/*
 * Appends a record named name pointing at set, which must outlive r (a sync's
 * source list: a copy would be the peak of its memory at 100k).
 */
int history_borrow_source(struct source_records *r, const char *name, const struct prefix_set *set,
			  unsigned long long changed_total);
/* Appends a record named name that takes set over (freed on failure). */
int history_adopt_source(struct source_records *r, const char *name, struct prefix_set *set,
			 unsigned long long changed_total);
/* The record called name, or NULL. */
const struct source_record *history_find_source(const struct source_records *r, const char *name);
void history_sources_release(struct source_records *r);

#endif
