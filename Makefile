# JetStack AI Client Accounts: build, run and test.
#   make run    install Debian packages, build, start the whole stack on :8080
#   make test   install packages, build, run unit, integration and browser tests
PREFIX  ?= /usr/local
DESTDIR ?=

PKGS     = fcgi libpq libcjson libjwt libcurl openssl
CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread $(shell pkg-config --cflags $(PKGS))
LDLIBS   = $(shell pkg-config --libs $(PKGS)) -lcrypt -pthread

# Debian packages: to build and run; and to test.
DEB_RUN  = gcc make libc6-dev pkg-config libfcgi-dev libcurl4-openssl-dev libcjson-dev libpq-dev \
	   libjwt-dev libssl-dev libcrypt-dev postgresql-15 nginx python3 python3-requests util-linux \
	   ca-certificates python3-aiosmtpd openssl
DEB_TEST = check valgrind python3-pytest python3-requests python3-psycopg python3-selenium python3-aiosmtpd \
	   chromium chromium-driver clang libclang-rt-14-dev
DEB_BENCH = wrk

# src/ is grouped by layer (ARCHITECTURE.md); file names are unique across
# layers, so objects are named by file and sources found through vpath.
LAYERS   = base db hubspot core web jobs
SRC_DIRS = $(addprefix src/,$(LAYERS))
INCLUDES = $(addprefix -I,$(SRC_DIRS))
HEADERS  = $(wildcard src/*/*.h)
vpath %.c $(SRC_DIRS) src/main
LIB_SRC = $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
LIB_OBJ = $(patsubst %.c,build/%.o,$(notdir $(LIB_SRC)))
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRC))

PROGS = cgi-bin/jetstack bin/jetstack-admin bin/jetstack-worker

# libFuzzer targets (tests/fuzz/fuzz_*.c): clang, with the sources they reach
# compiled again with the same sanitizers and coverage (never the gcc
# objects).  FUZZ_LIB_SRC is what the targets link; add a file when one of
# them starts calling into it.
FUZZ_CC      = clang
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  = -std=c11 -g -O1 -Wall -Wextra -D_GNU_SOURCE -pthread $(FUZZ_SAN) \
	       $(shell pkg-config --cflags $(PKGS))
FUZZ_LIB_SRC = buf.c crypt.c fcgi.c hs.c html.c httpc.c req.c sess.c tmpl.c
FUZZ_LIB_OBJ = $(patsubst %.c,build/fuzz/obj/%.o,$(FUZZ_LIB_SRC))
FUZZ_SRC     = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN     = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

.PHONY: all deps deps-test run test unit fuzz clean install format bench
all: $(PROGS)

deps:
	@scripts/deps.sh $(DEB_RUN)

deps-test:
	@scripts/deps.sh $(DEB_RUN) $(DEB_TEST)

build/%.o: %.c $(HEADERS) | build/tests
	@echo "CC $<"
	@$(CC) $(CFLAGS) $(INCLUDES) -c -o $@ $<

build/tests:
	@mkdir -p build/tests

build/libjetstack.a: $(LIB_OBJ)
	@rm -f $@ && ar rcs $@ $^

cgi-bin/jetstack: src/main/jetstack_main.c build/libjetstack.a
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(INCLUDES) -o $@ $< build/libjetstack.a $(LDLIBS)

bin/jetstack-admin: src/main/admin_main.c build/libjetstack.a
	@mkdir -p bin
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(INCLUDES) -o $@ $< build/libjetstack.a $(LDLIBS)

bin/jetstack-worker: src/main/worker_main.c build/libjetstack.a
	@mkdir -p bin
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(INCLUDES) -o $@ $< build/libjetstack.a $(LDLIBS)

build/tests/%: tests/unit/%.c build/libjetstack.a | build/tests
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(INCLUDES) $(shell pkg-config --cflags check) -o $@ $< \
		build/libjetstack.a $(shell pkg-config --libs check) $(LDLIBS)

unit: $(UNIT_BIN) build/tests/stmt_dump build/tests/dbsuite_core

build/fuzz/obj/%.o: %.c $(HEADERS)
	@mkdir -p build/fuzz/obj
	@echo "CC (fuzz) $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(INCLUDES) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/libjetstack-fuzz.a: $(FUZZ_LIB_OBJ)
	@rm -f $@ && ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(HEADERS) build/fuzz/libjetstack-fuzz.a
	@echo "LD $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer $(INCLUDES) -o $@ $< \
		build/fuzz/libjetstack-fuzz.a $(LDLIBS)

fuzz: $(FUZZ_BIN)

# Each step runs on its own so that a recursive make sees the packages that
# deps installed (pkg-config answers only once they are there).
run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

test: deps-test
	@scripts/axe.sh
	@$(MAKE) --no-print-directory all unit fuzz
	@scripts/test.sh

bench: deps-test
	@scripts/deps.sh $(DEB_BENCH)
	@$(MAKE) --no-print-directory all
	@tests/bench/portals_page.sh
	@tests/bench/worker_refresh.sh
	@/usr/bin/python3 tests/bench/imports.py
	@/usr/bin/python3 tests/bench/deployments.py
	@/usr/bin/python3 tests/bench/portals_scale.py

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/jetstack/cgi-bin \
		$(DESTDIR)$(PREFIX)/share/jetstack/templates $(DESTDIR)$(PREFIX)/share/jetstack/static \
		$(DESTDIR)$(PREFIX)/share/jetstack/sql
	install -m 755 cgi-bin/jetstack $(DESTDIR)$(PREFIX)/lib/jetstack/cgi-bin/jetstack
	install -m 755 bin/jetstack-admin bin/jetstack-worker $(DESTDIR)$(PREFIX)/bin/
	install -m 644 templates/*.html $(DESTDIR)$(PREFIX)/share/jetstack/templates/
	install -m 644 static/* $(DESTDIR)$(PREFIX)/share/jetstack/static/
	install -m 644 sql/*.sql $(DESTDIR)$(PREFIX)/share/jetstack/sql/

format:
	clang-format -i src/*/*.c src/*/*.h tests/unit/*.c tests/fuzz/*.c tests/fuzz/*.h

clean:
	rm -rf build bin cgi-bin/jetstack tests/output
