"""Batched `hf` backend generation vs one-prompt-at-a-time `model.generate`, SmolLM2-135M-Instruct, same prompts.

The peer is the plain transformers loop most scripts use: for each prompt, apply the chat template,
`model.generate(max_new_tokens=N, do_sample=False)`, decode. judgekit's hf backend sorts by length,
left-pads and generates `--batch-size` prompts per call. Tokens/s counts generated tokens up to EOS.

    python benchmarks/hf_generation.py [--prompts 32] [--max-tokens 64] [--batch-size 16] [--runs 3] [--threads N]

Target: batched >= 3x the one-at-a-time tokens/s (median of runs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def prompts(n: int) -> list[str]:
    from judgekit.data import read_examples

    texts = [e.prompt_text for e in read_examples("sample")]
    return [texts[i % len(texts)] for i in range(n)]


def one_at_a_time(model, tokenizer, texts: list[str], max_tokens: int) -> int:
    import torch

    generated = 0
    for text in texts:
        chat = tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                             add_generation_prompt=True)
        encoded = tokenizer(chat, return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**encoded, max_new_tokens=max_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
        new = out[0, encoded["input_ids"].shape[1]:].tolist()
        generated += next((i for i, t in enumerate(new) if t == tokenizer.eos_token_id), len(new))
    return generated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads for both sides")
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from judgekit.backends import ChatRequest, load_backend
    from judgekit.embedded import smollm2_dir

    if args.threads:
        torch.set_num_threads(args.threads)
    texts = prompts(args.prompts)
    path = smollm2_dir()
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    backend = load_backend({"backend": "hf", "model": "embedded", "cache": False, "batch_size": args.batch_size,
                            "device": "cpu", "dtype": "float32", "threads": args.threads})
    requests = [ChatRequest.from_messages(t, max_tokens=args.max_tokens) for t in texts]
    backend.generate(requests[:2])  # load + warm up
    one_at_a_time(model, tokenizer, texts[:1], 4)
    ours, peer = [], []
    for run in range(args.runs):
        start = time.perf_counter()
        out = backend.generate(requests)
        elapsed = time.perf_counter() - start
        tokens = sum(g.usage.completion_tokens for g in out)
        ours.append(tokens / elapsed)
        start = time.perf_counter()
        peer_tokens = one_at_a_time(model, tokenizer, texts, args.max_tokens)
        peer.append(peer_tokens / (time.perf_counter() - start))
        print(f"run {run + 1}: judgekit batched {ours[-1]:.1f} tok/s ({tokens} tokens) | one at a time "
              f"{peer[-1]:.1f} tok/s ({peer_tokens} tokens)", flush=True)
    jk, single = statistics.median(ours), statistics.median(peer)
    print(f"\nSmolLM2-135M-Instruct, {args.prompts} prompts, max {args.max_tokens} new tokens, greedy, CPU, "
          f"threads {torch.get_num_threads()}, batch {args.batch_size}, median of {args.runs}")
    paired = statistics.median(a / b for a, b in zip(ours, peer, strict=True))
    print(f"judgekit hf batched: {jk:.1f} tok/s | transformers one at a time: {single:.1f} tok/s | "
          f"ratio of medians {jk / single:.2f}x, median of per-run ratios {paired:.2f}x (target >= 3x)")


if __name__ == "__main__":
    main()
