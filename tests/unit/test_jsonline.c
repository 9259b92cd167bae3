// SPDX-License-Identifier: LGPL-2.1-or-later
/* The one-line JSON parser and writer: strict, bounded, every escape checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcall/common/jsonline.h"

#define MAXT 64

static int parse(const char *s, struct hc_json *j, struct hc_json_tok *tok)
{
	return hc_json_parse(j, s, strlen(s), tok, MAXT);
}

static void accepts_json(void **state)
{
	static const char *const good[] = {
		"0", "-0", "1.5e+10", "-12.25E-3", "true", "false", "null", "\"\"", "[]", "{}",
		" [ 1 , \"a\" , { \"k\" : [ ] } ] ", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
		"\"\\u00e9\\uD83D\\uDE00\"", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
		"{\"a\":1,\"b\":{\"a\":2}}", "[[[[[[[[1]]]]]]]]",
	};
	struct hc_json_tok tok[MAXT];
	struct hc_json j;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (parse(good[i], &j, tok))
			fail_msg("rejected %s: %s", good[i], j.err);
		assert_int_equal(tok[0].next, j.ntok);
	}
}

static void rejects_everything_else(void **state)
{
	static const char *const bad[] = {
		"", " ", "01", "1.", ".5", "-", "1e", "+1", "0x10", "tru", "nul", "True",
		"[1,]", "[,1]", "{\"a\":1,}", "{\"a\"}", "{a:1}", "{\"a\" 1}", "[1 2]", "1 2",
		"\"abc", "\"a\nb\"", "\"\\x\"", "\"\\u12\"", "\"\\uZZZZ\"", "\"\\uDE00\"",
		"\"\\uD83D\"", "\"\\uD83Dx\"", "\"\\uD83D\\u0041\"", "\"\xff\"", "\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"", "[\"a\"]x",
		"{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "[[[[[[[[[1]]]]]]]]]", "\x01",
		"'a'", "[1]]", "{\"k\":[}",
	};
	struct hc_json_tok tok[MAXT];
	struct hc_json j;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!parse(bad[i], &j, tok))
			fail_msg("accepted %s", bad[i]);
		assert_non_null(j.err);
		assert_true(j.err_at <= strlen(bad[i]));
	}
	/* A NUL inside the line is not JSON either. */
	assert_int_equal(hc_json_parse(&j, "[1]\0", 4, tok, MAXT), -1);
}

static void token_budget_is_a_limit(void **state)
{
	struct hc_json_tok tok[4];
	struct hc_json j;

	(void)state;
	assert_int_equal(hc_json_parse(&j, "[1,2,3]", 7, tok, 4), 0);
	assert_int_equal(hc_json_parse(&j, "[1,2,3,4]", 9, tok, 4), -1);
	assert_string_equal(j.err, "too many values");
	assert_int_equal(hc_json_parse(&j, "1", 1, tok, 0), -1);
}

static void members_and_strings(void **state)
{
	const char *s = "{\"execute\":\"m\\u0065m-set\",\"arguments\":{\"size\":\"5\\u00e9\"},"
			"\"id\":[1,{\"x\":2}],\"e\\u0078\":\"\\uD83D\\uDE00\"}";
	struct hc_json_tok tok[MAXT];
	struct hc_json j;
	char out[16];
	int a, v;

	(void)state;
	assert_int_equal(parse(s, &j, tok), 0);
	assert_int_equal(tok[0].count, 4);
	v = hc_json_member(&j, 0, "execute");
	assert_true(hc_json_string_is(&j, (unsigned int)v, "mem-set"));
	assert_false(hc_json_string_is(&j, (unsigned int)v, "mem-se"));
	assert_false(hc_json_string_is(&j, (unsigned int)v, "mem-sets"));
	a = hc_json_member(&j, 0, "arguments");
	assert_int_equal(tok[a].type, HC_JSON_OBJECT);
	v = hc_json_member(&j, (unsigned int)a, "size");
	assert_int_equal(hc_json_string(&j, (unsigned int)v, out, sizeof(out)), 3);
	assert_string_equal(out, "5\xc3\xa9");
	assert_int_equal(hc_json_string(&j, (unsigned int)v, out, 4), -1);	/* no room */
	/* The member after a nested value is found: "next" skips it. */
	v = hc_json_member(&j, 0, "ex");
	assert_int_equal(hc_json_string(&j, (unsigned int)v, out, sizeof(out)), 4);
	assert_string_equal(out, "\xf0\x9f\x98\x80");
	assert_int_equal(hc_json_member(&j, 0, "nope"), -1);
	assert_int_equal(hc_json_member(&j, (unsigned int)hc_json_member(&j, 0, "id"), "x"), -1);
	/* A NUL cannot come out as a C string. */
	assert_int_equal(parse("\"a\\u0000b\"", &j, tok), 0);
	assert_int_equal(hc_json_string(&j, 0, out, sizeof(out)), -1);
	assert_false(hc_json_string_is(&j, 0, "a"));
}

static void writer_output_parses_back(void **state)
{
	const char in[] = "q\"\\\n\x01\x7f caf\xc3\xa9 \xff\xc3";
	struct hc_json_tok tok[MAXT];
	struct hc_json j;
	char *buf = NULL, out[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	hc_json_put_string(f, in, sizeof(in) - 1);
	fclose(f);
	assert_int_equal(hc_json_parse(&j, buf, len, tok, MAXT), 0);
	assert_true(hc_json_string(&j, 0, out, sizeof(out)) > 0);
	/* Bytes that were not UTF-8 became U+FFFD; the rest survived. */
	assert_string_equal(out, "q\"\\\n\x01\x7f caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd");
	free(buf);
}

static void squeeze_keeps_strings(void **state)
{
	char s[] = "{\n  \"a b\": [ 1,\t2 ],\r\n  \"c\\\" d\": \" x \"\n}\n";
	size_t n;

	(void)state;
	n = hc_json_squeeze(s, strlen(s));
	s[n] = '\0';
	assert_string_equal(s, "{\"a b\":[1,2],\"c\\\" d\":\" x \"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_json),
		cmocka_unit_test(rejects_everything_else),
		cmocka_unit_test(token_budget_is_a_limit),
		cmocka_unit_test(members_and_strings),
		cmocka_unit_test(writer_output_parses_back),
		cmocka_unit_test(squeeze_keeps_strings),
	};

	return cmocka_run_group_tests_name("jsonline", tests, NULL, NULL);
}
