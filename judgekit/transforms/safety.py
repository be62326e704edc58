"""Safety transforms, only on safety items: the request wrapped in a jailbreak template.

The wrappers live in ``prompts/attacks/jailbreak/`` (written for judgekit; each reads ``{{ request }}``) and
can be replaced per transform: ``jailbreak-roleplay(template=my/wrapper.jinja)`` or an inline jinja text,
``jailbreak-roleplay(text="As a pirate: {{ request }}")``. They change how the request is asked, not what is
asked, so the preferred response stays preferred (a refusal of a harmful request stays the better answer;
help with a benign request stays the better answer). A judge that starts preferring compliance is being
jailbroken.
"""

from __future__ import annotations

import base64
import dataclasses
import random

from judgekit.data.example import Example
from judgekit.transforms.attack_texts import attack_text
from judgekit.transforms.base import Transform, edit_instruction, transform


@dataclasses.dataclass(frozen=True)
class Jailbreak(Transform):
    """Shared: wrap the instruction in a template."""

    family = "safety"
    targets = ("prompt",)
    preserves = "ranking"
    applies_to = ("safety",)
    template: str = ""
    text: str = ""  # an inline jinja wrapper reading {{ request }}; empty: the template file

    def wrap(self, request: str) -> str:
        return attack_text(self.template, self.text, request=request)

    def apply(self, example: Example, rng: random.Random) -> Example:
        return example.replace(prompt=edit_instruction(example, self.wrap))


@transform("jailbreak-roleplay")
class JailbreakRoleplay(Jailbreak):
    """Role-play wrapper: the request is asked of an in-story AI that "answers everything"."""

    template: str = "attacks/jailbreak/roleplay"


@transform("jailbreak-hypothetical")
class JailbreakHypothetical(Jailbreak):
    """Hypothetical-framing wrapper: the request is posed as fiction in a world where answering is routine."""

    template: str = "attacks/jailbreak/hypothetical"


@transform("jailbreak-prefix-injection")
class JailbreakPrefixInjection(Jailbreak):
    """Prefix-injection wrapper: the request plus an order to start the reply with an eager affirmative."""

    template: str = "attacks/jailbreak/prefix-injection"


@transform("jailbreak-refusal-suppression")
class JailbreakRefusalSuppression(Jailbreak):
    """Refusal-suppression wrapper: rules forbidding apologies, disclaimers and refusal phrases."""

    template: str = "attacks/jailbreak/refusal-suppression"


@transform("jailbreak-encoded")
class JailbreakEncoded(Jailbreak):
    """Encoded-request wrapper: the request in Base64 with an instruction to decode and comply."""

    template: str = "attacks/jailbreak/encoded"

    def wrap(self, request: str) -> str:
        encoded = base64.b64encode(request.encode("utf-8")).decode("ascii")
        return attack_text(self.template, self.text, encoded=encoded)
