# Bilet: `make run` starts a helpdesk, `make test` checks everything CI checks.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RUST_MIN := 1.95
# The tests' S3 server, built once and kept outside the checkout.
GARAGE_DIR := $(HOME)/.cache/bilet-test/garage-2.5.0

.PHONY: help run test bench screenshots build lint deb deps-rust deps-run deps-test deps-deb

help:
	@echo "make run    build and start Bilet on http://127.0.0.1:8080 with its embedded database"
	@echo "make test   install test services, run fmt, clippy and the whole test suite"
	@echo "make screenshots  every main page, both languages, 1280 and 390 px, light and dark, into test-artifacts/"
	@echo "make bench  time the hot queries on a seeded database (BENCH_TICKETS=1000000 for a million), memory under a sign-in flood, and the REST API under load"

deps-rust:
	@command -v cargo >/dev/null 2>&1 || { \
	  echo "Rust is not installed. Get it from https://rustup.rs:"; \
	  echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh"; exit 1; }
	@have=$$(rustc --version | awk '{print $$2}'); \
	 if [ "$$(printf '%s\n%s\n' "$(RUST_MIN)" "$$have" | sort -V | head -1)" != "$(RUST_MIN)" ]; then \
	   echo "Rust $$have is too old; Bilet needs $(RUST_MIN) or newer: run 'rustup update stable'"; exit 1; fi

# The PostgreSQL server binaries (initdb, postgres) for the embedded database.
deps-run:
	@if ! { command -v pg_config >/dev/null 2>&1 && [ -x "$$(pg_config --bindir)/initdb" ]; } \
	   && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	   echo "Installing the PostgreSQL server package..."; \
	   $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; \
	 fi

# What the tests need besides PostgreSQL: Dovecot (IMAP, LMTP), Python's
# venv (for the aiosmtpd SMTP server), headless Chromium and chromedriver,
# and npm for axe-core, the accessibility check the browser tests inject.
deps-test: deps-run
	@missing=""; \
	 command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	 command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	 [ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd"; \
	 [ -d /usr/lib/dovecot ] && ls /usr/lib/dovecot/lmtp >/dev/null 2>&1 || missing="$$missing dovecot-lmtpd"; \
	 python3 -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	 [ -x /usr/sbin/postfix ] || missing="$$missing postfix"; \
	 command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	 if [ -n "$$missing" ]; then \
	   echo "Installing test services:$$missing"; \
	   $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	 fi
	@[ -f tests/axe/node_modules/axe-core/axe.min.js ] || npm ci --prefix tests/axe --no-audit --no-fund --loglevel=error
	@[ -x $(GARAGE_DIR)/bin/garage ] || { echo "Building Garage (the tests' S3 server) once into $(GARAGE_DIR)..."; \
	  cargo install --locked --quiet garage@2.5.0 --root $(GARAGE_DIR); }
	@$(MAKE) --no-print-directory deps-deb

# cargo-deb builds the Debian package (and the package test in make test).
deps-deb: deps-rust
	@command -v cargo-deb >/dev/null 2>&1 || cargo install --locked cargo-deb@3.8.0

deb: deps-deb build
	cargo deb --no-build
	@ls target/debian/*.deb

build: deps-rust
	cargo build --release --locked

run: deps-rust deps-run build
	./target/release/bilet serve

lint: deps-rust
	cargo fmt --check
	@# aws-lc (a C build, and a run-time panic beside ring) and OpenSSL stay out.
	@if cargo tree --locked -e normal,build,dev -i aws-lc-sys >/dev/null 2>&1 || cargo tree --locked -e normal,build,dev -i openssl-sys >/dev/null 2>&1; then \
	  echo "aws-lc-sys or openssl-sys is in the dependency tree:"; cargo tree -i aws-lc-sys; cargo tree -i openssl-sys; exit 1; fi
	cargo clippy --locked --all-targets -- -D warnings

test: deps-rust deps-test lint
	tests/env/with-services cargo test --locked --all-targets

bench: deps-rust deps-test
	tests/env/with-services cargo bench --locked --bench queue --bench signin --bench search --bench stats --bench escalation --bench api --bench pages

screenshots: deps-rust deps-test
	tests/env/with-services cargo test --locked --test it walk::
	@echo "screenshots in test-artifacts/walk-*.png"
