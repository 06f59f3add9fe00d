"""Status colours: one definition (tracker.domain.progress.STATUS_COLOURS), every text /
background pair readable (WCAG 2 AA: 4.5:1 for text under 18.66 px bold / 24 px).

The pages take the status colours from /colours.css, generated from the definition
(static/style.css declares none of them); charts.py and the mail macros derive from the
definition itself.
"""
import pathlib
import re

import pytest

from tracker import charts
from tracker.domain import progress as P

CSS = pathlib.Path(__file__).resolve().parents[1] / "static" / "style.css"
AA = 4.5


def _root():
    css = CSS.read_text(encoding="utf-8")
    root = re.search(r":root\s*{([^}]*)}", css).group(1)
    return {name: value.upper() for name, value in
            re.findall(r"--([a-z-]+):\s*#([0-9a-fA-F]{6})\b", root)}


def test_contrast_ratio_matches_wcag_examples():
    assert P.contrast_ratio("FFFFFF", "000000") == pytest.approx(21.0)
    assert P.contrast_ratio("777777", "FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert P.contrast_ratio("#ca8a04", "#ffffff") == pytest.approx(2.94, abs=0.01)  # old 略欠进度


@pytest.mark.parametrize("status", P.STATUSES)
def test_white_status_text_on_each_status_colour(status):
    ratio = P.contrast_ratio(P.STATUS_TEXT, P.STATUS_COLOURS[status])
    assert ratio >= AA, f"{P.STATUS_LABELS[status]}: {ratio:.2f}:1"


@pytest.mark.parametrize("status", P.STATUSES)
@pytest.mark.parametrize("background", P.PAGE_BACKGROUNDS)
def test_status_colour_as_text_on_the_page(status, background):
    """超/欠进度 figures and legends show the colours as text on cards and the page."""
    ratio = P.contrast_ratio(P.STATUS_COLOURS[status], background)
    assert ratio >= AA, f"{status} on #{background}: {ratio:.2f}:1"


def test_pages_take_the_status_colours_from_the_one_definition(sqlite_app):
    root = _root()
    assert not set(P.STATUSES) & set(root), "style.css must not declare the status colours"
    assert root["bg"] in P.PAGE_BACKGROUNDS
    assert P.contrast_ratio(root["muted"], root["bg"]) >= AA
    client = sqlite_app.test_client()
    login = client.get("/login").get_data(as_text=True)
    link = re.search(r'href="(/colours\.css\?v=[0-9a-f]{12})"', login).group(1)
    served = client.get(link)
    assert served.mimetype == "text/css" and "immutable" in served.headers["Cache-Control"]
    declared = {name: value.upper() for name, value in
                re.findall(r"--([a-z-]+):\s*#([0-9a-fA-F]{6})\b", served.get_data(as_text=True))}
    assert declared == P.STATUS_COLOURS


def test_charts_and_mail_take_the_one_definition(app):
    for status in P.STATUSES:
        assert charts.COLORS[status].upper() == "#" + P.STATUS_COLOURS[status]
    with app.app_context(), app.test_request_context():
        from flask import render_template_string
        html = render_template_string(
            '{% import "email/_macros.html" as m %}{% for s in statuses %}{{ m.status(s) }}'
            '{% endfor %}', statuses=P.STATUSES)
    for status in P.STATUSES:
        assert f"background:#{P.STATUS_COLOURS[status].lower()}" in html
        assert P.STATUS_LABELS[status] in html
