# credreg: the two commands are `make run` and `make test`; both set everything up first.
# Every step is idempotent: a second run only checks and takes seconds.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
# `make test` also runs the unit and integration suites on the newest Python that the pinned
# dependencies support: 3.12. (3.13 is left out: eth-ape 0.8 needs numpy, pinned at 1.26.4, which
# has no build for 3.13; credreg itself installs and imports there, see README.)
# (A pyenv shim answers `command -v` even for a version it will not run: each candidate must run.)
PYTHON_NEWEST ?= $(shell for p in python3.12 $(HOME)/.pyenv/versions/3.12*/bin/python; do \
  $$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { command -v $$p; break; }; done)
VENV_NEWEST := .venv-3.12
PY := $(CURDIR)/$(VENV)/bin/python
SOLC_VERSION := 0.8.30
SOLC_SHIM := $(HOME)/.solcx/solc-v$(SOLC_VERSION)
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)

# The local demo chain. Its keys are anvil's well-known development accounts (test ether on
# anvil only), kept as encrypted keystores in $(CREDREG_HOME)/keys, never in clear.
CREDREG_HOME ?= $(CURDIR)/.credreg
RPC_PORT ?= 8545
PORT ?= 8000
KEYS := $(CREDREG_HOME)/keys
export CREDREG_HOME
export CREDREG_RPC_URL ?= http://127.0.0.1:$(RPC_PORT)
export CREDREG_KEYSTORE_PASSWORD ?= credreg-demo
# The demo issuer's public folder (status lists) is served by the verifier itself (`make run`);
# set for the demo only, so that the tests' environment stays their own.
DEMO_PUBLIC_URL ?= http://127.0.0.1:$(PORT)/

.PHONY: sysdeps help setup venv npm solc compile artifact slither anvil anvil-stop keys deploy demo run test test-newest bench-gas clean

help:
	@echo "make run    set up, start anvil, deploy the registry, serve the verifier"
	@echo "make test   set up, then the whole test suite"
	@echo "make setup  only the environment (.venv, node_modules, solc shim, ape compile)"
	@echo "make slither | make bench-gas | make artifact | make anvil-stop | make clean"

setup: venv npm solc compile

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[ape,test]'
	@touch $@

npm: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	@# `npm ci` installs exactly the lock and never rewrites it, so a fresh clone stays clean.
	@# --include=dev: the tests' verifier is a dev dependency, wanted even under NODE_ENV=production.
	npm ci --include=dev --no-audit --no-fund --loglevel=error
	@touch $@

# py-solc-x and ape-solidity look for ~/.solcx/solc-v<version>: point it at our solc-js shim.
solc: npm
	@mkdir -p $(dir $(SOLC_SHIM))
	@printf '#!/bin/sh\nexec node "%s/scripts/solc-shim.cjs" "$$@"\n' "$(CURDIR)" > $(SOLC_SHIM).tmp
	@chmod +x $(SOLC_SHIM).tmp && mv $(SOLC_SHIM).tmp $(SOLC_SHIM)
	@$(SOLC_SHIM) --version | tail -1

compile: venv solc
	ape compile

# Rebuild the artifact committed in registry/chain after a contract change.
artifact: venv solc
	$(PY) -m registry.chain.artifact

# Slither on contracts/ and the OpenZeppelin code they inherit (contracts/SLITHER.md). solc-js has
# no --combined-json, so crytic-compile's solc-json platform takes the standard-JSON input (built
# as the artifact's is) and runs it through the shim's --standard-json. Fails on a high or medium
# finding and on any other one that contracts/slither-triage.tsv does not list.
SLITHER_OUT := .build/slither
slither: venv solc
	@mkdir -p $(SLITHER_OUT)
	$(PY) -m scripts._slither_gate input $(SLITHER_OUT)/input.json
	$(VENV)/bin/slither $(SLITHER_OUT)/input.json --compile-force-framework solc-json --solc $(SOLC_SHIM) \
	  --no-fail-pedantic --json - > $(SLITHER_OUT)/report.json
	$(PY) -m scripts._slither_gate check $(SLITHER_OUT)/report.json contracts/slither-triage.tsv

# A local anvil whose state survives restarts (--state); started once, reused after.
anvil: setup
	@$(PY) -m registry.dev.devchain start --port $(RPC_PORT) --state $(CREDREG_HOME)/anvil-state.json

anvil-stop:
	@$(PY) -m registry.dev.devchain stop --state $(CREDREG_HOME)/anvil-state.json

# Demo keystores: account 0 is the registry owner, account 1 the demo issuer's key.
keys: $(KEYS)/owner.json $(KEYS)/issuer.json
$(KEYS)/owner.json: | venv
	@$(PY) -m registry.dev.devchain keystore 0 $@ >/dev/null
$(KEYS)/issuer.json: | venv
	@$(PY) -m registry.dev.devchain keystore 1 $@ >/dev/null

deploy: anvil keys
	@echo "registry: $$(credreg deploy --reuse --keystore $(KEYS)/owner.json)"

demo: deploy
	@CREDREG_PUBLIC_URL=$(DEMO_PUBLIC_URL) $(PY) -m registry.dev.demo --keys $(KEYS) --port $(PORT)

# Serves in the foreground (Ctrl-C stops the verifier; anvil keeps running: make anvil-stop).
run: demo
	@CREDREG_PUBLIC_URL=$(DEMO_PUBLIC_URL) credreg serve --port $(PORT) --public $(CREDREG_HOME)/public

# Debian's Chromium drives the page tests (Playwright's own browser download is unreachable);
# wrk drives the HTTP benchmark; PostgreSQL's server runs the store's PostgreSQL tests.
# CI runs as root on Debian.
sysdeps:
	@command -v chromium >/dev/null && command -v wrk >/dev/null && command -v zbarimg >/dev/null && command -v gs >/dev/null && \
	  { command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium wrk postgresql zbar-tools ghostscript >/dev/null; }

# The unit and integration suites are plain `pytest` (settings in pyproject.toml).
test: setup sysdeps
	$(PY) -m ruff check --quiet .
	@$(MAKE) --no-print-directory slither
	$(PY) -m pytest
	ape test tests/contract
	ape test tests/contract --network ethereum:local:foundry
	@$(MAKE) --no-print-directory test-newest

# On 3.12, credreg's own code once more: the unit tests (the service's routes among them, over
# ASGI) and the issuer's journey against anvil. The suites that mostly drive tools outside Python (the
# Node verifiers, Chromium, Ape) or replay long chain scenarios run once, on 3.11: CI stays
# within 15 minutes.
NEWEST_SUITES := tests/unit tests/integration/test_issuer_journey.py
test-newest: $(VENV_NEWEST)/.installed
	$(VENV_NEWEST)/bin/python -m pytest $(NEWEST_SUITES)

$(VENV_NEWEST)/.installed: pyproject.toml constraints.txt
	@test -n "$(PYTHON_NEWEST)" || { echo "make test: no Python 3.12 found (set PYTHON_NEWEST=/path/to/python3.12)" >&2; exit 1; }
	@test -x $(VENV_NEWEST)/bin/python || $(PYTHON_NEWEST) -m venv $(VENV_NEWEST)
	$(VENV_NEWEST)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[ape,test]'
	@touch $@

bench-gas: setup
	$(PY) bench/gas.py

clean: anvil-stop
	rm -rf .build contracts/.cache $(VENV) $(VENV_NEWEST) node_modules $(CREDREG_HOME)
