#!/usr/bin/env bash
# Build everything this machine can build, smoke-test the frozen build, and print ONE JSON line
# last on stdout (progress goes to stderr):
#   {"bundle_mb": …, "self_test": "ok" | "<reason>", "artefacts": [paths], …}
#   scripts/build_installer.sh     -> dist/postfordeler/ (onedir), dist/*.deb, dist/*.msi
# Linux: the onedir, a .deb (dpkg-deb; unpacked into a temp root and checked), the MSI definition
#        compiled with wixl (msitools) from the Linux file list — it proves the .wxs compiles;
#        the MSI to ship is built on Windows (docs/install/windows.md).
# Windows (Git Bash): the onedir with postfordeler.exe (windowed) + postfordeler-cli.exe.
# The frozen self-test needs a real Secret Service: with no D-Bus session one is started here
# (dbus-run-session + gnome-keyring-daemon, a throw-away keyring) when both are installed.
# Exit 0 only when the bundle was built and its self-test passed. Env: PYTHON (default
# python3), POSTFORDELER_BUILD_VENV (default .venv; reused if it has pyinstaller).
set -uo pipefail
cd "$(dirname "$0")/.."
log() { echo "[build] $*" >&2; }
json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

venv=${POSTFORDELER_BUILD_VENV:-.venv}
py=$venv/bin/python
[ -x "$py" ] || py=$venv/Scripts/python.exe
if ! "$py" -c "import PyInstaller" 2>/dev/null; then
  log "installing the build venv ($venv)"
  "${PYTHON:-python3}" -m venv "$venv" >&2 && py=$venv/bin/python
  [ -x "$py" ] || py=$venv/Scripts/python.exe
  "$py" -m pip install -q -e '.[build]' >&2 || { echo '{"bundle_mb": null, "self_test": "pip install failed", "artefacts": []}'; exit 1; }
fi
version=$("$py" -c 'import app; print(app.__version__)')
artefacts=()
started=$(date +%s)
log "pyinstaller build.spec (version $version)"
if ! "$py" -m PyInstaller --noconfirm --log-level WARN build.spec >&2; then
  echo '{"bundle_mb": null, "self_test": "PyInstaller build failed", "artefacts": []}'
  exit 1
fi
build_s=$(( $(date +%s) - started ))
bundle=dist/postfordeler
artefacts+=("$bundle")
bundle_mb=$(du -sk --apparent-size "$bundle" | awk '{printf "%.1f", $1/1024}')
exe=$bundle/postfordeler
cli=$bundle/postfordeler
[ -f "$bundle/postfordeler-cli.exe" ] && cli=$bundle/postfordeler-cli.exe exe=$bundle/postfordeler.exe
log "bundle: ${bundle_mb} MiB, built in ${build_s} s"

# --- the frozen self-test (a real Secret Service), then the keyring-less demo ---------------
smoke=$(mktemp -d)
selftest_cmd="QT_QPA_PLATFORM=offscreen '$cli' --data-dir '$smoke/data' --self-test"
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && command -v dbus-run-session >/dev/null \
    && command -v gnome-keyring-daemon >/dev/null; then
  log "no D-Bus session: self-test in dbus-run-session with a throw-away gnome-keyring"
  out=$(HOME="$smoke" XDG_DATA_HOME="$smoke/share" dbus-run-session -- sh -c \
    "echo -n selftest | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; $selftest_cmd" 2>&1)
else
  out=$(sh -c "$selftest_cmd" 2>&1)
