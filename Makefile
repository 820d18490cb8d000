# jetwire build.
#
# The layout drives the build, so adding a module or a program needs no edit here:
#   lib/<mod>/*.c        -> objects of module <mod>, all archived into build/libjwcore.a
#   lib/<mod> listed in PRODUCER_MODS also go into build/libjetwire.{a,so} (no DPDK)
#   app/<prog>/*.c       -> build/<prog>   (jwpub links libjetwire.a only; the rest libjwcore.a)
#   tests/<mod>/*.c      -> build/tests/test_<mod>   (cmocka, one binary per lib module)
#   tests/fuzz/fuzz_*.c  -> build/fuzz/fuzz_*        (clang libFuzzer, see `make fuzz`)
#   tests/bench/<name>/*.c -> build/bench/bench_<name>
#   lib/include/jetwire.h is the public header (installed to PREFIX/include)
#
# `make asan` builds the same tree with ASan+UBSan into build-asan/.

BUILD    ?= build
SAN      ?=
CC       ?= cc
PREFIX   ?= /usr/local

# Modules that form the producer library: they must not include DPDK or liburcu headers.
PRODUCER_MODS := common json nats shm producer
# Programs that link only the producer library.
PRODUCER_APPS := jwpub

PKGS := libdpdk liburcu-qsbr libnats

# DPDK headers are included as system headers so that our strict warnings judge our code only.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed -e 's/-I/-isystem /g')
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wpointer-arith -Wwrite-strings -Wundef -Wold-style-definition -Wvla \
        -Wmissing-declarations -Wnested-externs -Wcast-qual -Wno-unused-parameter \
        -Wno-address-of-packed-member

OPT := -O2 -g
SANFLAGS :=
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
OPT := -O1 -g -fno-omit-frame-pointer $(SANFLAGS)
endif

CPPFLAGS += -Ilib/include -Ilib -D_GNU_SOURCE
CFLAGS   += -std=gnu11 $(OPT) $(WARN) -fPIC -pthread $(PKG_CFLAGS)
LDFLAGS  += $(SANFLAGS) -pthread
LDLIBS   += $(PKG_LIBS) -lrt -lm -lssl -lcrypto -lsodium

MODS       := $(filter-out include go,$(notdir $(wildcard lib/*)))
APPS       := $(notdir $(wildcard app/*))
TEST_MODS  := $(filter-out integration fuzz common data go bench,$(notdir $(wildcard tests/*)))
# benchmarks with C sources (the others are scripts or Go programs)
BENCHES    := $(patsubst tests/bench/%/,%,$(sort $(dir $(wildcard tests/bench/*/*.c))))

