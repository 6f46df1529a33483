// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The word splitter of include/cdnallow/command.h: an admin's command line
 * from cdnallow.conf into argv, with shell-like quoting and clear refusals.
 * Pure (no process is run here: src/engine/command.c does that), so the
 * config reader can check a command when it loads the file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "diag.h"
#include "strbuf.h"

/* Operators a shell would act on; without one they would reach the program as arguments. */
static const char shell_ops[] = "|&;<>`$";

struct splitter {
	const char *p; /* next character to read */
	struct strbuf w;
	bool in_word;
	char **v;
	size_t n;
	struct diag *d;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_control(char c)
{
	return ((unsigned char)c < 0x20 && c != '\t') || c == 0x7f;
}

static int end_word(struct splitter *s)
{
	char *word;

	if (!s->in_word)
		return 0;
	if (s->n >= COMMAND_MAX_WORDS) {
		diag_err(s->d, "command has more than %d words", COMMAND_MAX_WORDS);
		return -EINVAL;
	}
	/* an empty word ('') leaves the buffer unallocated */
	word = s->w.len ? strbuf_detach(&s->w, NULL) : strdup("");
	if (!word || s->w.err)
		return -ENOMEM;
	s->v[s->n++] = word;
	s->in_word = false;
	return 0;
}

/* '…': everything up to the next single quote, literally. */
static int single_quoted(struct splitter *s)
{
	const char *end = strchr(s->p + 1, '\'');

	if (!end) {
		diag_err(s->d, "unbalanced single quote in command");
		return -EINVAL;
	}
	strbuf_add(&s->w, s->p + 1, (size_t)(end - s->p - 1));
	s->p = end + 1;
	return 0;
}

/* "…": \" and \\ are the escapes; any other backslash is itself. */
static int double_quoted(struct splitter *s)
{
	const char *q = s->p + 1;

	for (; *q && *q != '"'; q++) {
		if (*q == '\\' && (q[1] == '"' || q[1] == '\\'))
			q++;
		strbuf_add(&s->w, q, 1);
	}
	if (!*q) {
		diag_err(s->d, "unbalanced double quote in command");
		return -EINVAL;
	}
	s->p = q + 1;
	return 0;
}

static int one_piece(struct splitter *s)
{
	char c = *s->p;

	s->in_word = true;
	if (c == '\'')
		return single_quoted(s);
	if (c == '"')
		return double_quoted(s);
	if (c == '\\') {
		if (!s->p[1]) {
			diag_err(s->d, "command ends with a backslash");
			return -EINVAL;
		}
		strbuf_add(&s->w, s->p + 1, 1);
		s->p += 2;
		return 0;
	}
	if (strchr(shell_ops, c)) {
		diag_err(s->d,
			 "'%c' in a command needs a shell: quote it, or write sh -c '…' "
			 "(commands run without one)",
			 c);
		return -EINVAL;
	}
	strbuf_add(&s->w, s->p++, 1);
	return 0;
}

static int check_line(const char *line, struct diag *d)
{
	size_t len = strlen(line);

	if (len > COMMAND_MAX_LEN) {
		diag_err(d, "command longer than %d bytes", COMMAND_MAX_LEN);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (is_control(line[i])) {
			diag_err(d, "command contains a control character (byte %zu)", i + 1);
			return -EINVAL;
		}
	}
	return 0;
}

/* The program: a name to look up, or an absolute path (never one relative to the cwd). */
static int check_program(const char *prog, struct diag *d)
{
	if (!*prog) {
		diag_err(d, "command starts with an empty program name");
		return -EINVAL;
	}
	if (strchr(prog, '/') && prog[0] != '/') {
		diag_err(d, "program '%s' must be a name looked up in PATH or an absolute path",
			 prog);
		return -EINVAL;
	}
	return 0;
}

int command_split(const char *line, char ***words, size_t *nwords, struct diag *d)
{
	struct splitter s = { .p = line, .d = d };
	int ret;

	*words = NULL;
	*nwords = 0;
	if (!line)
		return -EINVAL;
	ret = check_line(line, d);
	if (ret)
		return ret;
	s.v = calloc(COMMAND_MAX_WORDS + 1, sizeof(*s.v));
	if (!s.v)
		return -ENOMEM;
	while (*s.p && ret == 0) {
		if (is_blank(*s.p)) {
			s.p++;
			ret = end_word(&s);
		} else {
			ret = one_piece(&s);
		}
		if (ret == 0 && s.w.err)
			ret = s.w.err;
	}
	if (ret == 0)
		ret = end_word(&s);
	if (ret == 0 && s.n == 0) {
		diag_err(d, "empty command");
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = check_program(s.v[0], d);
	strbuf_release(&s.w);
	if (ret) {
		command_words_free(s.v);
		return ret;
	}
	*words = s.v;
	*nwords = s.n;
	return 0;
}

void command_words_free(char **words)
{
	if (!words)
		return;
	for (char **w = words; *w; w++)
		free(*w);
	free(words);
}

int command_check(const char *line, struct diag *d)
{
	char **words = NULL;
	size_t n = 0;
	int ret = command_split(line, &words, &n, d);

	command_words_free(words);
	return ret;
}
