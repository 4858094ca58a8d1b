// nagcore in the browser: the update rules, problems and rates that the figures compute with.
//
// A port of nagcore, kept small enough to read next to it: the same names, one function per
// equation, and the arithmetic in the same order as numpy does it, so that a run here gives
// nagcore.run's iterates (tests/test_port.py compares them on thousands of random settings and
// fails above a relative difference of 1e-12). nagcore stays the reference; nothing here is
// written without a check beside it.
//
// Points are plain arrays of numbers. A problem is {dim, f, grad, x_star}; an optimizer is
// {init, step, hyperparams} with step(grad, x, state) -> [x_next, state_next], as in
// nagcore.optimizers.

// ---------------------------------------------------------------- problems (nagcore.problems)

// A sum in nagcore's fixed pairwise order (problems._sum): add the two halves elementwise, the
// middle element of an odd length carried to the next level.
export function sum(a) {
  let v = a;
  while (v.length > 1) {
    const n = v.length, half = Math.floor(n / 2);
    const next = v.slice(0, n - half);
    for (let i = 0; i < half; i++) next[i] += v[n - half + i];
    v = next;
  }
  return v[0];
}

// f(x) = 1/2 (x - x*)^T A (x - x*) + f*, gradient A (x - x*). The Hessian comes from Python as it
// is (nagcore builds it as Q diag(lambda) Q^T), so that both sides multiply the same numbers.
export function quadratic(hessian, x_star, f_star = 0) {
  const matvec = (y) => hessian.map((row) => sum(row.map((h, j) => h * y[j])));
  const offset = (x) => x.map((xi, i) => xi - x_star[i]);
  return {
    dim: x_star.length,
    x_star,
    grad: (x) => matvec(offset(x)),
    f: (x) => {
      const y = offset(x), Ay = matvec(y);
      return 0.5 * sum(Ay.map((a, i) => a * y[i])) + f_star;
    },
  };
}

// A diagonal quadratic with curvatures `eigenvalues` and its minimum at the origin.
export function diagonal_quadratic(eigenvalues) {
  const d = eigenvalues.length;
  const hessian = eigenvalues.map((lam, i) => eigenvalues.map((_, j) => (i === j ? lam : 0)));
  return quadratic(hessian, new Array(d).fill(0));
}

// f(x, y) = (a - x)^2 + b (y - x^2)^2
export function rosenbrock(a = 1, b = 100) {
  return {
    dim: 2,
    x_star: [a, a * a],
    f: ([u, v]) => (a - u) * (a - u) + b * ((v - u * u) * (v - u * u)),
    grad: ([u, v]) => {
      const w = v - u * u;
      return [-2 * (a - u) - 4 * b * u * w, 2 * b * w];
    },
  };
}

