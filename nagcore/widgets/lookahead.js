// One step of heavy ball and of Nesterov from the same state (theta, v), which the reader moves:
// drag the point theta, drag the look-ahead point theta - gamma v (that changes v), or use the
// sliders. The momentum step, the look-ahead point, both gradient steps, where each method lands
// and its next few steps follow. Used by nagcore.widgets.LookAhead.

import { momentum, nesterov, problem_from_spec } from "./nag.js";
import { arrow, axes, clip, contours, dot, inset, line, scales, star, text } from "./draw.js";
import { num, point } from "./words.js";
import { mount } from "./ui.js";

const problems = new WeakMap();
function problem_of(spec) {
  if (!problems.has(spec)) problems.set(spec, problem_from_spec(spec.problem));
  return problems.get(spec);
}

// The two steps from (theta, v), each by its optimizer's own step function, then `follow` more.
export function compute(spec, params) {
  const problem = problem_of(spec);
  const theta = [params.theta1, params.theta2], v = [params.v1, params.v2];
  const gamma = params.momentum, eta = params.lr;
  const ahead = theta.map((t, i) => t - gamma * v[i]);
  const paths = {};
  for (const [key, make] of [["momentum", momentum], ["nesterov", nesterov]]) {
    const opt = make(eta, gamma);
    let x = theta, state = { velocity: v };
    const xs = [theta];
    for (let k = 0; k <= spec.follow; k++) {
      [x, state] = opt.step(problem.grad, x, state);
      if (!x.every(Number.isFinite)) break;
      xs.push(x);
    }
    paths[key] = xs;
  }
  return {
    problem, theta, v, ahead,
    g_here: problem.grad(theta),
    g_ahead: problem.grad(ahead),
    paths,
    loss: { now: problem.f(theta) - spec.f_star, momentum: problem.f(paths.momentum[1]) - spec.f_star, nesterov: problem.f(paths.nesterov[1]) - spec.f_star },
  };
}

function height(width) {
  return Math.min(width, 500);
}

function panel(v) {
  const side = height(v.width);
  const box = inset((v.width - side) / 2, 0, side, side, { left: 46, right: 10, top: 8, bottom: 36 });
  const { xlim, ylim } = v.spec.window;
  const aspect = (ylim[1] - ylim[0]) / (xlim[1] - xlim[0]);
  if (box.h > box.w * aspect) { box.y += (box.h - box.w * aspect) / 2; box.h = box.w * aspect; }
  else { const w = box.h / aspect; box.x += (box.w - w) / 2; box.w = w; }
  return scales(box, { xlim, ylim });
}

function draw(ctx, v) {
  const { spec, params, data, colors } = v;
  const m = panel(v);
  v.m = m;
  axes(ctx, m, { xlabel: "θ₁", ylabel: "θ₂", colors, grid: false });
  clip(ctx, m.box);
  contours(ctx, m, spec.contours, colors.surface);
  star(ctx, m.x(spec.problem.x_star[0]), m.y(spec.problem.x_star[1]), colors.ink);
  const [t, a] = [data.theta, data.ahead];
  // the next steps of each method, faint
  for (const key of ["momentum", "nesterov"]) {
    const xs = data.paths[key];
    line(ctx, m, xs.map((x) => x[0]), xs.map((x) => x[1]), { color: colors[key], width: 1.5, alpha: 0.35 });
    xs.slice(2).forEach((x) => dot(ctx, m.x(x[0]), m.y(x[1]), 2.5, colors[key]));
  }
  const P = (x) => [m.x(x[0]), m.y(x[1])];
  const eta = params.lr;
  // where heavy ball measures its gradient: at theta (drawn dashed there)
  const measured = t.map((ti, i) => ti - eta * data.g_here[i]);
  arrow(ctx, ...P(t), ...P(measured), colors.momentum, 1.5, [4, 3]);
  // the momentum step, shared by both methods
  arrow(ctx, ...P(t), ...P(a), colors.lookahead, 3);
  // the gradient steps each method adds after it
  arrow(ctx, ...P(a), ...P(data.paths.momentum[1]), colors.momentum, 3);
  arrow(ctx, ...P(a), ...P(data.paths.nesterov[1]), colors.nesterov, 3);
  dot(ctx, ...P(data.paths.momentum[1]), 5.5, colors.momentum, colors.ink);
  dot(ctx, ...P(data.paths.nesterov[1]), 5.5, colors.nesterov, colors.ink);
  dot(ctx, ...P(a), 7, colors.paper, colors.lookahead, 2.5);
  dot(ctx, ...P(t), 7, colors.ink, colors.paper, 1.5);
  text(ctx, "θ", P(t)[0] - 18, P(t)[1] + 4, { color: colors.ink, px: 14, weight: "bold" });
  text(ctx, "look-ahead", P(a)[0] + 8, P(a)[1] + 8, { color: colors.lookahead, px: 12, weight: "bold" });
  ctx.restore();
}

