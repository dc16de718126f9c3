"""The wheel carries everything an installed (not editable) Runde needs: every module, the
migrations (installed as ``app/migrations``), templates, static and vendored files and the
compiled catalogs. ``scripts/wheel_check`` installs and runs such a wheel end to end
(docs/deployment.md); this test checks its file list, and ``runde --version``."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli

ROOT = Path(__file__).resolve().parent.parent

#: Never part of a build's input: the checkout's virtualenv, data and earlier build output, and
#: caches anywhere.
TOP_LEVEL_NOT_COPIED = {".git", ".venv", "data", "build", "dist"}
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".*_cache", "node_modules")


def _not_copied(folder: str, names: list[str]) -> set[str]:
    top_level = TOP_LEVEL_NOT_COPIED if Path(folder) == ROOT else set()
    return top_level & set(names) | CACHES(folder, names)


def _files(folder: Path) -> set[str]:
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The wheel's file list, built by pip from a copy of the checkout (the build writes
    ``build/`` and ``*.egg-info`` next to its sources, which must not land in the checkout)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(ROOT, source, ignore=_not_copied, dirs_exist_ok=True)
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = out.glob("runde-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_has_the_migrations(wheel_names: set[str]) -> None:
    assert "app/migrations/env.py" in wheel_names
    assert "app/migrations/script.py.mako" in wheel_names
    versions = {f"app/migrations/versions/{name}" for name in _files(ROOT / "migrations" / "versions")}
    assert versions, "no migration in the checkout"
    assert versions <= wheel_names, sorted(versions - wheel_names)


def test_wheel_has_templates_static_files_and_catalogs(wheel_names: set[str]) -> None:
    assert "app/templates/base.html" in wheel_names
    assert "app/templates/pages/login.html" in wheel_names
    vendored = {f"app/static/vendor/{name}" for name in _files(ROOT / "app" / "static" / "vendor")}
    assert any(name.endswith(".min.js") for name in vendored)
    assert vendored <= wheel_names, sorted(vendored - wheel_names)
    assert {"app/locales/de/LC_MESSAGES/messages.mo", "app/locales/en/LC_MESSAGES/messages.mo"} <= wheel_names
    demo = {f"app/domain/demo_data/{name}" for name in ("structure.json", "texts.de.json", "texts.en.json")}
    assert demo <= wheel_names, sorted(demo - wheel_names)
    legal = {f"app/legal/{n}.{lang}.md" for n in ("imprint", "privacy", "accessibility") for lang in ("de", "en")}
    assert legal <= wheel_names, sorted(legal - wheel_names)


def test_wheel_has_every_file_of_the_checkout_and_nothing_else(wheel_names: set[str]) -> None:
    """Every file under ``app/`` and ``migrations/`` (a new subpackage or data folder the
    packaging config misses fails here), and no top-level name besides ``app``."""
    expected = {f"app/{name}" for name in _files(ROOT / "app")} | {
        f"app/migrations/{name}" for name in _files(ROOT / "migrations")
    }
    assert not expected - wheel_names, sorted(expected - wheel_names)
    top_level = {name.split("/", 1)[0] for name in wheel_names if not name.startswith("runde-")}
    assert top_level == {"app"}
    assert any(name.startswith("runde-") and name.endswith(".dist-info/entry_points.txt") for name in wheel_names)


def test_version_is_the_installed_distributions() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"runde {importlib.metadata.version('runde')}\n"


@pytest.mark.slow
def test_pipx_install_of_the_checkout(tmp_path: Path) -> None:
    """``pipx install .`` (docs/operations.md): pipx from PyPI into a throwaway venv, Runde from a
    copy of the checkout into pipx's own venv (a built wheel, not editable), then ``runde
    --version``, ``runde migrate`` and ``runde backup`` from another folder."""
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=_not_copied)
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "tools")], check=True, timeout=300)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    pip = subprocess.run(
        [str(tmp_path / "tools" / "bin" / "pip"), "install", "--quiet", "pipx==1.18.4"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    pipx = subprocess.run(
        [str(tmp_path / "tools" / "bin" / "pipx"), "install", f"--pip-args=-c {source / 'constraints.txt'}", "."],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert pipx.returncode == 0, pipx.stdout + pipx.stderr
    runde = tmp_path / "bin" / "runde"
    run = tmp_path / "run"
    run.mkdir()
    env_run = {**env, "RUNDE_DATA_DIR": str(run / "data"), "RUNDE_SECRET_KEY": "p" * 40}

    def runde_says(*args: str) -> str:
        done = subprocess.run([str(runde), *args], cwd=run, env=env_run, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert runde_says("--version") == f"runde {importlib.metadata.version('runde')}\n"
    assert runde_says("migrate") == "Database is up to date.\n"
    assert runde_says("backup", "b.sqlite3").startswith("Backed up to b.sqlite3: 0 workshops, 0 cards, 0 events")
    python = next((tmp_path / "pipx" / "venvs" / "runde" / "bin").glob("python"))
    where = subprocess.run(
        [str(python), "-c", "import app; print(app.__file__)"],
        cwd=run,
        env=env_run,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(tmp_path / "pipx" / "venvs" / "runde")), where.stdout
