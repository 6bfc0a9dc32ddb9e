# zerobus-edge — build, test and demo entry points. `make help` lists them.
SHELL := /bin/bash
VENV ?= .venv
PYTHON := $(VENV)/bin/python
APT_PACKAGES := libnghttp2-dev libmbedtls-dev libsqlite3-dev libmosquitto-dev mosquitto \
	mosquitto-clients protobuf-compiler openssl sqlite3 pkg-config python3-venv \
	debhelper dpkg-dev lintian file systemd adduser gcc
SWIFT_BUILD_FLAGS ?=

.PHONY: help deps apt venv build test test-swift test-emulator test-agent test-schema test-package \
	test-package-systemd test-first-run packages test-packages demo demo-outage demo-client deb bench bench-agent protos clean

help:
	@echo "make demo         - install dependencies, build, run the embedded demo (broker + emulator + agent + sensors)"
	@echo "make demo-outage  - the same with a 60 s cloud outage: backlog grows, then drains, counts compared"
	@echo "make demo-client  - stream synthetic rows through the ZerobusClient library alone"
	@echo "make test         - install dependencies, build, run every test (Swift, emulator, agent end to end, package)"
	@echo "make deb          - build the Debian package into dist/"
	@echo "make packages     - one package per target in a debootstrap root: dist/<release>/ (TARGETS=...)"
	@echo "make test-packages - install and smoke-test each of them in a clean root of its release (TARGETS=...)"
	@echo "make bench        - client benchmark (Swift client vs official Python SDK)"
	@echo "make bench-agent  - agent benchmark (vs null subscriber and a Python bridge; BENCH_ARGS=--quick)"
	@echo "make protos       - regenerate Swift code from Protos/*.proto"

deps: apt venv

# Installs the Debian packages the build and the tests need (root or sudo).
apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# Python venv for the Zerobus emulator and the official Databricks SDK.
venv: $(VENV)/.installed
$(VENV)/.installed: Tests/requirements.txt Tests/requirements-no-deps.txt Tests/Emulator/requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q -r Tests/requirements.txt
	$(PYTHON) -m pip install -q --no-deps -r Tests/requirements-no-deps.txt
	touch $@

build: deps
	swift build $(SWIFT_BUILD_FLAGS)

test: build test-swift test-emulator test-agent test-schema test-package

test-swift:
	ZEROBUS_PYTHON=$(abspath $(PYTHON)) swift test $(SWIFT_BUILD_FLAGS)

# The emulator against the official Databricks SDK.
test-emulator:
	$(PYTHON) -m pytest -q Tests/Emulator

# The built agent against a real mosquitto and the emulator (outage, kill -9, poison, bounds, ...).
test-agent:
	$(PYTHON) -m pytest -q Tests/AgentTests

# schema pull, the examples' configurations and the standalone Swift client example.
test-schema:
	$(PYTHON) -m pytest -q Tests/SchemaTests

# Builds the .deb and installs, upgrades, removes and purges it (root).
test-package: deb venv
	ZEROBUS_PYTHON=$(abspath $(PYTHON)) Tests/Package/test_package.sh

# The same package under a real systemd in a Debian 12 container (debootstrap + systemd-nspawn;
# needs Debian's mirror, ~1 min once the container exists). Not part of `make test`.
test-package-systemd: deb venv
	@for p in debootstrap systemd-container; do dpkg -s $$p >/dev/null 2>&1 || apt-get install -y -qq $$p; done
	ZEROBUS_PYTHON=$(abspath $(PYTHON)) Tests/Package/test_systemd_nspawn.sh

# A new operator's first run, README step by step, in a Debian 12 container (systemd-nspawn,
# private network; apt needs Debian's mirror; a few minutes). Not part of `make test`.
test-first-run: deb venv
	@dpkg -s systemd-container >/dev/null 2>&1 || apt-get install -y -qq systemd-container
	ZEROBUS_PYTHON=$(abspath $(PYTHON)) Tests/Package/test_first_run.sh

deb: apt
	packaging/build-deb.sh

# Per release and architecture, each in its own debootstrap root kept in ROOTS_DIR
# (default /var/cache/zerobus-edge-roots). Needs Debian's mirror; arm64 runs under qemu-user
# (packaging/README.md has the measured times). Not part of `make test`.
# trixie-arm64 is cross-compiled with Debian sid's Swift and packaged and tested under qemu-user
# (packaging/cross.sh; packaging/README.md, "arm64").
TARGETS ?= bookworm-amd64 trixie-amd64 trixie-arm64
PACKAGES_APT := debootstrap qemu-user-static binfmt-support mosquitto mosquitto-clients curl xz-utils
packages: apt
	@for p in $(PACKAGES_APT); do dpkg -s $$p >/dev/null 2>&1 || apt-get install -y -qq $$p; done
	TARGETS="$(TARGETS)" packaging/build-packages.sh

test-packages: venv
	@for p in $(PACKAGES_APT); do dpkg -s $$p >/dev/null 2>&1 || apt-get install -y -qq $$p; done
	ZEROBUS_PYTHON=$(abspath $(PYTHON)) TARGETS="$(TARGETS)" Tests/Package/test_packages.sh

demo: build
	$(PYTHON) examples/demo.py

demo-outage: build
	$(PYTHON) examples/demo.py --outage

demo-client: build
	ZEROBUS_PYTHON=$(abspath $(PYTHON)) examples/client-demo.sh

bench: deps
	swift build -c release --product zerobus-example $(SWIFT_BUILD_FLAGS)
	$(PYTHON) Tests/Benchmarks/bench_client.py

bench-agent: deps
	swift build -c release --product zerobus-edge $(SWIFT_BUILD_FLAGS)
	$(PYTHON) Tests/Benchmarks/bench_agent.py $(BENCH_ARGS)

# Regenerates Sources/ZerobusClient/Generated from Protos/ (needs protoc-gen-swift 1.39:
# `swift build -c release --product protoc-gen-swift` in a checkout of apple/swift-protobuf).
PROTOC_GEN_SWIFT ?= protoc-gen-swift
protos:
	protoc --plugin=protoc-gen-swift=$$(command -v $(PROTOC_GEN_SWIFT)) \
		--swift_out=Sources/ZerobusClient/Generated --swift_opt=Visibility=Internal \
		-I Protos -I /usr/include Protos/zerobus_service.proto

clean:
	rm -rf .build $(VENV)
