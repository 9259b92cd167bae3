# SPDX-License-Identifier: LGPL-2.1-or-later
# hcall entry points. Everything built lands under build/ (ignored by git).
#   make demo    build everything, boot the guest on hcall-run
#   make check   all tests (unit, sanitizers, integration; kernel included)
#   make bench   benchmarks (boot, PV platform, PV block, PV network, memory)

B        := $(CURDIR)/build
KOBJ     := $(B)/kobj
CC       ?= gcc
CFLAGS   := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -pthread \
            -Ilibhcall/include
LIBS     := -luring
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# The library, by role (see libhcall/lib/): what only the shim runs, what
# only the driver domain runs, what both share. Each is built once per
# flavour (plain, ASan + UBSan, clang for libFuzzer) as a static library:
# hcall-run links shim + common, hcall-dd links dd + common, so hcall-dd
# depending on shim-only code fails its link.
LIB        := libhcall/lib
SHIM_SRC   := $(foreach d,vmm boot legacy pv backend,$(wildcard $(LIB)/$(d)/*.c))
DD_SRC     := $(wildcard $(LIB)/dd/*.c)
COMMON_SRC := $(wildcard $(LIB)/common/*.c)
LIB_SRC    := $(SHIM_SRC) $(DD_SRC) $(COMMON_SRC)

UNIT_SRC := $(wildcard tests/unit/test_*.c)

.PHONY: all setup kernel lab-kernel modules initramfs tools demo check unit integration \
        bench bench-boot bench-pv bench-blk bench-net bench-mem bench-cpu lint check-series clean distclean

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

# A lab host kernel built from linux-source-6.12 (HCALL_LAB_KERNEL=6.12
# boots it); Debian's 6.1 stays the lab's default, see README.
lab-kernel: setup
	@scripts/lab-kernel

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
       $(B)/bin/hcall-dd-test $(B)/bin/hcall-slirp $(B)/bin/hcall-ctl

# Objects: $(B)/obj (plain), $(B)/obj-san (ASan + UBSan), $(B)/obj-fuzz
# (clang, coverage for libFuzzer, ASan + UBSan). -MMD -MP: a header change
# rebuilds what includes it; binaries keep their .d files under $(B)/dep.
DEPFLAGS  = -MMD -MP
BINDEP    = -MMD -MP -MF $(B)/dep/$(subst $(B)/,,$@).d
FUZZFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -pthread -Ilibhcall/include

$(B)/obj/%.o: libhcall/%.c | setup
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/obj-san/%.o: libhcall/%.c | setup
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/obj-fuzz/%.o: libhcall/%.c | setup
	@mkdir -p $(dir $@)
	clang $(FUZZFLAGS) -fsanitize=fuzzer-no-link,address,undefined $(DEPFLAGS) -c -o $@ $<

$(B)/obj/tests/%.o: tests/%.c | setup
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

# $(call objs,FLAVOUR,SOURCES)
objs = $(patsubst libhcall/%.c,$(B)/$(1)/%.o,$(2))

$(B)/lib/libhcall-shim.a:       $(call objs,obj,$(SHIM_SRC))
$(B)/lib/libhcall-dd.a:         $(call objs,obj,$(DD_SRC))
$(B)/lib/libhcall-common.a:     $(call objs,obj,$(COMMON_SRC))
$(B)/lib-san/libhcall-shim.a:   $(call objs,obj-san,$(SHIM_SRC))
$(B)/lib-san/libhcall-dd.a:     $(call objs,obj-san,$(DD_SRC))
$(B)/lib-san/libhcall-common.a: $(call objs,obj-san,$(COMMON_SRC))
$(B)/lib-fuzz/libhcall-shim.a:  $(call objs,obj-fuzz,$(SHIM_SRC))
$(B)/lib-fuzz/libhcall-dd.a:    $(call objs,obj-fuzz,$(DD_SRC))
$(B)/lib-fuzz/libhcall-common.a: $(call objs,obj-fuzz,$(COMMON_SRC))
$(B)/%.a:
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

# $(call libs,DIR,ROLES): the archives, in link order, then common.
libs = $(foreach r,$(2) common,$(B)/$(1)/libhcall-$(r).a)
RUN_LIBS := shim
DD_LIBS  := dd
ALL_LIBS := shim dd

$(B)/bin/hcall-run: libhcall/tools/hcall-run.c $(call libs,lib,$(RUN_LIBS)) | setup
	@mkdir -p $(dir $@) $(dir $(B)/dep/$(subst $(B)/,,$@))
	$(CC) $(CFLAGS) $(BINDEP) -o $@ $< $(call libs,lib,$(RUN_LIBS)) $(LIBS)

$(B)/bin/hcall-dd: libhcall/tools/hcall-dd.c $(call libs,lib,$(DD_LIBS)) | setup
	@mkdir -p $(dir $@) $(dir $(B)/dep/$(subst $(B)/,,$@))
	$(CC) $(CFLAGS) $(BINDEP) -o $@ $< $(call libs,lib,$(DD_LIBS)) $(LIBS)

# The user-mode NAT (--net user): libslirp in a process of its own.
$(B)/bin/hcall-slirp: libhcall/tools/hcall-slirp.c $(call libs,lib,) | setup
	@mkdir -p $(dir $@) $(dir $(B)/dep/$(subst $(B)/,,$@))
	$(CC) $(CFLAGS) $(BINDEP) -o $@ $< $(call libs,lib,) -lslirp

# The control socket's client (hcall-run --control).
$(B)/bin/hcall-ctl: libhcall/tools/hcall-ctl.c $(call libs,lib,) | setup
	@mkdir -p $(dir $@) $(dir $(B)/dep/$(subst $(B)/,,$@))
	$(CC) $(CFLAGS) $(BINDEP) -o $@ $< $(call libs,lib,)

# The shim under ASan + UBSan, for the hostile-guest tests.
$(B)/bin/hcall-run-san: libhcall/tools/hcall-run.c $(call libs,lib-san,$(RUN_LIBS)) | setup
	@mkdir -p $(dir $@) $(dir $(B)/dep/$(subst $(B)/,,$@))
	$(CC) $(CFLAGS) $(SANFLAGS) $(BINDEP) -o $@ $< $(call libs,lib-san,$(RUN_LIBS)) $(LIBS)

# The driver domain under ASan + UBSan, for the hostile-frontend test.
$(B)/bin/hcall-dd-san: libhcall/tools/hcall-dd.c $(call libs,lib-san,$(DD_LIBS)) | setup
	@mkdir -p $(dir $@) $(dir $(B)/dep/$(subst $(B)/,,$@))
	$(CC) $(CFLAGS) $(SANFLAGS) $(BINDEP) -o $@ $< $(call libs,lib-san,$(DD_LIBS)) $(LIBS)

# A driver domain that misbehaves on request (HCALL_DD_TEST, see
# tests/dd/hostile_backend.c), for the frontend's tests; never installed.
# --wrap redirects calls between object files: each wrapped function is
# called from another .o of libhcall-dd.a than the one defining it.
DD_TEST_WRAP := -Wl,--wrap=hc_blkreq_validate,--wrap=hc_blkback_process \
		-Wl,--wrap=hc_gnttab_map,--wrap=hc_gnttab_unmap,--wrap=fdatasync
$(B)/bin/hcall-dd-test: libhcall/tools/hcall-dd.c $(B)/obj/tests/dd/hostile_backend.o \
		$(call libs,lib,$(DD_LIBS)) | setup
	@mkdir -p $(dir $@) $(dir $(B)/dep/$(subst $(B)/,,$@))
	$(CC) $(CFLAGS) $(BINDEP) -o $@ $< $(B)/obj/tests/dd/hostile_backend.o \
		$(call libs,lib,$(DD_LIBS)) $(LIBS) $(DD_TEST_WRAP)

# Unit tests: once plain, once under AddressSanitizer + UBSan.
$(B)/unit/%: tests/unit/%.c $(call libs,lib,$(ALL_LIBS)) | setup
	@mkdir -p $(dir $@) $(dir $(B)/dep/$(subst $(B)/,,$@))
	$(CC) $(CFLAGS) $(BINDEP) -o $@ $< $(call libs,lib,$(ALL_LIBS)) $(LIBS) -lcmocka

$(B)/unit-san/%: tests/unit/%.c $(call libs,lib-san,$(ALL_LIBS)) | setup
	@mkdir -p $(dir $@) $(dir $(B)/dep/$(subst $(B)/,,$@))
	$(CC) $(CFLAGS) $(SANFLAGS) $(BINDEP) -o $@ $< $(call libs,lib-san,$(ALL_LIBS)) $(LIBS) -lcmocka

UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRC)) \
             $(patsubst tests/unit/%.c,$(B)/unit-san/%,$(UNIT_SRC))

# libFuzzer targets (clang, ASan + UBSan): tests/fuzz/fuzz_X.c, linked with
# the fuzz build of the library.
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(call libs,lib-fuzz,$(ALL_LIBS)) | setup
	@mkdir -p $(dir $@) $(dir $(B)/dep/$(subst $(B)/,,$@))
	clang $(FUZZFLAGS) -fsanitize=fuzzer,address,undefined $(BINDEP) -o $@ $< \
		$(call libs,lib-fuzz,$(ALL_LIBS)) $(LIBS)

BIN_DEPS := $(addprefix $(B)/dep/,$(addsuffix .d,bin/hcall-run bin/hcall-dd bin/hcall-run-san \
              bin/hcall-dd-san bin/hcall-dd-test bin/hcall-ctl $(subst $(B)/,,$(UNIT_BINS) $(FUZZ_BINS))))
-include $(foreach f,obj obj-san obj-fuzz,$(patsubst %.o,%.d,$(call objs,$(f),$(LIB_SRC)))) \
	 $(B)/obj/tests/dd/hostile_backend.d $(BIN_DEPS)

unit: tools $(UNIT_BINS) $(FUZZ_BINS)

demo: all
	@scripts/demo

check: all unit
	@tests/run

bench: bench-boot bench-pv bench-blk bench-net bench-mem bench-cpu

bench-boot: all
	@scripts/bench-boot

bench-pv: all
	@scripts/bench-pv

bench-blk: all
	@scripts/bench-blk

bench-net: all
	@scripts/bench-net

bench-mem: all
	@scripts/bench-mem

bench-cpu: all
	@scripts/bench-cpu

lint: setup
	@scripts/lint

# Each patch of the series builds on its own (a few minutes; not in check).
check-series: kernel
	@scripts/check-series

clean:
	rm -rf $(B)/obj $(B)/obj-san $(B)/obj-fuzz $(B)/lib $(B)/lib-san $(B)/lib-fuzz $(B)/dep \
	       $(B)/bin $(B)/unit $(B)/unit-san $(B)/fuzz $(B)/modules

distclean:
	rm -rf $(B)
