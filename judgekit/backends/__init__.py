"""Text-generation backends (openai-compatible, hf, vllm, llamacpp, mock) and the response cache.

Heavy libraries load lazily: importing this package never imports openai, torch or transformers.
"""

from judgekit.backends.base import BACKENDS, Backend, ChatRequest, Generation, Usage, UsageSummary
from judgekit.backends.spec import BackendSpec, load_backend, parse_backend_spec

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendSpec",
    "ChatRequest",
    "Generation",
    "Usage",
    "UsageSummary",
    "load_backend",
    "parse_backend_spec",
]
