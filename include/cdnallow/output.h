/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One [output:NAME] file kept in step with the synced list (src/engine/output.c):
 * compare the rendered text with the file, replace it atomically only when it
 * differs, run the admin's test command and put the previous file back when
 * the test fails, then the reload command. It never prints; it never leaves a
 * file that failed its test in place.
 */
#ifndef CDNALLOW_OUTPUT_H
#define CDNALLOW_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct output_def;
struct diag;

/* Seconds a test or reload command may run before it is killed. */
#define OUTPUT_COMMAND_TIMEOUT_S 60

enum output_status {
	OUTPUT_UNCHANGED,     /* the file already holds this content */
	OUTPUT_WOULD_CHANGE,  /* plan: missing or different */
	OUTPUT_WRITTEN,	      /* replaced, test passed, reload (if any) done */
	OUTPUT_TEST_FAILED,   /* replaced, test failed, previous file restored */
	OUTPUT_RELOAD_FAILED, /* replaced and tested, the reload command failed */
	OUTPUT_FAILED,	      /* could not read, write or restore the file */
};

struct output_result {
	enum output_status status;
	bool created; /* the file did not exist before */
	time_t mtime; /* modification time of the file after the run; 0: no file */
};

/* "unchanged", "would-change", "written", "test-failed", "reload-failed", "failed". */
const char *output_status_name(enum output_status s);
/* True for the statuses that make a sync fail. */
bool output_status_failed(enum output_status s);
/*
 * Brings o->path to content[0..len). apply false: only compares (UNCHANGED or
 * WOULD_CHANGE). On failure r->status says which step failed and d says why,
 * naming the output; the return value is then negative.
 */
int output_sync(const struct output_def *o, const char *content, size_t len, bool apply,
		struct output_result *r, struct diag *d);

#endif
