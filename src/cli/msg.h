/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The only place that writes human-readable text: stderr always, and syslog
 * (hence the journal) when stderr is not a terminal, so a timer or cron run
 * leaves a trace. stdout carries only results and never goes through here.
 */
#ifndef CDNALLOW_CLI_MSG_H
#define CDNALLOW_CLI_MSG_H

#include <stdbool.h>

struct diag;

enum msg_level { MSG_ERROR = 0, MSG_WARN = 1, MSG_INFO = 2, MSG_DEBUG = 3 };

/* verbosity: -1 quiet (errors only), 0 default (warnings + info), 1 verbose (debug). */
void msg_init(int verbosity);
void msg_close(void);
void msg(enum msg_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints d's warnings, then its error (if any) prefixed by what failed. */
void msg_diag(const struct diag *d, const char *what);
bool msg_is_tty(void);
/* Progress line on a terminal only (overwritten in place); NULL text ends it. */
void msg_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
