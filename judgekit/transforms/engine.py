"""Run transforms over a dataset (build them with judgekit.transforms.refs).

Every item's randomness comes from ``item_rng(seed, display name, item id)``, and transforms that borrow
from other items see a pool ordered by id, so the output does not depend on input order or on
``workers``. Items a transform does not apply to, or does not change, are recorded as not applicable;
errors are recorded per item as failed. Nothing is passed through unchanged as if transformed.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from judgekit.data.example import Example, Message
from judgekit.errors import DataError, JudgekitError, SpecError
from judgekit.transforms.base import NotApplicable, Transform, item_rng
from judgekit.transforms.pool import Pool
from judgekit.transforms.refs import build_transform, select_transforms  # noqa: F401  (public here too)

if TYPE_CHECKING:
    from judgekit.backends.base import Backend

# -- running -----------------------------------------------------------------------------------------
@dataclass
class TransformOutcome:
    """What one transform did to a dataset."""

    transform: Transform
    examples: list[Example] = field(default_factory=list)
    not_applicable: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


Result = tuple[str, Any]  # ("ok", Example | record dict) | ("na", reason) | ("fail", error)


def finish(transform: Transform, display: str, seed: int, source: Example, output: Any) -> Result:
    """Check a transform's output against its declaration and stamp provenance."""
    if isinstance(output, NotApplicable):
        return "na", output.reason
    if isinstance(output, BaseException):
        return "fail", f"{type(output).__name__}: {output}"
    if not isinstance(output, Example):
        return "fail", f"returned {type(output).__name__}, expected an Example"
    if output.id != source.id:
        return "fail", f"changed the item id to {output.id!r}"
    targets = transform.targets
    outside = [f for f in ("prompt", "chosen", "rejected") if f not in targets and getattr(output, f) != getattr(source, f)]
    if outside or output.subset != source.subset:
        return "fail", f"changed {', '.join(outside or ['subset'])}, outside its declared targets {list(targets)}"
    if all(getattr(output, f) == getattr(source, f) for f in targets):
        return "na", "nothing to change"
    stamped = output.with_meta(transform={"name": transform.name, "args": transform.args(), "seed": seed},
                               source_id=source.id)
    return "ok", stamped


def transform_one(transform: Transform, display: str, seed: int, example: Example, pool: Pool | None) -> Result:
    """Apply one rule-based transform to one item."""
    reason = transform.applies(example)
    if reason is not None:
        return "na", reason
    try:
        output = transform.run(example, item_rng(seed, display, example.id), pool)
    except NotApplicable as exc:
        return "na", exc.reason
    except Exception as exc:  # one broken item must not sink the dataset: it is counted as failed
        return "fail", f"{type(exc).__name__}: {exc}"
    return finish(transform, display, seed, example, output)


# Worker state, set once per process (inherited on fork, sent once on spawn).
_STATE: dict[str, Any] = {}


def _init_worker(examples: Sequence[Any], transforms: Sequence[Transform], seed: int, pool: Pool | None) -> None:
    items = [e if isinstance(e, Example) else Example.from_dict(e) for e in examples]
    _STATE.update(examples=items, transforms=transforms, seed=seed, pool=pool)


def _run_chunk(index: int, start: int, stop: int) -> list[Result]:
    transform = _STATE["transforms"][index]
    display = transform.display_name()
    results = []
    for example in _STATE["examples"][start:stop]:
        kind, value = transform_one(transform, display, _STATE["seed"], example, _STATE["pool"])
        results.append((kind, _delta(example, value) if kind == "ok" else value))
    return results


def _delta(source: Example, output: Example) -> dict[str, Any]:
    """What a worker sends back: only the fields that changed, as plain tuples (cheap to pickle)."""
    delta: dict[str, Any] = {"meta": output.to_dict()["meta"]}
    if output.prompt != source.prompt:
        delta["prompt"] = tuple((m.role, m.content) for m in output.prompt)
    for side in ("chosen", "rejected"):
        if getattr(output, side) != getattr(source, side):
            delta[side] = getattr(output, side)
    return delta


