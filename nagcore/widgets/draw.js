// Canvas drawing for the figures: axes with ticks, lines that stop at a diverged run, arrows, dots.
// Every colour arrives from the model (nagcore.plotting.COLORS); this file holds none of its own.

export const FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif';

export function font(px, weight) {
  return `${weight || ""} ${px}px ${FONT}`.trim();
}

export function text(ctx, s, x, y, { color, px = 12, align = "left", baseline = "top", weight } = {}) {
  ctx.font = font(px, weight);
  ctx.fillStyle = color;
  ctx.textAlign = align;
  ctx.textBaseline = baseline;
  ctx.fillText(s, x, y);
}

// ---------------------------------------------------------------- numbers on axes

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

export function power_of_ten(e) {
  return `10${String(e).split("").map((c) => SUPERSCRIPT[c]).join("")}`;
}

// About n "nice" ticks (1, 2 or 5 times a power of ten apart) covering [lo, hi].
export function nice_ticks(lo, hi, n = 5) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / n, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const ticks = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + 1e-9 * step; t += step) ticks.push(Math.abs(t) < 1e-12 * step ? 0 : t);
  return ticks;
}

export function tick_label(t) {
  if (t === 0) return "0";
  const a = Math.abs(t);
  if (a >= 1e4 || a < 1e-3) return t.toExponential(0).replace("e+", "e");
  return String(Number(t.toPrecision(4))).replace("-", "−");
}

// ---------------------------------------------------------------- axes

// A plotting box with linear or log10 scales. Returns the mapping from data to pixels:
// {x(u), y(v), u(px), v(py), box}. For a log axis, limits are given in data units (> 0).
export function scales(box, { xlim, ylim, xlog = false, ylog = false }) {
  const fx = xlog ? Math.log10 : (u) => u, fy = ylog ? Math.log10 : (v) => v;
  const gx = xlog ? (t) => 10 ** t : (t) => t, gy = ylog ? (t) => 10 ** t : (t) => t;
  const [x0, x1] = xlim.map(fx), [y0, y1] = ylim.map(fy);
  return {
    box, xlim, ylim, xlog, ylog,
    x: (u) => box.x + ((fx(u) - x0) / (x1 - x0)) * box.w,
    y: (v) => box.y + box.h - ((fy(v) - y0) / (y1 - y0)) * box.h,
    u: (px) => gx(x0 + ((px - box.x) / box.w) * (x1 - x0)),
    v: (py) => gy(y0 + ((box.y + box.h - py) / box.h) * (y1 - y0)),
  };
}

function log_ticks(lim, max_ticks) {
  const lo = Math.ceil(Math.log10(lim[0]) - 1e-9), hi = Math.floor(Math.log10(lim[1]) + 1e-9);
  const every = Math.max(1, Math.ceil((hi - lo + 1) / max_ticks));
  const ticks = [];
  for (let e = hi; e >= lo; e -= every) ticks.push(e);
  return ticks.reverse();
}

// Frame, ticks and labels around m.box. options: xlabel, ylabel, xticks/yticks (values),
// xfmt/yfmt (value -> string), colors ({ink, surface}).
export function axes(ctx, m, { xlabel, ylabel, colors, xticks, yticks, xfmt = tick_label, yfmt = tick_label, grid = true }) {
  const { box } = m;
  const small = box.w < 220;
  ctx.save();
  ctx.lineWidth = 1;
  const xs = xticks || (m.xlog ? log_ticks(m.xlim, small ? 4 : 7).map((e) => 10 ** e) : nice_ticks(m.xlim[0], m.xlim[1], small ? 3 : 5));
  const ys = yticks || (m.ylog ? log_ticks(m.ylim, 5).map((e) => 10 ** e) : nice_ticks(m.ylim[0], m.ylim[1], 4));
  if (grid) {
    ctx.strokeStyle = colors.surface;
    ctx.globalAlpha = 0.25;
    ctx.beginPath();
    xs.forEach((t) => { const px = Math.round(m.x(t)) + 0.5; ctx.moveTo(px, box.y); ctx.lineTo(px, box.y + box.h); });
    ys.forEach((t) => { const py = Math.round(m.y(t)) + 0.5; ctx.moveTo(box.x, py); ctx.lineTo(box.x + box.w, py); });
    ctx.stroke();
    ctx.globalAlpha = 1;
  }
  ctx.strokeStyle = colors.ink;
  ctx.globalAlpha = 0.6;
  ctx.strokeRect(Math.round(box.x) + 0.5, Math.round(box.y) + 0.5, Math.round(box.w), Math.round(box.h));
  ctx.globalAlpha = 1;
  ctx.beginPath();
  xs.forEach((t) => { const px = Math.round(m.x(t)) + 0.5; ctx.moveTo(px, box.y + box.h); ctx.lineTo(px, box.y + box.h + 4); });
  ys.forEach((t) => { const py = Math.round(m.y(t)) + 0.5; ctx.moveTo(box.x - 4, py); ctx.lineTo(box.x, py); });
  ctx.stroke();
  const xl = m.xlog ? (t) => power_of_ten(Math.round(Math.log10(t))) : xfmt;
  const yl = m.ylog ? (t) => power_of_ten(Math.round(Math.log10(t))) : yfmt;
  xs.forEach((t) => text(ctx, xl(t), m.x(t), box.y + box.h + 5, { color: colors.ink, px: 11, align: "center" }));
  ys.forEach((t) => text(ctx, yl(t), box.x - 6, m.y(t), { color: colors.ink, px: 11, align: "right", baseline: "middle" }));
  if (xlabel) text(ctx, xlabel, box.x + box.w / 2, box.y + box.h + 19, { color: colors.ink, px: 12, align: "center" });
  if (ylabel) { // left of the widest tick label
    ctx.font = font(11);
    const widest = Math.max(0, ...ys.map((t) => ctx.measureText(yl(t)).width));
    ctx.translate(Math.max(8, box.x - widest - 16), box.y + box.h / 2);
    ctx.rotate(-Math.PI / 2);
    text(ctx, ylabel, 0, 0, { color: colors.ink, px: 12, align: "center", baseline: "middle" });
  }
  ctx.restore();
}

