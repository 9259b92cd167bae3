// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A strict JSON parser for one short, hostile line, and the writer's
 * helpers. The parser only checks and indexes (no allocation, no copies);
 * strings are decoded on demand. Recursion is bounded by HC_JSON_MAX_DEPTH
 * and work by the input length and the caller's token budget (duplicate
 * keys are found by comparing each key with its object's earlier ones,
 * which is quadratic in members: meant for requests, not large documents).
 */
#include <string.h>

#include "hcall/common/jsonline.h"

/* The UTF-8 sequence at @s (@n bytes there): its length and code point, 0 if invalid. */
static unsigned int utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	unsigned int len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms and UTF-16 surrogates are not UTF-8. */
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int fail(struct hc_json *j, size_t at, const char *why)
{
	j->err = why;
	j->err_at = at;
	return -1;
}

static void skip_ws(const struct hc_json *j, size_t *i)
{
	while (*i < j->len && (j->s[*i] == ' ' || j->s[*i] == '\t' || j->s[*i] == '\n' ||
			       j->s[*i] == '\r'))
		(*i)++;
}

static int hex4(const char *s, uint32_t *v)
{
	int k;

	*v = 0;
	for (k = 0; k < 4; k++) {
		char c = s[k];

		if (c >= '0' && c <= '9')
			*v = *v << 4 | (uint32_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*v = *v << 4 | (uint32_t)((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

/* A "\uXXXX" escape (a surrogate pair takes two) at @i: its length, 0 if invalid. */
static unsigned int unicode_escape(const struct hc_json *j, size_t i, uint32_t *cp)
{
	uint32_t lo;

	if (j->len - i < 6 || hex4(j->s + i + 2, cp) || (*cp >= 0xdc00 && *cp <= 0xdfff))
		return 0;
	if (*cp < 0xd800 || *cp > 0xdbff)
		return 6;
	if (j->len - i < 12 || j->s[i + 6] != '\\' || j->s[i + 7] != 'u' ||
	    hex4(j->s + i + 8, &lo) || lo < 0xdc00 || lo > 0xdfff)
		return 0;
	*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	return 12;
}

/*
 * One character of the string at *@i (not its closing quote): its code
 * point, *@i moved past it. NULL, or why it is not one.
 */
static const char *string_char(const struct hc_json *j, size_t *i, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)j->s;
	unsigned int n;

	if (s[*i] < 0x20)
		return "control character in a string";
	if (s[*i] != '\\') {
		n = utf8_seq(s + *i, j->len - *i, cp);
		if (!n)
			return "invalid UTF-8 in a string";
		*i += n;
		return NULL;
	}
	if (j->len - *i < 2)
		return "unterminated string";
	switch (s[*i + 1]) {
	case '"': case '\\': case '/': *cp = s[*i + 1]; break;
	case 'b': *cp = '\b'; break;
	case 'f': *cp = '\f'; break;
	case 'n': *cp = '\n'; break;
	case 'r': *cp = '\r'; break;
	case 't': *cp = '\t'; break;
	case 'u':
		n = unicode_escape(j, *i, cp);
		if (!n)
			return "bad \\u escape";
		*i += n;
		return NULL;
	default:
		return "bad escape in a string";
	}
	*i += 2;
	return NULL;
}

static int parse_string(struct hc_json *j, size_t *pi)
{
	size_t i = *pi + 1;
	const char *why;
	uint32_t cp;

	for (;;) {
		if (i >= j->len)
			return fail(j, *pi, "unterminated string");
		if (j->s[i] == '"')
			break;
		why = string_char(j, &i, &cp);
		if (why)
			return fail(j, i, why);
	}
	*pi = i + 1;
	return 0;
}

static int digits(const struct hc_json *j, size_t *i)
{
	size_t from = *i;

	while (*i < j->len && j->s[*i] >= '0' && j->s[*i] <= '9')
		(*i)++;
	return *i > from;
}

static int parse_number(struct hc_json *j, size_t *pi)
{
	size_t i = *pi;

	if (i < j->len && j->s[i] == '-')
		i++;
	if (i < j->len && j->s[i] == '0')
		i++;
	else if (i >= j->len || j->s[i] < '1' || j->s[i] > '9' || !digits(j, &i))
		return fail(j, *pi, "bad number");
	if (i < j->len && j->s[i] == '.') {
		i++;
		if (!digits(j, &i))
			return fail(j, *pi, "bad number");
	}
	if (i < j->len && (j->s[i] == 'e' || j->s[i] == 'E')) {
		i++;
		if (i < j->len && (j->s[i] == '+' || j->s[i] == '-'))
			i++;
		if (!digits(j, &i))
			return fail(j, *pi, "bad number");
	}
	*pi = i;
	return 0;
}

/* Do string tokens @a and @b hold the same characters? */
static int same_string(const struct hc_json *j, unsigned int a, unsigned int b)
{
	size_t i = j->tok[a].start + 1, k = j->tok[b].start + 1;
	uint32_t ca, cb;

	for (;;) {
		int enda = j->s[i] == '"', endb = j->s[k] == '"';

		if (enda || endb)
			return enda && endb;
		/* Both were validated: these cannot fail. */
		if (string_char(j, &i, &ca) || string_char(j, &k, &cb) || ca != cb)
			return 0;
	}
}

static int new_token(struct hc_json *j, size_t at, enum hc_json_type type)
{
	if (j->ntok == j->max)
		return fail(j, at, "too many values");
	j->tok[j->ntok] = (struct hc_json_tok){ .type = type, .start = (uint32_t)at };
	return (int)j->ntok++;
}

/* Key @k of object @obj, the object's @nkeys keys before it parsed: no duplicate. */
static int unique_key(struct hc_json *j, unsigned int obj, unsigned int k, uint32_t nkeys)
{
	unsigned int prev = obj + 1;

	for (uint32_t m = 0; m < nkeys; m++, prev = j->tok[prev + 1].next)
		if (same_string(j, prev, k))
			return fail(j, j->tok[k].start, "duplicate key");
	return 0;
}

static int parse_value(struct hc_json *j, size_t *pi, unsigned int depth);

/* An array or object whose opening bracket is at *@pi; its token is @t. */
static int parse_container(struct hc_json *j, size_t *pi, unsigned int t, unsigned int depth)
{
	int obj = j->s[*pi] == '{';
	char close = obj ? '}' : ']';
	size_t i = *pi + 1;
	int k;

	if (depth == HC_JSON_MAX_DEPTH)
		return fail(j, *pi, "nested too deep");
	skip_ws(j, &i);
	if (i < j->len && j->s[i] == close) {
		*pi = i + 1;
		return 0;
	}
	for (;;) {
		if (obj) {
			skip_ws(j, &i);
			if (i >= j->len || j->s[i] != '"')
				return fail(j, i, "object key expected");
			k = new_token(j, i, HC_JSON_STRING);
			if (k < 0 || parse_string(j, &i))
				return -1;
			j->tok[k].end = (uint32_t)i;
			j->tok[k].next = (uint32_t)k + 1;
			if (unique_key(j, t, (unsigned int)k, j->tok[t].count))
				return -1;
			skip_ws(j, &i);
			if (i >= j->len || j->s[i] != ':')
				return fail(j, i, "':' expected");
			i++;
		}
		if (parse_value(j, &i, depth + 1))
			return -1;
		j->tok[t].count++;
		skip_ws(j, &i);
		if (i < j->len && j->s[i] == ',') {
			i++;
			continue;
		}
		if (i < j->len && j->s[i] == close)
			break;
		return fail(j, i, obj ? "',' or '}' expected" : "',' or ']' expected");
	}
	*pi = i + 1;
	return 0;
}

static int parse_literal(struct hc_json *j, size_t *pi, const char *word)
{
	size_t n = 0;

	while (word[n] && *pi + n < j->len && j->s[*pi + n] == word[n])
		n++;
	if (word[n])
		return fail(j, *pi, "unknown literal");
	*pi += n;
	return 0;
}

static int parse_value(struct hc_json *j, size_t *pi, unsigned int depth)
{
	size_t i;
	int t, ret;

	skip_ws(j, pi);
	i = *pi;
	if (i >= j->len)
		return fail(j, i, "value expected");
	t = new_token(j, i, HC_JSON_NULL);
	if (t < 0)
		return -1;
	switch (j->s[i]) {
	case '{':
	case '[':
		j->tok[t].type = j->s[i] == '{' ? HC_JSON_OBJECT : HC_JSON_ARRAY;
		ret = parse_container(j, &i, (unsigned int)t, depth);
		break;
	case '"':
		j->tok[t].type = HC_JSON_STRING;
		ret = parse_string(j, &i);
		break;
	case 't':
	case 'f':
		j->tok[t].type = HC_JSON_BOOL;
		ret = parse_literal(j, &i, j->s[i] == 't' ? "true" : "false");
		break;
	case 'n':
		ret = parse_literal(j, &i, "null");
		break;
	default:
		if (j->s[i] != '-' && (j->s[i] < '0' || j->s[i] > '9'))
			return fail(j, i, "unexpected character");
		j->tok[t].type = HC_JSON_NUMBER;
		ret = parse_number(j, &i);
		break;
	}
	if (ret)
		return -1;
	j->tok[t].end = (uint32_t)i;
	j->tok[t].next = j->ntok;
	*pi = i;
	return 0;
}

int hc_json_parse(struct hc_json *j, const char *s, size_t len, struct hc_json_tok *tok,
		  unsigned int max)
{
	size_t i = 0;

	*j = (struct hc_json){ .s = s, .len = len, .tok = tok, .max = max };
	if (len > HC_JSON_MAX_LEN)
		return fail(j, 0, "too long");
	if (parse_value(j, &i, 0))
		return -1;
	skip_ws(j, &i);
	if (i != len)
		return fail(j, i, "text after the value");
	return 0;
}

int hc_json_member(const struct hc_json *j, unsigned int obj, const char *key)
{
	unsigned int k = obj + 1;

	if (obj >= j->ntok || j->tok[obj].type != HC_JSON_OBJECT)
		return -1;
	for (uint32_t m = 0; m < j->tok[obj].count; m++, k = j->tok[k + 1].next)
		if (hc_json_string_is(j, k, key))
			return (int)k + 1;
	return -1;
}

long hc_json_string(const struct hc_json *j, unsigned int t, char *out, size_t size)
{
	size_t i, o = 0;
	uint32_t cp;

	if (t >= j->ntok || j->tok[t].type != HC_JSON_STRING || !size)
		return -1;
	for (i = j->tok[t].start + 1; j->s[i] != '"'; ) {
		if (string_char(j, &i, &cp) || !cp)
			return -1;
		/* Encode back to UTF-8: four bytes at most, and the NUL. */
		if (size - o < 5)
			return -1;
		if (cp < 0x80) {
			out[o++] = (char)cp;
		} else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | cp >> 6);
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xe0 | cp >> 12);
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | cp >> 18);
			out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	out[o] = '\0';
	return (long)o;
}

int hc_json_string_is(const struct hc_json *j, unsigned int t, const char *s)
{
	size_t i, k = 0;
	uint32_t cp;

	if (t >= j->ntok || j->tok[t].type != HC_JSON_STRING)
		return 0;
	for (i = j->tok[t].start + 1; j->s[i] != '"'; k++)
		if (!s[k] || string_char(j, &i, &cp) || cp != (unsigned char)s[k])
			return 0;
	return !s[k];
}

void hc_json_put_string(FILE *f, const char *s, size_t len)
{
	static const char short_escapes[] = "\n\r\t\b\f";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	unsigned int n;
	uint32_t cp;

	putc('"', f);
	while (i < len) {
		if (u[i] == '"' || u[i] == '\\') {
			putc('\\', f);
			putc(u[i++], f);
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			const char *e = strchr(short_escapes, u[i]);

			if (u[i] && e)
				fprintf(f, "\\%c", "nrtbf"[e - short_escapes]);
			else
				fprintf(f, "\\u%04x", u[i]);
			i++;
		} else if ((n = utf8_seq(u + i, len - i, &cp)) != 0) {
			fwrite(u + i, 1, n, f);
			i += n;
		} else {
			fputs("\\ufffd", f);	/* never pass on bytes a peer cannot decode */
			i++;
		}
	}
	putc('"', f);
}

size_t hc_json_squeeze(char *s, size_t len)
{
	size_t i, o = 0;
	int in = 0, esc = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in = 0;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		} else if (c == '"') {
			in = 1;
		}
		s[o++] = c;
	}
	return o;
}
