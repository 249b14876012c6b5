"""The core is Qt-free: every module outside app/ui imports with PySide6 and qasync blocked."""

import subprocess
import sys
import textwrap

from tests.conftest import REPO

CORE_PACKAGES = ("sf1606", "gateway", "models", "core", "dubu", "sandbox", "suggest")


def core_modules() -> list[str]:
    modules = []
    for package in CORE_PACKAGES:
        for path in sorted((REPO / "app" / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(REPO).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules.append(".".join(parts))
    return modules


def test_core_imports_without_qt():
    modules = core_modules()
    assert len(modules) > 10
    script = textwrap.dedent(
        f"""
        import importlib, sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('PySide6', 'qasync', 'shiboken6'):
                    raise ImportError('Qt is blocked in the core: ' + name)
                return None

        sys.meta_path.insert(0, Block())
        for name in {modules!r}:
            importlib.import_module(name)
        assert not any(m.startswith(('PySide6', 'app.ui')) for m in sys.modules)
        print('ok', len({modules!r}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ok")