function describe(v) {
  const { spec, params, data } = v;
  const { loss } = data;
  const better = loss.nesterov < loss.momentum ? "Nesterov ends lower" : loss.nesterov > loss.momentum ? "heavy ball ends lower" : "both end equally low";
  const cos = (data.g_here[0] * data.g_ahead[0] + data.g_here[1] * data.g_ahead[1])
    / (Math.hypot(...data.g_here) * Math.hypot(...data.g_ahead));
  const angle = Number.isFinite(cos) ? Math.round((Math.acos(Math.max(-1, Math.min(1, cos))) * 180) / Math.PI) : 0;
  const status = `Loss f − f* now ${num(loss.now)}; after one heavy-ball step ${num(loss.momentum)}, after one Nesterov step ${num(loss.nesterov)}: ${better}. `
    + `The gradient at the look-ahead point ${point(data.ahead)} is ${num(Math.hypot(...data.g_ahead) / Math.hypot(...data.g_here), 2)} times as long as the one at θ and turned by ${angle}°.`;
  const alt = `Contour lines of ${spec.name} with the point θ = ${point(data.theta)} and velocity v = ${point(data.v)}, learning rate ${num(params.lr)}, momentum ${num(params.momentum)}: `
    + `the momentum step to the look-ahead point ${point(data.ahead)}, heavy ball's gradient step measured at θ, Nesterov's measured at the look-ahead point, `
    + `where each lands and its next ${spec.follow} steps. ${status}`;
  return { status, alt };
}

function legend() {
  return [
    { color: "lookahead", label: "momentum step −γv to the look-ahead point" },
    { color: "momentum", label: "heavy ball: gradient step measured at θ (dashed: where)" },
    { color: "nesterov", label: "Nesterov: gradient step measured at the look-ahead point" },
  ];
}

const clamp = (x, s) => Math.max(s.min, Math.min(s.max, x));

const pointer = {
  handles(v) {
    return [v.data.theta, v.data.ahead].map((p) => [v.m.x(p[0]), v.m.y(p[1])]);
  },
  hit(v, x, y) {
    const near = (p) => Math.hypot(v.m.x(p[0]) - x, v.m.y(p[1]) - y) < 14;
    if (near(v.data.theta)) return "theta";
    if (near(v.data.ahead) && v.params.momentum > 0.01) return "ahead";
    return null;
  },
  drag(v, handle, x, y) {
    const s = Object.fromEntries(v.spec.sliders.map((slider) => [slider.name, slider]));
    const u = v.m.u(x), w = v.m.v(y);
    if (handle === "theta") return { theta1: clamp(u, s.theta1), theta2: clamp(w, s.theta2) };
    const g = v.params.momentum; // the look-ahead point is theta - gamma v
    return { v1: clamp((v.data.theta[0] - u) / g, s.v1), v2: clamp((v.data.theta[1] - w) / g, s.v2) };
  },
};

export const figure = { compute, height, draw, describe, legend, pointer };

export default { render: (context) => mount(context, figure) };
