"""The custom layers: shapes, the hand-written backward against finite differences, autocast."""

import torch
from torch.autograd import gradcheck

from {{ cookiecutter.package_name }}.layers import (
    GatedResidual,
    LearnableSwish,
    SwishFunction,
)
from {{ cookiecutter.package_name }}.model import (
    TabularNet,
)


def test_swish_backward_matches_finite_differences():
    torch.manual_seed(0)
    x = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    beta = (torch.rand(5, dtype=torch.float64) * 2).requires_grad_()
    assert gradcheck(SwishFunction.apply, (x, beta), eps=1e-6, atol=1e-5)


def test_swish_backward_over_extra_leading_dims():
    torch.manual_seed(1)
    x = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    beta = torch.rand(4, dtype=torch.float64, requires_grad=True)
    assert gradcheck(SwishFunction.apply, (x, beta), eps=1e-6, atol=1e-5)


def test_swish_forward_and_backward_agree_with_autograd_reference():
    torch.manual_seed(2)
    x = torch.randn(8, 3, requires_grad=True)
    beta = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
    SwishFunction.apply(x, beta).sum().backward()
    x_ref, beta_ref = x.detach().clone().requires_grad_(), beta.detach().clone().requires_grad_()
    (x_ref * torch.sigmoid(beta_ref * x_ref)).sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad)
    torch.testing.assert_close(beta.grad, beta_ref.grad)


def test_beta_one_is_silu():
    x = torch.linspace(-4, 4, 17)
    torch.testing.assert_close(LearnableSwish(17)(x), torch.nn.functional.silu(x))


def test_gated_residual_starts_as_identity_and_keeps_shape():
    block = GatedResidual(8)
    x = torch.randn(4, 8)
    out = block(x)
    assert out.shape == x.shape
    torch.testing.assert_close(out, x)  # alpha starts at zero


def test_every_parameter_gets_a_gradient():
    torch.manual_seed(3)
    model = TabularNet(2, [4, 3], 3, width=8, depth=2)
    with torch.no_grad():
        for block in model.blocks:
            block.alpha.fill_(0.5)  # open the gates so the inner weights are on the gradient path
    model(torch.randn(16, 2), torch.randint(0, 3, (16, 2))).logsumexp(1).sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


def test_classifier_output_shape_and_bfloat16_autocast():
    model = TabularNet(5, [], 4, width=16, depth=2)
    x, none = torch.randn(10, 5), torch.zeros((10, 0), dtype=torch.int64)
    assert model(x, none).shape == (10, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x, none)
    out.float().sum().backward()
    assert out.shape == (10, 4)
    assert model.blocks[0].act.beta.grad.dtype == torch.float32
