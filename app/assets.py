"""Static files with content-hashed URLs, so browsers cache them for a year and still see a
change at once.

``StaticAssets`` hashes every file under ``app/static`` once, when an app is built; templates
link a file through ``static_url("css/runde.css")``, which gives
``/static/css/runde.css?v=<first 12 hex digits of its SHA-256>``. ``CachedStaticFiles`` serves
such a URL as immutable for a year. Any other request for a static file (no version, or a
version that is not the file's current one, e.g. a page rendered before a deployment) is
answered with ``no-cache``: browsers may keep it but revalidate it (ETag, 304) each time, so a
stale version never gets pinned under a URL that promises it never changes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/static/"
VERSION_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class StaticAssets:
    """The content hash of every static file, read once."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self.directory = directory
        self.versions: dict[str, str] = {
            path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:VERSION_LENGTH]
            for path in sorted(directory.rglob("*"))
            if path.is_file()
        }

    def url(self, relative: str) -> str:
        """The versioned URL of ``relative`` (e.g. ``css/runde.css``); an unknown file is an
        error, so a typo in a template fails its tests instead of linking nothing."""
        version = self.versions.get(relative)
        if version is None:
            raise ValueError(f"no static file {relative!r} in {self.directory}")
        return f"{STATIC_PREFIX}{relative}?v={version}"

    def is_current(self, relative: str, version: str) -> bool:
        return bool(version) and self.versions.get(relative) == version


class CachedStaticFiles(StaticFiles):
    """StaticFiles with the cache headers described above."""

    def __init__(self, assets: StaticAssets) -> None:
        super().__init__(directory=assets.directory)
        self.assets = assets

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            version = query.get("v", [""])[0]
            relative = Path(path).as_posix()
            current = self.assets.is_current(relative, version)
            response.headers["Cache-Control"] = IMMUTABLE if current else REVALIDATE
        return response
