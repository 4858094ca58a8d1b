// Paths of several methods from the same start: balls on a 1-D loss curve (one panel per method)
// or paths on the contour lines of a 2-D surface (all methods in one panel), the loss of each
// against the step underneath, and, if asked, Nesterov's look-ahead step at the current step.
// Used by nagcore.widgets.RollingBall and nagcore.widgets.MomentumVsNesterov.
//
// Every run is computed here, in the browser, by the port of nagcore (nag.js) whenever a slider
// moves: a few hundred steps of a 1-D or 2-D problem take well under a millisecond.

import { optimizer, problem_from_spec, run } from "./nag.js";
import { arrow, axes, clip, contours, dot, grid, inset, line, note, scales, star, text } from "./draw.js";
import { behaviour, num, point } from "./words.js";
import { mount } from "./ui.js";

const LOSS_FLOOR = 1e-12; // the loss chart's lowest value of f - f*

const problems = new WeakMap();
function problem_of(spec) {
  if (!problems.has(spec)) problems.set(spec, problem_from_spec(spec.problem));
  return problems.get(spec);
}

export function start_of(spec, params) {
  return spec.dim === 1 ? [params.start1] : [params.start1, params.start2];
}

// The runs the figure draws: one per method, all from the same start and settings.
export function compute(spec, params) {
  const problem = problem_of(spec);
  const x0 = start_of(spec, params);
  const runs = spec.methods.map((m) => run(optimizer(m.key, params.lr, params.momentum), problem, x0, spec.steps, spec.blowup));
  const gaps = runs.map((r) => r.f.map((f) => f - spec.f_star));
  let curve = null;
  if (spec.dim === 1) {
    const [lo, hi] = spec.window.xlim, xs = [], ys = [];
    for (let i = 0; i <= 240; i++) { xs.push(lo + ((hi - lo) * i) / 240); ys.push(problem.f([xs[i]])); }
    curve = { xs, ys };
  }
  return { problem, x0, runs, gaps, curve };
}

// ---------------------------------------------------------------- layout

function layout(width, spec) {
  const lossHeight = Math.max(150, Math.min(200, 0.32 * width));
  if (spec.dim === 1) {
    const g = grid(width, spec.methods.length, 260);
    const ph = Math.max(200, Math.min(260, 0.75 * g.w));
    return { g, ph, top: g.rows * ph, lossHeight };
  }
  const side = Math.min(width, 460);
  return { side, top: side, lossHeight };
}

function height(width, spec) {
  const L = layout(width, spec);
  return L.top + 8 + L.lossHeight;
}

function lastFinite(r, k) {
  return r.diverged_at >= 0 ? Math.min(k, r.diverged_at - 1) : k;
}

// ---------------------------------------------------------------- drawing

function drawCurvePanels(ctx, v, L) {
  const { spec, params, data, colors } = v;
  const k = params.step;
  const { xs, ys } = data.curve;
  let lo = Math.min(...ys), hi = Math.max(...ys);
  const pad = 0.08 * (hi - lo);
  const panels = [];
  spec.methods.forEach((method, p) => {
    const ox = (p % L.g.cols) * L.g.w, oy = Math.floor(p / L.g.cols) * L.ph;
    const box = inset(ox, oy + 22, L.g.w, L.ph - 22, { left: 48, right: 12, top: 4, bottom: 36 });
    const m = scales(box, { xlim: spec.window.xlim, ylim: [lo - pad, hi + pad] });
    panels.push(m);
    axes(ctx, m, { xlabel: "θ", ylabel: "loss f(θ)", colors });
    const color = colors[method.key];
    const r = data.runs[p];
    const upto = lastFinite(r, k);
    clip(ctx, box);
    line(ctx, m, xs, ys, { color: colors.surface, width: 2 });
    star(ctx, m.x(spec.problem.x_star[0]), m.y(data.problem.f(spec.problem.x_star)) + 10, colors.ink, 14);
    const f = r.f;
    for (let j = 0; j <= spec.steps; j++) { // the whole path, faint
      if (!Number.isFinite(f[j])) break;
      dot(ctx, m.x(r.x[j][0]), m.y(f[j]), 2.2, color);
      if (j === upto) ctx.globalAlpha = 0.18;
    }
    ctx.globalAlpha = 1;
    dot(ctx, m.x(data.x0[0]), m.y(f[0]), 6, null, colors.ink, 1.5); // the start (drag it)
    if (upto >= 0) dot(ctx, m.x(r.x[upto][0]), m.y(f[upto]), 9, color, colors.ink);
    ctx.restore();
    const words = r.diverged_at >= 0 && k >= r.diverged_at ? `diverged at step ${r.diverged_at}` : null;
    if (words) note(ctx, box, words, colors);
    text(ctx, method.label, box.x, oy + 3, { color, px: 14, weight: "bold" });
  });
  return panels;
}

