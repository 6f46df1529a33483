// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for doctor's /proc/net/tcp and tcp6 parser
 * (listen_parse_proc): the first byte picks the family, the rest is the table.
 * Every listener it appends must be of that family, and parsing the same text
 * again must append the same listeners. Reads no file, opens no socket.
 * Seeds: tests/fuzz/corpus/listen/ (first byte = selector).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "doctor.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct listener *v = NULL;
	size_t n = 0, first;
	char *text;
	int family, ret;

	if (size < 1)
		return 0;
	family = data[0] & 1 ? AF_INET6 : AF_INET;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	ret = listen_parse_proc(text, family, &v, &n);
	check(ret == 0 || ret == -EBADMSG || ret == -ENOMEM);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		check(v[i].family == family);
	first = n;
	ret = listen_parse_proc(text, family, &v, &n);
	check(ret == 0 || ret == -ENOMEM);
	if (ret == 0) {
		check(n == 2 * first);
		for (size_t i = 0; i < first; i++)
			check(!memcmp(&v[i], &v[first + i], sizeof(v[i])));
	}
out:
	free(v);
	free(text);
	return 0;
}
