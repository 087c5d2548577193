# SPDX-License-Identifier: GPL-2.0
# handshaked - root Makefile. Delegates to each folder; see README.md.
#
#   make            build user space (handshaked/handshaked, tools/ktlsh)
#   make deps       install every Debian package build, tests and benchmarks need
#   make check      deps + kernels + ASan/UBSan build + every test (host, fuzz, VMs)
#   make asan       ASan+UBSan build of user space into build/asan
#   make modules    build kmod/ktlsh.ko against Debian's 6.12 headers
#   make bench      benchmarks, JSON under bench/results
#   make style      kernel coding style (checkpatch) over the tree
#   make regen      regenerate uapi header and kernel policy from uapi/ktlsh.yaml
#   make install    install binaries, man-less docs and the systemd unit
#   make clean

export TOP := $(CURDIR)
# O: output directory for objects and binaries ('' = in tree)
O ?=
export O

CC ?= cc
PKGS := libcrypto libnl-3.0 libnl-genl-3.0 liburing libkeyutils
CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wvla
OPT ?= -O2 -g
SAN ?=
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
OPT := -O1 -g
endif
export CC
export HSD_CFLAGS := $(CSTD) $(WARN) $(OPT) $(SANFLAGS) -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 -I$(TOP) -I$(TOP)/uapi $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# full RELRO, and no lazy binding: glibc's PLT resolver saves the vector
# registers (what the last memcpy of a secret moved) onto the stack, where
# no wipe of ours reaches (a stack scan found a ticket's resumption secret)
export HSD_LDFLAGS := $(SANFLAGS) -Wl,-z,relro,-z,now
export HSD_LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

USERDIRS := handshaked tools

.PHONY: all deps deps-demo check asan modules bench bench-build style regen install dkms-install dkms-uninstall clean fuzz fuzz-build fuzz-merge demo \
	$(USERDIRS) selftests

all: tools

handshaked:
	$(MAKE) -C handshaked
tools: handshaked
	$(MAKE) -C tools
selftests: handshaked
	$(MAKE) -C selftests

# Every Debian package that build, tests and benchmarks use. Idempotent:
# apt runs only when something is missing.
DEB_BUILD := build-essential pkg-config libssl-dev libnl-3-dev libnl-genl-3-dev \
	liburing-dev libkeyutils-dev clang llvm libclang-rt-14-dev python3-yaml \
	python3-jsonschema
DEB_VM := qemu-system-x86 busybox-static cpio xz-utils zstd kmod dwarves
DEB_TEST := openssl gnutls-bin keyutils dkms iproute2 procps nvme-cli nfs-kernel-server \
	nginx wrk curl wget gnuplot-nox chromium libnss3-tools
DEB_ALL := $(DEB_BUILD) $(DEB_VM) $(DEB_TEST)
# make demo: what builds user space, fetches, and boots the 7.3 guest
DEB_DEMO := build-essential pkg-config libssl-dev libnl-3-dev libnl-genl-3-dev \
	liburing-dev libkeyutils-dev openssl curl iproute2 \
	qemu-system-x86 busybox-static cpio xz-utils zstd kmod
deps: DEB_WANT = $(DEB_ALL)
deps-demo: DEB_WANT = $(DEB_DEMO)
deps deps-demo:
	@missing=$$(for p in $(DEB_WANT); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $$missing; \
	else echo "deps: all present"; fi

asan:
	$(MAKE) O=$(TOP)/build/asan SAN=1 tools selftests

# Test runner: host unit tests on the ASan build, then the VM tests on both
# kernels. Last line: "N passed, N failed[, N skipped]".
check: deps
	selftests/vm/kernel fetch 6.1 >/dev/null
	selftests/vm/kernel fetch 6.12 >/dev/null
	selftests/vm/kernel fetch 7.3 >/dev/null
	selftests/vm/kernel headers 6.1 >/dev/null
	$(MAKE) all selftests
	$(MAKE) asan
	$(MAKE) modules
	$(MAKE) fuzz-build
	selftests/run-all

modules:
	$(MAKE) -C kmod

fuzz:
	$(MAKE) -C selftests fuzz

# the libFuzzer targets make check runs briefly (selftests/fuzz/check)
fuzz-build:
	$(MAKE) -C selftests fuzz-build
# fold what make fuzz found into the committed corpus (selftests/fuzz/corpus)
fuzz-merge:
	$(MAKE) -C selftests fuzz-merge

bench: all
	$(MAKE) -C bench

bench-build: all
	$(MAKE) -C bench build

style:
	selftests/style

regen:
	$(MAKE) -C uapi regen

# serve a file with ktlsh serve, fetch it with ktlsh client and curl, show
# the path taken; in the 7.3 guest too where this kernel has no kTLS
demo: deps-demo
	$(MAKE) all
	tools/demo

# ktlsh.ko through DKMS: its sources where DKMS looks for them
# (/usr/src/ktlsh-VERSION, dkms.conf), then built and installed for the
# running kernel, and by DKMS again for each kernel installed later
KTLSH_VERSION := $(shell sed -n 's/^\#define KTLSH_MODULE_VERSION "\(.*\)"/\1/p' kmod/ktlsh.h)
DKMS_SRC = $(DESTDIR)/usr/src/ktlsh-$(KTLSH_VERSION)
dkms-install:
	install -D -m 0644 -t $(DKMS_SRC) dkms.conf Kbuild
	install -D -m 0644 -t $(DKMS_SRC)/kmod kmod/Kbuild kmod/*.h \
		$(filter-out %.mod.c,$(wildcard kmod/*.c))
	install -D -m 0644 -t $(DKMS_SRC)/uapi/linux uapi/linux/ktlsh.h
	$(if $(DESTDIR),,dkms install ktlsh/$(KTLSH_VERSION))

dkms-uninstall:
	-dkms remove ktlsh/$(KTLSH_VERSION) --all
	rm -rf $(DKMS_SRC)

PREFIX ?= /usr/local
UNITDIR ?= /etc/systemd/system
install: all
	install -D -m 0755 handshaked/handshaked $(DESTDIR)$(PREFIX)/sbin/handshaked
	install -D -m 0755 tools/ktlsh $(DESTDIR)$(PREFIX)/bin/ktlsh
	install -D -m 0644 handshaked/daemon/handshaked.service \
		$(DESTDIR)$(UNITDIR)/handshaked.service
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/handshaked/README.md

clean:
	$(MAKE) -C handshaked clean
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean
	$(MAKE) -C kmod clean
	rm -rf build
