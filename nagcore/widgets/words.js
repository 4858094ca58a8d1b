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
// "stuck in a local minimum at θ = 0.838", "diverged at step 7", ... judged on the last 10 steps.
export function behaviour(run, problem, k) {
  const d = run.diverged_at;
  if (d >= 0 && k >= d) return `diverged at step ${d}`;
  if (k === 0) return d >= 0 ? `at the start; it diverges at step ${d}` : "at the start";
  const xs = run.x;
  const errors = xs.slice(0, k + 1).map((x) => distance(x, problem.x_star));
  const recent = errors.slice(Math.max(0, k - 10)); // the last 10 steps
  const earlier = k >= 20 ? errors.slice(k - 20, k - 9) : null; // the 10 before
  const rises = recent.filter((e, j) => j > 0 && e > recent[j - 1]).length;
  const oscillating = rises >= 2 || turns(xs, Math.max(0, k - 10), k) >= 2;
  const shrinking = earlier ? Math.max(...recent) < Math.max(...earlier) : errors[k] < errors[0];
  if (d >= 0) return `${oscillating ? "swinging further out" : "moving away"}; it diverges at step ${d}`;
  if (errors[k] <= 1e-6 * errors[0]) return "converged: its error is below a millionth of the start";
  // where the whole run ends: a flat point away from the minimiser is a local minimum
  const end = xs[xs.length - 1], g = problem.grad(end);
  if (Math.sqrt(g.reduce((s, gi) => s + gi * gi, 0)) < 1e-4 && distance(end, problem.x_star) > 1e-3) {
    return `${distance(xs[k], end) < 1e-3 ? "stuck in" : "heading for"} a local minimum at θ = ${point(end)}`;
  }
  if (oscillating) return shrinking ? "oscillating while it converges" : "oscillating without getting closer";
  return shrinking ? "converging" : "moving away from the minimum";
}
