"""Inline SVG charts: valid XML, expected elements, escaped text, geometry."""
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from markupsafe import Markup

from tracker import charts

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(svg):
    assert isinstance(svg, Markup)
    root = ET.fromstring(str(svg))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("s:title", NS) is not None
    return root


def by_class(root, tag, cls):
    return [el for el in root.iter(f"{{{NS['s']}}}{tag}") if el.get("class") == cls]


def test_progress_bar_fill_and_time_tick():
    root = parse(charts.progress_bar(Decimal("40.00"), Decimal("50.00"), "red", width=200))
    (fill,) = by_class(root, "rect", "fill")
    assert fill.get("width") == "80" and fill.get("fill") == charts.COLORS["red"]
    (tick,) = by_class(root, "line", "time")
    assert tick.get("x1") == "100"
    assert "40.0%" in root.find("s:title", NS).text


@pytest.mark.parametrize("completion,expected", [(0, "0"), (Decimal("150"), "200"), (None, "0"),
                                                 (-20, "0"), (25, "50")])
def test_progress_bar_clamps(completion, expected):
    root = parse(charts.progress_bar(completion, width=200))
    assert by_class(root, "rect", "fill")[0].get("width") == expected
    assert by_class(root, "line", "time") == []


def test_cumulative_chart_points_only_for_known_periods():
    svg = charts.cumulative_chart(
        ["Q1", "Q2", "Q3", "Q4"], [Decimal(25), Decimal(50), Decimal(75), Decimal(100)],
        [Decimal(30), Decimal(40), None, None], catch_up=[None, None, Decimal(80), Decimal(100)],
        forecast=Decimal(90), title="签约额 <亿元>")
    root = parse(svg)
    points = by_class(root, "circle", "point")
    assert len(points) == 2
    # Q1 met (30 >= 25) is green, Q2 missed (40 < 50) is red
    assert [p.get("fill") for p in points] == [charts.COLORS["green"], charts.COLORS["red"]]
    (checkpoint,) = by_class(root, "polyline", "checkpoint")
    assert len(checkpoint.get("points").split()) == 5  # year start + four period ends
    (actual,) = by_class(root, "polyline", "actual")
    assert len(actual.get("points").split()) == 3
    assert len(by_class(root, "polyline", "catch-up")) == 1
    assert len(by_class(root, "circle", "forecast")) == 1
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "签约额 <亿元>" in texts  # escaped in the source, intact after parsing
    assert "<亿元>" not in str(svg)
    assert {"Q1", "Q2", "Q3", "Q4"} <= set(texts)


def test_cumulative_chart_higher_value_is_higher_on_screen():
    root = parse(charts.cumulative_chart(["Q1", "Q2"], [50, 100], [20, 80]))
    ys = [float(p.get("cy")) for p in by_class(root, "circle", "point")]
    assert ys[0] > ys[1]  # SVG y grows downwards


def test_cumulative_chart_all_zero_and_bad_input():
    parse(charts.cumulative_chart(["Q1"], [0], [0]))
    with pytest.raises(ValueError):
        charts.cumulative_chart([], [], [])
    with pytest.raises(ValueError):
        charts.cumulative_chart(["Q1", "Q2"], [1], [1, 2])


def test_funnel_rows_scale_with_counts():
    root = parse(charts.funnel([("储备", 10, Decimal("5000")), ("洽谈", 5), ("签约", 0)],
                               title="漏斗 & 阶段"))
    bars = by_class(root, "rect", "stage")
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "漏斗 & 阶段" in texts and "10 个 · 5,000.00" in texts and "0 个" in texts


def test_bar_chart_negative_values_and_reference():
    root = parse(charts.bar_chart([("甲区", Decimal("0.30"), "green"), ("乙区", -0.10, "red"),
                                   ("丙区", None)], reference=0.2, reference_label="目标 20%",
                                  fmt=lambda v: f"{v * 100:.0f}%"))
    bars = by_class(root, "rect", "bar")
    assert len(bars) == 2
    (ref,) = by_class(root, "line", "reference")
    # positive bar starts at the zero axis; negative bar ends there
    zero = float(bars[1].get("x")) + float(bars[1].get("width"))
    assert float(bars[0].get("x")) == pytest.approx(zero)
    assert zero < float(ref.get("x1")) < float(bars[0].get("x")) + float(bars[0].get("width"))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "无数据" in texts and "目标 20%" in texts and "-10%" in texts
