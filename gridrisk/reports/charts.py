"""Charts for the period reports, as PNG (matplotlib's Figure without pyplot: no display,
safe in the service's threads). Chinese labels need a CJK
font: Noto Sans CJK from Debian's fonts-noto-cjk (`./run` installs it)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
COLOURS = ["#b2182b", "#9e9e9e", "#2166ac", "#4d9221"]
DPI = 110


def bars(labels: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str,
         target: float | None = None, target_label: str = "", share: bool = True) -> bytes:
    """Grouped bars, one group per label and one bar per series (None leaves a gap), with a
    dashed target line; shares (0–1) are shown as percentages."""
    with rc_context({"font.family": FONTS, "axes.unicode_minus": False}):
        width = max(6.0, 0.42 * len(labels) * max(1, len(series)) + 2)
        figure = Figure(figsize=(min(width, 16), 3.8), dpi=DPI)
        axes = figure.subplots()
        n = max(1, len(series))
        step = 0.8 / n
        for i, (name, values) in enumerate(series.items()):
            xs = [k + (i - (n - 1) / 2) * step for k in range(len(labels))]
            heights = [float("nan") if v is None else v for v in values]
            axes.bar(xs, heights, width=step * 0.95, label=name, color=COLOURS[i % 4])
        if target is not None:
            axes.axhline(target, color="#333333", linestyle="--", linewidth=1,
                         label=target_label or None)
        axes.set_xticks(range(len(labels)), labels, rotation=40 if len(labels) > 8 else 0,
                        ha="right" if len(labels) > 8 else "center", fontsize=8)
        if share:
            axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axes.set_title(title, fontsize=11)
        axes.spines[["top", "right"]].set_visible(False)
        if len(series) > 1 or target is not None:
            axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()
