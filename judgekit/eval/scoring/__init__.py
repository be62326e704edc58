"""Official benchmark scores, computed exactly as each benchmark's reference code computes them.

One module per benchmark: ``rewardbench`` (RewardBench 1 sections), ``rewardbench2`` (per-subset best-of-N
credit and the Ties score), ``rmbench`` (easy / normal / hard from the 3x3 style matrix), ``judgebench``
(a pair judged in both orders), and ``subsets`` (subset names and the subsets each benchmark knows).
Every function is pure: plain per-item records (frozen dataclasses) or judgekit Judgments in, numbers out.
"""

from judgekit.eval.scoring import judgebench, rewardbench, rewardbench2, rmbench, subsets

__all__ = ["judgebench", "rewardbench", "rewardbench2", "rmbench", "subsets"]
