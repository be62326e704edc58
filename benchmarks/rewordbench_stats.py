"""Paired statistics for the reWordBench experiment (benchmarks/rewordbench_experiment.py).

Per test set, transform and trained model: per-item accuracy drop (value before - after), flip (the item's
value changed) and score shift (mean |r - r~| over the responses the transform changed, in units of the
model's std of original scores). Objectives are compared on the same items: the difference of a metric between
two objectives is averaged over seeds (seed i of one objective against seed i of the other), with a bootstrap
CI that resamples items (the same draw for every seed and transform) and the spread (sd) over seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

METRICS = ("drop", "flip", "shift")


@dataclass
class ItemTable:
    """One model on one transform of one test set: per-item values, aligned on ``ids``."""

    ids: list[str]
    drop: np.ndarray
    flip: np.ndarray
    shift: np.ndarray  # NaN where the transform changed no response of the item's that has scores


@dataclass
class Cell:
    """Everything measured for one test set x transform: item tables per (objective, seed)."""

    tables: dict[tuple[str, int], ItemTable] = field(default_factory=dict)
    visible: bool = True
    input_unchanged: float | None = None


def item_table(original_values: dict[str, float | None], transformed_values: dict[str, float | None],
               shifts: dict[str, float | None]) -> ItemTable:
    ids = sorted(i for i, v in transformed_values.items() if v is not None and original_values.get(i) is not None)
    before = np.array([original_values[i] for i in ids], dtype=float)
    after = np.array([transformed_values[i] for i in ids], dtype=float)
    shift = np.array([np.nan if shifts.get(i) is None else shifts[i] for i in ids], dtype=float)
    return ItemTable(ids, before - after, (before != after).astype(float), shift)


def _mean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else math.nan


def metric_value(table: ItemTable, metric: str, index: np.ndarray | None = None) -> float:
    values = getattr(table, metric)
    return _mean(values if index is None else values[index])


def common_ids(tables: Sequence[ItemTable]) -> list[str]:
    shared = set(tables[0].ids)
    for table in tables[1:]:
        shared &= set(table.ids)
    return sorted(shared)


def _restrict(table: ItemTable, ids: list[str]) -> ItemTable:
    where = {item: k for k, item in enumerate(table.ids)}
    rows = np.array([where[i] for i in ids], dtype=int)
    return ItemTable(ids, table.drop[rows], table.flip[rows], table.shift[rows])


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    seed_sd: float

    def to_dict(self) -> dict[str, float | None]:
        clean = lambda x: None if x is None or not math.isfinite(x) else round(float(x), 6)  # noqa: E731
        return {"value": clean(self.value), "ci": [clean(self.low), clean(self.high)], "seed_sd": clean(self.seed_sd)}


def objective_metric(cells: Sequence[Cell], objective: str, seeds: Sequence[int], metric: str, *,
                     resamples: int, rng_seed: int) -> Estimate:
    """Mean over cells (transforms) and seeds of one objective's metric, CI by resampling items."""
    return _estimate(cells, [(objective, s) for s in seeds], None, metric, resamples=resamples, rng_seed=rng_seed)


def difference(cells: Sequence[Cell], first: str, second: str, seeds: Sequence[int], metric: str, *,
               resamples: int, rng_seed: int) -> Estimate:
    """Mean over cells and seeds of metric(first) - metric(second) on the same items, with a bootstrap CI."""
    return _estimate(cells, [(first, s) for s in seeds], [(second, s) for s in seeds], metric,
                     resamples=resamples, rng_seed=rng_seed)


def _estimate(cells: Sequence[Cell], keys: list[tuple[str, int]], minus: list[tuple[str, int]] | None, metric: str,
              *, resamples: int, rng_seed: int) -> Estimate:
    aligned = []  # per cell: the tables of `keys` (and `minus`) restricted to the items every one of them has
    for cell in cells:
        wanted = keys + (minus or [])
        if not all(k in cell.tables for k in wanted):
            continue
        ids = common_ids([cell.tables[k] for k in wanted])
        if ids:
            aligned.append({k: _restrict(cell.tables[k], ids) for k in wanted})
    if not aligned:
        return Estimate(math.nan, math.nan, math.nan, math.nan)

    def per_seed(index_of: list[np.ndarray | None]) -> list[float]:
        out = []
        for n, key in enumerate(keys):
            values = []
            for tables, index in zip(aligned, index_of, strict=True):
                value = metric_value(tables[key], metric, index)
                if minus is not None:
                    value -= metric_value(tables[minus[n]], metric, index)
                values.append(value)
            finite = [v for v in values if math.isfinite(v)]
            out.append(float(np.mean(finite)) if finite else math.nan)
        return out

    point = per_seed([None] * len(aligned))
    rng = np.random.default_rng(rng_seed)
    draws = []
    for _ in range(resamples):
        index_of = [rng.integers(0, len(t[keys[0]].ids), len(t[keys[0]].ids)) for t in aligned]
        seeds = [v for v in per_seed(index_of) if math.isfinite(v)]
        if seeds:
            draws.append(float(np.mean(seeds)))
    finite = [v for v in point if math.isfinite(v)]
    value = float(np.mean(finite)) if finite else math.nan
    low, high = (np.quantile(draws, [0.025, 0.975]) if draws else (math.nan, math.nan))
    seed_sd = float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan
    return Estimate(value, float(low), float(high), seed_sd)


def accuracy_ci(values: Sequence[float], *, resamples: int, rng_seed: int) -> tuple[float, float, float]:
    """Mean item value and its bootstrap 95% CI."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return math.nan, math.nan, math.nan
    rng = np.random.default_rng(rng_seed)
    means = array[rng.integers(0, array.size, (resamples, array.size))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(array.mean()), float(low), float(high)
