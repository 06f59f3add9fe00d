"""Server-rendered inline SVG charts (no JavaScript, no CDN).

Pure functions: numbers in, an SVG string (``markupsafe.Markup``) out, so the same
pictures go into pages and emails. Colours are attributes, not CSS classes, so a mail
client shows them too. Every text is escaped. No Flask or peewee imports here.
"""
import math
from decimal import Decimal

from markupsafe import Markup, escape

from .domain import progress as P

# Status colours come from their one definition (tracker.domain.progress.STATUS_COLOURS).
COLORS = {
    **{status: P.css_colour(status) for status in P.STATUSES},
    "pending": P.css_colour(P.GREY),
    "brand": "#b42318",
    "fg": "#1f2933",
    "muted": "#616e7c",
    "line": "#d9e2ec",
    "track": "#e4e7eb",
    "plan": "#1d4ed8",
}
FONT = "font-family=\"Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif\""
SVG_NS = "http://www.w3.org/2000/svg"


def _num(value):
    """float from Decimal/int/float/None (None -> None)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return float(value)


def _f(x):
    """Compact coordinate."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(x, y, content, size=11, anchor="start", fill=None, weight=None):
    attrs = [f'x="{_f(x)}"', f'y="{_f(y)}"', f'font-size="{size}"', f'text-anchor="{anchor}"',
             f'fill="{fill or COLORS["fg"]}"']
    if weight:
        attrs.append(f'font-weight="{weight}"')
    return f"<text {' '.join(attrs)}>{escape(content)}</text>"


def _svg(width, height, body, label):
    return Markup(
        f'<svg xmlns="{SVG_NS}" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" role="img" aria-label="{escape(label)}" '
        f'class="chart" {FONT}><title>{escape(label)}</title>{"".join(body)}</svg>'
    )


def _color(status):
    return COLORS.get(status or "grey", COLORS["grey"])


def _pct(percent):
    return "–" if percent is None else f"{percent:.1f}%"


def progress_bar(completion, time_progress=None, status=None, width=160, height=14, label=""):
    """Horizontal bar filled to ``completion`` with a dark tick at ``time_progress``
    (both in percent, 35 = 35%, as in tracker.domain.progress). Over 100% fills the bar."""
    comp = _num(completion) or 0.0
    fill_w = max(0.0, min(comp / 100.0, 1.0)) * width
    title = label or f"完成 {_pct(comp)}" + (
        f"，时序进度 {_pct(_num(time_progress))}" if time_progress is not None else "")
    body = [
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" rx="3" '
        f'fill="{COLORS["track"]}"/>',
        f'<rect class="fill" x="0" y="0" width="{_f(fill_w)}" height="{_f(height)}" rx="3" '
        f'fill="{_color(status or "brand")}"/>',
    ]
    if time_progress is not None:
        tx = max(0.0, min(_num(time_progress) / 100.0, 1.0)) * width
        tx = min(max(tx, 1.0), width - 1.0)
        body.append(f'<line class="time" x1="{_f(tx)}" y1="0" x2="{_f(tx)}" '
                    f'y2="{_f(height)}" stroke="{COLORS["fg"]}" stroke-width="2"/>')
    return _svg(width, height, body, title)


