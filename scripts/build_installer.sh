#!/usr/bin/env bash
# Build the one-folder installer with PyInstaller and smoke-test the frozen build.
#   scripts/build_installer.sh            -> dist/postfordeler/ (run dist/postfordeler/postfordeler)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q -e '.[build]'
.venv/bin/pyinstaller --noconfirm --log-level WARN build.spec
smoke_dir=$(mktemp -d)
QT_QPA_PLATFORM=offscreen dist/postfordeler/postfordeler --data-dir "$smoke_dir" --self-test
rm -rf "$smoke_dir"
du -sh dist/postfordeler
