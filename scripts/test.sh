#!/usr/bin/env bash
# Runs all tests: ruff, the import-linter contract (the engine never imports Qt) and pytest, offscreen.
# Installs what it needs first. Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
install_debian_packages "${TEST_DEBIAN_PACKAGES[@]}"
install_python_packages test
cd "$ROOT"
export QT_QPA_PLATFORM=offscreen
"$VENV/bin/ruff" check .
"$VENV/bin/lint-imports" --no-cache
exec "$VENV/bin/python" -m pytest "$@"
