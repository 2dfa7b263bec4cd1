# SPDX-License-Identifier: GPL-2.0
#
# SMAF top-level build. `make` builds the kernel modules (against the
# installed Debian 6.1 headers, never the running kernel), libsmaf, the CLI
# and the tests. Kbuild reads ./Kbuild, not this file, when it descends here.

KVER ?= $(shell $(CURDIR)/scripts/kver.sh)
KDIR ?= /lib/modules/$(KVER)/build
export KVER KDIR

.PHONY: all modules lib tools tests demo-prog deps check demo lint clean

all: modules lib tools tests demo-prog

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

# Installs the Debian packages the build, the VM and the checks need.
deps:
	scripts/install-deps.sh

# The whole test suite: static checks, then every test in the VM.
check: deps
	$(MAKE) all
	$(MAKE) lint
	tests/vm/run.sh check

# The main job: a VM that shows what SMAF does, in plain words.
demo: deps
	$(MAKE) all
	tests/vm/run.sh demo

# checkpatch --strict, W=1 (kernel-doc included) and sparse, all as errors.
lint:
	scripts/lint.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	$(MAKE) -C lib clean
	$(MAKE) -C tools clean
	$(MAKE) -C tests clean
	$(MAKE) -C demo clean
	rm -rf build
