"""How close `judgekit eval --dry-run` comes to what a run then sends, and how `--max-cost` holds.

Runs the shipped MT-Bench-style pairwise judge (judge/pairwise, both orders) on the bundled sample under
two transforms, against the local OpenAI-compatible server (tests/fake_openai.py) with a short verdict
reply. Compares the dry run's estimated input tokens (characters / 4 + 4 per message) with the tokens the
server counted (it counts whitespace-separated words) and with SmolLM2's BPE tokenizer on the same
prompts; its output bound (max_tokens each) and cost at most with what the run cost; then runs again with
--max-cost at half of what the run cost and reports where it stopped, and that a rerun pays for nothing twice.

    python benchmarks/judge_dry_run.py [--limit 12]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PRICES = (2.5, 10.0)  # USD per million input / output tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=12)
    args = parser.parse_args()
    os.environ["JUDGEKIT_CACHE"] = tempfile.mkdtemp(prefix="judgekit-dryrun-")

    from judgekit.errors import BudgetExceeded
    from judgekit.eval.preflight import placements_for, plan_run
    from judgekit.eval.runner import prepare, run_suite
    from tests.fake_openai import FakeOpenAI, last_user_message

    def reply(body: dict) -> str:
        return "Response A answers the question more fully. [[A]]" if len(last_user_message(body)) % 2 else \
            "Response B is correct and A is not. [[B]]"

    suite = {"name": "dry-run-check", "data": {"sources": ["sample"], "limit": args.limit},
             "transforms": ["rot13", "add-quotes"], "seed": 0}
    with FakeOpenAI(reply=reply) as server:
        judge = {"kind": "generative", "name": "api", "template": "judge/pairwise", "max_tokens": 256,
                 "backend": {"backend": "openai", "model": "fake", "base_url": server.base_url,
                             "price_input_per_mtok": PRICES[0], "price_output_per_mtok": PRICES[1]}}
        resolved, judges, transforms = prepare(suite, [judge])
        plan = plan_run(resolved, judges, transforms).judges[0]
        report = run_suite(suite, [judge])
        stats = report.data["judges"][0]["stats"]
        actual = (stats["prompt_tokens"] * PRICES[0] + stats["completion_tokens"] * PRICES[1]) / 1e6
        print(f"requests planned {plan.to_send}, sent {len(server.log)}")
        print(f"input tokens: estimate {plan.prompt_tokens}, server counted {stats['prompt_tokens']} "
              f"(ratio {plan.prompt_tokens / stats['prompt_tokens']:.3f})")
        try:
            from transformers import AutoTokenizer

            from judgekit.data.selection import select_examples
            from judgekit.embedded import smollm2_dir
            from judgekit.transforms.engine import run_transforms

            tokenizer = AutoTokenizer.from_pretrained(smollm2_dir())
            examples = list(select_examples(resolved.data, base=resolved.base_dir))
            outcomes = run_transforms(examples, transforms, seed=0)
            flat = examples + [e for t in transforms for e in outcomes[t.display_name()].examples]
            requests = judges[0].planned_requests(flat, placements_for(judges[0], examples, 0))
            bpe = sum(len(tokenizer(m.content)["input_ids"]) + 4 for r in requests for m in r.messages)
            print(f"input tokens: SmolLM2 BPE (+4 per message) {bpe} (estimate / BPE {plan.prompt_tokens / bpe:.3f})")
        except Exception as exc:  # noqa: BLE001 - the tokenizer comparison is optional
            print(f"(no BPE comparison: {exc})")
        print(f"output tokens: bound {plan.completion_tokens_max}, server counted {stats['completion_tokens']}")
        print(f"cost: at most ${plan.cost_usd_max:.5f}, actual ${actual:.5f}")

    os.environ["JUDGEKIT_CACHE"] = tempfile.mkdtemp(prefix="judgekit-dryrun-")
    with FakeOpenAI(reply=reply) as server:
        judge["backend"]["base_url"] = server.base_url
        limit = actual / 2
        try:
            run_suite(suite, [judge], max_cost=limit)
            print("--max-cost: the run finished within the limit")
        except BudgetExceeded as exc:
            print(f"--max-cost ${limit:.5f}: stopped after {len(server.log)} of {plan.to_send} requests: "
                  f"{str(exc).split(';')[0]}")
        run_suite(suite, [judge])
        print(f"rerun without a limit: {len(server.log)} requests in all, {len({e.key for e in server.log})} distinct")


if __name__ == "__main__":
    main()