# Objects of every .c file directly in directory $(1). Used through $$(call ...) in pattern
# rules, because a literal % there would be replaced by the stem.
objs_in = $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard $(1)/*.c))
objs_of = $(call objs_in,lib/$(1))

CORE_OBJS     := $(foreach m,$(MODS),$(call objs_of,$(m)))
PRODUCER_OBJS := $(foreach m,$(filter $(PRODUCER_MODS),$(MODS)),$(call objs_of,$(m)))
TEST_COMMON   := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/common/*.c))

APP_BINS   := $(addprefix $(BUILD)/,$(APPS))
TEST_BINS  := $(addprefix $(BUILD)/tests/test_,$(TEST_MODS))
BENCH_BINS := $(addprefix $(BUILD)/bench/bench_,$(BENCHES))

.PHONY: all apps tests benches asan test run bench fuzz fuzz-build clean install deps
.DEFAULT_GOAL := all

all: $(BUILD)/libjwcore.a $(BUILD)/libjetwire.a $(BUILD)/libjetwire.so $(BUILD)/jetwire.pc $(APP_BINS)
apps: $(APP_BINS)
tests: $(TEST_BINS) $(if $(SAN),,go-tools)
benches: $(BENCH_BINS) go-tools $(if $(wildcard tests/bench/natsgo),go-bench)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libjwcore.a: $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libjetwire.a: $(PRODUCER_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The shared library exports exactly the public API (lib/producer/libjetwire.map).
$(BUILD)/libjetwire.so: $(PRODUCER_OBJS) lib/producer/libjetwire.map
	$(CC) -shared -Wl,-soname,libjetwire.so.0 -Wl,--version-script=lib/producer/libjetwire.map \
	  $(LDFLAGS) -o $@ $(filter %.o,$^) -lrt -lm -pthread

$(BUILD)/jetwire.pc: scripts/jetwire.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' $< > $@

# One explicit link rule per program, test and benchmark (generated, so the layout is the list).
define app_rule
$(BUILD)/$(1): $(call objs_in,app/$(1)) $(BUILD)/libjwcore.a $(BUILD)/libjetwire.a
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) \
	  $(if $(filter $(1),$(PRODUCER_APPS)),$(BUILD)/libjetwire.a -lrt -lm,-Wl,--whole-archive $(BUILD)/libjwcore.a -Wl,--no-whole-archive $$(LDLIBS))
endef
define test_rule
$(BUILD)/tests/test_$(1): $(call objs_in,tests/$(1)) $(TEST_COMMON) $(BUILD)/libjwcore.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) -Wl,--whole-archive $(BUILD)/libjwcore.a -Wl,--no-whole-archive $$(LDLIBS) -lcmocka
endef
define bench_rule
$(BUILD)/bench/bench_$(1): $(call objs_in,tests/bench/$(1)) $(BUILD)/libjwcore.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) -Wl,--whole-archive $(BUILD)/libjwcore.a -Wl,--no-whole-archive $$(LDLIBS) $$(BENCH_LIBS_$(1))
endef
$(foreach a,$(APPS),$(eval $(call app_rule,$(a))))
$(foreach t,$(TEST_MODS),$(eval $(call test_rule,$(t))))
$(foreach b,$(BENCHES),$(eval $(call bench_rule,$(b))))

# librdkafka is only a benchmark baseline.
BENCH_LIBS_producer := -lrdkafka

# Go producer module lib/go (standard library only) and what its tests and benchmarks run:
# the C layout printer and test engine of tests/go, build/jwgopub (the Go producer tool),
# build/bench/natsgo (nats.go reference client, Debian's sources under /usr/share/gocode, built
# in GOPATH mode). Offline: no proxy, caches under $(BUILD)/.
GO       ?= go
GO_ENV   := GOCACHE=$(abspath $(BUILD))/go-cache GOPATH=$(abspath $(BUILD))/go-path \
            GOPROXY=off GOSUMDB=off GOFLAGS= GOTOOLCHAIN=local CGO_ENABLED=0
GO_TOOLS := $(BUILD)/tests/go/jwlayout $(BUILD)/tests/go/jwshmhelper
.PHONY: go-tools go-bench
go-tools: $(GO_TOOLS)
	cd lib/go && $(GO_ENV) GO111MODULE=on $(GO) build -o $(abspath $(BUILD))/jwgopub ./cmd/jwgopub
go-bench:
	@mkdir -p $(BUILD)/bench
	cd tests/bench/natsgo && $(GO_ENV) GO111MODULE=off GOPATH=/usr/share/gocode \
	  $(GO) build -o $(abspath $(BUILD))/bench/natsgo .
	cd tests/bench/natsgo_failover && $(GO_ENV) GO111MODULE=off GOPATH=/usr/share/gocode \
	  $(GO) build -o $(abspath $(BUILD))/bench/natsgo_failover .
$(BUILD)/tests/go/%: tests/go/%.c $(BUILD)/libjetwire.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libjetwire.a -lrt -lm

asan:
	$(MAKE) BUILD=build-asan SAN=1 all tests

# Fuzz targets: clang libFuzzer with ASan+UBSan, over the DPDK-free modules (FUZZ_MODS).
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
# The producer modules plus lib/auth (DPDK-free too, but libsodium: not in libjetwire).
FUZZ_MODS := $(PRODUCER_MODS) auth
FUZZ_LIB_SRCS := $(foreach m,$(filter $(FUZZ_MODS),$(MODS)),$(wildcard lib/$(m)/*.c))
# lib/tls needs libcrypto (and libssl for its handshake file); targets include the DPDK-free
# tls files they test, as fuzz_stats_input does, so only the link line grows. lib/auth
# needs libsodium.
FUZZ_LIBS := -lssl -lcrypto -lsodium
FUZZ_SECONDS ?= 60

build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined -o $@ $< $(FUZZ_LIB_SRCS) -lrt -lm -pthread $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_BINS)

deps:
	scripts/deps.sh

test: deps
	$(MAKE) all tests benches fuzz-build
	$(MAKE) asan
	scripts/run-tests.sh

run: deps
	$(MAKE) all $(BUILD)/bench/bench_engine
	scripts/run.sh

bench: deps
	$(MAKE) all benches
	scripts/bench.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 0644 lib/include/jetwire.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 $(BUILD)/libjetwire.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(BUILD)/libjetwire.so $(DESTDIR)$(PREFIX)/lib/libjetwire.so.0
	ln -sf libjetwire.so.0 $(DESTDIR)$(PREFIX)/lib/libjetwire.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' scripts/jetwire.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/jetwire.pc
	install -m 0755 $(APP_BINS) $(DESTDIR)$(PREFIX)/bin/

# The service: unit, service user, shared files, /etc/jetwire (README "Operations"). With
# DESTDIR set (packaging, tests), or a PREFIX other than /usr or /usr/local (then the
# configuration goes to PREFIX/etc), nothing outside them is touched; otherwise the user is
# created with systemd-sysusers and systemd reloads its units when it runs.
SYSCONFDIR  ?= $(if $(filter /usr /usr/local,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR     ?= $(SYSCONFDIR)/systemd/system
SYSUSERSDIR ?= $(SYSCONFDIR)/sysusers.d
DOCDIR      ?= $(PREFIX)/share/doc/jetwire
DATADIR     ?= $(PREFIX)/share/jetwire

.PHONY: install-service uninstall
install: install-service
install-service:
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR) \
	  $(DESTDIR)$(DATADIR) $(DESTDIR)$(PREFIX)/sbin
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/jetwire
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	  scripts/systemd/jetwire@.service.in > $(DESTDIR)$(UNITDIR)/jetwire@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/jetwire@.service
	install -m 0644 scripts/systemd/jetwire.sysusers $(DESTDIR)$(SYSUSERSDIR)/jetwire.conf
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 dpdk-config/*.conf dpdk-config/grafana-jetwire.json $(DESTDIR)$(DATADIR)/
	install -m 0755 scripts/host-setup.sh $(DESTDIR)$(PREFIX)/sbin/jetwire-host-setup
	@if [ -z "$(DESTDIR)" ] && [ "$(SYSCONFDIR)" = /etc ]; then \
	  systemd-sysusers $(SYSUSERSDIR)/jetwire.conf && chgrp jetwire $(SYSCONFDIR)/jetwire; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	fi

# Removes what install put there; keeps /etc/jetwire/*.conf and the user jetwire (their
# files may still exist: `userdel jetwire` by hand).
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/jetwire.h $(DESTDIR)$(PREFIX)/lib/libjetwire.a \
	  $(DESTDIR)$(PREFIX)/lib/libjetwire.so.0 $(DESTDIR)$(PREFIX)/lib/libjetwire.so \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/jetwire.pc $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(APPS)) \
	  $(DESTDIR)$(PREFIX)/sbin/jetwire-host-setup $(DESTDIR)$(UNITDIR)/jetwire@.service \
	  $(DESTDIR)$(SYSUSERSDIR)/jetwire.conf
	rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR)
	-rmdir $(DESTDIR)$(SYSCONFDIR)/jetwire 2>/dev/null
	@if [ -z "$(DESTDIR)" ] && [ "$(SYSCONFDIR)" = /etc ] && [ -d /run/systemd/system ]; then \
	  systemctl daemon-reload; fi

# The libraries a program linked with libjwcore.a needs (tests that build their own helper
# programs use this, so a new dependency of lib/ needs no edit there).
.PHONY: print-ldlibs
print-ldlibs:
	@echo $(LDLIBS)

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
