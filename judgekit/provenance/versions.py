"""The versions record: judgekit, Python and the packages that change results, as installed."""

from __future__ import annotations

import importlib.metadata
import platform

PACKAGES = ("torch", "transformers", "datasets", "tokenizers", "openai", "vllm", "ray", "peft", "trl",
            "accelerate", "numpy")


def versions() -> dict[str, str]:
    """{package: version} for judgekit, Python and every package of `PACKAGES` that is installed."""
    from judgekit import __version__

    found = {"judgekit": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found
