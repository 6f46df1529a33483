// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the command-line splitter of [hooks] on_change and
 * the outputs' test/reload (command_split): it must never crash, leak or
 * read past the line; an accepted line gives 1..COMMAND_MAX_WORDS words, each
 * shorter than the line, whose re-quoted form ('…' with '\'' for quotes)
 * splits back into the same words; a refused one gives a message. Seed corpus:
 * tests/fuzz/corpus/command_split/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "diag.h"
#include "fuzz.h"
#include "strbuf.h"

/* Every word single-quoted, a quote inside as '\'' — the form the splitter must read back. */
static char *requote(char **w)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; w[i]; i++) {
		if (i)
			strbuf_add(&sb, " ", 1);
		strbuf_add(&sb, "'", 1);
		for (const char *c = w[i]; *c; c++) {
			if (*c == '\'')
				strbuf_add(&sb, "'\\''", 4);
			else
				strbuf_add(&sb, c, 1);
		}
		strbuf_add(&sb, "'", 1);
	}
	return strbuf_detach(&sb, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), *again = NULL;
	char **w = NULL, **w2 = NULL;
	size_t n = 0, n2 = 0;
	struct diag d;
	int ret;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	diag_init(&d);
	ret = command_split(line, &w, &n, &d);
	if (ret) {
		check(!w && n == 0 && d.msg[0]);
		goto out;
	}
	check(w && n >= 1 && n <= COMMAND_MAX_WORDS && !w[n] && w[0][0]);
	for (size_t i = 0; i < n; i++)
		check(strlen(w[i]) < strlen(line) + 1);
	again = requote(w);
	check(again);
	/* a requoted line may outgrow the length limit; below it, the round trip must hold */
	if (strlen(again) <= COMMAND_MAX_LEN) {
		check(command_split(again, &w2, &n2, NULL) == 0 && n2 == n);
		for (size_t i = 0; i < n; i++)
			check(strcmp(w[i], w2[i]) == 0);
	}
out:
	command_words_free(w);
	command_words_free(w2);
	free(again);
	free(line);
	diag_release(&d);
	return 0;
}