fi
rc=$?
echo "$out" >&2
last=$(printf '%s\n' "$out" | tail -n 1)
if [ "$rc" -eq 0 ]; then self_test=ok; else self_test=${last#Selvtest fejlede: }; fi
# The demo needs no keyring and starts every time (its data in a throw-away folder).
demo=$(QT_QPA_PLATFORM=offscreen PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring \
  POSTFORDELER_EXIT_AFTER_FIRST_WINDOW=1 POSTFORDELER_DATA_DIR="$smoke/demo" \
  timeout 300 "$cli" 2>/dev/null | grep -m1 first_window_s || true)
first_window_s=$(printf '%s' "$demo" | python3 -c 'import json,sys; t=sys.stdin.read(); print(json.loads(t)["first_window_s"] if t else "null")')
[ "$first_window_s" = null ] && { self_test="the keyring-less demo did not start"; rc=1; }
log "frozen demo: first window after ${first_window_s} s"
version_line=$("$cli" --version 2>&1 | tail -n 1)

# --- Linux .deb -----------------------------------------------------------------------------
if command -v dpkg-deb >/dev/null && [ "$(uname -s)" = Linux ]; then
  arch=$(dpkg --print-architecture)
  root=$(mktemp -d)/postfordeler
  mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share/applications" \
    "$root/usr/share/icons/hicolor/256x256/apps" "$root/usr/share/icons/hicolor/scalable/apps" \
    "$root/etc/postfordeler"
  cp -a "$bundle" "$root/opt/postfordeler"
  ln -s /opt/postfordeler/postfordeler "$root/usr/bin/postfordeler"
  ln -s /opt/postfordeler/postfordeler "$root/usr/bin/postfordeler-cli"
  install -m 644 packaging/linux/postfordeler.desktop "$root/usr/share/applications/"
  install -m 644 resources/icons/postfordeler.png "$root/usr/share/icons/hicolor/256x256/apps/"
  install -m 644 resources/icons/postfordeler.svg "$root/usr/share/icons/hicolor/scalable/apps/"
  install -m 644 packaging/config.toml "$root/etc/postfordeler/config.toml"
  echo /etc/postfordeler/config.toml >"$root/DEBIAN/conffiles"
  cat >"$root/DEBIAN/control" <<CONTROL
Package: postfordeler
Version: $version
Architecture: $arch
Maintainer: Postfordeler <it@postfordeler.invalid>
Section: misc
Priority: optional
Depends: libc6 (>= 2.31)
Recommends: gnome-keyring | kwalletmanager
Installed-Size: $(du -sk "$root" | cut -f1)
Description: Digital Post til DUBU (Postfordeler desktop client)
 Receives, distributes and journalises incoming Digital Post (SF1606) for a
 municipal family department. IT configures it in /etc/postfordeler/config.toml.
CONTROL
  deb=dist/postfordeler_${version}_${arch}.deb
  if dpkg-deb --root-owner-group -Zgzip -z6 --build "$root" "$deb" >&2; then
    # Check it: unpack into a temp root, as dpkg would install it, and run what it installed.
    check=$(mktemp -d)
    dpkg-deb -x "$deb" "$check"
    ok=1
    for f in opt/postfordeler/postfordeler usr/share/applications/postfordeler.desktop \
        usr/share/icons/hicolor/256x256/apps/postfordeler.png etc/postfordeler/config.toml; do
      [ -e "$check/$f" ] || { log "deb lacks $f"; ok=0; }
    done
    [ "$(readlink "$check/usr/bin/postfordeler")" = /opt/postfordeler/postfordeler ] || ok=0
    if command -v desktop-file-validate >/dev/null; then
      desktop-file-validate "$check/usr/share/applications/postfordeler.desktop" >&2 || ok=0
    fi
    "$check/opt/postfordeler/postfordeler" --version >&2 || ok=0
    rm -rf "$check"
    if [ "$ok" = 1 ]; then artefacts+=("$deb"); log "deb: $deb (checked in a temp root)"
    else log "deb: $deb FAILED its check"; rc=1; fi
  fi
  rm -rf "$(dirname "$root")"
fi

# --- MSI: the WiX definition, compiled with wixl (Linux) or WiX (Windows) -------------------
"$py" scripts/make_wxs.py "$bundle" --version "$version" -o build/postfordeler.wxs >&2
artefacts+=("build/postfordeler.wxs")
msi=dist/postfordeler-${version}-x64.msi
if command -v wixl >/dev/null; then
  if wixl -a x64 -o "$msi" build/postfordeler.wxs 2>/dev/null; then
    artefacts+=("$msi")
    log "msi: $msi (wixl; from this machine's bundle: proves the definition compiles)"
  else
    log "wixl could not compile build/postfordeler.wxs"; rc=1
  fi
elif command -v wix >/dev/null; then
  wix build -arch x64 -o "$msi" build/postfordeler.wxs >&2 && artefacts+=("$msi")
else
  log "no wixl or WiX here: the .wxs is written, the MSI is not built"
fi
rm -rf "$smoke"

paths=$(printf '%s\n' "${artefacts[@]}" | python3 -c 'import json,sys; print(json.dumps([l for l in sys.stdin.read().splitlines() if l]))')
echo "{\"bundle_mb\": $bundle_mb, \"self_test\": $(json_str "$self_test"), \"artefacts\": $paths, \"build_s\": $build_s, \"first_window_s\": $first_window_s, \"version\": $(json_str "$version_line")}"
[ "$self_test" = ok ] && [ "$rc" -eq 0 ]
