# The two commands: `make run` starts the client, `make test` runs the whole suite.
# Both set everything up first (scripts/bootstrap.sh) on a fresh Debian 12 box.
PY := .venv/bin/python
export QT_QPA_PLATFORM ?=
SOAK ?=

.PHONY: run test setup lint translations bench clean

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

test: setup
	$(PY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench store --quick

clean:
	rm -rf .venv build *.egg-info
