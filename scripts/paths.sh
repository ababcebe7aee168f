# Where scripts/setup installs hadeck and scripts/test finds it (sourced by both).
# Root installs for the machine; anyone else for themselves. Each can be overridden.
if [ "$(id -u)" = 0 ]; then
  : "${HADECK_VENV:=/opt/hadeck}"
  : "${HADECK_BIN_DIR:=/usr/local/bin}"
  : "${HADECK_PLUGIN_DIR:=/usr/local/lib/nagios/plugins}"
else
  : "${HADECK_VENV:=$HOME/.local/share/hadeck/venv}"
  : "${HADECK_BIN_DIR:=$HOME/.local/bin}"
  : "${HADECK_PLUGIN_DIR:=$HOME/.local/lib/nagios/plugins}"
fi
# Debian's own Python, named by path: the python3 first on PATH may be a pyenv shim or a
# virtual environment's.
: "${HADECK_PYTHON:=/usr/bin/python3}"
HADECK_VENV="$(realpath -m -- "$HADECK_VENV")"
HADECK_BIN_DIR="$(realpath -m -- "$HADECK_BIN_DIR")"
HADECK_PLUGIN_DIR="$(realpath -m -- "$HADECK_PLUGIN_DIR")"
export HADECK_VENV HADECK_BIN_DIR HADECK_PLUGIN_DIR HADECK_PYTHON
