# havip: top-level Makefile.
#
# 'make' installs the Debian packages havip needs (when missing), builds
# Open vSwitch's static library once into $(HAVIP_CACHE) keyed by the
# openvswitch-source version, generates the C IDL for the HAVIP_Northbound
# schema and builds the controller, the CLI and the unit tests.
#
#   make            build everything
#   make check      build, then run every test (unit, sandbox, namespaces)
#   make sandbox    build, then start a private sandbox and leave a shell
#   make demo       build, then run the failover demo non-interactively
#   make bench      build, then run the benchmarks (never part of check)
#   make fuzz       build the libFuzzer targets (clang), run each FUZZ_SECS
#   make SANITIZE=address,undefined [check]
#                   the same with ASan and UBSan (see docs/reliability-fuzz.md)
#   make install    install the programs, schema, control script and manual
#                   pages under $(DESTDIR)$(PREFIX)
#   make deb        build the Debian packages into deb/ and lint them

HAVIP_CACHE ?= /var/cache/havip
TESTS ?=

CC ?= cc
WARNINGS = -Wall -Wextra -Werror -Wno-sign-compare -Wno-unused-parameter \
	   -Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith \
	   -Wformat-security -Wshadow
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(WARNINGS) $(CFLAGS) -std=gnu11 -I. -Iinclude \
	     -I$(OVS) -I$(OVS)/include -I$(OVS)/lib
LIBOVS = $(OVS)/lib/.libs/libopenvswitch.a
OVS_LIBS = -latomic -lm -lssl -lcrypto -lpthread

.PHONY: all check sandbox demo bench clean distclean deps install deb
all:

# Debian packages and the cached OVS build.  '.ovs.mk' names the OVS tree;
# make rebuilds it (and restarts) whenever it is missing.
NO_BUILD_GOALS = clean distclean
ifeq ($(filter $(NO_BUILD_GOALS),$(MAKECMDGOALS)),)
include .ovs.mk
endif

.deps-stamp: build-aux/install-deps.sh
	build-aux/install-deps.sh
	touch $@

.ovs.mk: .deps-stamp build-aux/ovs-cache.sh
	@tree=$$(build-aux/ovs-cache.sh $(HAVIP_CACHE)) && \
	echo "OVS = $$tree" > $@.tmp && \
	libs=$$(sed -n "s/^dependency_libs='\(.*\)'/\1/p" \
		$$tree/lib/libopenvswitch.la) && \
	libs=$$(echo "$$libs" | \
		sed 's,\([^ ]*\)/\(lib[^/ ]*\)\.la,\1/.libs/\2.a,g') && \
	echo "OVS_LIBS = $$libs -latomic -lm -lpthread" >> $@.tmp && \
	mv $@.tmp $@

deps: .deps-stamp

# The HAVIP_Northbound C IDL.
IDLC = PYTHONPATH=$(OVS)/python $(OVS)/ovsdb/ovsdb-idlc
ovsdb/havip-nb.ovsidl: ovsdb/havip-nb.ovsschema ovsdb/havip-nb-idl.ann
	$(IDLC) annotate $^ > $@.tmp && mv $@.tmp $@
ovsdb/havip-nb-idl.h: ovsdb/havip-nb.ovsidl
	$(IDLC) c-idl-header $< > $@.tmp && mv $@.tmp $@
ovsdb/havip-nb-idl.c: ovsdb/havip-nb.ovsidl
	$(IDLC) c-idl-source $< > $@.tmp && mv $@.tmp $@

