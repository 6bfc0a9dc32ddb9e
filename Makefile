# zerobus-edge — build, test and demo entry points. `make help` lists them.
SHELL := /bin/bash
VENV ?= .venv
PYTHON := $(VENV)/bin/python
APT_PACKAGES := libnghttp2-dev libmbedtls-dev libsqlite3-dev libmosquitto-dev mosquitto \
	mosquitto-clients protobuf-compiler openssl sqlite3 pkg-config python3-venv
SWIFT_BUILD_FLAGS ?=

.PHONY: help deps apt venv build test test-swift test-emulator demo bench protos clean

help:
	@echo "make demo   - install dependencies, build, run the embedded demo"
	@echo "make test   - install dependencies, build, run every test"
	@echo "make bench  - benchmarks (figures printed)"
	@echo "make protos - regenerate Swift code from Protos/*.proto"

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
$(VENV)/.installed: Tests/requirements.txt Tests/Emulator/requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q -r Tests/requirements.txt
	touch $@

build: deps
	swift build $(SWIFT_BUILD_FLAGS)

test: build test-swift test-emulator

test-swift:
	ZEROBUS_PYTHON=$(abspath $(PYTHON)) swift test $(SWIFT_BUILD_FLAGS)

test-emulator:
	$(PYTHON) -m pytest -q Tests/Emulator

demo: build
	ZEROBUS_PYTHON=$(abspath $(PYTHON)) examples/client-demo.sh

bench: deps
	swift build -c release --product zerobus-example $(SWIFT_BUILD_FLAGS)
	$(PYTHON) Tests/Benchmarks/bench_client.py

# Regenerates Sources/ZerobusClient/Generated from Protos/ (needs protoc-gen-swift 1.39:
# `swift build -c release --product protoc-gen-swift` in a checkout of apple/swift-protobuf).
PROTOC_GEN_SWIFT ?= protoc-gen-swift
protos:
	protoc --plugin=protoc-gen-swift=$$(command -v $(PROTOC_GEN_SWIFT)) \
		--swift_out=Sources/ZerobusClient/Generated --swift_opt=Visibility=Internal \
		-I Protos -I /usr/include Protos/zerobus_service.proto

clean:
	rm -rf .build $(VENV)
