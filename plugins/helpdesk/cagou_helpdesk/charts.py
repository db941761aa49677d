"""The geometry of the dashboard's bar charts, drawn as inline SVG by ``templates/dashboard_charts.jinja2``.

No JavaScript library draws them: the server computes rectangles, lines and
labels, and the template writes them out. The Content-Security-Policy forbids
inline styles, so colours come from CSS classes (``static/dashboard.css``) and
the hatching of a second series from an SVG pattern (presentation attributes
are allowed). A chart is never the only way to read its figures: the template
puts the same figures in a table next to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH = 760
#: Space for the value axis on the left, the labels below, a value label above.
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 36, 44
COLUMNS_HEIGHT = 280
#: Horizontal bars: the label column, the room kept for the value written after a bar.
LABEL_WIDTH, VALUE_WIDTH = 250, 120
BAR_HEIGHT, ROW_GAP = 20, 10
MAX_LABEL = 34


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    #: Filled with the chart's hatching pattern rather than a plain colour.
    hatched: bool = False


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    css: str = "chart-text"


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str = "chart-grid"


@dataclass(frozen=True)
class Series:
    """One series of a column chart: its CSS class, whether it is hatched, and its values."""

    css: str
    values: Sequence[float]
    hatched: bool = False
    #: A class per bar, instead of ``css``, when bars of one series mean different things.
    classes: Sequence[str] | None = None


@dataclass
class Chart:
    ident: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def nice_step(maximum: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten, at least 1) that splits ``maximum`` into about ``ticks`` parts."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(factor * power for factor in (1, 2, 5, 10) if raw <= factor * power)
    return float(max(step, 1))


def scale_top(maximum: float, step: float) -> float:
    return max(step, math.ceil(maximum / step) * step)


def short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(value: float) -> str:
    """A tick value as people write it: no decimals when whole, a decimal comma otherwise."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:.1f}".replace(".", ",")


def columns(
    ident: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_labels: Sequence[str] | None = None,
    highlight: int | None = None,
    highlight_css: str = "serie-choisie",
    reference: tuple[float, str] | None = None,
    height: int = COLUMNS_HEIGHT,
) -> Chart:
    """Vertical bars, one group per category, one bar per series.

    ``categories`` are the labels under the groups ("" leaves a group
    unlabelled, for long daily series); ``value_labels`` are written above each
    group; ``highlight`` draws that group in ``highlight_css`` and its label in
    bold; ``reference`` is a dashed horizontal line at a value, with its text.
    """
    chart = Chart(ident, WIDTH, height)
    count = max(len(categories), 1)
    maximum = max([value for one in series for value in one.values] + [reference[0] if reference else 0, 0])
    step = nice_step(maximum)
    top_value = scale_top(maximum, step)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = height - TOP - BOTTOM
    base = TOP + plot_height

    def y_of(value: float) -> float:
        return base - plot_height * value / top_value

    tick = 0.0
    while tick <= top_value + 1e-9:
        y = round(y_of(tick), 1)
        chart.lines.append(Line(LEFT, y, WIDTH - RIGHT, y, "chart-axis" if tick == 0 else "chart-grid"))
        chart.labels.append(Label(LEFT - 6, y + 4, plain(tick), "end", "chart-tick"))
        tick += step
    slot = plot_width / count
    group = slot * (0.8 if count > 1 else 0.5)
    bar = group / max(len(series), 1)
    for index in range(len(categories)):
        left = LEFT + slot * index + (slot - group) / 2
        highest = 0.0
        for position, one in enumerate(series):
            value = one.values[index]
            highest = max(highest, value)
            if value <= 0:
                continue
            css = highlight_css if index == highlight else (one.classes[index] if one.classes else one.css)
            y = y_of(value)
            chart.rects.append(
                Rect(
                    round(left + bar * position, 1),
                    round(y, 1),
                    round(max(bar - (1 if bar > 3 else 0), 0.5), 1),
                    round(base - y, 1),
                    css,
                    one.hatched and index != highlight,
                )
            )
        center = round(left + group / 2, 1)
        strong = "chart-strong" if index == highlight else ""
        if categories[index]:
            chart.labels.append(Label(center, base + 18, categories[index], "middle", f"chart-text {strong}".strip()))
        if value_labels and value_labels[index]:
            css = f"chart-value {strong}".strip()
            chart.labels.append(Label(center, round(y_of(highest) - 6, 1), value_labels[index], "middle", css))
    if reference is not None and reference[0] > 0:
        y = round(y_of(reference[0]), 1)
        chart.lines.append(Line(LEFT, y, WIDTH - RIGHT, y, "chart-reference"))
        # Written above the plot, where no bar reaches: on the line it would run into the bars.
        chart.labels.append(Label(WIDTH - RIGHT, 14, reference[1], "end", "chart-value chart-reference-text"))
    return chart


@dataclass(frozen=True)
class Bar:
    """One bar of a row of horizontal bars: its CSS class, value, the text written after it."""

    css: str
    value: float
    text: str
    hatched: bool = False


def bars(ident: str, rows: Sequence[tuple[str, Sequence[Bar]]], maximum: float | None = None) -> Chart:
    """Horizontal bars: a label on the left, then one bar per series with its value written after it."""
    per_row = max((len(row_bars) for _, row_bars in rows), default=1)
    row_height = per_row * BAR_HEIGHT + ROW_GAP
    height = max(len(rows), 1) * row_height + 12
    chart = Chart(ident, WIDTH, height)
    largest = maximum if maximum is not None else max((b.value for _, row in rows for b in row), default=0)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    chart.lines.append(Line(LABEL_WIDTH, 4, LABEL_WIDTH, height - 8, "chart-axis"))
    for index, (label, row_bars) in enumerate(rows):
        top = 6 + index * row_height
        chart.labels.append(
            Label(LABEL_WIDTH - 8, round(top + per_row * BAR_HEIGHT / 2 + 4, 1), short(label), "end", "chart-text")
        )
        for position, one in enumerate(row_bars):
            y = top + position * BAR_HEIGHT
            width = span * one.value / largest if largest > 0 else 0
            if width > 0:
                chart.rects.append(
                    Rect(LABEL_WIDTH, round(y + 2, 1), round(max(width, 1), 1), BAR_HEIGHT - 4, one.css, one.hatched)
                )
            chart.labels.append(
                Label(
                    round(LABEL_WIDTH + width + 6, 1),
                    round(y + BAR_HEIGHT / 2 + 4, 1),
                    one.text,
                    "start",
                    "chart-value",
                )
            )
    return chart
