# Installing, packaging and releasing (issues 12 and 17), included by the Makefile:
#   make release VERSION=x.y.z   the release: the .deb, the binary tarball and SHA256SUMS, built from the commit
#                       checked out (not the work tree's changes), reproducibly (packaging/release.sh)
#   make install        binary, man page, completions, systemd units, example manifest (PREFIX, DESTDIR)
#   make deb            kcdctl_VERSION_ARCH.deb in $(RELEASE_SCRATCH), with dpkg-deb, dpkg-shlibdeps, dpkg-gencontrol
#   make tarball        kcdctl-VERSION-linux-ARCH.tar.gz in $(RELEASE_SCRATCH): what make install puts in /usr/local
#   make package-test   the .deb installed by apt into a fresh Debian root (debootstrap, cached), proven against
#                       the test DC; lintian and systemd-analyze verify too
#   make release-build  the release binary they all start from: static Swift runtime, Debian's libldap/libkrb5/libsasl2
# None of them use .build (the debug build of `make build` / `make test`), and none leave anything in /tmp.

PKG = packaging
# The version of a release build: VERSION=x.y.z (make release requires it), else packaging/debian/changelog's
# latest entry, which must be VERSION's (build-deb.sh and release.sh check). Stamped into the binary with the
# commit and the build date (packaging/stamp.sh, BuildInfo): kcdctl --version, plans and audit records say it.
ifeq ($(origin VERSION),undefined)
VERSION := $(shell dpkg-parsechangelog -l $(PKG)/debian/changelog -SVersion 2>/dev/null)
endif
ARCH := $(shell dpkg --print-architecture)
# The one date of a build (the man page's, every file's in the .deb and the tarball, kcdctl --version's): the
# commit's time, so that the same commit gives the same bytes; outside git, the changelog entry's.
# make release passes it, and the commit (COMMIT), to the tree it builds, which has no .git.
ifeq ($(origin SOURCE_DATE_EPOCH),undefined)
SOURCE_DATE_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null || dpkg-parsechangelog -l $(PKG)/debian/changelog -STimestamp)
endif
export SOURCE_DATE_EPOCH
COMMIT ?=

RELEASE_SCRATCH ?= .build-release
RELEASE_BIN = $(RELEASE_SCRATCH)/release/kcdctl
# Reproducible wherever the tree is: no path of it reaches the binary's debug information (whose hash is its
# build ID) or C's __FILE__ (BoringSSL's error records). The Swift runtime and Foundation come from the toolchain.
REPRODUCIBLE_FLAGS = -Xswiftc -debug-prefix-map -Xswiftc $(CURDIR)=. -Xcc -ffile-prefix-map=$(CURDIR)=.
# Hardened like Debian's own binaries (lintian's hardening checks): full RELRO, immediate binding; and no
# RUNPATH ($$ORIGIN, SwiftPM's default): every library it needs is Debian's, in the standard paths.
RELEASE_FLAGS = -c release --static-swift-stdlib --disable-local-rpath --scratch-path $(RELEASE_SCRATCH) \
  -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now $(REPRODUCIBLE_FLAGS)
# What make install and make deb install: stripped, man page, completions (made once from the binary).
STAGE = $(RELEASE_SCRATCH)/stage
STAGED_BIN = $(STAGE)/kcdctl
STAGED_MAN = $(STAGE)/kcdctl.1
# Where make release writes the .deb, the tarball and SHA256SUMS.
RELEASE_DIR ?= $(RELEASE_SCRATCH)/release-$(VERSION)

# Where make install puts things. PREFIX=/usr/local by default; make deb installs with PREFIX=/usr.
# The configuration stays in /etc/kcdctl whatever the prefix: kcdctl's default manifest
# (ManifestLocation.defaultPath) and the drift unit name /etc/kcdctl/kcdctl.yaml, so SYSCONFDIR is not a knob.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/kcdctl
override SYSCONFDIR := /etc
# systemd reads /usr/local/lib/systemd/system too; Debian 12's packages ship units in /lib/systemd/system.
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
# zsh on Debian: vendor-completions for packages, /usr/local/share/zsh/site-functions for local installs.
ZSHCOMPDIR ?= $(if $(filter /usr,$(PREFIX)),$(DATADIR)/zsh/vendor-completions,$(DATADIR)/zsh/site-functions)
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
# Documentation installed beside the example manifest.
DOCS = README.md CHANGELOG.md SECURITY.md docs/install.md docs/manifest.md docs/operations.md docs/change-review.md \
  docs/security.md docs/diagnostics.md docs/plan-format.md docs/compatibility.md docs/windows-side.md \
  docs/multi-dc.md docs/adopting.md

# The package-test's Debian root is cached here between runs (a tarball made by debootstrap, ~130 MB).
PACKAGE_TEST_CACHE ?= /var/cache/kcdctl-package-test
# Set to a running DC's env file (e.g. /tmp/kcdctl-dc/env) to test against it instead of starting one;
# "skip" leaves the DC checks out (where no DC may run; the last line says so).
PACKAGE_TEST_DC_ENV ?=

