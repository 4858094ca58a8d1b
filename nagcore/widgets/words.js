// Numbers and runs in words: the status line and the text alternative of every figure.

import { distance } from "./nag.js";

// A number with `digits` significant digits, written the way the book writes numbers.
export function num(x, digits = 3) {
  if (!Number.isFinite(x)) return x > 0 ? "∞" : x < 0 ? "−∞" : "undefined";
  if (x === 0) return "0";
  const a = Math.abs(x);
  const s = a >= 1e5 || a < 1e-3 ? x.toExponential(Math.max(0, digits - 2)) : String(Number(x.toPrecision(digits)));
  return s.replace("-", "−");
}

export function point(x, digits = 3) {
  return x.length === 1 ? num(x[0], digits) : `(${x.map((v) => num(v, digits)).join(", ")})`;
}

// How often the step turned back (consecutive steps pointing against each other) in steps
// first..last.
export function turns(xs, first, last) {
  let count = 0;
  for (let j = Math.max(1, first); j < last; j++) {
    let dotp = 0;
    for (let i = 0; i < xs[j].length; i++) dotp += (xs[j][i] - xs[j - 1][i]) * (xs[j + 1][i] - xs[j][i]);
    if (dotp < 0) count++;
  }
  return count;
}

// What a run is doing at step k: "converging", "oscillating while it converges",
// "stuck in a local minimum at θ = 0.838", "diverged at step 7", ...
export function behaviour(run, problem, k) {
  const d = run.diverged_at;
  if (d >= 0 && k >= d) return `diverged at step ${d}`;
  if (k === 0) return d >= 0 ? `at the start; it diverges at step ${d}` : "at the start";
  const xs = run.x, x_star = problem.x_star;
  const err0 = distance(xs[0], x_star), err = distance(xs[k], x_star);
  const back = Math.max(0, k - 10), before = distance(xs[back], x_star);
  const oscillating = turns(xs, back, k) >= 2;
  const g = problem.grad(xs[k]);
  const flat = Math.sqrt(g.reduce((s, gi) => s + gi * gi, 0)) < 1e-6;
  if (d >= 0) return `${oscillating ? "oscillating with growing swings" : "moving away"}; it diverges at step ${d}`;
  if (err <= 1e-6 * Math.max(err0, 1e-300)) return "converged: error below a millionth of the start";
  if (flat && err > 1e-3) return `stuck in a local minimum at θ = ${point(xs[k])}`;
  const shrinking = err < before;
  if (oscillating) return shrinking ? "oscillating while it converges" : "oscillating without getting closer";
  return shrinking ? "converging" : "moving away from the minimum";
}
