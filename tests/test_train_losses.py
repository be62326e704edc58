"""The training losses against hand-computed values, and the regulariser's gradient."""

from __future__ import annotations

import math

import pytest
import torch

from judgekit.train.losses import (  # noqa: E402
    augmentation_loss,
    bradley_terry_loss,
    consistency_loss,
    objective_loss,
    regression_loss,
)


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def _bt(diff: float) -> float:
    return -math.log(1.0 / (1.0 + math.exp(-diff)))


def test_bradley_terry_matches_hand_computed_values():
    loss = bradley_terry_loss(_t(2.0, 0.0), _t(1.0, 1.0))
    assert loss.item() == pytest.approx((_bt(1.0) + _bt(-1.0)) / 2)
    # equal rewards give log 2
    assert bradley_terry_loss(_t(0.3), _t(0.3)).item() == pytest.approx(math.log(2))


def test_bradley_terry_margin_is_subtracted():
    assert bradley_terry_loss(_t(2.0), _t(1.0), margin=0.5).item() == pytest.approx(_bt(0.5))
    per_pair = bradley_terry_loss(_t(2.0, 2.0), _t(1.0, 1.0), margin=_t(0.0, 3.0))
    assert per_pair.item() == pytest.approx((_bt(1.0) + _bt(-2.0)) / 2)


def test_regression_is_mean_squared_error():
    assert regression_loss(_t(1.0, 3.0), _t(0.0, 1.0)).item() == pytest.approx((1.0 + 4.0) / 2)


def test_consistency_is_alpha_times_mean_squared_difference():
    assert consistency_loss(_t(1.0, 2.0), _t(0.5, 4.0), alpha=10.0).item() == pytest.approx(10 * (0.25 + 4.0) / 2)
    assert consistency_loss(_t(1.0), _t(1.0)).item() == 0.0
    empty = torch.zeros(0, requires_grad=True)
    assert consistency_loss(empty, empty).item() == 0.0


def test_augmentation_treats_rewrites_as_extra_samples():
    loss = augmentation_loss((_t(2.0), _t(1.0)), (_t(0.0), _t(1.0)))
    assert loss.item() == pytest.approx((_bt(1.0) + _bt(-1.0)) / 2)
    reg = augmentation_loss((_t(1.0), _t(0.0)), (_t(3.0), _t(0.0)), base="regression")
    assert reg.item() == pytest.approx((1.0 + 9.0) / 2)


def test_objective_regularized_adds_consistency_on_chosen_and_rejected():
    # 2 pairs, the second has a rewrite: [c1, c2, r1, r2, c2~, r2~]
    rewards = _t(2.0, 1.0, 0.0, 0.5, 1.5, 0.0)
    loss, parts = objective_loss(rewards, n_pairs=2, variant_rows=torch.tensor([1]), objective="regularized", alpha=10.0)
    base = (_bt(2.0) + _bt(0.5)) / 2
    reg = 10.0 * ((1.0 - 1.5) ** 2 + (0.5 - 0.0) ** 2) / 2
    assert parts["base"].item() == pytest.approx(base)
    assert parts["consistency"].item() == pytest.approx(reg)
    assert loss.item() == pytest.approx(base + reg)
    assert parts["accuracy"].item() == 1.0


def test_objective_augmented_and_standard():
    rewards = _t(2.0, 1.0, 0.0, 0.5, 1.5, 0.0)
    rows = torch.tensor([1])
    aug, _ = objective_loss(rewards, n_pairs=2, variant_rows=rows, objective="augmented")
    assert aug.item() == pytest.approx((_bt(2.0) + _bt(0.5) + _bt(1.5)) / 3)
    std, parts = objective_loss(rewards[:4], n_pairs=2, variant_rows=torch.tensor([], dtype=torch.long))
    assert std.item() == pytest.approx((_bt(2.0) + _bt(0.5)) / 2)
    assert "consistency" not in parts


def test_objective_regression_regularized_is_reWordBench_eq3():
    # pointwise: mean (r - s)^2 over the 2 responses + alpha * mean (r - r~)^2
    rewards = _t(0.8, 0.1, 0.5, 0.3)
    loss, parts = objective_loss(rewards, n_pairs=1, variant_rows=torch.tensor([0]), objective="regularized",
                                 base="regression", alpha=2.0, chosen_targets=_t(1.0), rejected_targets=_t(0.0))
    expected = ((0.8 - 1.0) ** 2 + 0.1 ** 2) / 2 + 2.0 * ((0.8 - 0.5) ** 2 + (0.1 - 0.3) ** 2) / 2
    assert loss.item() == pytest.approx(expected)


def test_objective_rejects_a_wrong_layout():
    with pytest.raises(ValueError, match="expected 6 rewards"):
        objective_loss(_t(1.0, 2.0, 3.0), n_pairs=2, variant_rows=torch.tensor([0]))


def test_regulariser_gradient_pushes_original_and_rewrite_together():
    original = torch.tensor([2.0, -1.0], requires_grad=True)
    rewrite = torch.tensor([0.5, 1.0], requires_grad=True)
    consistency_loss(original, rewrite, alpha=10.0).backward()
    # gradient descent moves each score toward its partner
    step = 0.01
    new_original = original - step * original.grad
    new_rewrite = rewrite - step * rewrite.grad
    assert torch.all((new_original - new_rewrite).abs() < (original - rewrite).abs())
    assert torch.all(torch.sign(original.grad) == torch.sign(original - rewrite).detach())
    assert torch.allclose(original.grad, -rewrite.grad)


def test_regulariser_gradient_through_a_model_reduces_the_gap():
    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 1)
    x, x_tilde = torch.randn(8, 4), torch.randn(8, 4)
    optimiser = torch.optim.SGD(layer.parameters(), lr=0.01)

    def gap() -> float:
        return ((layer(x) - layer(x_tilde)) ** 2).mean().item()

    before = gap()
    for _ in range(5):
        optimiser.zero_grad()
        consistency_loss(layer(x).squeeze(-1), layer(x_tilde).squeeze(-1), alpha=10.0).backward()
        optimiser.step()
    assert gap() < before
