# SPDX-License-Identifier: LGPL-2.1-or-later
# hcall entry points. Everything built lands under build/ (ignored by git).
#   make demo    build everything, boot the guest on hcall-run
#   make check   all tests (unit, sanitizers, integration; kernel included)
#   make bench   benchmarks (boot, PV platform, PV block)

B        := $(CURDIR)/build
KOBJ     := $(B)/kobj
CC       ?= gcc
CFLAGS   := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -pthread \
            -Ilibhcall/include
LIBS     := -luring
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRC  := $(wildcard libhcall/lib/*/*.c)
LIB_HDR  := $(wildcard libhcall/include/hcall/*.h libhcall/include/hcall/*/*.h)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

.PHONY: all setup kernel modules initramfs tools demo check unit integration \
        bench bench-boot bench-pv bench-blk lint check-series clean distclean

all: tools kernel modules initramfs

# Installing packages needs the network and root: only rerun when the
# script changes or a package went missing.
setup: $(B)/.setup
$(B)/.setup: scripts/setup
	@mkdir -p $(B)
	@scripts/setup
	@touch $@

kernel: setup
	@scripts/kernel

# Out-of-tree builds write next to the sources: build copies under build/.
modules: kernel
	@mkdir -p $(B)/modules/drivers $(B)/modules/tests
	@rsync -a --checksum guest-drivers/ $(B)/modules/drivers/
	@rsync -a --checksum tests/kmod/ $(B)/modules/tests/
	@$(MAKE) -s -C $(KOBJ) M=$(B)/modules/drivers CC="ccache gcc" modules
	@$(MAKE) -s -C $(KOBJ) M=$(B)/modules/tests CC="ccache gcc" modules

initramfs: modules
	@scripts/initramfs
	@scripts/guest-tools

tools: $(B)/bin/hcall-run $(B)/bin/hcall-dd $(B)/bin/hcall-run-san $(B)/bin/hcall-dd-san \
       $(B)/bin/hcall-dd-test

# The driver domain under ASan + UBSan, for the hostile-frontend test.
$(B)/bin/hcall-dd-san: libhcall/tools/hcall-dd.c $(LIB_SRC) $(LIB_HDR) | setup
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $< $(LIB_SRC) $(LIBS)

# A driver domain that misbehaves on request (HCALL_DD_TEST, see
# tests/dd/hostile_backend.c), for the frontend's tests; never installed.
DD_TEST_WRAP := -Wl,--wrap=hc_blkreq_validate,--wrap=hc_blkback_process \
		-Wl,--wrap=hc_gnttab_map,--wrap=hc_gnttab_unmap,--wrap=fdatasync
$(B)/bin/hcall-dd-test: libhcall/tools/hcall-dd.c tests/dd/hostile_backend.c $(LIB_SRC) $(LIB_HDR) | setup
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< tests/dd/hostile_backend.c $(LIB_SRC) $(LIBS) $(DD_TEST_WRAP)

# The shim under ASan + UBSan, for the hostile-guest tests.
$(B)/bin/hcall-run-san: libhcall/tools/hcall-run.c $(LIB_SRC) $(LIB_HDR) | setup
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $< $(LIB_SRC) $(LIBS)

$(B)/obj/%.o: libhcall/lib/%.c $(LIB_HDR) | setup
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/lib/libhcall.a: $(patsubst libhcall/lib/%.c,$(B)/obj/%.o,$(LIB_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(B)/bin/%: libhcall/tools/%.c $(B)/lib/libhcall.a $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/lib/libhcall.a $(LIBS)

# Unit tests: once plain, once under AddressSanitizer + UBSan.
$(B)/unit/%: tests/unit/%.c $(LIB_SRC) $(LIB_HDR) | setup
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB_SRC) $(LIBS) -lcmocka

$(B)/unit-san/%: tests/unit/%.c $(LIB_SRC) $(LIB_HDR) | setup
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $< $(LIB_SRC) $(LIBS) -lcmocka

UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRC)) \
             $(patsubst tests/unit/%.c,$(B)/unit-san/%,$(UNIT_SRC))

# libFuzzer targets (clang, ASan + UBSan): tests/fuzz/fuzz_X.c, linked with
# the whole library.
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(LIB_HDR) $(wildcard tests/fuzz/*.h) | setup
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -pthread -Ilibhcall/include \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) $(LIBS)

unit: tools $(UNIT_BINS) $(FUZZ_BINS)

demo: all
	@scripts/demo

check: all unit
	@tests/run

bench: bench-boot bench-pv bench-blk

bench-boot: all
	@scripts/bench-boot

bench-pv: all
	@scripts/bench-pv

bench-blk: all
	@scripts/bench-blk

lint: setup
	@scripts/lint

# Each patch of the series builds on its own (a few minutes; not in check).
check-series: kernel
	@scripts/check-series

clean:
	rm -rf $(B)/obj $(B)/lib $(B)/bin $(B)/unit $(B)/unit-san $(B)/modules

distclean:
	rm -rf $(B)
