/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.json in the state dir: what the last sync did (time, result, backend,
 * counts, per-source freshness) and the set it applied (applied.rec, src/core/applied.c),
 * written atomically. status compares the kernel with it; the guard's shrink rule
 * compares new lists with it.
 */
#ifndef CDNALLOW_STATE_H
#define CDNALLOW_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct diag;
struct guard_history;
struct prefix_set;

#define STATE_MAX_SOURCES 64

struct state_source {
	char *name;
	char *status; /* source_status_name() */
	size_t count;
	time_t data_time; /* when the data used was fetched/published */
	/* per family ([0] IPv4, [1] IPv6); absent in state files before 0.x: has_family false */
	bool has_family;
	size_t fcount[2];
	double addresses[2];
};

struct state {
	time_t last_run;
	time_t last_success;
	int result; /* 0 ok, else the negative errno of the last run */
	char *backend;
	char *mode;	 /* installed mode: the last successful sync's ("allow", "lockdown") */
	char *ports;	 /* installed ports, "80,443"; NULL in files from before 0.x */
	time_t flushed;	 /* when `flush` removed everything on purpose; 0 when installed */
	size_t count[2]; /* v4, v6 applied */
	struct state_source sources[STATE_MAX_SOURCES];
	size_t nsources;
};

/* -ENOENT when no state yet; a corrupt file is -EBADMSG with a message. */
int state_load(const char *state_dir, struct state *st, struct diag *d);
/* Writes state.json: complete on disk, its rename durable after state_sync(). */
int state_save(const char *state_dir, const struct state *st, struct diag *d);
/*
 * Makes the renames of state_save and state_save_applied durable: one fsync
 * of the state dir after both instead of one after each (fileio.h,
 * file_write_synced, says why that is still crash-safe).
 */
int state_sync(const char *state_dir, struct diag *d);
void state_release(struct state *st);
size_t state_source_count(const struct state *st, const char *name);
/* The guard's history of one source; h->known false when state.json has no per-family record. */
void state_source_history(const struct state *st, const char *name, struct guard_history *h);

/*
 * The set last applied: applied.rec, else the applied.txt of older versions;
 * -ENOENT when none, -ESTALE for a record of another version, -EBADMSG when
 * damaged (never a partial set).
 */
int state_load_applied(const char *state_dir, struct prefix_set *set, struct diag *d);
/*
 * Writes applied.rec (atomic; durable after state_sync()) and removes an older applied.txt; *sum
 * (may be NULL) its checksum, as state_applied_sum.
 */
int state_save_applied(const char *state_dir, const struct prefix_set *set, uint64_t *sum,
		       struct diag *d);
/*
 * True when applied.rec holds exactly what state_save_applied would write for
 * set; *sum (may be NULL) then its checksum.
 */
bool state_applied_is(const char *state_dir, const struct prefix_set *set, uint64_t *sum);
/*
 * One applied.rec image, packed once per sync: its checksum (sum, as
 * state_applied_sum) names the set in the backend's cache (plan.want_sum), the
 * image is what state_write_applied writes. buf NULL once released.
 */
struct state_applied_image {
	uint8_t *buf;
	size_t len;
	uint64_t sum;
};
int state_pack_applied(const struct prefix_set *set, struct state_applied_image *img);
void state_applied_image_release(struct state_applied_image *img);
/* state_save_applied of a packed image. */
int state_write_applied(const char *state_dir, const struct state_applied_image *img,
			struct diag *d);
/* state_applied_is of a packed image. */
bool state_applied_holds(const char *state_dir, const struct state_applied_image *img);
/* Decodes an applied.rec image into set (empty); for state_load_applied and the fuzzer. */
int state_parse_applied(const void *buf, size_t len, struct prefix_set *set, struct diag *d);
#define STATE_APPLIED_FILE "applied.rec"

/*
 * The identity of a set in applied.rec: the header checksum state_save_applied
 * writes for it (over the counts and the packed prefixes). The firewall caches
 * (nft.genid, ipt.id) and sources.rec record it instead of a copy of the set.
 */
int state_applied_sum(const struct prefix_set *set, uint64_t *sum);
/*
 * state_parse_applied of an image whose header checksum is sum and that holds
 * count prefixes (STATE_ANY_COUNT: any): how a cache that recorded both reads
 * its set back, never a shorter one. 0, -ESTALE (no image: buf NULL, or one
 * of another set or version; nothing decoded), -EBADMSG (torn, damaged, or
 * another count) or -ENOMEM; set empty on failure.
 */
#define STATE_ANY_COUNT SIZE_MAX
int state_parse_applied_as(const void *buf, size_t len, uint64_t sum, size_t count,
			   struct prefix_set *set);
/* state_parse_applied_as on STATE_DIR/applied.rec (missing: -ESTALE, unreadable: -EBADMSG). */
int state_load_applied_as(const char *state_dir, uint64_t sum, size_t count,
			  struct prefix_set *set);

/*
 * -EPERM (d says how to fix it) when state_dir exists but is not a directory
 * owned by root (or the running user) that group and others cannot write;
 * 0 when it does not exist yet.
 */
int state_dir_check(const char *state_dir, struct diag *d);
/* Exclusive lock on state_dir/lock (a regular file, checked); waits up to wait_s seconds;
 * -EWOULDBLOCK when held. */
int state_lock(const char *state_dir, unsigned wait_s, int *fd, struct diag *d);
void state_unlock(int fd);

#endif
