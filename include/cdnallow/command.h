/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An admin's command from cdnallow.conf ([hooks] on_change, an output's test
 * and reload): split into words with shell-like quoting, then run without a
 * shell through spawn.c, with a timeout, optional stdin, and the end of its
 * error output for the message. The splitter is pure (src/core/command_split.c,
 * so the config reader checks lines at load time); command_run() lives in the
 * core library next to spawn.c (src/engine/command.c), so code compiled into
 * gen_snapshot (src/core, src/sources) cannot call it.
 *
 * Quoting: words are separated by blanks (space, tab); '…' is literal; "…"
 * keeps everything but \" and \\, which stand for " and \; outside quotes a
 * backslash takes the next character literally; adjacent pieces join into one
 * word ('' is an empty word). Unbalanced quotes, a trailing backslash, control
 * characters and an empty command are errors; so are the unquoted shell
 * operators | & ; < > ` $, since no shell runs: write sh -c '…' for one.
 */
#ifndef CDNALLOW_COMMAND_H
#define CDNALLOW_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

struct diag;

#define COMMAND_MAX_LEN 4096	     /* bytes of one command line */
#define COMMAND_MAX_WORDS 256	     /* words of one command line */
#define COMMAND_DEFAULT_TIMEOUT_S 60 /* what [hooks] timeout defaults to */
#define COMMAND_MAX_TIMEOUT_S 3600   /* the longest timeout a config may set */
#define COMMAND_TERM_GRACE_MS 2000   /* SIGTERM at the timeout, SIGKILL this long after */
#define COMMAND_TAIL_MAX 512	     /* bytes of the output kept for the message */

/*
 * Splits line into a NULL-terminated array of words (*words, owned; free with
 * command_words_free()) and their count. The first word must be a program
 * name (looked up in the absolute entries of $PATH, then the sbin and bin
 * directories) or an absolute path. -EINVAL with the reason in d.
 */
int command_split(const char *line, char ***words, size_t *nwords, struct diag *d);
/* Frees what command_split() returned; NULL is a no-op. */
void command_words_free(char **words);
/* command_split() for a config key's check: 0 or -EINVAL with the reason in d. */
int command_check(const char *line, struct diag *d);

struct command_opts {
	const char *what; /* names the command in messages ("on_change hook"); NULL: the program */
	const char *in;	  /* written to its stdin, then EOF; NULL: /dev/null */
	size_t in_len;
	unsigned timeout_s; /* 0: COMMAND_DEFAULT_TIMEOUT_S */
};

struct command_result {
	int status;	/* exit status 0..255, -1 when ended by a signal or never run */
	int signal;	/* the signal that ended it, or 0 */
	bool timed_out; /* ended because the timeout expired */
	/* The end of its stderr (of stdout when stderr is empty), one line, blanks collapsed. */
	char tail[COMMAND_TAIL_MAX];
};

/*
 * Splits line and runs it to completion, stdin from o->in, stdout and stderr
 * kept only for r->tail. Returns 0 when it exited 0; -EIO when it exited
 * non-zero or was killed; -ETIMEDOUT when the timeout expired (SIGTERM to its
 * process group, SIGKILL COMMAND_TERM_GRACE_MS later); -ENOENT when the
 * program is not found; -EINVAL for a bad line; other negative errno when it
 * could not run. Every failure has "WHAT …" in d with the status and tail.
 * r may be NULL.
 */
int command_run(const char *line, const struct command_opts *o, struct command_result *r,
		struct diag *d);

#endif
