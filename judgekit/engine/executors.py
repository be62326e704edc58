"""`make_executor`: the executor ``--engine`` names (local processes, or Ray Data)."""

from __future__ import annotations

from judgekit.engine.pipeline import Executor
from judgekit.errors import SpecError

ENGINES = ("local", "ray")


def make_executor(engine: str = "local", *, workers: int = 1, ray_address: str | None = None,
                  in_flight: int | None = None, threads: int = 0) -> Executor:
    """The executor for ``--engine``: ``local`` (processes on this machine) or ``ray`` (Ray Data).

    Args:
        workers: processes (local), or CPUs of the local Ray instance / actors per set-up stage (ray).
        ray_address: a running cluster (``auto``, ``ray://host:10001``, ``host:6379``); None starts a local
            instance. Only with ``engine="ray"``.
        in_flight: chunks read but not yet committed, at most (bounds memory and the work a kill loses).
        threads: local only: run chunks on this many threads of this process instead of worker processes
            (LLM stages: one backend and budget, many chunks' requests in flight).
    """
    if engine == "local":
        if ray_address:
            raise SpecError("--ray-address needs --engine ray")
        from judgekit.engine.local import LocalExecutor

        return LocalExecutor(workers=workers, in_flight=in_flight, threads=threads)
    if engine == "ray":
        from judgekit.engine.ray import RayExecutor

        return RayExecutor(address=ray_address, workers=workers, in_flight=in_flight)
    raise SpecError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
