"""PyTorch's optimizers against nagcore, step by step. Runs when the optional extra is installed.

PyTorch is not a default dependency (its Linux wheels are large). Install a CPU build, for example
``pip install torch==2.13.0`` or ``pip install -e .[torch]``, and this module runs; without it,
pytest reports the module as skipped with the reason below.
"""

import numpy as np
import pytest

import nagcore
from nagcore import mlp, problems

torch = pytest.importorskip("torch", reason="optional extra: pip install -e .[torch] (a CPU build of torch)")
torch.set_default_dtype(torch.float64)


def torch_iterates(make_optimizer, p, steps):
    """Iterate a torch optimizer on a nagcore problem, with the problem's own gradient."""
    param = torch.nn.Parameter(torch.tensor(p.x0))
    opt = make_optimizer([param])
    out = [p.x0.copy()]
    for _ in range(steps):
        opt.zero_grad()
        param.grad = torch.tensor(p.grad(param.detach().numpy()))
        opt.step()
        out.append(param.detach().numpy().copy())
    return np.array(out)


def lookahead(theta, m):
    """phi_t = theta_t - m v_t with v_t = theta_(t-1) - theta_t: the point torch stores (chapter 3)."""
    phi = theta.copy()
    phi[1:] = theta[1:] - m * (theta[:-1] - theta[1:])
    return phi


def test_sgd_momentum_is_heavy_ball():
    p = problems.quadratic(condition_number=40, rotation=0.7)
    ref = torch_iterates(lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.8), p, 120)
    np.testing.assert_allclose(nagcore.run(nagcore.momentum(0.5, 0.8), p, p.x0, 120).x, ref, rtol=1e-12, atol=1e-14)


def test_sgd_nesterov_stores_the_lookahead_point():
    p = problems.rosenbrock()
    ref = torch_iterates(lambda ps: torch.optim.SGD(ps, lr=2e-4, momentum=0.9, nesterov=True), p, 300)
    theta = nagcore.run(nagcore.nesterov(2e-4, 0.9), p, p.x0, 300).x
    np.testing.assert_allclose(lookahead(theta, 0.9), ref, rtol=1e-10, atol=1e-13)
    assert np.abs(theta - ref).max() > 1e-3  # the two sequences are different points


def test_sgd_dampening_is_not_a_plain_rescaling_of_the_learning_rate():
    """b <- m b + (1 - tau) g, except that the first gradient enters the buffer at full weight."""
    p = problems.quadratic([0.5, 3.0])
    lr, m, tau = 0.2, 0.7, 0.5
    ref = torch_iterates(lambda ps: torch.optim.SGD(ps, lr=lr, momentum=m, dampening=tau), p, 60)
    x, buf, mine = p.x0.copy(), None, [p.x0.copy()]
    for _ in range(60):
        g = p.grad(x)
        buf = g.copy() if buf is None else m * buf + (1 - tau) * g
        x = x - lr * buf
        mine.append(x)
    np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-14)
    rescaled = nagcore.run(nagcore.momentum(lr * (1 - tau), m), p, p.x0, 60).x
    assert np.abs(rescaled - ref).max() > 1e-2
    with pytest.raises(ValueError):  # torch refuses nesterov=True without momentum
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.0, nesterov=True)


@pytest.mark.parametrize(
    "name, make_torch, mine",
    [
        ("Adam", lambda ps: torch.optim.Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6), nagcore.adam(0.02, 0.8, 0.99, 1e-6)),
        ("RMSprop", lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.95, eps=1e-6), nagcore.rmsprop(0.01, 0.95, 1e-6)),
        ("NAdam", lambda ps: torch.optim.NAdam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6), nagcore.nadam(0.02, 0.8, 0.99, 1e-6)),
        ("NAdam, faster schedule", lambda ps: torch.optim.NAdam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, momentum_decay=1.0),
         nagcore.nadam(0.02, 0.8, 0.99, 1e-6, momentum_decay=1.0)),
    ],
)
def test_adaptive_methods_match_torch_step_by_step(name, make_torch, mine):
    p = problems.quadratic(condition_number=30, rotation=0.6, x_star=[0.5, -1.0])
    ref = torch_iterates(make_torch, p, 150)
    np.testing.assert_allclose(nagcore.run(mine, p, p.x0, 150).x, ref, rtol=1e-12, atol=1e-14)


def test_the_seed_article_training_loop_matches_nagcore_on_the_digits():
    """The PyTorch code of the design-pattern article, run on the book's network and mini-batches."""
    data = mlp.load_digits(np.random.default_rng(0))
    net = mlp.mlp((64, 16, 10))
    w0 = net.init(np.random.default_rng(1))
    model = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10))
    (W1, b1), (W2, b2) = net.unflatten(w0)
    with torch.no_grad():  # torch stores weights as (out, in)
        for layer, W, b in ((model[0], W1, b1), (model[2], W2, b2)):
            layer.weight.copy_(torch.tensor(W.T))
            layer.bias.copy_(torch.tensor(b))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    criterion = torch.nn.CrossEntropyLoss()
    steps, batches = 68, mlp.batches(data.n_train, 32, None)
    for _ in range(steps):
        rows = next(batches)
        optimizer.zero_grad()
        loss = criterion(model(torch.tensor(data.X_train[rows])), torch.tensor(data.y_train[rows]))
        loss.backward()
        optimizer.step()
    got = np.concatenate([np.concatenate([layer.weight.detach().numpy().T.ravel(), layer.bias.detach().numpy()]) for layer in (model[0], model[2])])
    oracle = mlp.minibatch_gradient(net, data.X_train, data.y_train, mlp.batches(data.n_train, 32, None))
    theta = nagcore.run(nagcore.nesterov(0.1, 0.9), oracle, w0, steps).x
    np.testing.assert_allclose(got, lookahead(theta, 0.9)[-1], rtol=1e-10, atol=1e-12)
    assert np.abs(got - w0).max() > 0.5
