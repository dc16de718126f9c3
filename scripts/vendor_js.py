"""Vendor Runde's front-end JavaScript reproducibly, and verify the vendored copy.

Why this exists: Runde serves htmx, its WebSocket extension and SortableJS from
``app/static/vendor/`` instead of a CDN, and it must not pick up a new release by
accident. ``npm install htmx.org`` now gives htmx 4, which silently breaks
htmx-ext-ws (an htmx 2 extension), and ``htmx.org``'s own ``dist/ext/ws.js`` is the
legacy htmx 1 extension. So the versions are pinned exactly in
``frontend/package.json`` (with sha512 integrity in ``frontend/package-lock.json``),
and this script is the only way files get into ``app/static/vendor/``:

* ``python scripts/vendor_js.py`` (after ``npm ci --prefix frontend --ignore-scripts``)
  checks that each package installed in ``frontend/node_modules`` has the version
  pinned in ``frontend/package.json``, copies the needed files with the version in
  their names plus each package's LICENSE as ``LICENSE.txt``, removes stale files,
  and writes ``SHA256SUMS`` (sha256sum format) and ``VERSIONS.json``.
* ``python scripts/vendor_js.py --check`` needs no npm and no network (CI runs it):
  it fails if any file listed in ``SHA256SUMS`` differs or any unlisted file exists.
* ``--axe-dest DIR`` also copies axe-core (test-only, MPL-2.0) with its licenses and
  a ``SHA256SUMS`` into DIR, e.g. ``tests/vendor/axe-core-4.14.1``.

The standard library only, so it runs before any dependency is installed.
"""

import argparse
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parent.parent
FRONTEND = REPO / "frontend"
NODE_MODULES = FRONTEND / "node_modules"
VENDOR_DIR = REPO / "app" / "static" / "vendor"

SUMS_NAME = "SHA256SUMS"
VERSIONS_NAME = "VERSIONS.json"
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
NPM_CI_HINT = "run: npm ci --prefix frontend --ignore-scripts"


class Asset(NamedTuple):
    """One file to vendor: ``src`` inside the package, ``dest`` under the vendor dir.

    ``dest`` may contain ``{version}``, filled with the pinned version.
    """

    package: str
    src: str
    dest: str


ASSETS: tuple[Asset, ...] = (
    Asset("htmx.org", "dist/htmx.min.js", "htmx.org/htmx-{version}.min.js"),
    Asset("htmx.org", "LICENSE", "htmx.org/LICENSE.txt"),
    # htmx-ext-ws's own build for htmx 2, NOT htmx.org's dist/ext/ws.js (htmx 1).
    Asset("htmx-ext-ws", "dist/ws.min.js", "htmx-ext-ws/ws-{version}.min.js"),
    # Its package.json has no "license" field, but it ships a 0BSD LICENSE file.
    Asset("htmx-ext-ws", "LICENSE", "htmx-ext-ws/LICENSE.txt"),
    Asset("sortablejs", "Sortable.min.js", "sortablejs/Sortable-{version}.min.js"),
    Asset("sortablejs", "LICENSE", "sortablejs/LICENSE.txt"),
)

# Test-only (devDependency); copied with --axe-dest, never into app/static.
AXE_PACKAGE = "axe-core"
AXE_ASSETS: tuple[Asset, ...] = (
    Asset(AXE_PACKAGE, "axe.min.js", "axe.min.js"),
    Asset(AXE_PACKAGE, "LICENSE", "LICENSE.txt"),
    # axe.min.js bundles MIT-licensed third-party code whose notices must travel with it.
    Asset(AXE_PACKAGE, "LICENSE-3RD-PARTY.txt", "LICENSE-3RD-PARTY.txt"),
)


