"""The vendored front-end files match app/static/vendor/SHA256SUMS (see scripts/vendor_js.py)."""

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
VENDOR_DIR = REPO / "app" / "static" / "vendor"
AXE_DIR = REPO / "tests" / "vendor" / "axe-core-4.14.1"


def _load_vendor_js() -> ModuleType:
    path = REPO / "scripts" / "vendor_js.py"
    spec = importlib.util.spec_from_file_location("vendor_js", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("vendor_js", module)
    spec.loader.exec_module(module)
    return module


vendor_js = _load_vendor_js()


def test_vendored_files_match_sha256sums() -> None:
    assert vendor_js.check(VENDOR_DIR) == []


def test_vendored_axe_core_matches_sha256sums() -> None:
    assert vendor_js.check(AXE_DIR) == []


def test_vendored_htmx_is_2_0_11() -> None:
    htmx = VENDOR_DIR / "htmx.org" / "htmx-2.0.11.min.js"
    assert 'version:"2.0.11"' in htmx.read_text(encoding="utf-8")


def test_tampered_file_is_reported(tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR_DIR, copy)
    (htmx,) = copy.glob("htmx.org/htmx-*.min.js")
    with htmx.open("ab") as handle:
        handle.write(b"\n")
    rel = htmx.relative_to(copy).as_posix()
    assert vendor_js.check(copy) == [f"MISMATCH {rel}"]


def test_unlisted_and_missing_files_are_reported(tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR_DIR, copy)
    (copy / "htmx.org" / "extra.js").write_text("x", encoding="utf-8")
    (copy / "VERSIONS.json").unlink()
    assert sorted(vendor_js.check(copy)) == [
        "MISSING VERSIONS.json",
        "UNLISTED htmx.org/extra.js",
    ]
