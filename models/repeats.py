"""Repeat matters (重复件 / 反弹): a case that repeats an earlier one on the same matter.

A later case repeats an earlier one when both are of the same category, the later one came
in within `window_days` of the earlier, they lie in the same grid cell or within `radius_m`
of each other, and their summaries are alike: the cosine of their character 2–3-gram counts
(Chinese has no spaces between words) reaches `min_similarity`, and when both name figures
(an amount, an area, a house number, a month, a village's group) they name mostly the same
ones: the same complaint from a neighbour about other money or another house is another
matter. A pair is judged on its own two cases only, so the links of one case and those of a
whole county agree, and a link is known from the day the later case came in."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree
from sklearn.feature_extraction.text import HashingVectorizer

from models.columns import REPEAT_COLUMNS, require_columns

#: one row per case to link: where it lies (lon/lat in WGS84 or NaN; cell_code or "")
CANDIDATE_COLUMNS = ["case_id", "received_on", "category", "cell_code", "lon", "lat",
                     "summary"]
#: what find_repeats gives: REPEAT_COLUMNS, days between receipts, metres apart (NaN when a
#: case has no point), similarity of the summaries
LINK_COLUMNS = [*REPEAT_COLUMNS, "days_apart", "metres_apart", "similarity"]
METRES_PER_DEGREE = 111_320.0
#: how alike the figures of two summaries must be (cosine of the sets) when both name some
SAME_FIGURES = 0.7
#: a figure in a summary, with the units that make it a detail: 6.35万元, 2.4亩, 15号楼1单元603,
#: 2021年2月; and a village's group (五组)
FIGURE = r"\d[\d.]*(?:[号楼栋单元层室年月日亩万元户人]+[\d.]*)*|[一二三四五六七八九十]+组"
PAIRS_PER_CHUNK = 200_000
#: candidates are searched a little beyond the radius, then measured pair by pair
SEARCH_MARGIN = 1.02


def _texts(summaries: pd.Series) -> np.ndarray:
    return summaries.fillna("").astype(str).to_numpy(dtype=object)


def gram_vectors(summaries: pd.Series) -> sparse.csr_matrix:
    """Character 2–3-gram counts, each row of unit length: a dot product is a cosine. A
    hashing vectoriser needs no fitting, so a pair's similarity never depends on the other
    cases."""
    return HashingVectorizer(analyzer="char", ngram_range=(2, 3), n_features=2 ** 20,
                             alternate_sign=False, norm="l2").transform(
        _texts(summaries)).tocsr()


def figure_vectors(summaries: pd.Series) -> sparse.csr_matrix:
    """The figures each summary names, as a set of unit length."""
    return HashingVectorizer(token_pattern=FIGURE, lowercase=False, n_features=2 ** 20,
                             alternate_sign=False, norm="l2", binary=True).transform(
        _texts(summaries)).tocsr()


def _rowwise(a: sparse.csr_matrix, b: sparse.csr_matrix, left: np.ndarray, right: np.ndarray
             ) -> np.ndarray:
    """The dot product of a's rows `left` with b's rows `right`, pair by pair."""
    if not len(left):
        return np.zeros(0)
    return np.concatenate([np.asarray(a[left[i:i + PAIRS_PER_CHUNK]].multiply(
        b[right[i:i + PAIRS_PER_CHUNK]]).sum(axis=1)).ravel()
        for i in range(0, len(left), PAIRS_PER_CHUNK)])


def find_repeats(cases: pd.DataFrame, *, window_days: int, radius_m: float,
                 min_similarity: float) -> pd.DataFrame:
    """Every (later, earlier) pair of `cases` (CANDIDATE_COLUMNS) that the rules link,
    LINK_COLUMNS, by later case then earlier; a later case may repeat several."""
    require_columns(cases, CANDIDATE_COLUMNS, frame_name="cases")
    if cases.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    cases = cases.sort_values(["received_on", "case_id"], ignore_index=True)
    day = pd.to_datetime(cases["received_on"]).to_numpy().astype("datetime64[D]").astype(
        np.int64)
    lon, lat = cases["lon"].to_numpy(float), cases["lat"].to_numpy(float)
    earlier, later, same_cell = _near_pairs(cases, day, lon, lat, radius_m, window_days)
    apart = day[later] - day[earlier]
    metres = _metres(lon, lat, earlier, later)
    keep = same_cell | (metres <= radius_m)
    earlier, later, apart, metres = earlier[keep], later[keep], apart[keep], metres[keep]
    # figures first: few per summary, so cheap, and they rule out most neighbours' cases
    figures = figure_vectors(cases["summary"])
    named = np.asarray(figures.getnnz(axis=1)) > 0
    both_named = named[later] & named[earlier]
    agree = _rowwise(figures, figures, later[both_named], earlier[both_named])
    keep = np.ones(len(later), dtype=bool)
    keep[np.flatnonzero(both_named)[agree < SAME_FIGURES]] = False
    earlier, later, apart, metres = earlier[keep], later[keep], apart[keep], metres[keep]
    if not len(later):
        return pd.DataFrame(columns=LINK_COLUMNS)
    involved, pair_rows = np.unique(np.r_[later, earlier], return_inverse=True)
    grams = gram_vectors(cases["summary"].iloc[involved])
    similarity = _rowwise(grams, grams, pair_rows[:len(later)], pair_rows[len(later):])
    alike = similarity >= min_similarity
    ids = cases["case_id"].to_numpy(dtype=object)
    links = pd.DataFrame({
        "case_id": ids[later[alike]], "repeats_case_id": ids[earlier[alike]],
        "days_apart": apart[alike], "metres_apart": metres[alike],
        "similarity": similarity[alike].round(4)})
    return links.sort_values(["case_id", "repeats_case_id"], ignore_index=True)[LINK_COLUMNS]


def _near_pairs(cases: pd.DataFrame, day: np.ndarray, lon: np.ndarray, lat: np.ndarray,
                radius_m: float, window_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(earlier, later, same cell) for same-category cases received within the window of
    each other, in one cell or perhaps within the radius (a little more: the caller measures
    each pair at its own latitude); positions follow receipt order, so earlier < later."""
    category = cases["category"].astype(str).to_numpy()
    cell = cases["cell_code"].fillna("").astype(str).to_numpy()
    n = len(cell)
    keys = []
    in_cell = np.flatnonzero(cell != "")
    group = pd.factorize(pd.Series(category[in_cell]) + "|" + cell[in_cell])[0]
    order = np.lexsort((in_cell, group))  # by group, then receipt
    members, group = in_cell[order], group[order]
    span = int(day.max() - day.min()) + window_days + 2 if n else 1
    stamp = group.astype(np.int64) * span + (day[members] - (day.min() if n else 0))
    last = np.searchsorted(stamp, stamp + window_days, side="right")
    ahead = last - np.arange(len(members)) - 1
    first = np.repeat(np.arange(len(members)), ahead)
    step = np.arange(len(first)) - np.repeat(np.cumsum(ahead) - ahead, ahead) + 1
    keys.append(members[first].astype(np.int64) * n + members[first + step])
    located = np.isfinite(lon) & np.isfinite(lat)
    if located.any():
        # a box in space and time (days scaled to the radius), measured exactly afterwards
        scale = np.cos(np.radians(np.nanmean(lat[located])))
        reach = radius_m * SEARCH_MARGIN
        for name in pd.unique(category[located]):
            m = np.flatnonzero(located & (category == name))
            box = np.column_stack([lon[m] * scale * METRES_PER_DEGREE,
                                   lat[m] * METRES_PER_DEGREE,
                                   day[m] * reach / max(window_days, 1)])
            found = np.sort(m[cKDTree(box).query_pairs(reach, p=np.inf,
                                                       output_type="ndarray")], axis=1)
            found = found[day[found[:, 1]] - day[found[:, 0]] <= window_days]
            keys.append(found[:, 0].astype(np.int64) * n + found[:, 1])
    ordered = np.sort(np.concatenate(keys))  # sorting beats numpy's hashing unique here
    unique = ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered
    earlier, later = unique // max(n, 1), unique % max(n, 1)
    return earlier, later, (cell[earlier] != "") & (cell[earlier] == cell[later])


