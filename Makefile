# kcdctl: two commands do all set-up on a fresh Debian machine (as root):
#   make demo   builds kcdctl, starts a throwaway Samba AD DC with HV01-HV04 and runs the whole loop
#   make test   builds, starts the test DC, runs unit and integration tests, stops the DC
# Also: make lint / make format (swift-format), make install (PREFIX, DESTDIR), make deb, make package-test (the .deb
# installed into a Debian 12 root and run against a test DC; CI runs it after make test), make bench, make fuzz,
# make release VERSION=x.y.z (the .deb, the binary tarball and SHA256SUMS, reproducibly: docs/compatibility.md).
# make test-multidc: two replicating Samba AD DCs and a DNS server in a network namespace, the MultiDCTests in it.
export PATH := /opt/swift/usr/bin:$(PATH)
SWIFT ?= swift
export KCDCTL_DC_DIR ?= /tmp/kcdctl-dc
KCDCTL = .build/debug/kcdctl
EXAMPLE = config/examples/hyperv-lab.yaml
DC = Tests/dc

.PHONY: all deps stamp build lint format test test-multidc demo bench fuzz dc-up dc-down clean

all: build

# What building needs from Debian: the OpenLDAP, Cyrus SASL and MIT Kerberos client libraries and
# headers, the SASL GSSAPI plugin (for gssapi binds at run time), pkg-config.
# (The DC's own packages are installed by $(DC)/dc-up.sh.)
deps:
	@missing=""; for p in libldap2-dev libsasl2-dev libkrb5-dev libsasl2-modules-gssapi-mit pkg-config; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Which kcdctl a development build is (kcdctl --version, plans, audit records): git describe and the commit,
# written to a git-ignored Swift file when they change (packaging/stamp.sh; a plain `swift build` without it is
# BuildInfo.unstamped). make release, make deb and make install stamp the release's VERSION instead.
stamp:
	@$(PKG)/stamp.sh

build: deps stamp
	$(SWIFT) build

# swift-format (shipped with the toolchain) with the committed .swift-format: `make lint` checks, `make format` rewrites.
FORMATTED = Sources Tests Fuzz Package.swift
lint:
	$(SWIFT) format lint --strict --recursive --parallel $(FORMATTED)

format:
	$(SWIFT) format format --in-place --recursive --parallel $(FORMATTED)

# The tests' DC and every file the tests and `swift test` make live in one folder under /tmp that is removed
# afterwards, whatever happened: a test run leaves nothing behind. (A lab DC from `make demo` is stopped first:
# both listen on the same ports.)
test: deps stamp lint
	@$(DC)/dc-down.sh >/dev/null 2>&1 || true
	@run=$$(mktemp -d /tmp/kcdctl-tests.XXXXXX); \
	  echo "$(SWIFT) build --build-tests" && TMPDIR=$$run $(SWIFT) build --build-tests && \
	  TMPDIR=$$run KCDCTL_DC_DIR=$$run/dc $(DC)/run-with-dc.sh env KCDCTL_REQUIRE_DC=1 $(SWIFT) test --skip-build; \
	  status=$$?; rm -rf "$$run"; exit $$status

# The multi-DC lab (Tests/dc/multi-dc-up.sh: mdc1 and mdc2 replicating, dnsmasq with their SRV records, all in a
# network namespace of its own; it coexists with the single test DC) and the MultiDCTests run inside that namespace;
# one folder under /tmp for everything, removed afterwards. MULTIDC_BUILD: the build folder (--scratch-path).
MULTIDC_BUILD ?= .build
test-multidc: deps stamp
	@run=$$(mktemp -d /tmp/kcdctl-tests.XXXXXX); \
	  echo "$(SWIFT) build --build-tests --scratch-path $(MULTIDC_BUILD)" && \
	  TMPDIR=$$run $(SWIFT) build --build-tests --scratch-path $(MULTIDC_BUILD) && \
	  TMPDIR=$$run KCDCTL_MULTIDC_DIR=$$run/mdc $(DC)/run-with-multi-dc.sh env KCDCTL_BIN=$(CURDIR)/$(MULTIDC_BUILD)/debug/kcdctl \
	    $(SWIFT) test --skip-build --scratch-path $(MULTIDC_BUILD) --filter '^MultiDCTests\.'; \
	  status=$$?; rm -rf "$$run"; exit $$status

demo: build
	$(DC)/dc-up.sh --with-keys HV01 HV02 HV03 HV04
	@echo; echo "== kcdctl validate"; $(KCDCTL) validate -f $(EXAMPLE)
	@echo; echo "== kcdctl plan"; $(KCDCTL) plan -f $(EXAMPLE)
	@echo; echo "== kcdctl apply --auto-approve"; $(KCDCTL) apply -f $(EXAMPLE) --auto-approve
	@echo; echo "== kcdctl plan (again: nothing left to do)"; $(KCDCTL) plan -f $(EXAMPLE) --detailed-exitcode
	@echo; echo "== kcdctl drift"; $(KCDCTL) drift -f $(EXAMPLE)
	@echo; echo "== kcdctl verify: the KDC's own answer for HV01 acting for a user (Samba's KDC knows no SPN with spaces: cifs only)"
	@KRB5_CONFIG=$(KCDCTL_DC_DIR)/krb5.conf $(KCDCTL) verify -f $(EXAMPLE) --host HV01 --keytab "$$($(DC)/export-keytab.sh HV01)" \
	  --impersonate svc-kcd --service cifs
	@echo; echo "== kcdctl doctor (information only: the hosts changed minutes ago)"; $(KCDCTL) doctor -f $(EXAMPLE) --user svc-kcd
	@echo; echo "The lab DC is still running: try '$(KCDCTL) show -f $(EXAMPLE) HV01'; 'make dc-down' stops it."

# Performance against the physical limit on the project's Samba DC; writes docs/performance.{md,json}.
# Never part of `make test` (it takes minutes).
bench: deps
	@command -v /usr/bin/time >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
	python3 Tests/bench/bench.py

# Coverage-guided fuzzing (libFuzzer + AddressSanitizer, from the Swift toolchain) of every parser of hostile
# input: manifest, saved plan, ranged LDAP attributes, LDAP value encoding, server certificate names.
# Fuzz/run.sh builds Fuzz/ into .build-fuzz and runs each target FUZZ_SECONDS; a crash, hang or blow-up exits 1
# and its input is kept in .build-fuzz/crashes/.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh

dc-up:
	$(DC)/dc-up.sh --with-keys HV01 HV02 HV03 HV04

dc-down:
	$(DC)/dc-down.sh

clean:
	rm -rf .build .build-release Sources/KCDCore/Version/BuildStamp.generated.swift

# Installing and packaging: make install, make deb, make package-test (packaging/package.mk).
include packaging/package.mk
