#!/usr/bin/env bash
# Set up everything `make run` / `make test` need on a fresh Debian 12 box:
# system packages (installed when missing and we are root), a .venv with the locked
# dependencies (requirements.lock), the project, the compiled translations.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
# Qt (xcb/EGL), CJK TrueType fonts, PDF tools, PostgreSQL binaries, a virtual
# screen, a real Secret Service for the keyring test, LibreOffice for DOCX and xlsx checks,
# NSS tools (certutil, vfychain) and OpenSSL to check our certificates as other readers do,
# SoftHSM2 for seal keys in a PKCS#11 token.
SYSTEM_PACKAGES=(
  python3-venv
  libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxcb-xinerama0 libxcb-randr0 libxcb-shape0 libxcb-xkb1
  fontconfig fonts-wqy-zenhei fonts-arphic-uming fonts-arphic-ukai
  poppler-utils postgresql xvfb xauth
  dbus dbus-daemon gnome-keyring
  libreoffice-writer-nogui libreoffice-calc-nogui
  libnss3-tools openssl softhsm2
)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${SYSTEM_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
  done
fi

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "安装缺少的系统软件包 / installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "安装缺少的系统软件包 / installing system packages (sudo): ${missing[*]}"
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "缺少系统软件包，请以 root 身份安装后重试 / missing system packages, please install as root:" >&2
    echo "  apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "需要 Python 3.11 或更高版本 / Python 3.11+ is needed: $("$PY" --version 2>&1)" >&2
  exit 1
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "创建虚拟环境 .venv / creating .venv"
  "$PY" -m venv .venv
fi

stamp=.venv/.oa-setup-stamp
want=$(cat requirements.lock setup.cfg pyproject.toml | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  # Exactly the versions (and files, by hash) in requirements.lock, whatever PyPI holds today;
  # then the project itself, built with the locked setuptools.
  echo "安装 Python 依赖（requirements.lock）/ installing Python dependencies from requirements.lock"
  .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
    -r requirements.lock
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation \
    -e .
  echo "$want" > "$stamp"
fi

# Compiled catalogs (.mo) are build output, made from the .po files on every set-up.
.venv/bin/python -m oa_client.i18n_compile
