"""The first pass of a transform run whose transforms borrow from other items (ignore-above/below,
code-append-other): every admitted item's prompt and first code block, as a `CompactPool`.

Built once per run (the same admission of invalid rows and duplicate ids as the main pass) and saved in
the run's working files, so a resumed run reloads it instead of reading the data again.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from judgekit.data.reader import Admission
from judgekit.engine.pipeline import Executor, Pipeline
from judgekit.engine.pool import CompactPool, PoolBuilder
from judgekit.engine.rundir import RunDir
from judgekit.engine.sources import SourcePlan
from judgekit.engine.transform_stages import PoolPacker, pool_entries
from judgekit.errors import DataError


def first_pass(plan: SourcePlan, executor: Executor, rundir: RunDir) -> tuple[CompactPool, dict[str, Any]]:
    """The pool (built, or reloaded from an interrupted run) and what building it cost."""
    import numpy as np

    started = time.perf_counter()
    saved = rundir.state_dir / "pool.npz"
    if saved.exists():
        pool = _load(saved, rundir.state_dir / "pool.bin")
    else:
        builder = PoolBuilder(rundir.state_dir / "pool.bin")
        admission = Admission(plan.selection.on_invalid)
        pipeline = Pipeline.build(plan.reader, [pool_entries], PoolPacker())
        for _, packed in executor.run(pipeline, plan.iter_chunks(0)):
            kept = []
            for (where, value, _, key), entry in zip(packed.heads, packed.entries, strict=True):
                admitted = not plan.admits or admission.admit(value, where, key=key or None)
                if admitted and not isinstance(value, DataError):
                    kept.append(entry)
            builder.add(kept)
        pool = builder.build()
        tmp = rundir.state_dir / "pool.tmp.npz"
        np.savez(tmp, ids=pool.ids, starts=pool.starts, mids=pool.mids, ends=pool.ends, languages=pool.languages,
                 names=np.array(pool.names, dtype=object).astype(str))
        tmp.replace(saved)
    info = {"seconds": round(time.perf_counter() - started, 3), "items": len(pool), "memory_bytes": pool.nbytes}
    return pool, info


def _load(saved: Path, text: Path) -> CompactPool:
    import numpy as np

    with np.load(saved) as data:
        names = [str(n) for n in data["names"]]
        return CompactPool(data["ids"], data["starts"], data["mids"], data["ends"], data["languages"], names,
                           path=str(text))
