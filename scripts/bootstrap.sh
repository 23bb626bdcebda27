# Sourced by scripts/run.sh and scripts/test.sh: installs what gisplanner needs on a fresh Debian machine
# with Python 3.11 — the Debian packages Qt needs offscreen, CJK fonts, a venv and the pip packages — and
# skips whatever is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON_BIN="${PYTHON:-python3}"

DEBIAN_PACKAGES=(
  python3-venv libegl1 libgl1 libglib2.0-0 libdbus-1-3 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 fonts-noto-cjk poppler-utils xvfb xauth
)

# The tests open the exported web pages in headless Chromium: Debian's build, driven by Playwright from PyPI
# through its executable path, so no browser is downloaded.
TEST_DEBIAN_PACKAGES=(chromium)

install_debian_packages() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local wanted=("$@")
  [ ${#wanted[@]} -eq 0 ] && wanted=("${DEBIAN_PACKAGES[@]}")
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "gisplanner: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python_packages() {
  local extras="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON_BIN" -m venv "$VENV"
  fi
  local stamp="$VENV/.gisplanner-installed-$extras"
  local digest
  digest="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ] || ! "$VENV/bin/python" -c "import gisplanner" 2>/dev/null; then
    echo "gisplanner: installing Python packages into $VENV" >&2
    local log
    if ! log=$("$VENV/bin/python" -m pip install -q -e "$ROOT[$extras]" 2>&1); then
      echo "$log" >&2
      echo "gisplanner: pip install failed (above)" >&2
      exit 1
    fi
    echo "$digest" > "$stamp"
  fi
}

install_debian_packages
