"""The browser console's static files under ``/admin/ui/``, shipped inside the package.

The files are plain ES modules, HTML and CSS (no build step), so what is in ``admin/ui/`` is
exactly what the browser runs. The API client under ``client/`` has one source, ``clients/js/src``
(the miniprogram uses it too): ``bailian-fc build`` and wheel builds copy it into ``ui/client/``;
a checkout (``pip install -e``, ``bailian-fc dev``) serves it from ``clients/js/src`` directly. Static files need no token: they hold no data, and every data
route behind them checks ``role=admin``. Only names made of safe characters under ``ui/`` are
served, so no path can leave that directory.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import NotFound
from ..http.fc_event import Response
from ..http.route import Request, Route

UI_DIR = Path(__file__).parent / "ui"
CLIENT = "client"
# Where ui/client/* comes from: the copy a build put in the package, else the checkout's one source.
CLIENT_DIRS = (UI_DIR / CLIENT, Path(__file__).resolve().parents[3] / "clients" / "js" / "src")
BASE = "/admin/ui/"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,100}")
# Nothing from another origin, ever: the console works offline and a token in it stays here.
CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)


def asset(relative: str) -> Response:
    """The file ``ui/<relative>`` as a response, or NotFound."""
    parts = relative.split("/") if relative else ["index.html"]
    if not all(_SEGMENT.fullmatch(p) and ".." not in p for p in parts):
        raise NotFound("no such console file")
    path = _locate(parts)
    content_type = CONTENT_TYPES.get(path.suffix)
    if content_type is None or not path.is_file():
        raise NotFound("no such console file")
    headers = {
        "content-type": content_type,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }
    if path.suffix == ".html":
        headers["content-security-policy"] = CSP
    return Response(200, path.read_text(encoding="utf-8"), headers)


def _locate(parts: list[str]) -> Path:
    if len(parts) == 2 and parts[0] == CLIENT:
        for directory in CLIENT_DIRS:
            if (directory / parts[1]).is_file():
                return directory / parts[1]
    return UI_DIR.joinpath(*parts)


def _nested(request: Request[None, None]) -> Response:
    return asset(f"{request.path_params['folder']}/{request.path_params['name']}")


# Public and not the API: no token (the files hold no data), not in the OpenAPI document.
ROUTES = [
    Route("GET", path, handler, roles=None, documented=False)
    for path, handler in (
        ("/admin/ui", lambda request: Response(308, None, {"location": BASE})),
        ("/admin/ui/", lambda request: asset("")),
        ("/admin/ui/{name}", lambda request: asset(request.path_params["name"])),
        ("/admin/ui/{folder}/{name}", _nested),
    )
]