def _nice_max(value):
    """A round axis maximum >= value (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value * (1 - 1e-12):
            return step * magnitude
    return 10 * magnitude


def cumulative_chart(labels, checkpoints, actuals, *, catch_up=None, forecast=None, title="",
                     fmt=None, unit="", width=360, height=200, legend=("累计完成", "节点目标")):
    """Cumulative actual vs the cumulative checkpoint, one point per period.

    ``labels``: period names (e.g. Q1..Q4); ``checkpoints``: cumulative checkpoint target
    at the end of each period (dashed line); ``actuals``: cumulative actual
    at the end of each period, None for periods not reached yet (drawn as a solid line
    with dots); ``catch_up``: optional cumulative catch-up target per period (dotted);
    ``forecast``: optional projected year-end value (a hollow dot at the last period).
    ``fmt`` turns a value into axis text (default: plain number); ``legend`` names the
    actual and the checkpoint line."""
    fmt = fmt or (lambda v: f"{v:,.0f}")
    n = len(labels)
    if n == 0:
        raise ValueError("cumulative_chart needs at least one period")
    if len(checkpoints) != n or len(actuals) != n:
        raise ValueError("labels, checkpoints and actuals must have the same length")
    cps = [_num(v) or 0.0 for v in checkpoints]
    acts = [_num(v) for v in actuals]
    ups = [_num(v) for v in (catch_up or [None] * n)]
    fc = _num(forecast)
    top = _nice_max(max([v for v in cps + acts + ups + [fc] if v is not None] + [0.0]))
    plot = _Plot(width, height, n, top, 26 if title else 12)
    body = [_text(plot.left, 16, title, size=12, weight="bold")] if title else []
    body += _cumulative_axes(plot, labels, fmt, unit)
    body += _cumulative_lines(plot, cps, acts, ups)
    body += _cumulative_points(plot, labels, cps, acts, fc, fmt)
    body += _cumulative_legend(plot, legend)
    return _svg(width, height, body, title or "累计完成与节点目标")


class _Plot:
    """Geometry of a cumulative chart: ``n`` periods across, 0..``top`` up."""
    left, right, bottom = 64, 12, 34

    def __init__(self, width, height, n, top, top_pad):
        self.width, self.height, self.top, self.top_pad = width, height, top, top_pad
        self.plot_w = width - self.left - self.right
        self.plot_h = height - top_pad - self.bottom
        self.step = self.plot_w / n

    def x_at(self, i):  # right edge of period i (the period's end)
        return self.left + self.step * (i + 1)

    def y_at(self, v):
        return self.top_pad + self.plot_h - (v / self.top) * self.plot_h


def _points(pts):
    return " ".join(f"{_f(x)},{_f(y)}" for x, y in pts)


def _cumulative_axes(plot, labels, fmt, unit):
    """Horizontal grid with value labels, period names, the unit."""
    body = []
    for k in range(5):
        v = plot.top * k / 4
        y = plot.y_at(v)
        body.append(f'<line x1="{plot.left}" y1="{_f(y)}" x2="{_f(plot.width - plot.right)}" '
                    f'y2="{_f(y)}" stroke="{COLORS["line"]}" stroke-width="1"/>')
        body.append(_text(plot.left - 4, y + 4, fmt(v), size=10, anchor="end",
                          fill=COLORS["muted"]))
    for i, name in enumerate(labels):
        body.append(_text(plot.x_at(i) - plot.step / 2, plot.height - plot.bottom + 16, name,
                          size=11, anchor="middle", fill=COLORS["muted"]))
    if unit:
        body.append(_text(4, plot.height - 6, unit, size=10, fill=COLORS["muted"]))
    return body


def _cumulative_lines(plot, cps, acts, ups):
    """Checkpoint (dashed, from the year start), catch-up (dotted), actual (solid)."""
    origin = (plot.left, plot.y_at(0.0))
    pts = [origin] + [(plot.x_at(i), plot.y_at(v)) for i, v in enumerate(cps)]
    body = ['<polyline class="checkpoint" fill="none" stroke="{}" stroke-width="1.5" '
            'stroke-dasharray="5 3" points="{}"/>'.format(COLORS["plan"], _points(pts))]
    if any(v is not None for v in ups):
        up_pts = [(plot.x_at(i), plot.y_at(v)) for i, v in enumerate(ups) if v is not None]
        body.append('<polyline class="catch-up" fill="none" stroke="{}" stroke-width="1.5" '
                    'stroke-dasharray="1 3" points="{}"/>'.format(COLORS["orange"],
                                                                   _points(up_pts)))
    act_pts = [origin] + [(plot.x_at(i), plot.y_at(v)) for i, v in enumerate(acts)
                          if v is not None]
    if len(act_pts) > 1:
        body.append('<polyline class="actual" fill="none" stroke="{}" stroke-width="2.5" '
                    'points="{}"/>'.format(COLORS["brand"], _points(act_pts)))
    return body


def _cumulative_points(plot, labels, cps, acts, fc, fmt):
    """A dot per reached period (green when at or above its checkpoint), the forecast."""
    body = []
    for i, v in enumerate(acts):
        if v is None:
            continue
        met = v >= cps[i]
        body.append(f'<circle class="point" cx="{_f(plot.x_at(i))}" cy="{_f(plot.y_at(v))}" '
                    f'r="3.5" fill="{COLORS["green"] if met else COLORS["red"]}">'
                    f'<title>{escape(labels[i])}: {escape(fmt(v))} / {escape(fmt(cps[i]))}'
                    f'</title></circle>')
    if fc is not None:
        body.append(f'<circle class="forecast" cx="{_f(plot.x_at(len(acts) - 1))}" '
                    f'cy="{_f(plot.y_at(fc))}" r="4" '
                    f'fill="none" stroke="{COLORS["brand"]}" stroke-width="1.5">'
                    f'<title>预测 {escape(fmt(fc))}</title></circle>')
        # Labelled on the chart, not only in a hover title: "年末预测 12.3".
        body.append(_text(plot.x_at(len(acts) - 1) - 7, plot.y_at(fc) - 6,
                          f"年末预测 {fmt(fc)}", size=10, anchor="end", fill=COLORS["brand"])
                    .replace("<text ", '<text class="forecast-label" ', 1))
    return body


def _cumulative_legend(plot, legend):
    lx, ly = plot.left + 4, plot.top_pad + 10
    return [
        f'<line x1="{lx}" y1="{ly}" x2="{lx + 16}" y2="{ly}" stroke="{COLORS["brand"]}" '
        f'stroke-width="2.5"/>',
        _text(lx + 20, ly + 4, legend[0], size=10),
        f'<line x1="{lx + 76}" y1="{ly}" x2="{lx + 92}" y2="{ly}" '
        f'stroke="{COLORS["plan"]}" stroke-width="1.5" stroke-dasharray="5 3"/>',
        _text(lx + 96, ly + 4, legend[1], size=10),
    ]


def funnel(stages, *, title="", width=360, row_height=24, fmt=None):
    """Pipeline funnel: ``stages`` is a list of (label, count) or (label, count, amount);
    bars are centred and scaled to the largest count; ``fmt`` formats the amount."""
    fmt = fmt or (lambda v: f"{v:,.2f}")
    rows = [tuple(s) + (None,) * (3 - len(s)) for s in stages]
    top_pad = 22 if title else 4
    height = top_pad + row_height * max(len(rows), 1) + 4
    label_w, value_w = 72, 110
    bar_span = width - label_w - value_w
    biggest = max([_num(r[1]) or 0 for r in rows] + [1.0])
    body = []
    if title:
        body.append(_text(0, 14, title, size=12, weight="bold"))
    for i, (name, count, amount) in enumerate(rows):
        y = top_pad + i * row_height
        c = _num(count) or 0.0
        w = max(bar_span * c / biggest, 2.0 if c else 0.0)
        x = label_w + (bar_span - w) / 2
        body.append(_text(label_w - 6, y + row_height / 2 + 4, name, anchor="end"))
        body.append(f'<rect class="stage" x="{_f(x)}" y="{_f(y + 3)}" width="{_f(w)}" '
                    f'height="{_f(row_height - 6)}" rx="2" fill="{COLORS["brand"]}" '
                    f'fill-opacity="{_f(0.35 + 0.65 * (1 - i / max(len(rows), 1)))}"/>')
        value = f"{int(c)} 个" + (f" · {fmt(amount)}" if amount is not None else "")
        body.append(_text(label_w + bar_span + 6, y + row_height / 2 + 4, value, size=10,
                          fill=COLORS["muted"]))
    return _svg(width, height, body, title or "项目漏斗")


def bar_chart(items, *, title="", fmt=None, reference=None, reference_label="",
              width=360, row_height=22):
    """Horizontal bars: ``items`` is a list of (label, value) or (label, value, status).
    Negative values grow left of a zero axis. ``reference`` draws a dashed goal line
    (e.g. a growth goal of 0.2)."""
    fmt = fmt or (lambda v: f"{v:,.2f}")
    rows = [tuple(it) + (None,) * (3 - len(it)) for it in items]
    values = [_num(r[1]) for r in rows]
    known = [v for v in values if v is not None]
    ref = _num(reference)
    lo = min(known + [0.0] + ([ref] if ref is not None else []))
    hi = max(known + [0.0] + ([ref] if ref is not None else []))
    if hi == lo:
        hi = lo + 1.0
    top_pad = 22 if title else 4
    height = top_pad + row_height * max(len(rows), 1) + (16 if ref is not None else 4)
    label_w, value_w = 96, 72
    span = width - label_w - value_w

    def x_at(v):
        return label_w + (v - lo) / (hi - lo) * span

    body = []
    if title:
        body.append(_text(0, 14, title, size=12, weight="bold"))
    zero = x_at(0.0)
    for i, (name, _value, status) in enumerate(rows):
        v = values[i]
        y = top_pad + i * row_height
        body.append(_text(label_w - 6, y + row_height / 2 + 4, name, anchor="end"))
        if v is None:
            body.append(_text(zero + 4, y + row_height / 2 + 4, "无数据", size=10,
                              fill=COLORS["muted"]))
            continue
        x0, x1 = sorted((zero, x_at(v)))
        body.append(f'<rect class="bar" x="{_f(x0)}" y="{_f(y + 3)}" width="{_f(max(x1 - x0, 1))}" '
                    f'height="{_f(row_height - 6)}" rx="2" fill="{_color(status or "brand")}"/>')
        body.append(_text(label_w + span + 4, y + row_height / 2 + 4, fmt(v), size=10,
                          fill=COLORS["muted"]))
    bottom = top_pad + row_height * max(len(rows), 1)
    body.append(f'<line x1="{_f(zero)}" y1="{top_pad}" x2="{_f(zero)}" y2="{_f(bottom)}" '
                f'stroke="{COLORS["fg"]}" stroke-width="1"/>')
    if ref is not None:
        rx = x_at(ref)
        body.append(f'<line class="reference" x1="{_f(rx)}" y1="{top_pad}" x2="{_f(rx)}" '
                    f'y2="{_f(bottom)}" stroke="{COLORS["plan"]}" stroke-width="1.5" '
                    f'stroke-dasharray="4 3"/>')
        body.append(_text(rx, bottom + 12, reference_label or fmt(ref), size=10,
                          anchor="middle", fill=COLORS["plan"]))
    return _svg(width, height, body, title or "柱状图")


def sparkline(values, *, label, width=120, height=24):
    """A small line of ``values`` (oldest first) with the last point marked; empty values
    draw a flat line at the bottom."""
    values = [float(v) for v in values] or [0.0]
    top = max(values) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)
    pts = [(2 + i * step, height - 3 - (v / top) * (height - 6)) for i, v in enumerate(values)]
    line = " ".join(f"{_f(x)},{_f(y)}" for x, y in pts)
    x, y = pts[-1]
    body = [f'<polyline fill="none" stroke="{COLORS["fg"]}" stroke-width="1.5" points="{line}"/>',
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="2.5" fill="{COLORS["fg"]}"/>']
    return _svg(width, height, body, label)
