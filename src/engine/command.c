// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Commands from cdnallow.conf (include/cdnallow/command.h): the word splitter
 * and the run through spawn.c. Never runs a shell of its own: a line that
 * needs one must name it (sh -c '…'), so what the admin wrote is what runs.
 * Never prints; failures go to the caller's struct diag.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "diag.h"
#include "spawn.h"
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

/* The last line-ish of text, blanks collapsed, into buf: what a failing script said last. */
static void summarise(const char *text, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (const char *s = text ? text : ""; *s && n + 1 < size; s++) {
		char c = is_control(*s) || *s == '\t' ? ' ' : *s;

		if (c == ' ' && (n == 0 || buf[n - 1] == ' '))
			continue;
		buf[n++] = c;
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

static void fill_result(const struct spawn_result *sr, struct command_result *r)
{
	const char *text = sr->err && *sr->err ? sr->err : sr->out;
	size_t len = text ? strlen(text) : 0;

	r->status = sr->status;
	r->signal = sr->signal;
	r->timed_out = sr->timed_out;
	/* the tail is already bounded by the caps; keep its end when it still does not fit */
	summarise(len >= sizeof(r->tail) ? text + len - (sizeof(r->tail) - 1) : text, r->tail,
		  sizeof(r->tail));
}

static int report(const char *what, unsigned timeout_s, int ret, const struct command_result *r,
		  struct diag *d)
{
	const char *sep = r->tail[0] ? ": " : "";

	if (ret == -ETIMEDOUT || r->timed_out) {
		diag_clear_err(d);
		diag_err(d, "%s timed out after %u s%s%s", what, timeout_s, sep, r->tail);
		return -ETIMEDOUT;
	}
	if (ret)
		return ret;
	if (r->status > 0) {
		diag_err(d, "%s failed: exit status %d%s%s", what, r->status, sep, r->tail);
		return -EIO;
	}
	if (r->status < 0) {
		diag_err(d, "%s failed: killed by signal %d%s%s", what, r->signal, sep, r->tail);
		return -EIO;
	}
	return 0;
}

int command_run(const char *line, const struct command_opts *o, struct command_result *r,
		struct diag *d)
{
	struct command_result local;
	struct spawn_opts so = { 0 };
	struct spawn_result sr = { 0 };
	char **words = NULL;
	size_t n = 0;
	unsigned timeout_s = o && o->timeout_s ? o->timeout_s : COMMAND_DEFAULT_TIMEOUT_S;
	const char *what;
	int ret;

	if (timeout_s > COMMAND_MAX_TIMEOUT_S)
		timeout_s = COMMAND_MAX_TIMEOUT_S;
	if (!r)
		r = &local;
	memset(r, 0, sizeof(*r));
	r->status = -1;
	ret = command_split(line, &words, &n, d);
	if (ret)
		return ret;
	what = o && o->what ? o->what : words[0];
	so.argv = (const char *const *)words;
	so.in = o ? o->in : NULL;
	so.in_len = o ? o->in_len : 0;
	so.out_cap = so.err_cap = COMMAND_TAIL_MAX;
	so.keep_tail = true;
	so.timeout_ms = timeout_s * 1000u;
	so.term_grace_ms = COMMAND_TERM_GRACE_MS;
	so.own_group = true;
	so.what = what;
	ret = spawn_run(&so, &sr, d);
	if (ret == 0 || ret == -ETIMEDOUT)
		fill_result(&sr, r);
	ret = report(what, timeout_s, ret, r, d);
	spawn_result_release(&sr);
	command_words_free(words);
	return ret;
}
