# wxgate's build, run and test commands. A newcomer needs two: `make run` and `make test`.
# Everything is built with plain cargo + wasm-bindgen + wasm-opt (no cargo-leptos needed); every step
# installs what it is missing and skips what is already there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# One warm target directory shared by every clone on this machine, so a fresh clone rebuilds only wxgate.
CARGO_TARGET_DIR ?= $(HOME)/.cache/wxgate/target
export CARGO_TARGET_DIR
# The name the files in /pkg start with (`make site` adds their content's hash); .cargo/config.toml gives the
# server the same name at compile time.
OUTPUT_NAME := wxgate

WASM_TARGET := wasm32-unknown-unknown
# wasm-bindgen-cli must be exactly the wasm-bindgen crate version in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' Cargo.lock)
# Only the `wasm-bindgen` binary is needed: not the test runner, and no TLS (its default `rustls-tls` is only for
# the test runner's WebDriver client). It runs for a second or two per build, so it is compiled for build speed
# (these variables apply to this one `cargo install`; it builds in a temporary target directory of its own).
WASM_BINDGEN_INSTALL_ENV := CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
# The features rustc enables by default for wasm32, so wasm-opt may keep using them.
WASM_OPT_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
                     --enable-mutable-globals --enable-reference-types --enable-multivalue
SITE := target/site
PKG := $(SITE)/pkg
WXGATE_RELEASE := $(CARGO_TARGET_DIR)/release/wxgate
# `make run` builds the server with the `local` profile (Cargo.toml says why); `make build` and `make bench` use release.
WXGATE_LOCAL := $(CARGO_TARGET_DIR)/local/wxgate
WXGATE_DEBUG := $(CARGO_TARGET_DIR)/debug/wxgate
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run run-server build site server test lint contract-types contract-check kit-tests kit-example unit-tests sdk-tests e2e build-tools test-tools bench

help:
	@echo "make run    install what is missing, build, and start wxgate on http://127.0.0.1:3000"
	@echo "make test   install what tests need, then run every check and test"
	@echo "make build  build the site and the release server without starting it"
	@echo "make bench  measure wxgate's CPU per payment and notification, and the bundle (release; not in make test)"

# Cargo names a path crate's artifacts alike in every checkout, so after another clone has built into the shared
# target directory this checkout's (older) sources would look up to date and its stale artifacts would be linked.
# Whenever the target directory was last used from elsewhere, re-stamp this checkout's sources once.
CHECKOUT_STAMP := $(CARGO_TARGET_DIR)/.wxgate-checkout

claim-target:
	@mkdir -p $(CARGO_TARGET_DIR)
	@if [ "$$(cat $(CHECKOUT_STAMP) 2>/dev/null)" != "$(CURDIR)" ]; then \
	  find app server frontend -type f \( -name '*.rs' -o -name '*.sql' -o -name 'Cargo.toml' \) -exec touch {} +; \
	  echo "$(CURDIR)" > $(CHECKOUT_STAMP); \
	fi

## ---- run ----

# `make run` tries wxgate in sandbox mode, unless WXGATE_MODE is set or a .env file configures wxgate (then they decide).
# The tools (wasm-bindgen-cli, built in a target directory of its own) are installed while the server builds: one
# cargo build alone keeps two cores busy only part of the time. The site is built after the server, as both use the
# shared target directory, which cargo locks.
run:
	@$(MAKE) --no-print-directory -j2 build-tools run-server
	@$(MAKE) --no-print-directory site
	@if [ -z "$${WXGATE_MODE:-}" ] && [ ! -e .env ]; then export WXGATE_MODE=sandbox; fi; \
	  $(WXGATE_LOCAL) serve

run-server: claim-target
	cargo build --profile local -p server --bin wxgate

build: site server

server: claim-target
	cargo build --release -p server --bin wxgate

## ---- the browser bundle ----

site: build-tools claim-target
	cargo build -p frontend --lib --target $(WASM_TARGET) --profile wasm-release
	rm -rf $(PKG) && mkdir -p $(PKG)
	wasm-bindgen $(CARGO_TARGET_DIR)/$(WASM_TARGET)/wasm-release/frontend.wasm \
	  --target web --no-typescript --out-dir $(PKG) --out-name $(OUTPUT_NAME)
	frontend/node_modules/.bin/wasm-opt -Oz $(WASM_OPT_FEATURES) \
	  $(PKG)/$(OUTPUT_NAME)_bg.wasm -o $(PKG)/$(OUTPUT_NAME).wasm
	rm $(PKG)/$(OUTPUT_NAME)_bg.wasm
	cp style/main.css $(PKG)/$(OUTPUT_NAME).css
	# Published under a name holding the hash of their content (its first 16 hex digits of SHA-256), listed in
	# $(SITE)/bundle.txt for the server: a browser may keep these files for a year, as a new build has a new name.
	name=$(OUTPUT_NAME).$$(cat $(PKG)/$(OUTPUT_NAME).{js,wasm,css} | sha256sum | cut -c1-16); \
	  for extension in js wasm css; do mv $(PKG)/$(OUTPUT_NAME).$$extension $(PKG)/$$name.$$extension; done; \
	  echo $$name > $(SITE)/bundle.txt
	# Precompressed copies (.br, .gz) beside each file of the bundle, which the server sends as they are.
	find $(PKG) -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) -exec node frontend/compress.mjs {} +
	cp -R public/. $(SITE)/

