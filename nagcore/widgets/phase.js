// Position against velocity on f(theta) = theta^2 / 2 from theta_0 = 1, with the two roots of
// z^2 - b z + c that decide the shape of the path: complex roots spiral into the minimum, a double
// root is the critically damped approach, a root outside the unit circle diverges. Used by
// nagcore.widgets.PhasePlane.

import { coefficients, optimizer, problem_from_spec, radius, roots, run } from "./nag.js";
import { axes, clip, dot, grid, inset, line, scales, star, text } from "./draw.js";
import { num } from "./words.js";
import { mount } from "./ui.js";

const DOUBLE = 1e-9; // |b^2 - 4c| below this counts as a double root

const problems = new WeakMap();
function problem_of(spec) {
  if (!problems.has(spec)) problems.set(spec, problem_from_spec(spec.problem));
  return problems.get(spec);
}

// The momentum that gives a positive double root at this learning rate (curvature 1), or null:
// heavy ball (1 + g - h)^2 = 4g, Nesterov (1 + g)^2 (1 - h) = 4g, both with h < 1.
export function critical_momentum(method, h) {
  if (!(h < 1)) return null;
  const s = Math.sqrt(h);
  const g = method === "momentum" ? (1 - s) ** 2 : (1 - s) / (1 + s);
  return g <= 0.99 ? g : null;
}

export function compute(spec, params) {
  const problem = problem_of(spec);
  const r = run(optimizer(params.method, params.lr, params.momentum), problem, [1], spec.steps, spec.blowup);
  const theta = r.x.map((x) => x[0]);
  const velocity = theta.map((t, k) => (k === 0 ? 0 : theta[k - 1] - t));
  const [b, c] = coefficients(params.method, params.lr, params.momentum, 1);
  return { run: r, theta, velocity, b, c, z: roots(b, c), rho: radius(b, c), disc: b * b - 4 * c };
}

function layout(width) {
  const g = grid(width, 2, 280);
  const wide = g.cols === 2;
  const left = wide ? 0.6 * width : width, right = wide ? 0.4 * width : width;
  return { wide, left, right, h: Math.max(240, Math.min(340, 0.62 * left)), hr: Math.max(220, Math.min(300, 0.9 * right)) };
}

function height(width) {
  const L = layout(width);
  return L.wide ? Math.max(L.h, L.hr) : L.h + L.hr;
}

function draw(ctx, v) {
  const { params, data, colors } = v;
  const L = layout(v.width);
  const color = colors[params.method];
  const k = params.step;
  // the phase plane
  const finite = (a) => a.filter(Number.isFinite).map(Math.abs);
  const R = Math.max(1.1, Math.min(4, 1.1 * Math.max(...finite(data.theta), ...finite(data.velocity))));
  const box = inset(0, 0, L.left, L.h, { left: 52, right: 12, top: 10, bottom: 38 });
  const ratio = box.h / box.w;
  const m = scales(box, { xlim: [-R, R], ylim: [-R * ratio, R * ratio] });
  axes(ctx, m, { xlabel: "position θ (minimum at 0)", ylabel: "velocity v = θₖ₋₁ − θₖ", colors });
  clip(ctx, box);
  ctx.strokeStyle = colors.surface; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(m.x(0), box.y); ctx.lineTo(m.x(0), box.y + box.h); ctx.moveTo(box.x, m.y(0)); ctx.lineTo(box.x + box.w, m.y(0)); ctx.stroke();
  line(ctx, m, data.theta, data.velocity, { color, width: 1.5, alpha: 0.3 });
  line(ctx, m, data.theta, data.velocity, { color, width: 2, upto: k });
  const last = data.run.diverged_at >= 0 ? Math.min(k, data.run.diverged_at - 1) : k;
  for (let j = 0; j <= last; j++) dot(ctx, m.x(data.theta[j]), m.y(data.velocity[j]), 2.5, color);
  star(ctx, m.x(0), m.y(0), colors.ink, 16);
  dot(ctx, m.x(1), m.y(0), 6, null, colors.ink, 1.5);
  dot(ctx, m.x(data.theta[last]), m.y(data.velocity[last]), 7.5, color, colors.ink);
  ctx.restore();
  // the roots in the complex plane
  const ox = L.wide ? L.left : 0, oy = L.wide ? 0 : L.h;
  const rbox = inset(ox, oy, L.right, L.hr, { left: 46, right: 14, top: 10, bottom: 38 });
  const side = Math.min(rbox.w, rbox.h);
  rbox.x += (rbox.w - side) / 2; rbox.w = side; rbox.h = side;
  const Z = Math.max(1.25, Math.min(3, 1.1 * data.rho));
  const z = scales(rbox, { xlim: [-Z, Z], ylim: [-Z, Z] });
  axes(ctx, z, { xlabel: "real part", ylabel: "imaginary part", colors });
  clip(ctx, rbox);
  ctx.strokeStyle = colors.ink; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.arc(z.x(0), z.y(0), z.x(1) - z.x(0), 0, 2 * Math.PI); ctx.stroke();
  ctx.setLineDash([4, 3]); ctx.strokeStyle = color;
  ctx.beginPath(); ctx.arc(z.x(0), z.y(0), Math.abs(z.x(data.rho) - z.x(0)), 0, 2 * Math.PI); ctx.stroke();
  ctx.setLineDash([]);
  const [re1, im1, re2, im2] = data.z;
  dot(ctx, z.x(re1), z.y(im1), 6.5, color, colors.ink);
  dot(ctx, z.x(re2), z.y(im2), 6.5, color, colors.ink);
  ctx.restore();
  text(ctx, "unit circle", rbox.x + 4, rbox.y + 4, { color: colors.ink, px: 11 });
}

