"""Only what pyproject.toml cannot say: the packages are the ones found under ``app`` plus the
top-level ``migrations/`` folder, installed as ``app/migrations``.

``migrations/`` stays at the top of the repository, where Alembic users expect it; an installed
wheel has no repository around it, so it carries the migrations inside ``app`` (``app/migrate.py``
looks there first, then beside ``app/`` in a checkout). ``tests/test_packaging.py`` checks the
wheel's file list.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["app*"]), "app.migrations", "app.migrations.versions"],
    package_dir={"app.migrations": "migrations"},
)
