"""Run a recipe: read data, run transforms (rule-based and LLM) through the engine, filter, write.

`plan_recipe` answers ``--dry-run`` (requests, estimated tokens, cache hits, estimated cost) without
calling anything; `run_recipe` does the work, streaming in chunks on the local or Ray engine
(`judgekit.synth.stream`), and returns a `SynthResult` (its manifest is written too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from judgekit.backends.base import Backend, ChatRequest
from judgekit.data.example import Example
from judgekit.data.selection import SelectedExamples, select_examples
from judgekit.outputs import OutputTarget, prepare_output
from judgekit.provenance import SynthManifest
from judgekit.synth.progress import ReportingBackend  # noqa: F401 (public here too)
from judgekit.synth.recipe import Recipe, open_backend, recipe_transforms
from judgekit.transforms.base import Transform, item_rng

ProgressHook = Callable[[dict[str, int]], None]


@dataclass
class Plan:
    """What a run would do (first attempts only: resamples depend on the replies)."""

    items: int
    transforms: list[str]
    requests: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    backend: str | None = None
    by_transform: dict[str, int] = field(default_factory=dict)
    exports: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class SynthResult:
    summary: SynthManifest  # the manifest without its per-item lists (they stay in manifest.json)
    out_dir: str
    run: Any = None  # how the run went (`judgekit.engine.transform_run.RunInfo`): engine, chunks, resumed

    @property
    def manifest(self) -> SynthManifest:
        """The whole manifest, item lists included, read from the folder (large for a large run)."""
        from pathlib import Path

        return SynthManifest.model_validate_json((Path(self.out_dir) / "manifest.json").read_text(encoding="utf-8"))

    @property
    def call_error_rate(self) -> float:
        """Share of the backend's requests that failed after their retries (0 without a backend)."""
        usage = self.summary.usage or {}
        return (usage.get("failures", 0) / usage["requests"]) if usage.get("requests") else 0.0

    @property
    def failed_items(self) -> int:
        return sum(entry.failed for entry in self.summary.transforms)


def load_data(recipe: Recipe) -> tuple[list[Example], SelectedExamples]:
    selected = select_examples(recipe.data, base=recipe.base_dir)
    return list(selected), selected


def _estimate(request: ChatRequest) -> tuple[int, int]:
    prompt = sum(len(m.content) for m in request.messages) // 4 + 4 * len(request.messages)
    return prompt, min(request.max_tokens, prompt)


def plan_recipe(
    recipe: Recipe,
    *,
    backend: Backend | None = None,
    no_cache: bool = False,
    examples: Sequence[Example] | None = None,
    transforms: Sequence[Transform] | None = None,
) -> Plan:
    """Count the requests a run would send, their tokens, cache hits and cost; sends nothing."""
    if examples is None:
        examples, _ = load_data(recipe)
    if transforms is None:
        transforms = recipe_transforms(recipe)
    plan = Plan(items=len(examples), transforms=[t.display_name() for t in transforms],
                exports=[e.kind for e in recipe.export])
    llm = [t for t in transforms if t.needs_backend]
    if not llm:
        return plan
    backend = backend or open_backend(recipe, no_cache=no_cache)
    plan.backend = (recipe.backend.label() if recipe.backend else "hf:embedded")
    requests: list[ChatRequest] = []
    for transform in llm:
        name = transform.display_name()
        planner = getattr(transform, "plan", None)
        if planner is None:
            continue
        planned = planner(examples, [item_rng(recipe.seed, name, e.id) for e in examples])
        plan.by_transform[name] = len(planned)
        requests.extend(planned)
    plan.requests = len(requests)
    lookup = getattr(backend, "lookup", None)
    hits = lookup(requests) if lookup is not None else {}
    plan.cache_hits = len(hits)
    for index, request in enumerate(requests):
        if index in hits:
            continue
        prompt, completion = _estimate(request)
        plan.prompt_tokens += prompt
        plan.completion_tokens += completion
    usage = backend.usage
    if usage.price_input_per_mtok is not None or usage.price_output_per_mtok is not None:
        plan.cost_usd = round((plan.prompt_tokens * (usage.price_input_per_mtok or 0)
                               + plan.completion_tokens * (usage.price_output_per_mtok or 0)) / 1e6, 6)
    return plan


def run_recipe(
    recipe: Recipe,
    *,
    no_cache: bool = False,
    target: OutputTarget | None = None,
    progress: ProgressHook | None = None,
    backend: Backend | None = None,
    executor: Any = None,
    chunk_size: int | None = None,
) -> SynthResult:
    """Run a recipe end to end and write its folder (original + one dataset per transform + manifest).

    Args:
        target: a checked output location (`judgekit.outputs.prepare_output`); default: the recipe's.
        executor: from `judgekit.engine.make_executor` (default: local; LLM chunks on threads).
        chunk_size: items per chunk (default 1000): the unit of work, of memory and of resumption.

    Raises:
        BackendRefused: the backend refused the requests (bad key, model or URL): nothing is written,
            completed requests are cached and the committed chunks kept (a rerun resumes).
    """
    from judgekit.engine.sources import DEFAULT_CHUNK_SIZE
    from judgekit.synth.stream import run_recipe_stream

    if target is None:
        target = prepare_output(recipe.out_dir(), command="synth", overwrite=recipe.output.overwrite)
    manifest, info = run_recipe_stream(recipe, target, executor=executor, chunk_size=chunk_size or DEFAULT_CHUNK_SIZE,
                                       no_cache=no_cache, backend=backend, hook=progress)
    return SynthResult(summary=manifest, out_dir=str(target.path), run=info)
