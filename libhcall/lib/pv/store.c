// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The store: a flat table of (path, value) with implicit parents, and
 * watches. Small and bounded on purpose: it holds device handshakes, not
 * data, and it is reachable from an untrusted guest.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hcall/pv/store.h"

struct entry {
	char *path;
	char *value;
	size_t len;
};

struct watch {
	char *path;
	char *token;
	hc_store_watch_fn fn;
	void *opaque;
};

struct hc_store {
	pthread_mutex_t lock;
	struct entry e[HC_STORE_MAX_ENTRIES];
	int n;
	struct watch w[HC_STORE_MAX_WATCHES];
	int nw;
};

struct hc_store *hc_store_new(void)
{
	struct hc_store *st = calloc(1, sizeof(*st));

	if (st)
		pthread_mutex_init(&st->lock, NULL);
	return st;
}

void hc_store_free(struct hc_store *st)
{
	int i;

	if (!st)
		return;
	for (i = 0; i < st->n; i++) {
		free(st->e[i].path);
		free(st->e[i].value);
	}
	for (i = 0; i < st->nw; i++) {
		free(st->w[i].path);
		free(st->w[i].token);
	}
	free(st);
}

static int path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '@' || c == '.' || c == ':' || c == '/';
}

int hc_store_check_path(const char *path)
{
	size_t i, len;

	if (!path)
		return -EINVAL;
	len = strnlen(path, HC_STORE_MAX_PATH);
	if (len == 0 || len == HC_STORE_MAX_PATH || path[0] == '/' || path[len - 1] == '/')
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!path_char(path[i]) || (path[i] == '/' && path[i + 1] == '/'))
			return -EINVAL;
	return 0;
}

static int may_write(enum hc_store_who who, const char *path)
{
	static const char *const guest[] = { "device/", "data/", "control/" };
	/* The balloon's answers (memory/target is the host's). */
	static const char *const guest_nodes[] = { "memory/current", "memory/status" };
	size_t i;

	if (who == HC_STORE_TOOL)
		return 1;
	if (who == HC_STORE_BACKEND)
		return !strncmp(path, "backend/", 8);
	for (i = 0; i < sizeof(guest) / sizeof(guest[0]); i++)
		if (!strncmp(path, guest[i], strlen(guest[i])))
			return 1;
	for (i = 0; i < sizeof(guest_nodes) / sizeof(guest_nodes[0]); i++)
		if (!strcmp(path, guest_nodes[i]))
			return 1;
	return 0;
}

/* @a is @b or below it. */
static int at_or_below(const char *a, const char *b)
{
	size_t n = strlen(b);

	return !strncmp(a, b, n) && (a[n] == '\0' || a[n] == '/');
}

static int find(struct hc_store *st, const char *path)
{
	int i;

	for (i = 0; i < st->n; i++)
		if (!strcmp(st->e[i].path, path))
			return i;
	return -1;
}

/* Fire every watch at or above @path, or below it when a subtree went away. */
static void fire(struct hc_store *st, const char *path)
{
	int i;

	for (i = 0; i < st->nw; i++)
		if (at_or_below(path, st->w[i].path) || at_or_below(st->w[i].path, path))
			st->w[i].fn(st->w[i].opaque, path, st->w[i].token);
}

static int set(struct hc_store *st, const char *path, const void *value, size_t len,
	       int keep_value)
{
	int i = find(st, path);
	char *v;

	if (i >= 0 && keep_value)
		return 0;
	if (i < 0 && st->n == HC_STORE_MAX_ENTRIES)
		return -ENOSPC;
	v = malloc(len + 1);
	if (!v)
		return -ENOMEM;
	memcpy(v, value, len);
	v[len] = '\0';
	if (i < 0) {
		char *p = strdup(path);

		if (!p) {
			free(v);
			return -ENOMEM;
		}
		i = st->n++;
		st->e[i].path = p;
	} else {
		free(st->e[i].value);
	}
	st->e[i].value = v;
	st->e[i].len = len;
	return 0;
}