// Room around a plotting box for tick labels and axis labels.
export const MARGIN = { left: 54, right: 10, top: 10, bottom: 38 };

export function inset(x, y, w, h, margin = MARGIN) {
  return { x: x + margin.left, y: y + margin.top, w: w - margin.left - margin.right, h: h - margin.top - margin.bottom };
}

export function clip(ctx, box) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.x, box.y, box.w, box.h);
  ctx.clip();
}

// ---------------------------------------------------------------- marks

// Save the context and set the stroke (and fill) style; the caller restores.
function pen(ctx, color, width, { alpha = 1, dash = null } = {}) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = width;
  ctx.globalAlpha = alpha;
  if (dash) ctx.setLineDash(dash);
}

// A line through (us[i], vs[i]); a non-finite value ends it (a diverged run stops there).
export function line(ctx, m, us, vs, { color, width = 1.5, alpha = 1, dash = null, upto = Infinity }) {
  pen(ctx, color, width, { alpha, dash });
  ctx.beginPath();
  const n = Math.min(us.length, upto + 1);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(us[i]) || !Number.isFinite(vs[i])) break;
    const px = m.x(us[i]), py = m.y(vs[i]);
    if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
  }
  ctx.stroke();
  ctx.restore();
}

export function dot(ctx, x, y, r, fill, stroke, width = 1.5) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  if (fill) { ctx.fillStyle = fill; ctx.fill(); }
  if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = width; ctx.stroke(); }
}

export function arrow(ctx, x0, y0, x1, y1, color, width = 2.5, dash = null) {
  const len = Math.hypot(x1 - x0, y1 - y0);
  if (!(len > 1)) return;
  const head = Math.min(10, 0.45 * len), a = Math.atan2(y1 - y0, x1 - x0);
  pen(ctx, color, width, { dash });
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1 - 0.6 * head * Math.cos(a), y1 - 0.6 * head * Math.sin(a));
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - head * Math.cos(a - 0.4), y1 - head * Math.sin(a - 0.4));
  ctx.lineTo(x1 - head * Math.cos(a + 0.4), y1 - head * Math.sin(a + 0.4));
  ctx.closePath();
  ctx.fill();
  ctx.restore();
}

export function star(ctx, x, y, color, px = 18) {
  text(ctx, "★", x, y, { color, px, align: "center", baseline: "middle" });
}

// A boxed message in the middle of a box, e.g. "diverged at step 7".
export function note(ctx, box, message, colors) {
  ctx.font = font(13, "bold");
  const w = Math.min(box.w - 8, ctx.measureText(message).width + 16);
  const x = box.x + (box.w - w) / 2, y = box.y + box.h / 2 - 13;
  ctx.save();
  ctx.fillStyle = colors.paper;
  ctx.globalAlpha = 0.92;
  ctx.fillRect(x, y, w, 26);
  ctx.globalAlpha = 1;
  ctx.strokeStyle = colors.accent;
  ctx.lineWidth = 2;
  ctx.strokeRect(x, y, w, 26);
  ctx.restore();
  text(ctx, message, x + w / 2, y + 13, { color: colors.accent, px: 13, align: "center", baseline: "middle", weight: "bold" });
}

// Panels side by side when each gets at least min_width pixels, otherwise stacked.
export function grid(width, n, min_width) {
  const cols = Math.max(1, Math.min(n, Math.floor(width / min_width)));
  return { cols, rows: Math.ceil(n / cols), w: width / cols };
}

// Contour lines, each a flat [x0, y0, x1, y1, ...] list in data coordinates.
export function contours(ctx, m, levels, color) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.globalAlpha = 0.8;
  ctx.beginPath();
  for (const pts of levels) {
    ctx.moveTo(m.x(pts[0]), m.y(pts[1]));
    for (let i = 2; i + 1 < pts.length; i += 2) ctx.lineTo(m.x(pts[i]), m.y(pts[i + 1]));
  }
  ctx.stroke();
  ctx.restore();
}
