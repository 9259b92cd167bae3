// SPDX-License-Identifier: LGPL-2.1-or-later
/* The store: hostile paths, permissions, limits, directories and watches. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcall/pv/store.h"

static void paths_are_validated(void **state)
{
	static const char *const bad[] = {
		"", "/device", "device/", "device//vbd", "dev ice", "device/\n",
		"a\x80", "a*b",
	};
	char longpath[HC_STORE_MAX_PATH + 8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hc_store_check_path(bad[i]), -EINVAL);
	/* Dots are legal characters; ".." has no meaning in a flat store. */
	assert_int_equal(hc_store_check_path("device/vbd/../x"), 0);
	assert_int_equal(hc_store_check_path(NULL), -EINVAL);
	assert_int_equal(hc_store_check_path("device/vbd/51712/ring-ref"), 0);
	assert_int_equal(hc_store_check_path("backend/vbd/1/0/feature-flush-cache"), 0);
	memset(longpath, 'a', sizeof(longpath));
	longpath[HC_STORE_MAX_PATH - 1] = '\0';
	assert_int_equal(hc_store_check_path(longpath), 0);
	longpath[HC_STORE_MAX_PATH - 1] = 'a';
	longpath[HC_STORE_MAX_PATH] = '\0';
	assert_int_equal(hc_store_check_path(longpath), -EINVAL);
}

static void each_side_writes_its_own_tree(void **state)
{
	struct hc_store *st = hc_store_new();
	char buf[64];
	size_t len;

	(void)state;
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "device/vbd/0/state", "1", 1), 0);
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "backend/vbd/1/0/state", "4", 1), -EACCES);
	assert_int_equal(hc_store_write(st, HC_STORE_BACKEND, "backend/vbd/1/0/state", "2", 1), 0);
	assert_int_equal(hc_store_write(st, HC_STORE_BACKEND, "device/vbd/0/state", "4", 1), -EACCES);
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "vm", "x", 1), -EACCES);
	assert_int_equal(hc_store_write(st, HC_STORE_TOOL, "vm", "x", 1), 0);
	assert_int_equal(hc_store_rm(st, HC_STORE_GUEST, "backend/vbd"), -EACCES);
	/* Everyone reads everything; values may hold any byte. */
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "data/bin", "a\0b", 3), 0);
	assert_int_equal(hc_store_read(st, "data/bin", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "a\0b", 3);
	assert_int_equal(hc_store_read(st, "backend/vbd/1/0/state", buf, sizeof(buf), &len), 0);
	assert_memory_equal(buf, "2", 1);
	assert_int_equal(hc_store_read(st, "backend/vbd/1/0/state", buf, 0, &len), -ERANGE);
	assert_int_equal(hc_store_read(st, "nope", buf, sizeof(buf), &len), -ENOENT);
	/* Parents exist implicitly. */
	assert_int_equal(hc_store_read(st, "device/vbd", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 0);
	hc_store_free(st);
}

static void directories_and_removal(void **state)
{
	struct hc_store *st = hc_store_new();
	char buf[128];
	size_t len;

	(void)state;
	hc_store_write(st, HC_STORE_GUEST, "device/vbd/0/state", "1", 1);
	hc_store_write(st, HC_STORE_GUEST, "device/vbd/0/ring-ref", "8", 1);
	hc_store_write(st, HC_STORE_GUEST, "device/vbd/1/state", "1", 1);
	hc_store_write(st, HC_STORE_GUEST, "device/vbd0x", "1", 1);
	assert_int_equal(hc_store_directory(st, "device/vbd", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 4);	/* "0\0" "1\0" in some order */
	assert_true(!strcmp(buf, "0") || !strcmp(buf, "1"));
	assert_int_equal(hc_store_directory(st, "device/vbd", buf, 2, &len), -ERANGE);
	assert_int_equal(hc_store_rm(st, HC_STORE_GUEST, "device/vbd/0"), 0);
	assert_int_equal(hc_store_read(st, "device/vbd/0/state", buf, sizeof(buf), &len), -ENOENT);
	assert_int_equal(hc_store_read(st, "device/vbd/1/state", buf, sizeof(buf), &len), 0);
	assert_int_equal(hc_store_read(st, "device/vbd0x", buf, sizeof(buf), &len), 0);
	assert_int_equal(hc_store_rm(st, HC_STORE_GUEST, "device/vbd/0"), -ENOENT);
	hc_store_free(st);
}

static void limits_hold(void **state)
{
	struct hc_store *st = hc_store_new();
	static char big[HC_STORE_MAX_VALUE + 1];
	char path[64];
	int i, ret = 0;

	(void)state;
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "data/big", big, sizeof(big)), -E2BIG);
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "data/big", big, sizeof(big) - 1), 0);
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "data/x", NULL, 1), -EINVAL);
	for (i = 0; i < HC_STORE_MAX_ENTRIES + 10 && !ret; i++) {
		snprintf(path, sizeof(path), "data/k%d", i);
		ret = hc_store_write(st, HC_STORE_GUEST, path, "v", 1);
	}
	assert_int_equal(ret, -ENOSPC);
	/* Existing keys can still be rewritten. */
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "data/k1", "w", 1), 0);
	hc_store_free(st);
}