.PHONY: release release-build stage install uninstall deb tarball dist package-test

# The compiler's temporary files in the scratch folder, removed afterwards (not in /tmp).
RELEASE_TMP = $(CURDIR)/$(RELEASE_SCRATCH)/tmp
release-build: deps
	@COMMIT="$(COMMIT)" $(PKG)/stamp.sh "$(VERSION)"
	@mkdir -p $(RELEASE_TMP)
	TMPDIR=$(RELEASE_TMP) $(SWIFT) build $(RELEASE_FLAGS) --product kcdctl; \
	  status=$$?; rm -rf $(RELEASE_TMP); exit $$status

# The generate-manual tool of swift-argument-parser (what `swift package plugin generate-manual` runs),
# built in the same scratch folder and run on the release binary: the plugin would build every product again.
GENERATE_MANUAL = $(RELEASE_SCRATCH)/release/generate-manual

stage: release-build
	@mkdir -p $(RELEASE_TMP)
	@TMPDIR=$(RELEASE_TMP) $(PKG)/stage.sh "$(RELEASE_BIN)" "$(STAGE)" "$(SWIFT) build $(RELEASE_FLAGS)" \
	  "$(GENERATE_MANUAL)" "$(VERSION)"; status=$$?; rm -rf $(RELEASE_TMP); exit $$status

install: stage
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
	  $(DESTDIR)$(FISHCOMPDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(STAGED_BIN) $(DESTDIR)$(BINDIR)/kcdctl
	sed -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@UNITDIR@|$(UNITDIR)|g' \
	  $(STAGED_MAN) > $(DESTDIR)$(MANDIR)/man1/kcdctl.1 && chmod 0644 $(DESTDIR)$(MANDIR)/man1/kcdctl.1
	install -m 0644 $(STAGE)/completion.bash $(DESTDIR)$(BASHCOMPDIR)/kcdctl
	install -m 0644 $(STAGE)/completion.zsh $(DESTDIR)$(ZSHCOMPDIR)/_kcdctl
	install -m 0644 $(STAGE)/completion.fish $(DESTDIR)$(FISHCOMPDIR)/kcdctl.fish
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' $(PKG)/systemd/kcdctl-drift.service.in \
	  > $(DESTDIR)$(UNITDIR)/kcdctl-drift.service && chmod 0644 $(DESTDIR)$(UNITDIR)/kcdctl-drift.service
	install -m 0644 $(PKG)/systemd/kcdctl-drift.timer $(DESTDIR)$(UNITDIR)/kcdctl-drift.timer
	install -m 0644 config/examples/kcdctl.yaml $(DESTDIR)$(DOCDIR)/examples/kcdctl.yaml
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	@# The configuration directory, if there is none yet (make deb's postinst gives it to the group kcdctl).
	[ -d $(DESTDIR)$(SYSCONFDIR)/kcdctl ] || install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/kcdctl

# What make install put there, except /etc/kcdctl (it holds the admin's files).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kcdctl $(DESTDIR)$(MANDIR)/man1/kcdctl.1 $(DESTDIR)$(BASHCOMPDIR)/kcdctl \
	  $(DESTDIR)$(ZSHCOMPDIR)/_kcdctl $(DESTDIR)$(FISHCOMPDIR)/kcdctl.fish \
	  $(DESTDIR)$(UNITDIR)/kcdctl-drift.service $(DESTDIR)$(UNITDIR)/kcdctl-drift.timer
	rm -rf $(DESTDIR)$(DOCDIR)

deb: stage
	@$(PKG)/build-deb.sh "$(VERSION)" "$(RELEASE_SCRATCH)" "$(MAKE)"

tarball: stage
	@$(PKG)/build-tarball.sh "$(VERSION)" "$(RELEASE_SCRATCH)" "$(MAKE)"

# What make release builds in the tree it exports.
dist: deb tarball

# make release VERSION=x.y.z [RELEASE_DIR=…]: the commit checked out (a clean work tree), exported with git archive
# and built there from scratch; the .deb, the tarball and SHA256SUMS in $(RELEASE_DIR). Minutes: a whole release
# build. Two runs of the same commit give the same bytes (docs/compatibility.md says how to check).
release:
	@case "$(origin VERSION)" in "command line"|environment) ;; *) echo "release: make release VERSION=x.y.z" >&2; exit 1;; esac
	@$(PKG)/release.sh "$(VERSION)" "$(RELEASE_DIR)" "$(MAKE)"

# CI: after `make test` (which stops its DC), with a DC of its own started and stopped here.
package-test: deb
	@$(PKG)/test/package-test.sh "$(RELEASE_SCRATCH)/kcdctl_$(VERSION)_$$(dpkg --print-architecture).deb" \
	  "$(PACKAGE_TEST_CACHE)" "$(DC)" "$(PACKAGE_TEST_DC_ENV)"