def _rebuild(source: Example, delta: dict[str, Any]) -> Example:
    if "prompt" in delta:
        delta = {**delta, "prompt": tuple(Message(role, content) for role, content in delta["prompt"])}
    return source.replace(**delta)


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_transforms(
    examples: Sequence[Example],
    transforms: Sequence[Transform],
    *,
    seed: int = 0,
    workers: int = 1,
    backend: Backend | None = None,
    progress: Callable[[str, int], None] | None = None,
    pool: Any = None,
) -> dict[str, TransformOutcome]:
    """Apply each transform to every item; results keyed by the transform's display name.

    Args:
        workers: processes for rule-based transforms (output is identical for any value).
        backend: text-generation backend for transforms that need one (the LLM family).
        progress: called as ``progress(display name, items just processed)``.
        pool: what transforms that borrow from other items see (default: a `Pool` of ``examples``; a
            chunked run passes the whole dataset's).
    """
    examples = list(examples)
    ids = [e.id for e in examples]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise DataError(f"duplicate id {duplicate!r}", field="id", hint="ids must be unique within a dataset")
    names = [t.display_name() for t in transforms]
    if len(set(names)) != len(names):
        raise SpecError(f"the same transform is selected twice: {sorted(n for n in names if names.count(n) > 1)}")
    for transform in transforms:
        if transform.needs_backend and transform.needs_text_backend and backend is None:
            raise SpecError(f"transform '{transform.display_name()}' needs a text-generation backend: pass one "
                            "(judgekit synth / eval take --backend), or leave the llm family out")
    if pool is None and any(t.uses_pool for t in transforms):
        pool = Pool.build(examples, code=True)
    outcomes = {name: TransformOutcome(t) for name, t in zip(names, transforms, strict=True)}
    results: dict[str, list[Result]] = {}
    rule_based = [i for i, t in enumerate(transforms) if not t.needs_backend]
    if workers > 1 and rule_based and examples:
        results.update(_run_parallel(examples, transforms, rule_based, seed, pool, workers, progress))
    else:
        for i in rule_based:
            transform, display = transforms[i], names[i]
            out = []
            for example in examples:
                out.append(transform_one(transform, display, seed, example, pool))
                if progress is not None:
                    progress(display, 1)
            results[display] = out
    flowing = [i for i, t in enumerate(transforms) if t.needs_backend and hasattr(t, "start")]
    if flowing:  # every LLM rewrite's requests flow together: no transform waits for another
        results.update(_run_flowing([transforms[i] for i in flowing], examples, seed, backend))
        if progress is not None:
            for i in flowing:
                progress(names[i], len(examples))
    for i, transform in enumerate(transforms):
        if transform.needs_backend and i not in flowing:
            results[names[i]] = _run_batch(transform, names[i], examples, seed, backend, pool)
            if progress is not None:
                progress(names[i], len(examples))
    for name, outcome in outcomes.items():
        for example, (kind, value) in zip(examples, results[name], strict=True):
            if kind == "ok":
                outcome.examples.append(value if isinstance(value, Example) else _rebuild(example, value))
            elif kind == "na":
                outcome.not_applicable.append((example.id, value))
            else:
                outcome.failed.append((example.id, value))
    return outcomes


def _run_parallel(examples: list[Example], transforms: Sequence[Transform], indices: list[int], seed: int,
                  pool: Pool | None, workers: int, progress: Callable[[str, int], None] | None) -> dict[str, list[Result]]:
    context = _context()
    payload: list[Any] = examples if context.get_start_method() == "fork" else [e.to_dict() for e in examples]
    size = max(1, math.ceil(len(examples) / (workers * 2)))
    chunks = [(i, start, min(start + size, len(examples))) for i in indices for start in range(0, len(examples), size)]
    results: dict[str, list[Result]] = {transforms[i].display_name(): [] for i in indices}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                             initargs=(payload, list(transforms), seed, pool)) as executor:
        futures = [executor.submit(_run_chunk, *chunk) for chunk in chunks]
        for (i, start, stop), future in zip(chunks, futures, strict=True):
            display = transforms[i].display_name()
            results[display].extend(future.result())
            if progress is not None:
                progress(display, stop - start)
    return results


def _run_flowing(transforms: list[Any], examples: list[Example], seed: int, backend: Backend) -> dict[str, list[Result]]:
    """LLM rewrites (`judgekit.transforms.llm.RewriteJob`) of several transforms through one `Flow`."""
    from judgekit.backends.dispatch import Flow

    flow = Flow(backend)
    started = []
    for transform in transforms:
        display = transform.display_name()
        live = [i for i, e in enumerate(examples) if transform.applies(e) is None]
        batch = [examples[i] for i in live]
        job = transform.start(batch, [item_rng(seed, display, e.id) for e in batch], flow)
        started.append((transform, display, live, job))
    flow.drive([job for *_, job in started])
    identity = backend.identity()
    out: dict[str, list[Result]] = {}
    for transform, display, live, job in started:
        results: list[Result] = [("na", transform.applies(e) or "") for e in examples]
        for index, output in zip(live, job.results(identity), strict=True):
            results[index] = finish(transform, display, seed, examples[index], output)
        out[display] = results
    return out


def _run_batch(transform: Transform, display: str, examples: list[Example], seed: int,
               backend: Backend, pool: Pool | None) -> list[Result]:
    results: list[Result | None] = [None] * len(examples)
    live = []
    for index, example in enumerate(examples):
        reason = transform.applies(example)
        if reason is not None:
            results[index] = ("na", reason)
        else:
            live.append(index)
    batch = [examples[i] for i in live]
    rngs = [item_rng(seed, display, e.id) for e in batch]
    try:
        outputs = transform.run_batch(batch, rngs, backend, pool) if batch else []
    except JudgekitError:
        raise
    except Exception as exc:  # the whole batch failed: every item says why
        outputs = [exc] * len(batch)
    if len(outputs) != len(batch):
        raise SpecError(f"transform '{display}' returned {len(outputs)} results for {len(batch)} items")
    for index, output in zip(live, outputs, strict=True):
        results[index] = finish(transform, display, seed, examples[index], output)
    return results  # type: ignore[return-value]
