/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The message the unprivileged downloader sends the root parent for each
 * request: outcome, validators and the parsed prefixes, never the raw body.
 * For privsep.c (and its tests and fuzz harness) only.
 *
 * One message: u32 length (little-endian), then that many bytes:
 *   u8 version (1); i32 err; i32 http_status; u32 attempts;
 *   u8 flags (1 not modified, 2 ETag, 4 Last-Modified, 8 parsed);
 *   str errmsg; [str etag]; [str last_modified];
 *   parsed only: i32 parse_err; str parse_msg; u32 n, n × str warning;
 *                u32 n, n × (u8 family 4|6, u8 length, 16 bytes address).
 * A str is a u32 length and that many bytes, no NUL. Every integer is
 * little-endian. Nothing may follow the last prefix.
 */
#ifndef CDNALLOW_PRIVSEP_WIRE_H
#define CDNALLOW_PRIVSEP_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct fetch_req;
struct strbuf;

#define PRIVSEP_WIRE_VERSION 1
/* warnings beyond this are counted in one last warning, not sent */
#define PRIVSEP_MAX_WARNINGS 100

/* Appends r's outcome as one message (length included) to sb; 0 or -ENOMEM. */
int privsep_encode(const struct fetch_req *r, struct strbuf *sb);
/*
 * Decodes one message body (without its length word) into r's outputs.
 * Returns 0, -ENOMEM, or -EBADMSG with why[] saying what was wrong; r's
 * outputs are then released.
 */
int privsep_decode(const uint8_t *buf, size_t len, struct fetch_req *r, char *why, size_t whylen);

#endif
