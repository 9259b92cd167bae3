// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the control socket's requests: any bytes as one
 * request line to hc_control_handle() on a KVM-free VM, and to the JSON
 * parser alone. Every answer must be one line of JSON, a "return" or an
 * "error"; every parse that succeeds must leave tokens that lie inside
 * the input, nest properly and cover it exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "hcall/common/jsonline.h"
#include "hcall/pv/storecall.h"
#include "hcall/vmm/control.h"
#include "hcall/vmm/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hc_vm vm;
static struct hc_control *ctl;

static void check_tokens(const struct hc_json *j, size_t len)
{
	for (unsigned int t = 0; t < j->ntok; t++) {
		const struct hc_json_tok *k = &j->tok[t];

		if (k->start >= k->end || k->end > len || k->next <= t || k->next > j->ntok ||
		    (t + 1 < k->next && j->tok[k->next - 1].end > k->end))
			abort();
		if ((k->type == HC_JSON_STRING) != (j->s[k->start] == '"'))
			abort();
	}
	if (j->ntok && j->tok[0].next != j->ntok)
		abort();
}

static void check_answer(const char *a, size_t len)
{
	static struct hc_json_tok tok[1 << 16];
	struct hc_json j;

	if (len < 2 || a[len - 1] != '\n' || memchr(a, '\n', len - 1))
		abort();
	if (strncmp(a, "{\"return\":", 10) && strncmp(a, "{\"error\":{\"class\":", 18))
		abort();
	if (hc_json_parse(&j, a, len - 1, tok, sizeof(tok) / sizeof(tok[0])))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hc_json_tok tok[128];
	struct hc_json j;
	char *a = NULL;
	size_t alen = 0;
	char err[128];

	if (!ctl) {
		if (hc_vm_init_state(&vm, err, sizeof(err)) || hc_store_setup(&vm))
			abort();
		vm.ncpus = 1;
		vm.mem = 256ull << 20;
		vm.pv.enabled = 1;
		ctl = hc_control_new(&vm);
		if (!ctl)
			abort();
	}
	if (size > HC_CONTROL_MAX_LINE)
		return 0;	/* the server never hands over more */
	if (hc_json_parse(&j, (const char *)data, size, tok, 128) == 0)
		check_tokens(&j, size);
	else if (!j.err || j.err_at > size)
		abort();
	/* Not a byte of @data may be read past its end: the line is no C string. */
	if (hc_control_handle(ctl, (const char *)data, size, &a, &alen))
		abort();
	check_answer(a, alen);
	free(a);
	return 0;
}
