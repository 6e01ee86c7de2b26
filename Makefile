# Ferry: `make run` opens the desktop window, `make test` runs every test.
# Both install what they need (Debian packages, npm modules) when missing.

SHELL := /bin/bash
GO ?= go
BIN := build/bin
TAGS_DESKTOP := desktop,production,webkit2_41
APT_PACKAGES := minisign pkg-config gcc libgtk-3-dev libwebkit2gtk-4.1-dev xvfb xauth imagemagick chromium docker-registry mt-st time bc curl skopeo \
	dpkg-dev lintian man-db bash-completion
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X ferry/backend/version.Version=$(VERSION)
export DBUS_SESSION_BUS_ADDRESS := disabled:
export NO_AT_BRIDGE := 1

.PHONY: package package-test bindings-check run build deps apt-deps npm-deps frontend test go-test vet frontend-test ui-test window-test interop conformance bench clean bindings

run: build
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then ./$(BIN)/ferry; \
	else echo "No display found: opening the window under Xvfb (xvfb-run)."; \
	xvfb-run -a -s "-screen 0 1280x800x24" ./$(BIN)/ferry; fi

build: deps frontend
	$(GO) build -tags $(TAGS_DESKTOP) -ldflags "-w -s $(LDFLAGS)" -o $(BIN)/ferry .

deps: apt-deps npm-deps

# Installs only the Debian packages that are missing.
apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

npm-deps: frontend/node_modules/.package-lock.json

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

frontend: npm-deps
	cd frontend && npm run build

# Regenerates frontend/wailsjs from the bound App (runs main() up to wails.Run).
bindings:
	@t=$$(mktemp -d); $(GO) build -tags bindings -o $$t/wb . && $$t/wb >/dev/null; s=$$?; rm -rf $$t; exit $$s

# The committed bindings must match the bound App.
bindings-check: bindings
	@git diff --exit-code --stat -- frontend/wailsjs || { echo "frontend/wailsjs is stale: run make bindings and commit it"; exit 1; }

vet:
	$(GO) vet ./...

go-test: apt-deps
	FERRY_REQUIRE_REGISTRY=1 $(GO) test -race -count=1 ./...

# Ferry and the reference tool side by side on real registries
# (tests/interop). ACEDT is the reference binary, relative to the
# repository root or absolute; when it is not there the suite says so
# and is skipped.
ACEDT ?= ../shared/peers/ace-dt

interop: apt-deps
	@if [ -f "$(ACEDT)" ] && [ -x "$(ACEDT)" ]; then \
		$(GO) vet -tags interop ./tests/interop/ && \
		mkdir -p build && \
		{ ACEDT="$(abspath $(ACEDT))" FERRY_REQUIRE_REGISTRY=1 $(GO) test -tags interop -count=1 -timeout 15m -v ./tests/interop/ > build/interop.log 2>&1; s=$$?; \
		  grep -E -A40 '^\s*--- FAIL' build/interop.log | grep -v -E '^\s*--- PASS' | head -400; \
		  grep -E '^(ok|FAIL)[[:space:]]' build/interop.log; \
		  fails=$$(grep -c -E '^\s*--- FAIL' build/interop.log); \
		  if [ $$s -ne 0 ] && [ $$fails -eq 0 ]; then tail -n 60 build/interop.log; fi; \
		  echo "the whole interop log: build/interop.log"; \
		  echo "interop: $$(grep -c -E '^\s*--- PASS' build/interop.log) passed, $$fails failed"; \
		  exit $$s; }; \
	else \
		echo "interop: SKIPPED: ACEDT=$(ACEDT) is not an executable file (set ACEDT=path/to/ace-dt to run the interop suite)"; \
	fi

# The OCI distribution-spec conformance suite against Ferry's built-in
# registry (tests/conformance): pull, push, content discovery and content
# management. Prints the counts; the reports go to build/conformance.
conformance:
	$(GO) vet -tags conformance ./tests/conformance/
	@mkdir -p build
	@CONFORMANCE_RESULTS=$(CURDIR)/build/conformance $(GO) test -tags conformance -count=1 -v ./tests/conformance/ > build/conformance.log 2>&1; s=$$?; \
	  if [ $$s -ne 0 ]; then tail -n 80 build/conformance.log; fi; \
	  grep -E '^(ok|FAIL)[[:space:]]' build/conformance.log; \
	  echo "the whole conformance log: build/conformance.log"; \
	  line=$$(grep -o 'conformance: [0-9]* passed, [0-9]* failed, [0-9]* skipped' build/conformance.log | tail -n 1); \
	  echo "$${line:-conformance: 0 passed, 1 failed (no summary)}"; \
	  exit $$s

frontend-test: npm-deps
	cd frontend && npm test

# Browser tests: headless Chromium against `ferry ui` (built with the demo job kind).
ui-test: deps frontend
	$(GO) build -tags demo,production,webkit2_41 -ldflags "$(LDFLAGS)" -o $(BIN)/ferry-test .
	FERRY_BIN=$(CURDIR)/$(BIN)/ferry-test FERRY_SHOTS=$(CURDIR)/build/shots node --test --test-concurrency=1 tests/ui/

# The real window under Xvfb, with a screenshot check.
window-test: build
	FERRY_BIN=$(CURDIR)/$(BIN)/ferry FERRY_SHOTS=$(CURDIR)/build/shots bash tests/ui/window-smoke.sh

test: deps vet bindings-check go-test conformance interop frontend-test ui-test window-test package-test
	@echo "make test: all suites passed"

# Benchmarks: the Go ones, then scripts/bench-e2e.sh: Ferry next to the
# reference (ACEDT), crane and regctl on the same synthetic set, interleaved,
# medians of BENCH_RUNS rounds, with pprof CPU profiles of each Ferry step;
# report in build/bench/report.md. BENCH_MIB=1000 is the full set (20 images,
# ~1 GB); FERRY_BASE=path/to/ferry sets another Ferry binary beside this one.
BENCH_MIB ?= 200
BENCH_RUNS ?= 3
FERRY_BASE ?=

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem . ./backend/...
	GO=$(GO) ACEDT="$(abspath $(ACEDT))" BENCH_MIB=$(BENCH_MIB) BENCH_RUNS=$(BENCH_RUNS) FERRY_BASE="$(FERRY_BASE)" bash scripts/bench-e2e.sh

# Release files for carrying Ferry across the gap, in build/package: the .deb
# (desktop build), the headless CLI binary (no GTK) and their SHA256SUMS.
package: deps frontend
	GO=$(GO) bash packaging/build.sh

# Installs the .deb on this machine (root), uses it, removes it; runs the
# headless binary against real registries.
package-test: package
	GO=$(GO) bash packaging/test.sh

clean:
	rm -rf $(BIN) build/package frontend/dist