build-tools: frontend/node_modules/.installed
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 3 minutes alone on 2 cores, once)"; \
	  env -u CARGO_TARGET_DIR $(WASM_BINDGEN_INSTALL_ENV) \
	    cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force \
	      --no-default-features --bin wasm-bindgen; \
	fi

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

## ---- test ----

test: test-tools site lint contract-check unit-tests sdk-tests kit-tests e2e

lint: claim-target
	cargo fmt --all -- --check
	cargo clippy -p app -p wechat -p server -p sandbox -p private-files --features app/ssr --all-targets -- -D warnings
	cargo clippy -p app -p frontend --features app/hydrate --target $(WASM_TARGET) -- -D warnings

# The mini-program kit's TypeScript types are generated from the JSON API's OpenAPI document (`wxgate openapi`) by
# openapi-typescript and committed: `make contract-types` makes them anew, and `make test` fails while the committed
# ones differ from what the document makes, so a DTO change cannot reach one platform silently.
KIT := frontend/miniprogram
CONTRACT_TS := $(KIT)/src/contract.ts

contract-types: claim-target $(KIT)/node_modules/.installed
	cargo build -p server --bin wxgate
	@mkdir -p target
	$(WXGATE_DEBUG) openapi > target/openapi.json
	cd $(KIT) && npx openapi-typescript ../../target/openapi.json --output src/contract.ts

contract-check: claim-target $(KIT)/node_modules/.installed
	cargo build -p server --bin wxgate
	@mkdir -p target
	$(WXGATE_DEBUG) openapi > target/openapi.json
	cd $(KIT) && npx openapi-typescript ../../target/openapi.json --output ../../target/contract.ts
	@diff -u $(CONTRACT_TS) target/contract.ts || { \
	  echo "$(CONTRACT_TS) is stale: the JSON API changed. Run \`make contract-types\` and commit the result."; exit 1; }

# The kit, type-checked and built for the example, then its tests (jest) against a real `wxgate serve` in sandbox
# mode through a `wx` stand-in, the example mini program's under miniprogram-simulate.
kit-tests: claim-target kit-example
	cargo build -p server --bin wxgate
	cd $(KIT) && npx tsc --noEmit -p . && WXGATE_BIN=$(WXGATE_DEBUG) npx jest

# The kit compiled into the example mini program ($(KIT)/example/wxgate), which WeChat DevTools opens.
kit-example: $(KIT)/node_modules/.installed
	cd $(KIT) && npx tsc -p tsconfig.example.json

$(KIT)/node_modules/.installed: $(KIT)/package.json $(KIT)/package-lock.json
	cd $(KIT) && npm ci --no-audit --no-fund
	touch $@

# Integration tests run on SQLite and on PostgreSQL (WXGATE_TEST_POSTGRES_URL, default the local server);
# with CI=true an unreachable PostgreSQL fails the run instead of being skipped.
unit-tests: claim-target
	cargo test -p app -p wechat --features app/ssr
	cargo test -p server -p sandbox -p private-files

# The judges: the PyPI SDKs wechatpayv3 (Pay, in public-key and certificate mode), wechatpy (login: code2session,
# server tokens, the JS-SDK ticket, official-account OAuth, the message push's crypto) and standardwebhooks (the
# events wxgate sends, with `wxgate serve` on SQLite and on PostgreSQL, made through psycopg), pinned, drive
# `wxgate sandbox` and `wxgate serve`. Needs only pip's
# registry, once; the venv is kept and reused (its stamp names the pins, so a new pin installs again).
SDK_VENV := $(HOME)/.cache/wxgate/sdk-venv
SDK_PINS := wechatpayv3==2.0.4 wechatpy==1.8.18 standardwebhooks==1.1.0 psycopg==3.3.9 psycopg-binary==3.3.9 pytest
SDK_STAMP := $(SDK_VENV)/.installed-$(shell echo '$(SDK_PINS)' | sha1sum | cut -c1-12)
sdk-tests: claim-target $(SDK_STAMP)
	cargo build -p server --bin wxgate
	cd server/tests/sdk && PYTHONDONTWRITEBYTECODE=1 WXGATE_BIN=$(WXGATE_DEBUG) $(SDK_VENV)/bin/python -m pytest -q -p no:cacheprovider

$(SDK_STAMP):
	test -x $(SDK_VENV)/bin/python || python3 -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/pip install -q $(SDK_PINS)
	touch $@

e2e: claim-target end2end/node_modules/.installed
	cargo build -p server --bin wxgate
	cd end2end && WXGATE_BIN=$(WXGATE_DEBUG) npx playwright test

test-tools: build-tools end2end/node_modules/.installed $(KIT)/node_modules/.installed
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

end2end/node_modules/.installed: end2end/package.json end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund
	touch $@

## ---- benchmark ----

# Not part of `make test`: what a release wxgate spends per mini-program payment and per webhook notification on
# SQLite and PostgreSQL (rate, its own CPU per operation, its crypto alone, answer times at a fixed rate), against
# the sandbox in a process of its own; then the size of the browser bundle the site build made (README, "Benchmarks").
bench: site
	cargo bench -p server --bench throughput
