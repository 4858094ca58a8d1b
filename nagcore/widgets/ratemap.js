// Steps per tenfold error reduction over (learning rate, momentum), one map per method, for the
// condition number on the slider; a click on a map picks a setting, and the panel beside the maps
// shows each method's run there. The rates are nagcore.theory.rate's closed form (the port in
// nag.js) on the grid of theory.rate_map's defaults, so the numbers are those of the chapter's
// static maps. Used by nagcore.widgets.RateMapExplorer.

import { METHODS, coefficients, diagonal_quadratic, optimizer, radius, rate, run, steps_per_decade, tuned } from "./nag.js";
import { axes, clip, dot, inset, line, scales, text } from "./draw.js";
import { num } from "./words.js";
import { mount } from "./ui.js";

const ERROR_FLOOR = 1e-10;

// ---------------------------------------------------------------- the maps

// The rate of a cell is the larger radius of its two extreme directions, curvatures 1/kappa and 1
// (theory.rate with the spectrum [1/kappa, 1]). The steep one does not depend on kappa, so its
// radii are computed once; moving the kappa slider recomputes only the flat one.
const steepCache = new WeakMap();
function steep(spec) {
  if (!steepCache.has(spec)) {
    const radii = {};
    for (const m of METHODS) radii[m] = Float64Array.from(spec.momentum.flatMap((g) => spec.lr.map((lr) => radius(...coefficients(m, lr, g, 1)))));
    steepCache.set(spec, radii);
  }
  return steepCache.get(spec);
}

let mapsKey = null, mapsValue = null;

// rates[m][j * N + i] at momentum[j], lr[i]; fewest steps per tenfold reduction on the grid.
export function maps(spec, kappa) {
  if (mapsKey === kappa && mapsValue && mapsValue.spec === spec) return mapsValue;
  const N = spec.lr.length, M = spec.momentum.length, flat = 1 / kappa, steepest = steep(spec);
  const rates = {}, fewest = {};
  for (const m of METHODS) {
    const r = new Float64Array(M * N);
    let best = Infinity;
    for (let j = 0; j < M; j++) {
      for (let i = 0; i < N; i++) {
        const [b, c] = coefficients(m, spec.lr[i], spec.momentum[j], flat);
        const rho = Math.max(radius(b, c), steepest[m][j * N + i]);
        r[j * N + i] = rho;
        if (rho < best) best = rho;
      }
    }
    rates[m] = r;
    fewest[m] = Math.round(10 * steps_per_decade(best)) / 10;
  }
  mapsKey = kappa;
  mapsValue = { spec, rates, fewest, tuned: Object.fromEntries(METHODS.map((m) => [m, tuned(m, 1, 1 / kappa)])) };
  return mapsValue;
}

export function compute(spec, params) {
  const map = maps(spec, params.kappa);
  const spectrum = [1 / params.kappa, 1];
  const problem = diagonal_quadratic(spectrum);
  const runs = {}, errors = {}, chosen = {};
  for (const m of METHODS) {
    runs[m] = run(optimizer(m, params.lr, params.momentum), problem, [1, 1], spec.steps, spec.blowup);
    errors[m] = runs[m].x.map((x) => Math.hypot(x[0], x[1]) / Math.SQRT2); // start 1
    chosen[m] = rate(m, params.lr, params.momentum, spectrum);
  }
  return { ...map, runs, errors, chosen };
}

// ---------------------------------------------------------------- layout

function layout(width) {
  const cols = width >= 600 ? 2 : 1;
  const w = width / cols;
  const h = Math.max(220, Math.min(320, 0.82 * w));
  return { cols, w, h, rows: cols === 2 ? 2 : 4, bar: 62 };
}

function height(width) {
  const L = layout(width);
  return L.rows * L.h + L.bar;
}

function cell(L, p) {
  return { x: (p % L.cols) * L.w, y: Math.floor(p / L.cols) * L.h };
}

// momentum <-> the map's vertical coordinate u, uniform in log(1 - momentum) like the grid
function u_of(spec, g) {
  return Math.log(Math.max(1 - g, spec.momentum_floor)) / Math.log(spec.momentum_floor);
}

function mapScales(spec, box) {
  const N = spec.lr.length, M = spec.momentum.length;
  const dl = (spec.lr[N - 1] - spec.lr[0]) / (N - 1), du = 1 / (M - 1);
  return scales(box, { xlim: [spec.lr[0] - dl / 2, spec.lr[N - 1] + dl / 2], ylim: [-du / 2, 1 + du / 2] });
}