# libhavip.a: the pure library (addresses, rules, flow pipeline) and the IDL.
LIB_SRCS = $(wildcard flows/*.c) ovsdb/havip-nb-idl.c
LIB_OBJS = $(LIB_SRCS:.c=.o)
CONTROLLER_OBJS = $(patsubst %.c,%.o,$(wildcard controller/*.c))
NBCTL_OBJS = utilities/havip-nbctl.o
UNIT_OBJS = $(patsubst %.c,%.o,$(wildcard tests/unit/*.c))
ALL_OBJS = $(LIB_OBJS) $(CONTROLLER_OBJS) $(NBCTL_OBJS) $(UNIT_OBJS)

PROGRAMS = controller/havip-controller utilities/havip-nbctl tests/unit/test-unit
all: $(PROGRAMS)

$(ALL_OBJS): ovsdb/havip-nb-idl.h

# 'make V=1' shows the full commands.
Q = $(if $(V),,@)
%.o: %.c
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

flows/libhavip.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

# The metrics HTTP server (controller/metrics-http.c) runs on libevent.
EVENT_LIBS = -levent_core -levent_extra -levent_pthreads
controller/havip-controller: OVS_LIBS += $(EVENT_LIBS)
controller/havip-controller: $(CONTROLLER_OBJS) flows/libhavip.a $(LIBOVS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(OVS_LIBS)

utilities/havip-nbctl: $(NBCTL_OBJS) flows/libhavip.a $(LIBOVS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(OVS_LIBS)

tests/unit/test-unit: $(UNIT_OBJS) flows/libhavip.a $(LIBOVS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcunit $(OVS_LIBS)

# havip-trace: one packet through the pipeline, in havip's terms.
TRACE_OBJS = utilities/havip-trace.o
ALL_OBJS += $(TRACE_OBJS)
PROGRAMS += utilities/havip-trace
all: utilities/havip-trace
$(TRACE_OBJS): ovsdb/havip-nb-idl.h
utilities/havip-trace: $(TRACE_OBJS) flows/libhavip.a $(LIBOVS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(OVS_LIBS)

-include $(ALL_OBJS:.o=.d)

# ---- Sanitizers: 'make SANITIZE=address,undefined' (and 'make check
# SANITIZE=...') builds havip's objects with -fsanitize=...; UBSan does not
# recover, so undefined behaviour fails the run.  The flags are recorded in
# .sanitize.stamp, which every object depends on, so switching SANITIZE on
# or off rebuilds them.  OVS's static library is not rebuilt. ----
SANITIZE ?=
# The runtimes are linked statically: with gcc's shared libubsan beside
# libasan, UBSan ignores UBSAN_OPTIONS=log_path and a daemon's report is
# lost with its stderr.
comma = ,
SAN_LIST = $(subst $(comma), ,$(SANITIZE))
ifneq ($(SANITIZE),)
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	    -fno-sanitize-recover=all \
	    $(if $(filter address,$(SAN_LIST)),-static-libasan) \
	    $(if $(filter undefined,$(SAN_LIST)),-static-libubsan)
endif
override CFLAGS += $(SAN_FLAGS)
SAN_STAMP = .sanitize.stamp
ifeq ($(filter $(NO_BUILD_GOALS),$(MAKECMDGOALS)),)
$(shell echo '$(SAN_FLAGS)' | cmp -s - $(SAN_STAMP) 2>/dev/null || \
	echo '$(SAN_FLAGS)' > $(SAN_STAMP))
endif
$(ALL_OBJS): $(SAN_STAMP)
distclean: clean-sanitize
clean-sanitize:
	rm -f $(SAN_STAMP)
.PHONY: clean-sanitize

# ---- Fuzzing (fuzz/, docs/reliability-fuzz.md).  Each fuzz/fuzz-T.c is a
# libFuzzer target; fuzz/replay-T links it with a plain main() (gcc) that
# 'make check' uses to replay the committed corpus (test fuzz_corpus_replay).
# 'make fuzz' installs clang, builds the targets with libFuzzer, ASan and
# UBSan into fuzz/build/ and runs each for FUZZ_SECS seconds. ----
FUZZ_TARGETS = addr rules packet-in
FUZZ_SECS ?= 60
FUZZ_COMMON_SRCS = fuzz/fuzz-lib.c tests/unit/world.c
FUZZ_OBJS = $(patsubst %.c,%.o,$(wildcard fuzz/*.c))
CONTROLLER_LIB_OBJS = $(filter-out controller/havip-controller.o, \
			$(CONTROLLER_OBJS))
FUZZ_REPLAYS = $(FUZZ_TARGETS:%=fuzz/replay-%)
all: $(FUZZ_REPLAYS)
$(FUZZ_OBJS): ovsdb/havip-nb-idl.h $(SAN_STAMP)
-include $(FUZZ_OBJS:.o=.d)

controller/libcontroller.a: $(CONTROLLER_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

fuzz/replay-%: fuzz/replay.o fuzz/fuzz-%.o $(FUZZ_COMMON_SRCS:.c=.o) \
		controller/libcontroller.a flows/libhavip.a $(LIBOVS)
	$(CC) $(CFLAGS) -o $@ $^ $(OVS_LIBS) $(EVENT_LIBS)

FUZZ_CC = clang
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
FUZZ_CFLAGS = $(WARNINGS) -O1 -g -std=gnu11 -I. -Iinclude \
	      -I$(OVS) -I$(OVS)/include -I$(OVS)/lib $(FUZZ_SAN)
FUZZ_LIB_SRCS = $(LIB_SRCS) $(CONTROLLER_LIB_OBJS:.o=.c) $(FUZZ_COMMON_SRCS)
FUZZ_LIB_OBJS = $(FUZZ_LIB_SRCS:%.c=fuzz/build/%.o)
FUZZERS = $(FUZZ_TARGETS:%=fuzz/build/fuzz-%)
.PHONY: fuzz fuzz-deps clean-fuzz
.PRECIOUS: fuzz/build/%.o

fuzz/build/.deps-stamp: build-aux/install-deps.sh
	build-aux/install-deps.sh clang libclang-rt-14-dev
	mkdir -p $(@D) && touch $@

fuzz/build/%.o: %.c ovsdb/havip-nb-idl.h fuzz/build/.deps-stamp
	@mkdir -p $(@D)
	@$(if $(V),,echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
		-c $< -o $@

fuzz/build/fuzz-%: fuzz/build/fuzz/fuzz-%.o $(FUZZ_LIB_OBJS) $(LIBOVS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(OVS_LIBS) $(EVENT_LIBS)

-include $(wildcard fuzz/build/*/*.d fuzz/build/*/*/*.d)

