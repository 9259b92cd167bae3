// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the store request path: HCALL_store with hostile
 * operations, guest addresses (around the 3 GiB hole, 4 GiB, the end of
 * RAM and 2^64), lengths and path bytes, on the KVM-free guest; and the
 * path checker on raw bytes. Results must be success or one of the
 * documented errors, a read never claims more than a value can hold, and
 * a path the checker accepts is well formed.
 */
#include "guest_fixture.h"
#include "hcall/pv/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int allowed(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '@' || c == '.' || c == ':' || c == '/';
}

/* What hc_store_check_path() accepts must be a well-formed path. */
static void check_path(const uint8_t *data, size_t size)
{
	char path[HC_STORE_MAX_PATH + 8];
	size_t n = size < sizeof(path) - 1 ? size : sizeof(path) - 1, len, i;

	memcpy(path, data, n);
	path[n] = '\0';
	if (hc_store_check_path(path))
		return;
	len = strlen(path);
	if (len == 0 || len >= HC_STORE_MAX_PATH || path[0] == '/' || path[len - 1] == '/')
		abort();
	for (i = 0; i < len; i++)
		if (!allowed(path[i]) || (path[i] == '/' && path[i + 1] == '/'))
			abort();
}

static int documented(int64_t r)
{
	switch (-r) {
	case HCALL_EPERM: case HCALL_ENOENT: case HCALL_E2BIG: case HCALL_EACCES:
	case HCALL_EFAULT: case HCALL_EBUSY: case HCALL_EINVAL: case HCALL_ENOSPC:
	case HCALL_ERANGE: case HCALL_ENOSYS:
		return 1;
	}
	return r >= 0;
}

/* Put @n input bytes at @gpa, as far as that is guest RAM. */
static void poke(struct hc_vm *vm, uint64_t gpa, const uint8_t *src, size_t n)
{
	uint64_t room = hc_gpa_span(vm->mem, gpa);
	uint8_t *dst;

	if (n > room)
		n = (size_t)room;
	dst = n ? hc_gpa(vm->ram, vm->mem, gpa, n) : NULL;
	if (dst)
		memcpy(dst, src, n);
}

/*
 * Records of 9 bytes + string: op, path (anchor, offset), buf (anchor,
 * offset), len (2 bytes), string length, value length; then the path
 * string, which also serves as value and token.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hc_vm vm;
	int fd0 = fx_lowest_fd();

	check_path(data, size);
	fx_vm_init(&vm);
	hc_hypercall(&vm, 0, HCALL_shared_info, (uint64_t[5]){ 0x100000 });
	while (size >= 9) {
		uint64_t path = fx_gpa(data[1], data[2]), buf = fx_gpa(data[3], data[4]);
		uint64_t len = (uint64_t)data[5] | (uint64_t)data[6] << 8;
		size_t slen = data[7] < size - 9 ? data[7] : size - 9;
		uint64_t a[5] = { data[0] % 10, path, buf, len, 0 };
		int64_t r;

		if (data[0] & 0x80)
			a[3] = len << 8;	/* lengths well past any buffer */
		poke(&vm, path, data + 9, slen);
		if (data[8] & 1)
			poke(&vm, path + slen, (const uint8_t *)"", 1);
		if (data[8] & 2)
			poke(&vm, buf, data + 9, slen);
		r = hc_hypercall(&vm, 0, HCALL_store, a);
		if (!documented(r))
			abort();
		if (r > 0 && (a[0] == HCALL_STORE_READ || a[0] == HCALL_STORE_DIRECTORY) &&
		    r > HCALL_STORE_MAX_VALUE)
			abort();
		if (r > 0 && a[0] == HCALL_STORE_EVENT &&
		    r > HCALL_STORE_MAX_PATH + HCALL_STORE_MAX_TOKEN)
			abort();
		if (r > 0 && a[0] == HCALL_STORE_PORT && r >= HC_SHIM_PORTS)
			abort();
		data += 9 + slen;
		size -= 9 + slen;
	}
	fx_vm_destroy(&vm);
	if (fx_lowest_fd() != fd0)
		abort();	/* an fd leaked */
	return 0;
}
