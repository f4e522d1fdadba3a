"""The pages as files: served without a token (they carry no data), under their own strict Content-Security-
Policy, with no inline script or style and no HTML built from strings; the API keeps its own headers. What they
do in a browser is tests/browser/."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from service import pages

STATIC = Path(pages.__file__).parent / "static"
HTML_FILES = sorted(pages.HTML.glob("*.html"))
SCRIPTS = sorted((STATIC / "js").glob("*.js"))


class Page(HTMLParser):
    """What an HTML file refers to and holds: scripts, styles, event-handler attributes, inline styles."""

    def __init__(self):
        super().__init__()
        self.scripts, self.styles, self.inline_scripts, self.inline_styles, self.handlers = [], [], 0, 0, []
        self.labels, self.inputs, self._in_script = set(), [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = True
            if "src" in attrs:
                self.scripts.append((attrs["src"], attrs.get("type")))
        if tag == "style":
            self.inline_styles += 1
        if tag == "link" and attrs.get("rel") in ("stylesheet", "icon"):
            self.styles.append(attrs["href"])
        if "style" in attrs:
            self.inline_styles += 1
        self.handlers += [name for name in attrs if name.startswith("on")]
        if tag == "label" and "for" in attrs:
            self.labels.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("checkbox", "radio", "hidden"):
            self.inputs.append(attrs.get("id"))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1


def parsed(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_every_page_answers_without_a_token_under_its_own_content_security_policy(client):
    for route in pages.PAGES:
        response = client.get(route)
        assert response.status_code == 200, route
        assert response.mimetype == "text/html"
        policy = response.headers["Content-Security-Policy"]
        for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                          "frame-ancestors 'none'", "base-uri 'none'", "require-trusted-types-for 'script'"):
            assert directive in policy, (route, directive)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "*" not in policy
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-cache"  # no data in them: revalidated, not refetched


def test_the_start_page_is_the_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/login/"


def test_the_pages_files_are_served_with_their_types_and_a_missing_one_is_a_404(client):
    assert client.get("/assets/js/api.js").mimetype == "text/javascript"
    assert client.get("/assets/pages.css").mimetype == "text/css"
    assert client.get("/assets/icon.svg").mimetype == "image/svg+xml"
    missing = client.get("/assets/js/nothing.js")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert client.get("/assets/../__init__.py").status_code == 404
    assert client.post("/login/").status_code == 405


def test_the_api_keeps_its_stricter_headers_beside_the_pages(client, clinic):
    for response in (client.get("/patients", headers=clinic.headers["physician"]), client.get("/health"),
                     client.get("/nowhere")):
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert response.headers["Cache-Control"] == "no-store"


def test_a_page_needs_no_token_but_the_data_it_shows_does(client):
    assert client.get("/dashboard/patient").status_code == 200
    assert client.get("/patients").status_code == 401
    # A token that does not work is not even looked at on a page (nothing to protect there).
    assert client.get("/dashboard/", headers={"Authorization": "Bearer nonsense"}).status_code == 200


@pytest.mark.parametrize("path", HTML_FILES, ids=lambda p: p.name)
def test_a_page_has_no_inline_script_or_style_and_loads_only_its_own_files(path):
    page = parsed(path)
    assert page.inline_scripts == 0 and page.inline_styles == 0 and page.handlers == []
    assert page.scripts == [(f"/assets/js/{path.stem}.js", "module")], "one ES module per screen, named like it"
    for reference in [src for src, _ in page.scripts] + page.styles:
        assert reference.startswith("/assets/"), reference
        assert (STATIC / reference.removeprefix("/assets/")).is_file(), reference


@pytest.mark.parametrize("path", HTML_FILES, ids=lambda p: p.name)
def test_every_input_of_a_page_has_a_label(path):
    page = parsed(path)
    unlabelled = [input_id for input_id in page.inputs if input_id not in page.labels]
    assert unlabelled == []


def test_every_route_of_the_pages_serves_a_file_that_exists():
    assert {pages.HTML / name for name in pages.PAGES.values()} == set(HTML_FILES)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_the_scripts_build_no_html_from_strings_and_talk_only_through_the_api_module(path):
    source = path.read_text(encoding="utf-8")
    code = re.sub(r"^\s*//.*$", "", source, flags=re.MULTILINE)  # comments may name what is avoided
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "localStorage", "document.cookie", "setAttribute(\"style\"", "setAttribute('style'", ".style."):
        assert sink not in code, f"{path.name} uses {sink}"
    if path.name != "api.js":
        assert "fetch(" not in code and "XMLHttpRequest" not in code, f"{path.name} calls the network itself"
    for imported in re.findall(r'from "(\./[^"]+)"', code):
        assert (path.parent / imported).is_file(), imported
    code = code.replace('"http://www.w3.org/2000/svg"', "")  # the SVG namespace is a name, never fetched
    assert not re.search(r"https?://", code), f"{path.name} names another site"