fuzz: $(FUZZERS)
	fuzz/run $(FUZZ_SECS) $(FUZZ_TARGETS)

clean: clean-fuzz
clean-fuzz:
	rm -rf fuzz/build fuzz/work $(FUZZ_REPLAYS) controller/libcontroller.a

# Tests, sandbox, demo, benchmarks.
check: all
	tests/run $(TESTS)

sandbox: all
	utilities/havip-sandbox --topology

demo: all
	utilities/havip-sandbox --demo

bench: all
	bench/run

# Installation and the Debian packages.  "make install PREFIX=/usr" lays the
# files out as the packages ship them (debian/*.install); "make deb" builds
# the packages from a copy of the checkout with dpkg-buildpackage
# (build-aux/deb.sh) and leaves them in deb/.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
PKGDATADIR ?= $(PREFIX)/share/havip
MANDIR ?= $(PREFIX)/share/man
INSTALL ?= install

INSTALL_PROGRAMS = controller/havip-controller utilities/havip-nbctl \
		   utilities/havip-trace
INSTALL_MANS = controller/havip-controller.8 utilities/havip-nbctl.8 \
	       utilities/havip-trace.8 utilities/havip-ctl.8

install: $(INSTALL_PROGRAMS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGDATADIR)/scripts \
		$(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 755 $(INSTALL_PROGRAMS) $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 644 ovsdb/havip-nb.ovsschema $(DESTDIR)$(PKGDATADIR)
	$(INSTALL) -m 755 utilities/havip-ctl $(DESTDIR)$(PKGDATADIR)/scripts
	$(INSTALL) -m 644 $(INSTALL_MANS) $(DESTDIR)$(MANDIR)/man8

deb:
	build-aux/deb.sh $(HAVIP_CACHE)

clean:
	rm -f $(PROGRAMS) flows/libhavip.a
	find . -name '*.o' -o -name '*.d' | xargs rm -f
	rm -f ovsdb/havip-nb.ovsidl ovsdb/havip-nb-idl.[ch]

distclean: clean
	rm -f .ovs.mk .deps-stamp
	rm -rf build/deb deb