// ---------------------------------------------------------------- drawing

// One pixel per grid cell, coloured by the log of its steps per ten-fold reduction (lut), grey
// where it diverges. Each map's image is rebuilt only when its rates change.
const images = new Map(); // method -> {rates, canvas}
function image(m, spec, rates, lut, grey) {
  const N = spec.lr.length, M = spec.momentum.length;
  if (images.get(m)?.rates === rates) return images.get(m).canvas;
  const canvas = images.get(m)?.canvas || document.createElement("canvas");
  canvas.width = N; canvas.height = M;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(N, M);
  const pixels = new Uint32Array(img.data.buffer); // one 32-bit write per pixel
  const top = Math.log(spec.max_steps);
  for (let j = 0; j < M; j++) {
    for (let i = 0; i < N; i++) {
      const s = steps_per_decade(rates[j * N + i]);
      pixels[(M - 1 - j) * N + i] = Number.isFinite(s) ? lut[Math.round((255 * Math.min(Math.log(Math.max(s, 1)), top)) / top)] : grey;
    }
  }
  ctx.putImageData(img, 0, 0);
  images.set(m, { rates, canvas });
  return canvas;
}

// "#rrggbb" as an opaque pixel in ImageData's byte order (RGBA, read as a little-endian word)
const packed = (hex) => ((255 << 24) | (parseInt(hex.slice(5, 7), 16) << 16) | (parseInt(hex.slice(3, 5), 16) << 8) | parseInt(hex.slice(1, 3), 16)) >>> 0;

function draw(ctx, v) {
  const { spec, params, data, colors } = v;
  const L = layout(v.width);
  const lut = spec.lut.map(packed), grey = packed(colors.diverging);
  v.maps = [];
  const yticks = spec.momentum_ticks.map((g) => u_of(spec, g));
  const yfmt = (u) => String(Number((1 - spec.momentum_floor ** u).toFixed(3)));
  METHODS.forEach((m, p) => {
    const { x, y } = cell(L, p);
    const box = inset(x, y + 20, L.w, L.h - 20, { left: 52, right: 12, top: 2, bottom: 36 });
    const s = mapScales(spec, box);
    v.maps.push(s);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(image(m, spec, data.rates[m], lut, grey), box.x, box.y, box.w, box.h);
    axes(ctx, s, { xlabel: "learning rate ηL", ylabel: "momentum γ", colors, yticks, yfmt, grid: false, xticks: [0, 1, 2, 3, 4].filter((t) => t >= s.xlim[0]) });
    text(ctx, spec.labels[m], box.x, y + 2, { color: colors[m], px: 14, weight: "bold" });
    clip(ctx, box);
    const t = data.tuned[m];
    dot(ctx, s.x(t.lr), s.y(u_of(spec, t.momentum)), 5.5, colors.paper, colors.ink, 1.5);
    const cx = s.x(params.lr), cy = s.y(u_of(spec, params.momentum));
    ctx.strokeStyle = colors.accent; ctx.lineWidth = 2.5;
    ctx.beginPath(); ctx.arc(cx, cy, 7, 0, 2 * Math.PI); ctx.moveTo(cx - 12, cy); ctx.lineTo(cx + 12, cy); ctx.moveTo(cx, cy - 12); ctx.lineTo(cx, cy + 12); ctx.stroke();
    ctx.restore();
  });
  // the runs at the chosen setting, beside the maps
  const { x, y } = cell(L, 3);
  const box = inset(x, y + 20, L.w, L.h - 20, { left: 56, right: 12, top: 2, bottom: 36 });
  const s = scales(box, { xlim: [0, spec.steps], ylim: [ERROR_FLOOR, 100], ylog: true });
  axes(ctx, s, { xlabel: "step", ylabel: "error (start 1)", colors });
  text(ctx, `runs at ηL = ${num(params.lr)}, γ = ${num(params.momentum)}`, box.x, y + 2, { color: colors.ink, px: 13, weight: "bold" });
  clip(ctx, box);
  const ks = data.errors.gd.map((_, j) => j);
  for (const m of METHODS) {
    const e = data.errors[m].map((q) => (Number.isFinite(q) ? Math.max(q, ERROR_FLOOR) : NaN));
    line(ctx, s, ks, e, { color: colors[m], width: 2.2 });
    const rho = data.chosen[m];
    if (rho < 1) line(ctx, s, [0, spec.steps], [1, Math.max(rho ** spec.steps, ERROR_FLOOR / 10)], { color: colors[m], width: 1.2, dash: [5, 4] });
  }
  ctx.restore();
  drawBar(ctx, v, L.rows * L.h + 6, lut);
}