function drawContourPanel(ctx, v, L) {
  const { spec, params, data, colors } = v;
  const k = params.step;
  const ox = (v.width - L.side) / 2;
  const box = inset(ox, 0, L.side, L.side, { left: 46, right: 10, top: 8, bottom: 36 });
  // keep the window's aspect ratio: shrink the box along one axis
  const [xl, yl] = [spec.window.xlim, spec.window.ylim];
  const aspect = (yl[1] - yl[0]) / (xl[1] - xl[0]);
  if (box.h > box.w * aspect) { box.y += (box.h - box.w * aspect) / 2; box.h = box.w * aspect; }
  else { const w = box.h / aspect; box.x += (box.w - w) / 2; box.w = w; }
  const m = scales(box, { xlim: xl, ylim: yl });
  axes(ctx, m, { xlabel: "θ₁", ylabel: "θ₂", colors, grid: false });
  clip(ctx, box);
  contours(ctx, m, spec.contours, colors.surface);
  star(ctx, m.x(spec.problem.x_star[0]), m.y(spec.problem.x_star[1]), colors.ink);
  const messages = [];
  spec.methods.forEach((method, p) => {
    const r = data.runs[p], color = colors[method.key];
    const us = r.x.map((x) => x[0]), ws = r.x.map((x) => x[1]);
    const upto = lastFinite(r, k);
    line(ctx, m, us, ws, { color, width: 1.5, alpha: 0.25 });
    line(ctx, m, us, ws, { color, width: 2, upto });
    for (let j = 1; j <= upto; j++) dot(ctx, m.x(us[j]), m.y(ws[j]), 2.3, color);
    if (upto >= 0) dot(ctx, m.x(us[upto]), m.y(ws[upto]), 6.5, color, colors.ink);
    if (r.diverged_at >= 0 && k >= r.diverged_at) messages.push(`${method.label} diverged at step ${r.diverged_at}`);
  });
  if (spec.lookahead) drawLookahead(ctx, m, v);
  dot(ctx, m.x(data.x0[0]), m.y(data.x0[1]), 7, null, colors.ink, 2); // the start (drag it)
  ctx.restore();
  if (messages.length) note(ctx, box, messages[0], colors);
  return [m];
}

// Nesterov's step at the current iterate: the momentum step to the look-ahead point
// theta_k - gamma v_k, then the gradient step measured there, which ends at theta_{k+1}.
function drawLookahead(ctx, m, v) {
  const { spec, params, data, colors } = v;
  const p = spec.methods.findIndex((method) => method.key === "nesterov");
  const r = data.runs[p], k = params.step;
  if (k + 1 > spec.steps || (r.diverged_at >= 0 && k + 1 >= r.diverged_at)) return;
  const x = r.x[k], prev = k > 0 ? r.x[k - 1] : x, next = r.x[k + 1];
  const ahead = x.map((xi, i) => xi - params.momentum * (prev[i] - xi)); // v_k = theta_{k-1} - theta_k
  arrow(ctx, m.x(x[0]), m.y(x[1]), m.x(ahead[0]), m.y(ahead[1]), colors.lookahead, 3);
  arrow(ctx, m.x(ahead[0]), m.y(ahead[1]), m.x(next[0]), m.y(next[1]), colors.accent, 3);
}

