/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Diagnostics carried from library code to the one place that prints them
 * (src/cli/msg.c). Library code fills a caller-supplied struct diag and never
 * prints, exits or aborts.
 */
#ifndef CDNALLOW_DIAG_H
#define CDNALLOW_DIAG_H

#include <stddef.h>

#define DIAG_MSG_MAX 1024

struct diag {
	char msg[DIAG_MSG_MAX]; /* the error; empty when none */
	char **warnings;	/* non-fatal notes, owned */
	size_t nwarnings;
};

void diag_init(struct diag *d);
/* Frees the warnings; the struct may be reused after diag_init(). */
void diag_release(struct diag *d);
/* Sets the error message unless one is already set (the innermost cause wins). d may be NULL. */
void diag_err(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Puts context before the current error: "source 'x': " + msg. d may be NULL. */
void diag_prefix(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a warning. d may be NULL. Allocation failure drops the warning silently. */
void diag_warn(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Moves src's warnings to the end of dst. */
void diag_take_warnings(struct diag *dst, struct diag *src);
/* Clears the error message, keeps warnings. */
void diag_clear_err(struct diag *d);

#endif
