# SPDX-License-Identifier: GPL-2.0
#
# SMAF top-level build. `make` builds the kernel modules (against the
# installed Debian 6.1 headers, never the running kernel), libsmaf, the CLI
# and the tests. Kbuild reads ./Kbuild, not this file, when it descends here.

KVER ?= $(shell $(CURDIR)/scripts/kver.sh)
KDIR ?= /lib/modules/$(KVER)/build
export KVER KDIR

.PHONY: all modules lib tools tests demo-prog bench-prog deps check check-quick \
	demo lint debug-kernel debug-modules perf-kernel perf-modules bench \
	host-check dkms-install install uninstall deb deb-check clean

all: modules lib tools tests demo-prog bench-prog

modules:
	@test -n "$(KVER)" || { echo "no Debian 6.1 kernel headers + image found; run 'make deps' as root" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

lib:
	$(MAKE) -C lib

tools: lib
	$(MAKE) -C tools

tests: lib
	$(MAKE) -C tests

# The program the VM demo runs (`make demo` runs the VM itself).
demo-prog: lib
	$(MAKE) -C demo

# The benchmark program (bench/): `make bench` runs it in the VM on the perf
# kernel; `make check` runs it in a smoke mode in each lane.
bench-prog:
	$(MAKE) -C bench

# Installs the Debian packages the build, the VM and the checks need.
deps:
	scripts/install-deps.sh

# The debug kernel (KASAN, UBSAN, lockdep, kmemleak, DMA-API debug, fault
# injection, CMA) from Debian's linux-source-6.1 and ../shared/kernel/
# debug.config: built once per machine into /var/cache/smaf (about 11
# minutes on 2 cores), then reused. Our modules are built against it from a
# copy of their sources in build/debug-modules, so that the stock build's
# objects stay as they are.
DEBUG_MODULES := $(CURDIR)/build/debug-modules
MODULE_SOURCES := Kbuild VERSION core alloc secure tests/testdev include

# $(call lane-modules,KIND,DIR): our modules built in DIR, a copy of their
# sources, against the lane kernel of scripts/lane-kernel.sh KIND.
define lane-modules
	@dir=$$(scripts/lane-kernel.sh $(1)) && \
	mkdir -p $(2) && \
	find $(MODULE_SOURCES) -type f \( -name '*.[ch]' -o -name Kbuild \
		-o -name Makefile -o -name VERSION \) ! -name '*.mod.c' \
		! -path '*/bin/*' \
		-print0 | xargs -0 cp -p -u --parents -t $(2) && \
	$(MAKE) -C $$dir/build M=$(2) modules
endef

debug-kernel:
	scripts/debug-kernel.sh

debug-modules:
	$(call lane-modules,debug,$(DEBUG_MODULES))

# The benchmark kernel: the same 6.1 source with ../shared/kernel/
# perf.config (the debug kernel's peers, no bug detectors), cached in
# /var/cache/smaf like the debug kernel (11 to 15 minutes the first time),
# and our modules against it in build/perf-modules.
PERF_MODULES := $(CURDIR)/build/perf-modules

perf-kernel:
	scripts/lane-kernel.sh perf

perf-modules:
	@scripts/lane-kernel.sh perf --check >/dev/null || \
		echo "make: building the perf kernel first (once per machine: 11 to 15 minutes)"
	$(call lane-modules,perf,$(PERF_MODULES))

# The benchmark (docs/benchmarks.md): SMAF against the mainline system and
# CMA heaps and udmabuf, on the perf kernel in the VM; the table on the
# console, build/bench/results.json and a PNG plot per workload. Not part of
# `make check` (which runs a smoke mode of the same program in each lane).
bench: deps
	$(MAKE) all
	$(MAKE) perf-modules
	tests/vm/run.sh --lane perf bench

# The whole test suite: static checks, the Debian packages and lintian, then
# every test in the VM, on Debian's kernel (the stock lane), then on the
# debug kernel (the debug lane), then the packages installed on a Debian 12
# system (the debian lane); one summary over all three. `.ci/run` runs this.
check: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) host-check
	$(MAKE) deb-check
	$(MAKE) debug-modules
	tests/vm/run.sh lanes stock stock-2g stock-bounce debug debian

