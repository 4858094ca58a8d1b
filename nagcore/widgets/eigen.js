// The error of a quadratic split along its eigen-directions. Each direction is a run of its own
// (nagcore.theory's 2x2 recurrence), so its error decays at its own rate; the slowest direction
// sets the rate of the whole. Left: |e_i(k)| per direction and the total error against the step.
// Right: the rate per step over the curvatures, a dot per direction. Used by
// nagcore.widgets.ErrorByDirection.

import { coefficients, diagonal_quadratic, optimizer, radius, run, steps_per_decade } from "./nag.js";
import { axes, clip, dot, grid, inset, line, scales, text } from "./draw.js";
import { num } from "./words.js";
import { mount } from "./ui.js";

const ERROR_FLOOR = 1e-12;

// curvatures spaced geometrically from 1/kappa to 1 (numpy.geomspace(1 / kappa, 1, n))
export function curvatures(kappa, n) {
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? 1 : kappa ** (-(n - 1 - i) / (n - 1))));
}

export function compute(spec, params) {
  const lambdas = curvatures(params.kappa, spec.directions);
  const problem = diagonal_quadratic(lambdas);
  const r = run(optimizer(params.method, params.lr, params.momentum), problem, lambdas.map(() => 1), spec.steps, spec.blowup);
  const errors = lambdas.map((_, i) => r.x.map((x) => Math.abs(x[i])));
  const total = r.x.map((x) => Math.sqrt(x.reduce((s, xi) => s + xi * xi, 0) / lambdas.length));
  const rho = (lambda) => radius(...coefficients(params.method, params.lr, params.momentum, lambda));
  const rates = lambdas.map(rho);
  const worst = rates.indexOf(Math.max(...rates));
  const lo = Math.min(1 / params.kappa, 0.5);
  const curve = Array.from({ length: 161 }, (_, j) => lo ** (1 - j / 160));
  return { lambdas, run: r, errors, total, rates, worst, curve, curveRates: curve.map(rho) };
}

function layout(width) {
  const g = grid(width, 2, 300);
  const wide = g.cols === 2;
  const left = wide ? 0.6 * width : width, right = wide ? 0.4 * width : width;
  const h = Math.max(230, Math.min(300, 0.7 * right + 40));
  return { wide, left, right, h };
}

function height(width) {
  const L = layout(width);
  return L.wide ? L.h : 2 * L.h;
}

