"""The physician's dashboard and the caregiver's training checklist: static pages, clients of the JSON API.

They are plain files (HTML, CSS, ES modules; no build step), served by a plain Flask blueprint, not part of the
API or its OpenAPI document. They carry no data: every figure comes from the API, fetched by the page with the
bearer token the user got at login. So they need no token themselves, and one rule in `service/__init__.py`
gives them their own headers (`CONTENT_SECURITY_POLICY`): scripts, styles and requests from this server only.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Request, redirect, send_from_directory

BLUEPRINT = "pages"
HTML = Path(__file__).resolve().parent / "html"

# No inline script or style anywhere (a script injected into a page could not run), nothing from elsewhere,
# no framing, no form posted away, and Trusted Types required: assigning a string to innerHTML throws.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
])

bp = Blueprint(BLUEPRINT, __name__, static_folder="static", static_url_path="/assets")

# Each page: its route and its file. One ES module per screen, named like the file.
PAGES = {
    "/login/": "login.html",
    "/dashboard/": "queue.html",
    "/dashboard/patient": "patient.html",
    "/dashboard/review": "review.html",
    "/dashboard/panel": "panel.html",
    "/checklist/": "checklist.html",
}


def serves(request: Request) -> bool:
    """Whether `request` reached a page or one of its files (no data, no token, the pages' own headers)."""
    return request.blueprint == BLUEPRINT


def is_page_endpoint(endpoint: str) -> bool:
    """Whether a route of the app is a page or the pages' files rather than an API operation."""
    return endpoint.partition(".")[0] == BLUEPRINT


def _page(filename: str):
    def view():
        return send_from_directory(HTML, filename, mimetype="text/html")

    view.__name__ = filename.removesuffix(".html")
    return view


@bp.get("/")
def start():
    """The start page is the login, which sends each role on to its page."""
    return redirect("/login/")


for _route, _file in PAGES.items():
    bp.add_url_rule(_route, view_func=_page(_file), methods=["GET"])


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
