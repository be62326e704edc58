"""Registers the built-in backends (imported through the `judgekit` entry-point group).

None of these modules imports openai, torch, transformers, vllm or llama_cpp at import time.
"""

from judgekit.backends import hf, llamacpp, mock, openai_api, vllm_offline, vllm_ray  # noqa: F401
