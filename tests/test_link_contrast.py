"""The links of 本周动态 and 红黄预警 (issue 20: they were 2.2:1 against the text around them):
≥ 3:1 against that text and underlined, text and links ≥ 4.5:1 on the card (WCAG 2 G183 and
1.4.3), computed from static/style.css itself; the skip link readable when it shows."""
import pathlib
import re

from tracker.domain import progress as P

CSS = (pathlib.Path(__file__).resolve().parents[1] / "static" / "style.css").read_text("utf-8")
AA, LINK_VS_TEXT = 4.5, 3.0


def _rule(selector):
    """The declarations of the rule whose selector is exactly ``selector``."""
    match = re.search(r"(?:^|})\s*" + re.escape(selector) + r"\s*{([^}]*)}", CSS, re.M)
    assert match, f"style.css has no rule {selector!r}"
    return dict((name.strip(), value.strip()) for name, value in
                (d.split(":", 1) for d in match.group(1).split(";") if ":" in d))


def _hex(value):
    """RRGGBB of a CSS colour written #rgb or #rrggbb."""
    value = value.strip().lstrip("#")
    assert re.fullmatch(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{6}", value), value
    return "".join(c * 2 for c in value) if len(value) == 3 else value


def _root(name):
    return _hex(re.search(rf"--{name}:\s*(#[0-9a-fA-F]+)", CSS).group(1))


def test_week_and_warning_links_stand_out_from_their_text():
    text = _hex(_rule("#week-news, #warnings")["color"])
    link = _rule("#week-news a, #warnings a")
    assert link["text-decoration"].startswith("underline")
    card = _root("card")
    assert P.contrast_ratio(_hex(link["color"]), text) >= LINK_VS_TEXT
    assert P.contrast_ratio(_hex(link["color"]), card) >= AA
    assert P.contrast_ratio(text, card) >= AA


def test_the_old_link_colour_was_too_close_to_the_text():
    """What the issue measured: the page's link colour against its text colour (2.2:1)."""
    assert round(P.contrast_ratio(_root("link"), _root("fg")), 1) == 2.2


def test_skip_link_is_readable():
    skip = _rule(".skip-link")
    assert P.contrast_ratio(_hex(skip["color"]), _hex(skip["background"])) >= AA
    assert "underline" in skip["text-decoration"]
