r"""RMSprop, Adam and Nadam: per-coordinate step sizes, under the same contract as the other optimizers.

Each factory returns an :class:`~nagcore.optimizers.Optimizer` (``init``, ``step``, ``hyperparams``);
hyperparameters may be arrays that broadcast over the leading (batch) axes of ``x``. The libraries
disagree on small details that change the iterates, so each docstring states its exact variant:
where :math:`\epsilon` goes, whether the moments are bias-corrected, and (for Nadam) how the
momentum is scheduled. All three start their moments at zero and take one gradient per step, at
the current parameters.

References:
  Tieleman and Hinton (2012), Lecture 6.5, rmsprop (Neural Networks for Machine Learning).
  Kingma and Ba (2015), Adam: a method for stochastic optimization.
  Dozat (2016), Incorporating Nesterov momentum into Adam.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nagcore import _checks
from nagcore.optimizers import Optimizer

__all__ = ["RMSState", "AdamState", "NadamState", "rmsprop", "adam", "nadam"]

Array = np.ndarray


class RMSState(NamedTuple):
    """RMSprop keeps a running mean of squared gradients ``nu``, shaped like the parameters."""

    nu: Array


class AdamState(NamedTuple):
    """Adam keeps the step count and the first and second moments ``mu`` and ``nu``."""

    count: int
    mu: Array
    nu: Array


class NadamState(NamedTuple):
    """Nadam adds the running product of its scheduled momenta, :math:`\\prod_{i \\le t} \\mu_i`."""

    count: int
    mu: Array
    nu: Array
    mu_product: Array


def _column(a: Array) -> Array:
    """Add a trailing axis so a hyperparameter of batch shape multiplies parameters of shape batch + (d,)."""
    return a[..., np.newaxis]


def rmsprop(lr, decay=0.9, eps=1e-8, *, eps_in_sqrt: bool = False) -> Optimizer:
    r"""RMSprop (Tieleman and Hinton, 2012): divide each coordinate by the root mean square of its gradients.

    .. math::
       s_{t+1} = \rho\, s_t + (1-\rho)\, g_t^2, \qquad
       \theta_{t+1} = \theta_t - \eta\, \frac{g_t}{\sqrt{s_{t+1}} + \epsilon}, \qquad s_0 = 0,

    with :math:`g_t = \nabla f(\theta_t)`; no bias correction and no momentum. This is
    ``torch.optim.RMSprop`` (whose default :math:`\rho` is 0.99) and
    ``optax.rmsprop(..., eps_in_sqrt=False)``. With ``eps_in_sqrt=True`` the denominator is
    :math:`\sqrt{s_{t+1} + \epsilon}`, as in optax's default and ``keras.optimizers.RMSprop``.

    Args:
      lr: learning rate :math:`\eta > 0`.
      decay: :math:`\rho \in [0, 1)`, the decay of the running mean of :math:`g^2`.
      eps: :math:`\epsilon > 0`.
      eps_in_sqrt: put :math:`\epsilon` inside the square root (a bool).

    Returns:
      An :class:`~nagcore.optimizers.Optimizer` whose state is an :class:`RMSState`.

    Example:
      >>> import numpy as np
      >>> opt = rmsprop(lr=0.01)
      >>> x, s = opt.step(lambda x: 3 * np.ones_like(x), np.zeros(2), opt.init(np.zeros(2)))
      >>> x.round(6)                # first step: g / sqrt(0.1 g^2) = sqrt(10), times lr
      array([-0.031623, -0.031623])
    """
    lr_ = _checks.positive("lr", lr)
    rho_ = _checks.unit_interval("decay", decay)
    eps_ = _checks.positive("eps", eps)
    inside = _flag("eps_in_sqrt", eps_in_sqrt)
    eta, rho, e = _column(lr_), _column(rho_), _column(eps_)

    def init(x):
        return RMSState(np.zeros_like(x, dtype=float))

    def step(grad, x, state):
        g = grad(x)
        nu = rho * state.nu + (1 - rho) * g**2
        denom = np.sqrt(nu + e) if inside else np.sqrt(nu) + e
        return x - eta * g / denom, RMSState(nu)

    return Optimizer(init, step, {"lr": lr_, "decay": rho_, "eps": eps_})


def adam(lr, b1=0.9, b2=0.999, eps=1e-8) -> Optimizer:
    r"""Adam (Kingma and Ba, 2015, Algorithm 1): momentum on the gradient, RMSprop on its scale.

    .. math::
       m_{t+1} &= \beta_1 m_t + (1-\beta_1)\, g_t, \qquad
       s_{t+1} = \beta_2 s_t + (1-\beta_2)\, g_t^2, \\
       \theta_{t+1} &= \theta_t - \eta\, \frac{\hat m_{t+1}}{\sqrt{\hat s_{t+1}} + \epsilon}, \qquad
       \hat m_{t+1} = \frac{m_{t+1}}{1-\beta_1^{t+1}}, \quad \hat s_{t+1} = \frac{s_{t+1}}{1-\beta_2^{t+1}},

    with :math:`m_0 = s_0 = 0`. Both moments are bias-corrected and :math:`\epsilon` is added
    after the square root of the *corrected* second moment: this is ``torch.optim.Adam`` and
    ``optax.adam``. ``keras.optimizers.Adam`` adds :math:`\epsilon` to :math:`\sqrt{s_{t+1}}`
    before the correction (the paper's "efficient" form), which is the same as using
    :math:`\epsilon / \sqrt{1-\beta_2^{t+1}}` here.

    Args:
      lr: learning rate :math:`\eta > 0`; once the moments have settled, the step in each
        coordinate is about :math:`\eta` whatever the size of the gradient.
      b1: :math:`\beta_1 \in [0, 1)`, the momentum of the first moment.
      b2: :math:`\beta_2 \in [0, 1)`, the decay of the second moment.
      eps: :math:`\epsilon > 0`.

    Returns:
      An :class:`~nagcore.optimizers.Optimizer` whose state is an :class:`AdamState`.

    Example:
      >>> import numpy as np
      >>> opt = adam(lr=0.1)
      >>> x, s = opt.step(lambda x: np.array([0.01, 5.0]), np.zeros(2), opt.init(np.zeros(2)))
      >>> x.round(6)                # the first step is -lr * sign(g) in every coordinate
      array([-0.1, -0.1])
    """
    lr_ = _checks.positive("lr", lr)
    b1_ = _checks.unit_interval("b1", b1)
    b2_ = _checks.unit_interval("b2", b2)
    eps_ = _checks.positive("eps", eps)
    eta, beta1, beta2, e = _column(lr_), _column(b1_), _column(b2_), _column(eps_)

    def init(x):
        return AdamState(0, np.zeros_like(x, dtype=float), np.zeros_like(x, dtype=float))

    def step(grad, x, state):
        g = grad(x)
        t = state.count + 1
        mu = beta1 * state.mu + (1 - beta1) * g
        nu = beta2 * state.nu + (1 - beta2) * g**2
        mu_hat = mu / (1 - beta1**t)
        nu_hat = nu / (1 - beta2**t)
        return x - eta * mu_hat / (np.sqrt(nu_hat) + e), AdamState(t, mu, nu)

    return Optimizer(init, step, {"lr": lr_, "b1": b1_, "b2": b2_, "eps": eps_})


def nadam(lr, b1=0.9, b2=0.999, eps=1e-8, momentum_decay=0.004) -> Optimizer:
    r"""Nadam (Dozat, 2016): Adam whose momentum looks ahead, as Nesterov's method does.

    Nesterov's step can be written so that it uses the *next* momentum on the current average
    plus the current gradient; Dozat applies that to Adam's bias-corrected first moment. With a
    momentum schedule :math:`\mu_t = \beta_1 \big(1 - \tfrac12\, 0.96^{\,t\psi}\big)` (``psi`` is
    ``momentum_decay``) and :math:`P_t = \prod_{i=1}^{t} \mu_i`, step :math:`t = 1, 2, \dots` is

    .. math::
       m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
       s_t = \beta_2 s_{t-1} + (1-\beta_2)\, g_t^2, \\
       \theta_t &= \theta_{t-1} - \eta\,
         \frac{\frac{1-\mu_t}{1-P_t}\, g_t + \frac{\mu_{t+1}}{1-P_t\,\mu_{t+1}}\, m_t}
              {\sqrt{s_t / (1-\beta_2^{t})} + \epsilon}.

    The libraries differ only in :math:`\psi`: ``torch.optim.NAdam`` uses 0.004 (Dozat's
    :math:`0.96^{t/250}`, the default here), ``keras.optimizers.Nadam`` (Keras 3) uses 1, so its
    momentum reaches :math:`\beta_1` within about a hundred steps, and ``optax.nadam`` uses no
    schedule, :math:`\mu_t = \beta_1` (``momentum_decay=np.inf`` here, since
    :math:`0.96^{\infty} = 0`).

    Args:
      lr: learning rate :math:`\eta > 0`.
      b1: :math:`\beta_1 \in [0, 1)`.
      b2: :math:`\beta_2 \in [0, 1)`.
      eps: :math:`\epsilon > 0`, added after the square root.
      momentum_decay: :math:`\psi > 0` (``np.inf`` allowed), the speed of the momentum schedule.

    Returns:
      An :class:`~nagcore.optimizers.Optimizer` whose state is a :class:`NadamState`.

    Example:
      >>> import numpy as np
      >>> opt = nadam(lr=0.1, momentum_decay=np.inf)   # optax.nadam
      >>> x, s = opt.step(lambda x: np.array([2.0]), np.zeros(1), opt.init(np.zeros(1)))
      >>> x.round(6)                # a constant gradient: the first step is -lr, as for Adam
      array([-0.1])
    """
    lr_ = _checks.positive("lr", lr)
    b1_ = _checks.unit_interval("b1", b1)
    b2_ = _checks.unit_interval("b2", b2)
    eps_ = _checks.positive("eps", eps)
    psi_ = np.asarray(momentum_decay, dtype=float)
    if np.any(np.isnan(psi_)) or not np.all(psi_ > 0):
        raise ValueError(f"momentum_decay must be > 0 (np.inf allowed), got {momentum_decay!r}")
    eta, beta1, beta2, e, psi = (_column(a) for a in (lr_, b1_, b2_, eps_, psi_))

    def schedule(t):
        return beta1 * (1 - 0.5 * 0.96 ** (t * psi))

    def init(x):
        zeros = np.zeros_like(x, dtype=float)
        return NadamState(0, zeros, zeros.copy(), np.ones(x.shape[:-1] + (1,)))

    def step(grad, x, state):
        g = grad(x)
        t = state.count + 1
        mu_t, mu_next = schedule(t), schedule(t + 1)
        product = state.mu_product * mu_t
        mu = beta1 * state.mu + (1 - beta1) * g
        nu = beta2 * state.nu + (1 - beta2) * g**2
        denom = np.sqrt(nu / (1 - beta2**t)) + e
        direction = (1 - mu_t) / (1 - product) * g + mu_next / (1 - product * mu_next) * mu
        return x - eta * direction / denom, NadamState(t, mu, nu, product)

    return Optimizer(init, step, {"lr": lr_, "b1": b1_, "b2": b2_, "eps": eps_, "momentum_decay": psi_})


def _flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)
