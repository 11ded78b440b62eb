#!/usr/bin/env bash
# README command 1: set up on a fresh Debian machine and run the main job on the embedded default
# (the bundled example inbox, no mail server needed): process examples/inbox/, print the ledger,
# leave receipts as .eml files in var/outbox/.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: LibreOffice reads the legacy .doc/.xls examples; unar opens RAR archives.
need=()
command -v soffice >/dev/null || need+=(libreoffice-writer-nogui libreoffice-calc-nogui fonts-wqy-zenhei)
command -v unar >/dev/null || need+=(unar)
# the warm LibreOffice (parsers/readers/warm_office.py) is driven through the system Python's uno module
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import uno' 2>/dev/null || need+=(python3-uno)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q -o DPkg::Lock::Timeout=120 "${need[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q -e . 2>&1 | grep -v "is ignored" || true

.venv/bin/intake run --once
.venv/bin/intake ledger
echo
echo "Receipts written to: var/outbox/"
ls var/outbox/ 2>/dev/null | head -20
