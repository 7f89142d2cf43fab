# pvfbt: top-level build, guests and tests.  See README.md.
#
#   make deps     install what the build and the guests need (idempotent)
#   make          build pvfbt.ko for KVER, userspace/pvfbt and the guest programs
#   make check    for every kernel line: deps + build + both guests (native,
#                 Xen PV) + short stress; host and DKMS tests (tests/check.sh)
#   make demo     deps + build + a traced Xen PV guest
#   make stress / make bench   long runs, never part of check
# KVER=VER (command line or environment) narrows deps and check to that
# kernel; without it they cover every row of scripts/kernels.tsv, and the
# other targets use the first row.
KVERS_ALL := $(shell awk '!/^\#/ && NF >= 2 { print $$1 }' scripts/kernels.tsv)
KVERS := $(if $(filter command line environment,$(origin KVER)),$(KVER),$(KVERS_ALL))
KVER ?= $(firstword $(KVERS_ALL))
# The installed headers, else those scripts/deps.sh extracts into .cache/.
KDIR ?= $(or $(patsubst %/Makefile,%,$(wildcard /usr/src/linux-headers-$(KVER)/Makefile)),$(CURDIR)/.cache/headers/$(KVER)/usr/src/linux-headers-$(KVER))
BUILD := build/$(KVER)
MODSRC := Kbuild driver arch provider include
MODFILES := $(shell find $(MODSRC) -type f 2>/dev/null)

.PHONY: all deps deps-kver module userspace progs check demo stress bench install clean

all: module userspace progs

deps:
	@scripts/deps.sh $(KVERS)

# What KVER alone needs (demo, stress, bench).
deps-kver:
	@scripts/deps.sh $(KVER)

module: $(BUILD)/pvfbt.ko $(BUILD)/pvfbt_test.ko

# Each kernel gets its own copy of the sources: objects never mix.
$(BUILD)/pvfbt.ko: $(MODFILES)
	@rm -rf $(BUILD)/src && mkdir -p $(BUILD)/src
	@cp -r $(MODSRC) $(BUILD)/src/
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(BUILD)/src W=1 modules 2>&1 | tee $(BUILD)/build.log
	@! grep -E 'warning:|error:' $(BUILD)/build.log || { echo "pvfbt: the module build has warnings" >&2; exit 1; }
	@cp $(BUILD)/src/pvfbt.ko $@

# The in-guest tests' fixture module, built the same way.
$(BUILD)/pvfbt_test.ko: $(wildcard tests/guest/kmod/*.c tests/guest/kmod/*.S tests/guest/kmod/Kbuild)
	@rm -rf $(BUILD)/kmod && mkdir -p $(BUILD)/kmod
	@cp tests/guest/kmod/Kbuild tests/guest/kmod/*.c tests/guest/kmod/*.S $(BUILD)/kmod/
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(BUILD)/kmod W=1 modules >$(BUILD)/kmod.log 2>&1 || { cat $(BUILD)/kmod.log; exit 1; }
	@! grep -E 'warning:|error:' $(BUILD)/kmod.log || { echo "pvfbt: the test module build has warnings" >&2; exit 1; }
	@cp $(BUILD)/kmod/pvfbt_test.ko $@
	@cp $(BUILD)/kmod/pvfbt_slowinit.ko $(BUILD)/pvfbt_slowinit.ko

userspace:
	$(MAKE) -C userspace

progs:
	$(MAKE) -C tests/guest/progs

# Runs deps itself, per kernel, so that one kernel's failure is counted
# and the others are still tested.
check:
	@tests/check.sh $(KVERS)

demo: deps-kver all
	@tests/vm/run --xen --kver $(KVER) -- sh /tests/demo.sh

stress: deps-kver all
	@tests/stress.sh $(KVER) 5000000 10

bench: deps-kver all
	@bench/run.sh $(KVER)

# The consumer, its man page and the module for KVER (scripts/install.sh).
install: module userspace
	@KVER=$(KVER) scripts/install.sh $(if $(DESTDIR),DESTDIR=$(DESTDIR)) $(if $(PREFIX),PREFIX=$(PREFIX))

clean:
	rm -rf build
	-$(MAKE) -C userspace clean
	-$(MAKE) -C tests/guest/progs clean
	-$(MAKE) -C tests/host clean