function draw(ctx, v) {
  const { spec, params, data, colors } = v;
  const L = layout(v.width);
  const k = params.step, steps = spec.steps;
  const dirColor = (i) => spec.direction_colors[i];
  // left: error per direction against the step
  const box = inset(0, 0, L.left, L.h, { left: 56, right: 12, top: 10, bottom: 38 });
  const m = scales(box, { xlim: [0, steps], ylim: [ERROR_FLOOR, 1e3], ylog: true });
  axes(ctx, m, { xlabel: "step", ylabel: "error |eᵢ| (start 1)", colors });
  clip(ctx, box);
  const ks = data.total.map((_, j) => j);
  const floor = (e) => (Number.isFinite(e) ? Math.max(e, ERROR_FLOOR) : NaN);
  data.errors.forEach((e, i) => {
    const ys = e.map(floor);
    line(ctx, m, ks, ys, { color: dirColor(i), width: 1.5, alpha: 0.3 });
    line(ctx, m, ks, ys, { color: dirColor(i), width: i === data.worst ? 3 : 1.8, upto: k });
  });
  const tot = data.total.map(floor);
  line(ctx, m, ks, tot, { color: colors.ink, width: 2.5, dash: [6, 3], upto: k });
  ctx.strokeStyle = colors.ink;
  ctx.setLineDash([4, 3]);
  ctx.beginPath(); ctx.moveTo(m.x(k), box.y); ctx.lineTo(m.x(k), box.y + box.h); ctx.stroke();
  ctx.setLineDash([]);
  ctx.restore();
  // right: the rate over the curvatures
  const ox = L.wide ? L.left : 0, oy = L.wide ? 0 : L.h;
  const rbox = inset(ox, oy, L.right, L.h, { left: 50, right: 14, top: 10, bottom: 38 });
  const top = Math.min(2, Math.max(1.1, 1.05 * Math.max(...data.rates)));
  const lam = data.curve;
  const r = scales(rbox, { xlim: [lam[0], 1], ylim: [0, top], xlog: true });
  axes(ctx, r, { xlabel: "curvature λ", ylabel: "rate ρ per step", colors });
  clip(ctx, rbox);
  ctx.strokeStyle = colors.accent; ctx.setLineDash([5, 4]); ctx.lineWidth = 1.5;
  ctx.beginPath(); ctx.moveTo(rbox.x, r.y(1)); ctx.lineTo(rbox.x + rbox.w, r.y(1)); ctx.stroke();
  ctx.setLineDash([]);
  line(ctx, r, lam, data.curveRates.map((q) => Math.min(q, 10)), { color: colors[params.method], width: 2 });
  data.lambdas.forEach((l, i) => dot(ctx, r.x(l), r.y(data.rates[i]), i === data.worst ? 7 : 5, dirColor(i), colors.ink, i === data.worst ? 2.5 : 1));
  ctx.restore();
  const w = data.worst, wy = r.y(Math.min(data.rates[w], top));
  const below = wy < rbox.y + rbox.h / 2;
  text(ctx, data.rates[w] >= 1 ? "diverges" : "limits the rate", Math.min(Math.max(r.x(data.lambdas[w]) - 10, rbox.x + 4), rbox.x + rbox.w - 96),
    below ? wy + 10 : wy - 24, { color: colors.ink, px: 12, weight: "bold" });
  text(ctx, "ρ = 1", rbox.x + 4, r.y(1) - 16, { color: colors.accent, px: 11 });
}

function describe(v) {
  const { spec, params, data } = v;
  const label = { gd: "Gradient descent", momentum: "Heavy ball", nesterov: "Nesterov" }[params.method];
  const w = data.worst, rho = data.rates[w], lam = data.lambdas[w];
  const setting = `${label} with learning rate ${num(params.lr)}${params.method === "gd" ? "" : ` and momentum ${num(params.momentum)}`} on a quadratic with condition number ${num(params.kappa)}`;
  const which = w === 0 ? "the flattest" : w === data.lambdas.length - 1 ? "the steepest" : "a middle";
  const limit = rho >= 1
    ? `${which} direction (curvature ${num(lam)}) diverges: its rate is ${num(rho)} per step`
    : `${which} direction (curvature ${num(lam)}) shrinks slowest, by ${num(rho)} per step, and limits the rate: ${num(steps_per_decade(rho))} steps per ten-fold reduction`;
  const k = params.step;
  const now = data.run.diverged_at >= 0 && k >= data.run.diverged_at ? `the run diverged at step ${data.run.diverged_at}` : `the error is ${num(data.total[k], 2)} of the start`;
  const status = `${setting}: ${limit}. At step ${k} ${now}.`;
  const alt = `Left: the error along each of ${spec.directions} eigen-directions, curvatures ${num(data.lambdas[0])} to 1, and the total error (dashed) against the step on a log scale, up to step ${k}. `
    + `Right: the rate per step over the curvatures with a dot for each direction. ${status}`;
  return { status, alt };
}

function legend(spec) {
  const n = spec.directions;
  return [
    { color: spec.direction_colors[0], label: "flattest direction" },
    { color: spec.direction_colors[n - 1], label: "steepest direction" },
    { color: "ink", label: "total error", dash: true },
    { color: "accent", label: "ρ = 1: above it a direction diverges", dash: true },
  ];
}

function inactive(v) {
  return v.params.method === "gd" ? ["momentum"] : [];
}

export const figure = { compute, height, draw, describe, legend, inactive };

export default { render: (context) => mount(context, figure) };