// u^3 rounded once, as numpy's u**3 (a call to pow) nearly always is; u * u * u rounds twice.
// Dekker's exact product: a * b = p + e exactly, with the 2^27 + 1 split of each factor.
function exact_product(a, b) {
  const split = (v) => { const c = 134217729 * v, hi = c - (c - v); return [hi, v - hi]; };
  const p = a * b, [ah, al] = split(a), [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

export function cube(u) {
  const [p, e] = exact_product(u, u); // u^2 = p + e
  const [q, f] = exact_product(p, u); // p u = q + f
  return q + (f + e * u);
}

// f(x) = x^4/4 - x^2/2 + t x; x_star (the global minimiser) comes from nagcore.
export function double_well(tilt, x_star) {
  return {
    dim: 1,
    x_star,
    f: ([u]) => 0.25 * u ** 4 - 0.5 * (u * u) + tilt * u,
    grad: ([u]) => [cube(u) - u + tilt],
  };
}

// Lessard, Recht and Packard's function: curvature 25, 1, 25 on x < 1, 1 <= x < 2, x >= 2.
export function piecewise_quadratic() {
  return {
    dim: 1,
    x_star: [0],
    f: ([u]) => (u < 1 ? 12.5 * (u * u) : u < 2 ? 0.5 * (u * u) + 24 * u - 12 : 12.5 * (u * u) - 24 * u + 36),
    grad: ([u]) => [u < 1 ? 25 * u : u < 2 ? u + 24 : 25 * u - 24],
  };
}

// A problem from the JSON spec that nagcore.widgets sends ({name, ...parameters}).
export function problem_from_spec(spec) {
  switch (spec.name) {
    case "quadratic": return quadratic(spec.hessian, spec.x_star, spec.f_star);
    case "rosenbrock": return rosenbrock(spec.a, spec.b);
    case "double_well": return double_well(spec.tilt, spec.x_star);
    case "piecewise_quadratic": return piecewise_quadratic();
    default: throw new Error(`unknown problem ${JSON.stringify(spec.name)}`);
  }
}

// ---------------------------------------------------------------- optimizers (nagcore.optimizers)

function check_lr(lr) {
  if (!(Number.isFinite(lr) && lr > 0)) throw new RangeError(`lr must be finite and > 0, got ${lr}`);
}

function check_momentum(momentum) {
  if (!(Number.isFinite(momentum) && momentum >= 0 && momentum < 1)) throw new RangeError(`momentum must be in [0, 1), got ${momentum}`);
}

// theta_{t+1} = theta_t - eta grad f(theta_t)
export function gradient_descent(lr) {
  check_lr(lr);
  return {
    hyperparams: { lr },
    init: () => ({}),
    step: (grad, x, state) => {
      const g = grad(x);
      return [x.map((xi, i) => xi - lr * g[i]), state];
    },
  };
}

// v_{t+1} = gamma v_t + eta grad f(theta_t),  theta_{t+1} = theta_t - v_{t+1}
export function momentum(lr, momentum = 0.9) {
  check_lr(lr);
  check_momentum(momentum);
  return {
    hyperparams: { lr, momentum },
    init: (x) => ({ velocity: x.map(() => 0) }),
    step: (grad, x, state) => {
      const g = grad(x);
      const velocity = state.velocity.map((vi, i) => momentum * vi + lr * g[i]);
      return [x.map((xi, i) => xi - velocity[i]), { velocity }];
    },
  };
}

// v_{t+1} = gamma v_t + eta grad f(theta_t - gamma v_t),  theta_{t+1} = theta_t - v_{t+1}
export function nesterov(lr, momentum = 0.9) {
  check_lr(lr);
  check_momentum(momentum);
  return {
    hyperparams: { lr, momentum },
    init: (x) => ({ velocity: x.map(() => 0) }),
    step: (grad, x, state) => {
      const lookahead = x.map((xi, i) => xi - momentum * state.velocity[i]);
      const g = grad(lookahead);
      const velocity = state.velocity.map((vi, i) => momentum * vi + lr * g[i]);
      return [x.map((xi, i) => xi - velocity[i]), { velocity }];
    },
  };
}

// The optimizer a figure names: "gd", "momentum" or "nesterov" (nagcore.plotting.METHOD_KEYS).
export function optimizer(method, lr, gamma) {
  if (method === "gd") return gradient_descent(lr);
  if (method === "momentum") return momentum(lr, gamma);
  if (method === "nesterov") return nesterov(lr, gamma);
  throw new Error(`unknown method ${JSON.stringify(method)}`);
}

// ---------------------------------------------------------------- the loop (nagcore.run)

export function distance(x, reference) {
  return Math.sqrt(sum(x.map((xi, i) => (xi - reference[i]) * (xi - reference[i]))));
}

// run()'s divergence rule: an entry is non-finite, or x is beyond blowup * (1 + |x0 - x*|).
function blown_up(x, reference, limit) {
  return !x.every(Number.isFinite) || distance(x, reference) > limit;
}

// Run `optimizer` on `problem` for `steps` steps from x0, as nagcore.run does, with one
// difference: the loop stops at the first diverged iterate (nagcore keeps computing), and the
// iterates after it are NaN. Returns {x: [theta_0, ...] (arrays), f, diverged, diverged_at},
// diverged_at being nagcore.first_divergence (-1 if the run never diverged); f, the objective
// at every iterate, is computed when first read (not every figure needs it).
export function run(optimizer, problem, x0, steps, blowup = 1e6) {
  const limit = blowup * (1 + distance(x0, problem.x_star));
  const xs = [x0.slice()];
  let x = x0.slice(), state = optimizer.init(x), diverged_at = -1;
  for (let k = 0; k < steps; k++) {
    [x, state] = optimizer.step(problem.grad, x, state);
    if (blown_up(x, problem.x_star, limit)) { diverged_at = k + 1; break; }
    xs.push(x);
  }
  while (xs.length < steps + 1) xs.push(x0.map(() => NaN));
  let f = null;
  return {
    x: xs,
    diverged: diverged_at >= 0,
    diverged_at,
    get f() {
      if (f === null) f = xs.map((xk, k) => (diverged_at >= 0 && k >= diverged_at ? NaN : problem.f(xk)));
      return f;
    },
  };
}

// ---------------------------------------------------------------- rates on quadratics (nagcore.theory)

export const METHODS = ["gd", "momentum", "nesterov"];

// (b, c) of e_{k+1} = b e_k - c e_{k-1} along an eigen-direction with curvature lambda.
export function coefficients(method, lr, momentum, lambda) {
  const h = lr * lambda, g = momentum;
  if (method === "gd") return [1.0 - h, 0.0];
  if (method === "momentum") return [1.0 + g - h, g + 0.0 * h];
  if (method === "nesterov") return [(1.0 + g) * (1.0 - h), g * (1.0 - h)];
  throw new Error(`unknown method ${JSON.stringify(method)}`);
}

// The roots of z^2 - b z + c: [re1, im1, re2, im2].
export function roots(b, c) {
  const disc = b * b - 4.0 * c;
  if (disc < 0) {
    const im = 0.5 * Math.sqrt(-disc);
    return [0.5 * b, im, 0.5 * b, -im];
  }
  const s = Math.sqrt(disc);
  return [0.5 * (b + s), 0, 0.5 * (b - s), 0];
}

// Largest modulus of the roots of z^2 - b z + c (theory._radius).
export function radius(b, c) {
  const disc = b * b - 4.0 * c;
  if (disc < 0) return Math.sqrt(Math.max(c, 0.0));
  return 0.5 * (Math.abs(b) + Math.sqrt(Math.max(disc, 0.0)));
}

// The rate: the largest spectral radius over the given curvatures.
export function rate(method, lr, momentum, eigenvalues) {
  let worst = -Infinity;
  for (const lambda of eigenvalues) {
    const [b, c] = coefficients(method, lr, momentum, lambda);
    worst = Math.max(worst, radius(b, c));
  }
  return worst;
}

// The classical tuned (lr, momentum) for curvatures in [mu, L], and its rate.
export function tuned(method, L, mu) {
  const kappa = L / mu, s = Math.sqrt(kappa);
  if (method === "gd") return { lr: 2.0 / (L + mu), momentum: 0.0, rate: (kappa - 1.0) / (kappa + 1.0) };
  if (method === "momentum") {
    const root = Math.sqrt(L) + Math.sqrt(mu);
    return { lr: 4.0 / (root * root), momentum: ((s - 1.0) / (s + 1.0)) ** 2, rate: (s - 1.0) / (s + 1.0) };
  }
  if (method === "nesterov") return { lr: 1.0 / L, momentum: (s - 1.0) / (s + 1.0), rate: 1.0 - 1.0 / s };
  throw new Error(`unknown method ${JSON.stringify(method)}`);
}

// Steps to shrink the error ten-fold at rate rho: ln 10 / (-ln rho); Infinity if rho >= 1.
export function steps_per_decade(rho) {
  return rho < 1 ? Math.log(10) / -Math.log(rho) : Infinity;
}