struct events {
	int n;
	char last[HC_STORE_MAX_PATH];
	char token[32];
};

static void on_watch(void *opaque, const char *path, const char *token)
{
	struct events *ev = opaque;

	ev->n++;
	snprintf(ev->last, sizeof(ev->last), "%s", path);
	snprintf(ev->token, sizeof(ev->token), "%s", token);
}

static void watches_fire(void **state)
{
	struct hc_store *st = hc_store_new();
	struct events ev = { 0 };
	int i;

	(void)state;
	assert_int_equal(hc_store_watch(st, "backend/vbd/1/0", "be0", on_watch, &ev), 0);
	assert_int_equal(ev.n, 1);			/* the initial event */
	hc_store_write(st, HC_STORE_BACKEND, "backend/vbd/1/0/state", "4", 1);
	assert_int_equal(ev.n, 2);
	assert_string_equal(ev.last, "backend/vbd/1/0/state");
	assert_string_equal(ev.token, "be0");
	hc_store_write(st, HC_STORE_BACKEND, "backend/vbd/1/01", "x", 1);	/* a sibling */
	assert_int_equal(ev.n, 2);
	hc_store_rm(st, HC_STORE_BACKEND, "backend/vbd");	/* a parent goes away */
	assert_int_equal(ev.n, 3);
	assert_int_equal(hc_store_unwatch(st, "backend/vbd/1/0", "be0"), 0);
	assert_int_equal(hc_store_unwatch(st, "backend/vbd/1/0", "be0"), -ENOENT);
	hc_store_write(st, HC_STORE_BACKEND, "backend/vbd/1/0/state", "5", 1);
	assert_int_equal(ev.n, 3);
	assert_int_equal(hc_store_watch(st, "bad//path", "t", on_watch, &ev), -EINVAL);
	for (i = 0; i < HC_STORE_MAX_WATCHES; i++)
		assert_int_equal(hc_store_watch(st, "data", "t", on_watch, &ev), 0);
	assert_int_equal(hc_store_watch(st, "data", "t", on_watch, &ev), -ENOSPC);
	hc_store_free(st);
}

static int fired;

static void count_a(void *opaque, const char *path, const char *token)
{
	(void)opaque;
	(void)path;
	(void)token;
	fired += 1;
}

static void count_b(void *opaque, const char *path, const char *token)
{
	(void)opaque;
	(void)path;
	(void)token;
	fired += 100;
}

/* A soft reset drops one client's watches (all of them) and no one else's. */
static void unwatch_all_drops_one_clients_watches(void **state)
{
	struct hc_store *st = hc_store_new();

	(void)state;
	assert_int_equal(hc_store_watch(st, "device", "g/1", count_a, NULL), 0);
	assert_int_equal(hc_store_watch(st, "device/vbd", "g/2", count_a, NULL), 0);
	assert_int_equal(hc_store_watch(st, "device", "vbd", count_b, NULL), 0);
	fired = 0;
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "device/vbd/0/state", "1", 1), 0);
	assert_int_equal(fired, 102);
	hc_store_unwatch_all(st, count_a);
	fired = 0;
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "device/vbd/0/state", "2", 1), 0);
	assert_int_equal(fired, 100);
	assert_int_equal(hc_store_unwatch(st, "device", "g/1"), -ENOENT);
	hc_store_unwatch_all(st, count_b);
	hc_store_unwatch_all(st, count_b);
	fired = 0;
	assert_int_equal(hc_store_write(st, HC_STORE_GUEST, "device/vbd/0/state", "3", 1), 0);
	assert_int_equal(fired, 0);
	hc_store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unwatch_all_drops_one_clients_watches),
		cmocka_unit_test(paths_are_validated),
		cmocka_unit_test(each_side_writes_its_own_tree),
		cmocka_unit_test(directories_and_removal),
		cmocka_unit_test(limits_hold),
		cmocka_unit_test(watches_fire),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