function drawBar(ctx, v, top, lut) {
  const { spec, colors } = v;
  const w = Math.min(280, v.width - 70), x = 52, y = top + 16, h = 11;
  text(ctx, "steps to shrink the error ten-fold", x, top, { color: colors.ink, px: 12 });
  lut.forEach((c, i) => { ctx.fillStyle = spec.lut[i]; ctx.fillRect(x + (i / lut.length) * w, y, w / lut.length + 1, h); });
  const logMax = Math.log(spec.max_steps);
  [1, 10, 100, 1000].forEach((n) => text(ctx, String(n), x + (Math.log(n) / logMax) * w, y + h + 2, { color: colors.ink, px: 11, align: "center" }));
  const wide = v.width >= x + w + 250;
  let kx = wide ? x + w + 16 : x, ky = wide ? y : y + h + 18;
  if (!wide) kx = x;
  ctx.fillStyle = colors.diverging; ctx.fillRect(kx, ky, 14, h);
  text(ctx, "diverges", kx + 18, ky - 1, { color: colors.ink, px: 11 });
  dot(ctx, kx + 82, ky + h / 2, 5, colors.paper, colors.ink, 1.5);
  text(ctx, "tuned", kx + 91, ky - 1, { color: colors.ink, px: 11 });
  dot(ctx, kx + 136, ky + h / 2, 6, null, colors.accent, 2.5);
  text(ctx, "chosen", kx + 146, ky - 1, { color: colors.ink, px: 11 });
}

// ---------------------------------------------------------------- words

function describe(v) {
  const { spec, params, data } = v;
  const fewest = METHODS.map((m) => `${spec.labels[m]} ${data.fewest[m].toFixed(1)}`).join(", ");
  const chosen = METHODS.map((m) => {
    const rho = data.chosen[m];
    return `${spec.labels[m]} ${rho < 1 ? num(steps_per_decade(rho)) : "diverges"}`;
  }).join(", ");
  const status = `κ = ${num(params.kappa)}. Fewest steps per ten-fold error reduction on this grid: ${fewest}. `
    + `At the chosen ηL = ${num(params.lr)}, γ = ${num(params.momentum)}: ${chosen}.`;
  const alt = "Three heat maps, for gradient descent, heavy ball and Nesterov, of the steps needed to shrink the error ten-fold at each learning rate "
    + "(horizontal, 0 to 4 over L) and momentum (vertical, stretched towards 1); grey cells diverge, white circles mark the tuned settings, "
    + "a cross marks the chosen setting; beside them the error of each method at the chosen setting against the step. " + status;
  return { status, alt };
}

function legend() {
  return METHODS.map((m) => ({ color: m, label: { gd: "gradient descent", momentum: "heavy ball", nesterov: "Nesterov" }[m] }))
    .concat([{ color: "ink", label: "dashed: the rate ρᵏ predicted", dash: true }]);
}

// ---------------------------------------------------------------- clicking a map

const pointer = {
  handles(v) {
    return (v.maps || []).map((s) => [s.box.x + s.box.w / 2, s.box.y + s.box.h / 2]);
  },
  hit(v, x, y) {
    const m = (v.maps || []).find((s) => x >= s.box.x && x <= s.box.x + s.box.w && y >= s.box.y && y <= s.box.y + s.box.h);
    return m ? { m } : null;
  },
  drag(v, { m }, x, y) {
    const s = Object.fromEntries(v.spec.sliders.map((q) => [q.name, q]));
    const lr = Math.max(s.lr.min, Math.min(s.lr.max, m.u(x)));
    const u = Math.max(0, Math.min(1, m.v(y)));
    const g = Math.max(s.momentum.min, Math.min(s.momentum.max, 1 - v.spec.momentum_floor ** u));
    return { lr, momentum: g };
  },
};

export const figure = { compute, height, draw, describe, legend, pointer };

export default { render: (context) => mount(context, figure) };
