/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One line of JSON: a strict, bounded parser (RFC 8259: exactly one value,
 * strings in valid UTF-8 with every escape checked, no duplicate keys, a
 * depth limit, a caller-given token budget) and the writer's helpers. For
 * the control socket, whose every request comes from a peer we do not
 * trust: nothing is allocated, nothing recurses without a bound.
 */
#ifndef HCALL_COMMON_JSONLINE_H
#define HCALL_COMMON_JSONLINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HC_JSON_MAX_DEPTH	8	/* nested arrays and objects */
#define HC_JSON_MAX_LEN		(1u << 30)	/* bytes the parser takes at most */

enum hc_json_type {
	HC_JSON_NULL = 1,
	HC_JSON_BOOL,
	HC_JSON_NUMBER,
	HC_JSON_STRING,
	HC_JSON_ARRAY,
	HC_JSON_OBJECT,
};

/*
 * A value, in input order: an object's members follow it as key (a
 * string), value, key, value...; an array's elements follow it.
 */
struct hc_json_tok {
	enum hc_json_type type;
	uint32_t start, end;	/* its bytes in the input: [start, end), quotes included */
	uint32_t count;		/* members of an object, elements of an array */
	uint32_t next;		/* the token after this value and all it holds */
};

struct hc_json {
	const char *s;
	size_t len;
	struct hc_json_tok *tok;
	unsigned int ntok, max;
	const char *err;	/* why parsing failed (a constant string) */
	size_t err_at;		/* at which byte */
};

/*
 * Parse @s (@len bytes) into @tok (room for @max tokens). 0, or -1 with
 * j->err and j->err_at set. Token 0 is the value.
 */
int hc_json_parse(struct hc_json *j, const char *s, size_t len, struct hc_json_tok *tok,
		  unsigned int max);
/* The value of member @key (ASCII) of object token @obj: its index, or -1. */
int hc_json_member(const struct hc_json *j, unsigned int obj, const char *key);
/*
 * Decode string token @t into @out (@size bytes, NUL added) as UTF-8: its
 * length, or -1 if it is not a string, holds a NUL or does not fit.
 */
long hc_json_string(const struct hc_json *j, unsigned int t, char *out, size_t size);
/* Does string token @t equal @s (ASCII)? */
int hc_json_string_is(const struct hc_json *j, unsigned int t, const char *s);

/* Write @s (@len bytes) as a JSON string; bytes that are not UTF-8 become U+FFFD. */
void hc_json_put_string(FILE *f, const char *s, size_t len);
/* Drop the white space outside strings of the JSON text @s in place: one line. New length. */
size_t hc_json_squeeze(char *s, size_t len);

#endif
