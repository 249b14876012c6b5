"""The MSI definition (issue 14 point 2): scripts/make_wxs.py lists every file of a onedir with
stable component GUIDs, installs per machine with a Start-menu entry, and compiles with wixl
(msitools) when it is installed. The full build runs in .ci/run (scripts/build_installer.sh)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WIX = "{http://schemas.microsoft.com/wix/2006/wi}"


def _dist(root: Path) -> Path:
    dist = root / "dist" / "postfordeler"
    (dist / "_internal" / "PySide6" / "Qt").mkdir(parents=True)
    (dist / "postfordeler.exe").write_bytes(b"MZ gui")
    (dist / "postfordeler-cli.exe").write_bytes(b"MZ cli")
    (dist / "_internal" / "base_library.zip").write_bytes(b"zip")
    (dist / "_internal" / "PySide6" / "Qt" / "qtbase_da.qm").write_bytes(b"qm")
    return dist


def _wxs(tmp_path: Path, dist: Path, name: str) -> Path:
    out = tmp_path / name
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "make_wxs.py"),
            str(dist),
            "--version",
            "1.2.3",
            "--icon",
            str(REPO / "resources" / "icons" / "postfordeler.ico"),
            "-o",
            str(out),
        ],
        check=True,
        cwd=tmp_path,
        timeout=60,
    )
    return out


def test_the_msi_definition_lists_every_file_per_machine_with_a_start_menu_entry(tmp_path):
    dist = _dist(tmp_path)
    first = _wxs(tmp_path, dist, "a.wxs")
    root = ET.parse(first).getroot()
    product = root.find(f"{WIX}Product")
    assert product.get("Version") == "1.2.3"
    assert root.find(f".//{WIX}Package").get("InstallScope") == "perMachine"
    assert root.find(f".//{WIX}MajorUpgrade") is not None
    names = sorted(f.get("Name") for f in root.iter(f"{WIX}File"))
    assert names == sorted(p.name for p in dist.rglob("*") if p.is_file())
    shortcut = root.find(f".//{WIX}Shortcut")
    assert shortcut.get("Name") == "Postfordeler"
    gui = next(f for f in root.iter(f"{WIX}File") if f.get("Name") == "postfordeler.exe")
    assert shortcut.get("Target") == f"[#{gui.get('Id')}]"
    assert root.find(f".//{WIX}Directory[@Id='CommonAppDataFolder']") is not None
    # an upgrade keeps the component GUIDs (derived from the paths), a new build the same
    again = ET.parse(_wxs(tmp_path, dist, "b.wxs")).getroot()
    guids = lambda r: {c.get("Id"): c.get("Guid") for c in r.iter(f"{WIX}Component")}  # noqa: E731
    assert guids(root) == guids(again)
    if shutil.which("wixl") is None:
        pytest.skip("wixl (msitools) is not installed; .ci/run installs it")
    msi = tmp_path / "p.msi"
    proc = subprocess.run(
        ["wixl", "-a", "x64", "-o", str(msi), str(first)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert msi.stat().st_size > 0


def _requirements() -> list:
    import tomllib

    from packaging.requirements import Requirement

    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return [Requirement(r) for r in data["project"]["dependencies"]]


@pytest.mark.parametrize(
    ("platform", "want", "not_want"),
    [("win32", "sqlcipher3", "sqlcipher3-binary"), ("linux", "sqlcipher3-binary", "sqlcipher3")],
)
def test_dependencies_pick_the_sqlcipher_wheel_each_platform_has(platform, want, not_want):
    """sqlcipher3-binary has no Windows wheel; sqlcipher3 has win_amd64 wheels (0.6.4+). Both
    provide the module `sqlcipher3`, so exactly one is chosen per platform."""
    env = {"sys_platform": platform, "platform_system": platform.title(), "python_version": "3.11"}
    chosen = {r.name for r in _requirements() if r.marker is None or r.marker.evaluate(env)}
    assert want in chosen and not_want not in chosen
    assert {"PySide6-Essentials", "PySide6-Pdf", "keyring"} <= chosen


def test_the_installed_demo_unpacks_its_sample_letters_once(tmp_path, monkeypatch):
    """The installed build carries the sample letters as `resources/sandbox/messages.zip`
    (build.spec): the sandbox unpacks it once into the data folder, flat, nothing else."""
    import zipfile

    from app import paths, resources
    from app.sandbox import runner

    shipped = sorted((resources.resources_dir() / "sandbox" / "messages").glob("*.xml"))[:3]
    root = tmp_path / "resources"
    (root / "sandbox").mkdir(parents=True)
    with zipfile.ZipFile(root / "sandbox" / "messages.zip", "w") as zf:
        for path in shipped:
            zf.write(path, path.name)
        zf.writestr("../outside.xml", b"<x/>")  # a hostile member name is never written
    monkeypatch.setattr(resources, "resources_dir", lambda: root)
    paths.set_data_dir(tmp_path / "data")
    try:
        folder = runner.default_messages_dir()
        assert sorted(p.name for p in folder.glob("*.xml")) == [p.name for p in shipped]
        assert all((folder / p.name).read_bytes() == p.read_bytes() for p in shipped)
        assert not (tmp_path / "data" / "sandbox-messages" / "outside.xml").exists()
        (folder / shipped[0].name).unlink()
        assert runner.default_messages_dir() == folder  # unpacked once, not again
    finally:
        paths.set_data_dir(None)
