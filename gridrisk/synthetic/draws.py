"""Vectorised random choices and text filling shared by the generators."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd


def choose_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One column index per row of an (n, k) weight matrix (rows need not sum to one)."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(len(probabilities)) * cumulative[:, -1]
    rows: np.ndarray = np.minimum((cumulative < draws[:, None]).sum(axis=1),
                                  probabilities.shape[1] - 1)
    return rows


def choose(rng: np.random.Generator, weights: Mapping[str, float], n: int) -> np.ndarray:
    """`n` keys of `weights` drawn in proportion to their values."""
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def only_where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` where `mask` holds, None (an empty cell) elsewhere."""
    out = np.full(len(mask), None, dtype=object)
    out[mask] = values[mask]
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    y: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return y


def uniform_days(rng: np.random.Generator, low: np.ndarray | float, high: np.ndarray | float,
                 n: int) -> np.ndarray:
    """Whole days in [low, high] (inclusive, fractions dropped; high below low gives low)."""
    low = np.broadcast_to(np.floor(low).astype(int), (n,))
    high = np.maximum(np.broadcast_to(np.floor(high).astype(int), (n,)), low)
    days: np.ndarray = low + np.floor(rng.random(n) * (high - low + 1)).astype(int)
    return days


def per_category(values: Mapping[str, float], categories: tuple[str, ...],
                 category: np.ndarray, otherwise: float = 0.0) -> np.ndarray:
    """`values[category]` row by row (`otherwise` when absent), without a loop over rows."""
    table = np.array([values.get(c, otherwise) for c in categories], dtype=float)
    by_row: np.ndarray = table[pd.Categorical(category, categories=categories).codes]
    return by_row


_SLOT = re.compile(r"\{(\w+)\}")


def fill(template: str, slots: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """The template with each {slot} replaced by that slot's value, row by row."""
    text = np.full(n, "", dtype=object)
    for i, piece in enumerate(_SLOT.split(template)):
        text = text + (slots[piece] if i % 2 else piece)
    return text