// the roots and what they do to the path, in words
export function shape({ disc, rho, z }) {
  const [re1, im1, re2] = z;
  if (Math.abs(disc) <= DOUBLE) {
    const r = re1;
    const kind = r >= 0 ? "critically damped: the fastest approach that never crosses the minimum" : "a double negative root: the iterate jumps across the minimum every step";
    return { roots: `a double root at ${num(r)}`, kind: rho >= 1 ? "a double root on or outside the unit circle: it diverges" : kind };
  }
  if (disc < 0) {
    const period = Math.PI / Math.abs(Math.atan2(im1, re1));
    const roots = `complex roots ${num(re1)} ± ${num(Math.abs(im1))}i of modulus ${num(rho)}`;
    return { roots, kind: rho >= 1 ? "the path spirals outwards: it diverges" : `the path spirals into the minimum, crossing it about every ${num(period, 2)} steps` };
  }
  const roots = `real roots ${num(re1)} and ${num(re2)}`;
  if (rho >= 1) return { roots, kind: "a root outside the unit circle: it diverges" };
  const dominant = Math.abs(re1) >= Math.abs(re2) ? re1 : re2;
  return { roots, kind: dominant < 0 ? "the iterate jumps across the minimum every step" : "overdamped: a slow approach that does not spiral" };
}

function describe(v) {
  const { params, data } = v;
  const label = params.method === "momentum" ? "Heavy ball" : "Nesterov";
  const s = shape(data);
  const k = params.step;
  const where = data.run.diverged_at >= 0 && k >= data.run.diverged_at ? `diverged at step ${data.run.diverged_at}` : `θ = ${num(data.theta[k])}, v = ${num(data.velocity[k])}`;
  const status = `${label}, ηλ = ${num(params.lr)}, γ = ${num(params.momentum)}: ${s.roots}; ${s.kind}. Step ${k}: ${where}.`;
  const alt = `Left: the path of ${label} in the plane of position and velocity from θ = 1 at rest, up to step ${k}. Right: the two roots in the complex plane with the unit circle. ${status}`;
  return { status, alt };
}

function legend() {
  return [
    { color: "momentum", label: "heavy ball" },
    { color: "nesterov", label: "Nesterov" },
    { color: "ink", label: "minimum (star) and start", marker: true },
  ];
}

const buttons = [
  {
    label: "critically damped γ",
    apply: (v) => ({ momentum: critical_momentum(v.params.method, v.params.lr) }),
    enabled: (v) => critical_momentum(v.params.method, v.params.lr) !== null,
  },
];

export const figure = { compute, height, draw, describe, legend, buttons };

export default { render: (context) => mount(context, figure) };
