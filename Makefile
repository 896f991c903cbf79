# The two commands: `make run` starts the client, `make test` runs the whole suite.
# Both set everything up first (scripts/bootstrap.sh) on a fresh Debian 12 box.
PY := .venv/bin/python
export QT_QPA_PLATFORM ?=
SOAK ?=

.PHONY: run test setup lint translations lock bench clean dist test-dist

# Installer builds (packaging/): `make dist` → build/dist/*.deb for this machine's architecture.
VERSION ?= $(shell sed -n 's/^version = //p' setup.cfg)
ARCH ?= $(shell dpkg --print-architecture 2>/dev/null || uname -m)
SERVER_URL ?=
COMPRESS ?= xz

setup:
	@bash scripts/bootstrap.sh

run: ARGS ?= --demo
run: setup
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
	  echo "未检测到显示器，在虚拟屏幕 (Xvfb) 上启动；设置 DISPLAY 可在真实桌面显示。"; \
	  xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) main.py $(ARGS); \
	else \
	  $(PY) main.py $(ARGS); \
	fi

lint: setup
	$(PY) -m ruff check .

translations: setup
	$(PY) -m oa_client.i18n_compile

# Refresh requirements.lock from setup.cfg's ranges (the newest releases they allow), with the
# pinned uv in its own venv; commit the lock together with the setup.cfg change.
lock:
	@[ -x build/lock-tool/bin/uv ] || { python3 -m venv build/lock-tool && \
	  build/lock-tool/bin/python -m pip install -q --require-hashes -r scripts/lock-tool.txt; }
	build/lock-tool/bin/python scripts/lock.py

# The suite runs on two workers (pytest-xdist), a test file at a time on one worker and in its
# order (some files' tests share a module's server and build on each other): about 8 minutes
# on a 2-core machine instead of 14. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: setup
	$(PY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

dist: setup
	@if [ "$(ARCH)" != "$$(dpkg --print-architecture)" ]; then \
	  echo "make dist ARCH=$(ARCH) builds on an $(ARCH) machine (PyInstaller bundles the running Python); see README"; exit 2; fi
	$(PY) packaging/build.py bundle --target client
	$(PY) packaging/build.py bundle --target server
	$(PY) packaging/build.py deb --target client --version $(VERSION) --server-url "$(SERVER_URL)" --compress $(COMPRESS)
	$(PY) packaging/build.py deb --target server --version $(VERSION) --compress $(COMPRESS)

# The install journeys in a clean Debian root: the client and server packages, a newer client
# build to upgrade to (packaging/next_release.py: this code plus one more schema step), the root
# cached under build/roots (debootstrap from apt's mirror once), then the tests; their screenshots
# and numbers land in build/dist-shots/.
test-dist: setup
	rm -rf build/dist/*.deb build/dist-shots
	$(MAKE) dist SERVER_URL=http://127.0.0.1:18790 COMPRESS=gzip
	$(PY) packaging/next_release.py --version $(VERSION).1 --server-url http://127.0.0.1:18790 --compress gzip
	$(PY) packaging/clean_root.py build/dist/*.deb
	OA_DIST_REQUIRED=1 QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:randomly tests/dist
	@cat build/dist-shots/numbers.json

bench: setup
	$(PY) -m bench store --quick

clean:
	rm -rf .venv build *.egg-info
