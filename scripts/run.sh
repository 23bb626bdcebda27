#!/usr/bin/env bash
# The main job. `bash scripts/run.sh` opens the desktop app on the bundled demo project;
# `bash scripts/run.sh --headless [DIR]` builds the demo, runs every analysis and writes the plan package
# to DIR (default out/demo). Installs what it needs first.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
install_python_packages app
cd "$ROOT"
if [ "${1:-}" = "--headless" ]; then
  exec "$VENV/bin/gisplanner" demo --export "${2:-out/demo}"
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "gisplanner: no display found; starting the app on a virtual screen (xvfb-run)" >&2
  exec xvfb-run -a "$VENV/bin/python" run.py "$@"
fi
exec "$VENV/bin/python" run.py "$@"
