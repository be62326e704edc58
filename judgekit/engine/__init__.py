"""The engine: pipelines over chunks of rows, run by a local streaming executor or by Ray Data.

A command builds a `Pipeline` (a chunked source, stages, a ``pack``), takes an executor from
`make_executor` and commits what ``executor.run`` yields, in chunk order. See `transform_run` for
the first command built this way (`judgekit transform`).
"""

from judgekit.engine.executors import ENGINES, make_executor
from judgekit.engine.pipeline import ChunkSpec, Executor, Pipeline, Shared
from judgekit.engine.stages import FunctionStage, Stage, StageRunner, as_stage

__all__ = [
    "ENGINES",
    "ChunkSpec",
    "Executor",
    "FunctionStage",
    "Pipeline",
    "Shared",
    "Stage",
    "StageRunner",
    "as_stage",
    "make_executor",
]