class VendorError(Exception):
    """A problem that stops vendoring (wrong version, missing file, loose pin)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise VendorError(f"{path}: expected a JSON object")
    return data


def read_pins(frontend: Path = FRONTEND) -> dict[str, str]:
    """Exact versions from package.json (dependencies and devDependencies)."""
    manifest = _read_json(frontend / "package.json")
    pins: dict[str, str] = {}
    for section in ("dependencies", "devDependencies"):
        for name, spec in manifest.get(section, {}).items():
            if not isinstance(spec, str) or not EXACT_VERSION.match(spec):
                raise VendorError(f"PIN {name}: {spec!r} is not an exact x.y.z version")
            pins[name] = spec
    return pins


def _lock_entries(frontend: Path) -> dict[str, Any]:
    lock_path = frontend / "package-lock.json"
    if not lock_path.is_file():
        raise VendorError(f"missing {lock_path}")
    packages = _read_json(lock_path).get("packages", {})
    return packages if isinstance(packages, dict) else {}


def verify_installed(packages: set[str], pins: dict[str, str], frontend: Path = FRONTEND) -> dict[str, dict[str, Any]]:
    """Check pin == lockfile == installed for each package; return their metadata."""
    node_modules = frontend / "node_modules"
    lock = _lock_entries(frontend)
    problems: list[str] = []
    meta: dict[str, dict[str, Any]] = {}
    for name in sorted(packages):
        pin = pins.get(name)
        if pin is None:
            problems.append(f"PIN {name}: not listed in frontend/package.json")
            continue
        locked = lock.get(f"node_modules/{name}", {})
        if locked.get("version") != pin:
            problems.append(f"LOCK {name}: package-lock.json has {locked.get('version')}, pinned {pin}")
        manifest_path = node_modules / name / "package.json"
        if not manifest_path.is_file():
            problems.append(f"MISSING {name}: not installed ({NPM_CI_HINT})")
            continue
        manifest = _read_json(manifest_path)
        installed = manifest.get("version")
        if installed != pin:
            problems.append(f"VERSION {name}: installed {installed}, pinned {pin}")
            continue
        license_id = manifest.get("license")
        license_source = "package.json"
        if not isinstance(license_id, str):
            # e.g. htmx-ext-ws: no "license" field; name the licence from its file.
            lines = (node_modules / name / "LICENSE").read_text(encoding="utf-8").splitlines()
            license_id = next((line.strip() for line in lines if line.strip()), None)
            license_source = "LICENSE"
        meta[name] = {
            "version": installed,
            "license": license_id,
            "license_source": license_source,
            "integrity": locked.get("integrity"),
        }
    if problems:
        raise VendorError("\n".join(problems))
    return meta


def _dest(asset: Asset, pins: dict[str, str]) -> str:
    return asset.dest.format(version=pins[asset.package])


def _copy_assets(assets: tuple[Asset, ...], pins: dict[str, str], dest_dir: Path, frontend: Path) -> dict[str, str]:
    """Copy assets into dest_dir; return {relative dest: source path in node_modules}."""
    copied: dict[str, str] = {}
    for asset in assets:
        src = frontend / "node_modules" / asset.package / asset.src
        if not src.is_file():
            raise VendorError(f"MISSING {asset.package}/{asset.src} ({NPM_CI_HINT})")
        rel = _dest(asset, pins)
        target = dest_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        copied[rel] = f"node_modules/{asset.package}/{asset.src}"
    return copied


def _remove_stale(dest_dir: Path, keep: set[str]) -> None:
    for path in sorted(dest_dir.rglob("*"), reverse=True):
        rel = path.relative_to(dest_dir).as_posix()
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        elif rel not in keep:
            path.unlink()
            print(f"removed {rel}")


def write_sums(dest_dir: Path, rel_paths: set[str]) -> None:
    """Write SHA256SUMS (``<hex>  <path>``, sorted) for rel_paths under dest_dir."""
    lines = [f"{sha256_file(dest_dir / rel)}  {rel}\n" for rel in sorted(rel_paths)]
    (dest_dir / SUMS_NAME).write_text("".join(lines), encoding="utf-8", newline="\n")


def vendor(
    vendor_dir: Path = VENDOR_DIR,
    axe_dest: Path | None = None,
    frontend: Path = FRONTEND,
) -> None:
    """Copy the pinned files from frontend/node_modules and write the manifests."""
    pins = read_pins(frontend)
    wanted = {asset.package for asset in ASSETS}
    if axe_dest is not None:
        wanted.add(AXE_PACKAGE)
    meta = verify_installed(wanted, pins, frontend)

    vendor_dir.mkdir(parents=True, exist_ok=True)
    copied = _copy_assets(ASSETS, pins, vendor_dir, frontend)
    versions: dict[str, dict[str, Any]] = {}
    for asset in ASSETS:
        rel = _dest(asset, pins)
        entry = versions.setdefault(asset.package, {**meta[asset.package], "files": {}})
        entry["files"][rel] = copied[rel]
    (vendor_dir / VERSIONS_NAME).write_text(
        json.dumps(versions, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
        newline="\n",
    )
    listed = set(copied) | {VERSIONS_NAME}
    _remove_stale(vendor_dir, listed | {SUMS_NAME})
    write_sums(vendor_dir, listed)
    print(f"vendored {len(copied)} files into {_show(vendor_dir)}")

    if axe_dest is not None:
        axe_dest.mkdir(parents=True, exist_ok=True)
        axe_copied = _copy_assets(AXE_ASSETS, pins, axe_dest, frontend)
        _remove_stale(axe_dest, set(axe_copied) | {SUMS_NAME})
        write_sums(axe_dest, set(axe_copied))
        print(f"copied axe-core {pins[AXE_PACKAGE]} into {_show(axe_dest)}")


def check(vendor_dir: Path) -> list[str]:
    """Verify vendor_dir against its SHA256SUMS; return problem lines (empty = ok).

    ``MISMATCH <path>``: a listed file's hash differs. ``MISSING <path>``: a listed
    file is absent. ``UNLISTED <path>``: a file exists that SHA256SUMS does not list.
    ``MALFORMED SHA256SUMS:<n>``: an unreadable line. Needs no npm and no network.
    """
    sums_path = vendor_dir / SUMS_NAME
    if not sums_path.is_file():
        return [f"MISSING {SUMS_NAME}"]
    problems: list[str] = []
    listed: set[str] = set()
    for number, line in enumerate(sums_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        rel = match.group(2) if match else ""
        if not match or rel.startswith("/") or ".." in rel.split("/") or rel == SUMS_NAME:
            problems.append(f"MALFORMED {SUMS_NAME}:{number}")
            continue
        listed.add(rel)
        path = vendor_dir / rel
        if not path.is_file():
            problems.append(f"MISSING {rel}")
        elif sha256_file(path) != match.group(1):
            problems.append(f"MISMATCH {rel}")
    for path in sorted(vendor_dir.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        rel = path.relative_to(vendor_dir).as_posix()
        if rel != SUMS_NAME and rel not in listed:
            problems.append(f"UNLISTED {rel}")
    return problems


def _show(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="verify app/static/vendor against its SHA256SUMS (no npm, no network)",
    )
    parser.add_argument(
        "--axe-dest",
        type=Path,
        metavar="PATH",
        help="also copy axe-core's axe.min.js (+ licenses, SHA256SUMS) into this directory",
    )
    parser.add_argument("--vendor-dir", type=Path, default=VENDOR_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.check:
        problems = check(args.vendor_dir)
        if args.axe_dest is not None:
            problems += [f"{line} (in {_show(args.axe_dest)})" for line in check(args.axe_dest)]
        for line in problems:
            print(line)
        if problems:
            return 1
        print("ok")
        return 0

    try:
        vendor(args.vendor_dir, args.axe_dest)
    except VendorError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