function drawLoss(ctx, v, top, h) {
  const { spec, params, data, colors } = v;
  const box = inset(0, top, v.width, h, { left: 54, right: 12, top: 8, bottom: 36 });
  const g0 = Math.max(...data.gaps.map((g) => g[0]), LOSS_FLOOR * 10);
  const m = scales(box, { xlim: [0, spec.steps], ylim: [LOSS_FLOOR, g0 * 30], ylog: true });
  axes(ctx, m, { xlabel: "step", ylabel: "f − f*", colors });
  clip(ctx, box);
  const steps = data.gaps[0].map((_, j) => j);
  data.gaps.forEach((gap, p) => {
    const color = colors[spec.methods[p].key];
    const ys = gap.map((g) => (Number.isFinite(g) ? Math.max(g, LOSS_FLOOR) : NaN));
    line(ctx, m, steps, ys, { color, width: 1.5, alpha: 0.3 });
    line(ctx, m, steps, ys, { color, width: 2.5, upto: params.step });
  });
  ctx.strokeStyle = colors.ink;
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(m.x(params.step), box.y);
  ctx.lineTo(m.x(params.step), box.y + box.h);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.restore();
}

function draw(ctx, v) {
  const L = layout(v.width, v.spec);
  v.panels = v.spec.dim === 1 ? drawCurvePanels(ctx, v, L) : drawContourPanel(ctx, v, L);
  drawLoss(ctx, v, L.top + 8, L.lossHeight);
}

// ---------------------------------------------------------------- words

function describe(v) {
  const { spec, params, data } = v;
  const k = params.step;
  const each = spec.methods.map((method, p) => {
    const r = data.runs[p], doing = behaviour(r, data.problem, k);
    if (r.diverged_at >= 0 && k >= r.diverged_at) return `${method.label}: ${doing}`;
    const where = doing.includes("θ =") ? "" : `, at θ = ${point(r.x[k])}`;
    return `${method.label}: ${doing}${where}, f − f* = ${num(data.gaps[p][k], 2)}`;
  });
  const status = `Step ${k} of ${spec.steps}. ${each.join(". ")}.`;
  const picture = spec.dim === 1 ? "balls on the loss curve, one panel per method," : "paths on the contour lines of the loss,";
  const alt = `${spec.methods.map((m) => m.label).join(" and ")} on ${spec.name} from θ₀ = ${point(data.x0)} with learning rate ${num(params.lr)}`
    + ` and momentum ${num(params.momentum)}: ${picture} and the loss against the step below. ${status}`;
  return { status, alt };
}

function legend(spec) {
  const items = spec.methods.map((m) => ({ color: m.key, label: m.label }));
  items.push({ color: "ink", label: "start (drag it)", marker: true });
  if (spec.lookahead) {
    items.push({ color: "lookahead", label: "momentum step to the look-ahead point" });
    items.push({ color: "accent", label: "gradient step measured there" });
  }
  return items;
}

// ---------------------------------------------------------------- dragging the start

const pointer = {
  handles(v) {
    const { data, spec } = v;
    return (v.panels || []).map((m) => [m.x(data.x0[0]), spec.dim === 1 ? m.y(data.runs[0].f[0]) : m.y(data.x0[1])]);
  },
  hit(v, x, y) {
    const { data, spec } = v;
    for (const m of v.panels || []) {
      const py = spec.dim === 1 ? m.y(data.runs[0].f[0]) : m.y(data.x0[1]);
      if (Math.hypot(m.x(data.x0[0]) - x, py - y) < 14) return { m };
    }
    return null;
  },
  drag(v, { m }, x, y) {
    const clampTo = (u, lim) => Math.max(lim[0], Math.min(lim[1], u));
    const range = (name) => v.spec.sliders.find((s) => s.name === name);
    const s1 = range("start1");
    const changes = { start1: clampTo(m.u(x), [s1.min, s1.max]) };
    if (v.spec.dim === 2) { const s2 = range("start2"); changes.start2 = clampTo(m.v(y), [s2.min, s2.max]); }
    return changes;
  },
};

export const figure = { compute, height, draw, describe, legend, pointer };

export default { render: (context) => mount(context, figure) };