def _metres(lon: np.ndarray, lat: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Metres between pairs of points, each at its own latitude (NaN without a point)."""
    scale = np.cos(np.radians((lat[a] + lat[b]) / 2))
    metres: np.ndarray = np.hypot((lon[a] - lon[b]) * scale, lat[a] - lat[b]) * METRES_PER_DEGREE
    return metres.round(1)


def linking_quality(links: pd.DataFrame, known: pd.DataFrame) -> dict[str, float]:
    """Links against known repeats (REPEAT_COLUMNS: each repeat and the first case of its
    matter): precision, the share of links joining two cases of one matter; recall, the
    share of known repeats linked to an earlier case of their matter."""
    matter = pd.concat([pd.Series(known["repeats_case_id"].to_numpy(),
                                  index=known["case_id"].to_numpy()),
                        pd.Series(known["repeats_case_id"].unique(),
                                  index=known["repeats_case_id"].unique())])
    matter = matter[~matter.index.duplicated()]
    later = links["case_id"].map(matter)
    right = (later.notna() & (later == links["repeats_case_id"].map(matter))).to_numpy()
    found = set(links.loc[right, "case_id"])
    return {"links": len(links), "known_repeats": len(known),
            "precision": float(right.mean()) if len(links) else float("nan"),
            "recall": float(known["case_id"].isin(found).mean()) if len(known)
            else float("nan")}