int hc_store_write(struct hc_store *st, enum hc_store_who who, const char *path,
		   const void *value, size_t len)
{
	char parent[HC_STORE_MAX_PATH];
	char *slash;
	int ret;

	if (hc_store_check_path(path) || (!value && len))
		return -EINVAL;
	if (len > HC_STORE_MAX_VALUE)
		return -E2BIG;
	if (!may_write(who, path))
		return -EACCES;
	pthread_mutex_lock(&st->lock);
	/* Parents exist implicitly, with empty values, as in xenstore. */
	strcpy(parent, path);
	for (slash = strchr(parent, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		ret = set(st, parent, "", 0, 1);
		*slash = '/';
		if (ret)
			goto out;
	}
	ret = set(st, path, value ? value : "", len, 0);
	if (!ret)
		fire(st, path);
out:
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int hc_store_read(struct hc_store *st, const char *path, void *buf, size_t size,
		  size_t *len)
{
	int i, ret = 0;

	if (hc_store_check_path(path))
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	i = find(st, path);
	if (i < 0) {
		ret = -ENOENT;
	} else {
		*len = st->e[i].len;
		if (st->e[i].len > size)
			ret = -ERANGE;
		else
			memcpy(buf, st->e[i].value, st->e[i].len);
	}
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int hc_store_rm(struct hc_store *st, enum hc_store_who who, const char *path)
{
	int i, found = 0;

	if (hc_store_check_path(path))
		return -EINVAL;
	if (!may_write(who, path))
		return -EACCES;
	pthread_mutex_lock(&st->lock);
	for (i = 0; i < st->n; ) {
		if (at_or_below(st->e[i].path, path)) {
			free(st->e[i].path);
			free(st->e[i].value);
			st->e[i] = st->e[--st->n];
			found = 1;
		} else {
			i++;
		}
	}
	if (found)
		fire(st, path);
	pthread_mutex_unlock(&st->lock);
	return found ? 0 : -ENOENT;
}

int hc_store_directory(struct hc_store *st, const char *path, char *buf, size_t size,
		       size_t *len)
{
	size_t plen = strlen(path ? path : ""), used = 0;
	int i, ret = 0;

	if (hc_store_check_path(path))
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	if (find(st, path) < 0)
		ret = -ENOENT;
	for (i = 0; !ret && i < st->n; i++) {
		const char *p = st->e[i].path, *name = p + plen + 1;
		size_t n;

		if (strncmp(p, path, plen) || p[plen] != '/' || strchr(name, '/'))
			continue;
		n = strlen(name) + 1;
		if (used + n > size) {
			ret = -ERANGE;
			break;
		}
		memcpy(buf + used, name, n);
		used += n;
	}
	*len = used;
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int hc_store_watch(struct hc_store *st, const char *path, const char *token,
		   hc_store_watch_fn fn, void *opaque)
{
	struct watch *w;
	int ret = 0;

	if (hc_store_check_path(path) || !token || !fn ||
	    strnlen(token, HC_STORE_MAX_PATH) == HC_STORE_MAX_PATH)
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	if (st->nw == HC_STORE_MAX_WATCHES) {
		ret = -ENOSPC;
		goto out;
	}
	w = &st->w[st->nw];
	w->path = strdup(path);
	w->token = strdup(token);
	if (!w->path || !w->token) {
		free(w->path);
		free(w->token);
		ret = -ENOMEM;
		goto out;
	}
	w->fn = fn;
	w->opaque = opaque;
	st->nw++;
	fn(opaque, path, token);	/* the initial event xenstore clients expect */
out:
	pthread_mutex_unlock(&st->lock);
	return ret;
}

int hc_store_unwatch(struct hc_store *st, const char *path, const char *token)
{
	int i, ret = -ENOENT;

	if (hc_store_check_path(path) || !token)
		return -EINVAL;
	pthread_mutex_lock(&st->lock);
	for (i = 0; i < st->nw; i++)
		if (!strcmp(st->w[i].path, path) && !strcmp(st->w[i].token, token)) {
			free(st->w[i].path);
			free(st->w[i].token);
			st->w[i] = st->w[--st->nw];
			ret = 0;
			break;
		}
	pthread_mutex_unlock(&st->lock);
	return ret;
}

void hc_store_unwatch_all(struct hc_store *st, hc_store_watch_fn fn)
{
	int i;

	pthread_mutex_lock(&st->lock);
	for (i = 0; i < st->nw; ) {
		if (st->w[i].fn == fn) {
			free(st->w[i].path);
			free(st->w[i].token);
			st->w[i] = st->w[--st->nw];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&st->lock);
}