# The stock lane alone, for fast iteration.
check-quick: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) host-check
	$(MAKE) deb-check
	tests/vm/run.sh check

# The main job: a VM that shows what SMAF does, in plain words.
demo: deps
	$(MAKE) all
	tests/vm/run.sh demo

# checkpatch --strict, W=1 (kernel-doc included), sparse and coccicheck, all
# as errors; as root, the DKMS package built by dkms too.
lint:
	scripts/lint.sh

# What runs without SMAF loaded, on the host: smafctl's help, usage-error
# and no-/dev/smaf paths under valgrind (no error, no leak).
host-check:
	$(MAKE) -C tools valgrind

# The Debian packages smaf-dkms, libsmaf1, libsmaf-dev and smaf-tools
# (debian/), built with dpkg-buildpackage -us -uc -b from a copy of the tree
# in build/deb/, where the .deb files land; deb-check runs lintian on them
# too (no error, no warning: what is left is overridden with a reason).
deb:
	scripts/deb.sh build

deb-check: deb
	scripts/deb.sh lintian

# Installs the kernel modules system-wide through DKMS (as root), so that
# they are rebuilt for every kernel update.
dkms-install:
	scripts/dkms.sh install

# Installs libsmaf (shared, static, headers with the UAPI header,
# libsmaf.pc), smafctl (linked with the shared libsmaf), the manual pages,
# the udev rule and an example modules-load.d file; uninstall removes them.
# The usual variables, given on the command line (lib/ and tools/ get them
# too): DESTDIR, PREFIX (/usr/local), BINDIR, LIBDIR (PREFIX/lib/<multiarch
# triplet>), INCLUDEDIR, MANDIR (PREFIX/share/man), DOCDIR
# (PREFIX/share/doc/smaf) and UDEVRULESDIR (/usr/lib/udev/rules.d whatever
# PREFIX is: udev reads no other system directory). The kernel modules are
# installed with DKMS: make dkms-install, or Debian's smaf-dkms package.
# In a DESTDIR, uninstall also removes the directories it leaves empty.
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/smaf
UDEVRULESDIR ?= /usr/lib/udev/rules.d
INSTALL ?= install
MANPAGES := man/smafctl.1 man/libsmaf.3 man/smaf.4
# $(call prune,DIR...): with DESTDIR (a staging tree), removes each DIR and
# its parents up to DESTDIR while they are empty; without, nothing.
prune = $(if $(DESTDIR),for d in $(addprefix $(DESTDIR),$(1)); do \
	while [ "$$d" != "$(DESTDIR)" ] && rmdir "$$d" 2>/dev/null; do \
		d=$${d%/*}; done; done)

install:
	$(MAKE) -C lib install
	$(MAKE) -C tools install
	for m in $(MANPAGES); do \
		s=$${m##*.}; \
		$(INSTALL) -d $(DESTDIR)$(MANDIR)/man$$s && \
		$(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done
	$(INSTALL) -d $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 0644 udev/60-smaf.rules $(DESTDIR)$(UDEVRULESDIR)/
	$(INSTALL) -m 0644 modules-load.d/smaf.conf $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	$(MAKE) -C lib uninstall
	$(MAKE) -C tools uninstall
	for m in $(MANPAGES); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; \
	done
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-smaf.rules \
	      $(DESTDIR)$(DOCDIR)/examples/smaf.conf
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	$(call prune,$(addprefix $(MANDIR)/man,1 3 4) $(UDEVRULESDIR) \
		$(patsubst %/,%,$(dir $(DOCDIR))))

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	$(MAKE) -C lib clean
	$(MAKE) -C tools clean
	$(MAKE) -C tests clean
	$(MAKE) -C demo clean
	$(MAKE) -C bench clean
	rm -rf build
