// Front end of nagcore.widgets: "Python precomputes, JavaScript draws".
//
// The Python side (nagcore/widgets.py) sends every frame the figure can show: trajectories over a
// grid of settings, already computed by nagcore.run and rounded. This file only builds the
// controls (one range input per grid axis, a Play button for the "step" axis), looks up the
// selected frame and draws it on a canvas. It never runs an optimizer. It works the same in a
// live notebook and on the static site (no kernel: model.save_changes() is then a no-op).
//
// A new kind of figure is one more entry in DRAWERS: `draw(ctx, layout, view)` draws the selected
// frame, `height(width, payload)` gives its canvas height, and an optional `describe(view)` gives
// the status text. view = {payload, colors, sel}, with sel = {slider name: index}. Colours come from
// the model (nagcore.plotting.COLORS); this file holds no colour of its own.

const PLAY_INTERVAL_MS = 60; // time per step while playing

// ---------------------------------------------------------------- small drawing helpers
function font(px, weight) {
  return `${weight || ""} ${px}px system-ui, -apple-system, "Segoe UI", sans-serif`.trim();
}

function mapper(box, xlim, ylim) {
  const sx = (box.w) / (xlim[1] - xlim[0]);
  const sy = (box.h) / (ylim[1] - ylim[0]);
  return {
    x: (u) => box.x + (u - xlim[0]) * sx,
    y: (v) => box.y + box.h - (v - ylim[0]) * sy,
  };
}

function polyline(ctx, m, pts, stride) {
  // pts: flat [x0, y0, x1, y1, ...]; stops at the first null (a diverged run)
  ctx.beginPath();
  let started = false;
  for (let i = 0; i + 1 < pts.length; i += stride) {
    if (pts[i] === null || pts[i + 1] === null) break;
    const px = m.x(pts[i]), py = m.y(pts[i + 1]);
    if (started) ctx.lineTo(px, py); else { ctx.moveTo(px, py); started = true; }
  }
  ctx.stroke();
}

function dot(ctx, x, y, r, fill, stroke) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = fill;
  ctx.fill();
  if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = 1.5; ctx.stroke(); }
}

function arrow(ctx, x0, y0, x1, y1, color, width) {
  const len = Math.hypot(x1 - x0, y1 - y0);
  if (!(len > 1)) return;
  const head = Math.min(9, 0.45 * len), a = Math.atan2(y1 - y0, x1 - x0);
  ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = width || 2;
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - head * Math.cos(a - 0.4), y1 - head * Math.sin(a - 0.4));
  ctx.lineTo(x1 - head * Math.cos(a + 0.4), y1 - head * Math.sin(a + 0.4));
  ctx.closePath(); ctx.fill();
}

function frameBox(ctx, box, colors) {
  ctx.strokeStyle = colors.surface; ctx.lineWidth = 1;
  ctx.strokeRect(box.x, box.y, box.w, box.h);
}

function label(ctx, text, x, y, color, px, align, weight) {
  ctx.font = font(px || 13, weight); ctx.fillStyle = color;
  ctx.textAlign = align || "left"; ctx.textBaseline = "top";
  ctx.fillText(text, x, y);
}

function note(ctx, box, text, colors) {
  // a boxed message in the middle of a panel, e.g. "diverged at step 7"
  ctx.font = font(14, "bold");
  const w = ctx.measureText(text).width + 16;
  const x = box.x + (box.w - w) / 2, y = box.y + box.h / 2 - 14;
  ctx.fillStyle = colors.paper; ctx.globalAlpha = 0.9; ctx.fillRect(x, y, w, 28); ctx.globalAlpha = 1;
  ctx.strokeStyle = colors.accent; ctx.lineWidth = 2; ctx.strokeRect(x, y, w, 28);
  label(ctx, text, x + w / 2, y + 7, colors.accent, 14, "center", "bold");
}

// The selected run of a method: methods declare which grid axes they depend on.
function pick(method, sel) {
  let node = method.runs;
  for (const axis of method.axes) node = node[sel[axis]];
  return node; // {x: flat coords, f: log10 gap, diverged_at: step or -1}
}

function panels(width, n, minWidth) {
  // n panels side by side when each gets at least minWidth pixels, otherwise stacked
  const cols = width >= n * minWidth ? n : 1;
  return { cols, rows: Math.ceil(n / cols) };
}

function outside(u, lim) { return u < lim[0] || u > lim[1]; }

function status(run, step) {
  return run.diverged_at >= 0 && step >= run.diverged_at ? "diverged" : "";
}

// The text under the figure (read out by screen readers): where each method is at this step.
// A drawer may bring its own `describe(view)` instead.
function describeMethods({ payload, sel }) {
  const summary = Object.values(payload.methods || {}).map((method) => {
    const run = pick(method, sel);
    if (status(run, sel.step)) return `${method.label}: diverged`;
    if (run.f) return `${method.label}: f − f* = ${Math.pow(10, run.f[sel.step]).toExponential(1)}`;
    return `${method.label}: θ = ${run.x[sel.step]}`;
  });
  return [`step ${sel.step}`, ...summary].join("; ");
}

// ---------------------------------------------------------------- drawers
const DRAWERS = {};

// A ball on a 1-D loss curve, one panel per method.
DRAWERS.curve = {
  height(width, payload) {
    const { rows } = panels(width, payload.panels.length, 260);
    return rows * Math.max(190, Math.min(260, 0.55 * width));
  },
  draw(ctx, L, view) {
    const { payload, colors, sel } = view;
    const step = sel.step;
    const { cols } = panels(L.width, payload.panels.length, 260);
    const pw = L.width / cols, ph = L.height / Math.ceil(payload.panels.length / cols);
    const bg = payload.background, xlim = bg.xlim, ylim = bg.ylim;
    payload.panels.forEach((names, p) => {
      const ox = (p % cols) * pw, oy = Math.floor(p / cols) * ph;
      const box = { x: ox + 34, y: oy + 26, w: pw - 44, h: ph - 52 };
      const m = mapper(box, xlim, ylim);
      frameBox(ctx, box, colors);
      ctx.save(); ctx.beginPath(); ctx.rect(box.x, box.y, box.w, box.h); ctx.clip();
      ctx.strokeStyle = colors.surface; ctx.lineWidth = 2;
      polyline(ctx, m, bg.curve, 2);
      const messages = [];
      names.forEach((name) => {
        const method = payload.methods[name], run = pick(method, sel);
        const color = colors[method.color];
        const last = run.diverged_at >= 0 ? Math.min(step, run.diverged_at - 1) : step;
        for (let k = 0; k <= last; k++) { // trail of earlier positions
          dot(ctx, m.x(run.x[k]), m.y(run.y[k]), 2.5, color);
        }
        const k = Math.max(0, last);
        dot(ctx, m.x(run.x[k]), m.y(run.y[k]), 9, color, colors.ink);
        if (status(run, step)) messages.push(`diverged at step ${run.diverged_at}`);
        else if (outside(run.x[k], xlim)) messages.push("the ball left the plot");
      });
      ctx.restore();
      const title = names.map((n) => payload.methods[n].label).join(" vs ");
      label(ctx, title, box.x, oy + 6, colors.ink, 14, "left", "bold");
      label(ctx, "θ", box.x + box.w / 2, box.y + box.h + 6, colors.ink, 13, "center");
      label(ctx, "loss", ox + 2, box.y, colors.ink, 12);
      if (messages.length) note(ctx, box, messages[0], colors);
    });
  },
};

// Paths on a contour plot (one panel per method group), optional loss curves underneath and
// optional look-ahead vectors at the current step.
DRAWERS.contour = {
  height(width, payload) {
    const { rows, cols } = panels(width, payload.panels.length, 300);
    const side = Math.min(width / cols, 440);
    return rows * (side + 8) + (payload.loss ? Math.max(150, Math.min(200, 0.4 * width)) : 0);
  },
  draw(ctx, L, view) {
    const { payload, colors, sel } = view;
    const step = sel.step;
    const { cols } = panels(L.width, payload.panels.length, 300);
    const side = Math.min(L.width / cols, 440);
    const bg = payload.background, xlim = bg.xlim, ylim = bg.ylim;
    payload.panels.forEach((names, p) => {
      const ox = (p % cols) * (L.width / cols) + (L.width / cols - side) / 2;
      const oy = Math.floor(p / cols) * (side + 8);
      const box = { x: ox + 6, y: oy + 24, w: side - 12, h: side - 30 };
      const m = mapper(box, xlim, ylim);
      frameBox(ctx, box, colors);
      ctx.save(); ctx.beginPath(); ctx.rect(box.x, box.y, box.w, box.h); ctx.clip();
      ctx.strokeStyle = colors.surface; ctx.lineWidth = 1;
      bg.levels.forEach((line) => polyline(ctx, m, line, 2));
      // the minimiser
      ctx.font = font(18); ctx.fillStyle = colors.ink; ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.fillText("★", m.x(bg.x_star[0]), m.y(bg.x_star[1]));
      const messages = [];
      names.forEach((name) => {
        const method = payload.methods[name], run = pick(method, sel);
        const color = colors[method.color];
        const last = run.diverged_at >= 0 ? Math.min(step, run.diverged_at - 1) : step;
        ctx.strokeStyle = color; ctx.lineWidth = 2;
        polyline(ctx, m, run.x.slice(0, 2 * (last + 1)), 2);
        for (let k = 0; k <= last; k++) dot(ctx, m.x(run.x[2 * k]), m.y(run.x[2 * k + 1]), 2.5, color);
        const k = Math.max(0, last);
        dot(ctx, m.x(run.x[2 * k]), m.y(run.x[2 * k + 1]), 5.5, color, colors.ink);
        if (status(run, step)) messages.push(`${method.label} diverged at step ${run.diverged_at}`);
        else if (outside(run.x[2 * k], xlim) || outside(run.x[2 * k + 1], ylim)) messages.push(`${method.label} left the plot`);
      });
      if (payload.lookahead && step + 1 <= payload.steps) drawLookahead(ctx, m, payload, sel, colors);
      ctx.restore();
      const title = names.map((n) => payload.methods[n].label).join(" and ");
      label(ctx, title, box.x, oy + 4, colors.ink, 14, "left", "bold");
      if (payload.lookahead) { // legend of the two arrows, bottom left inside the panel
        label(ctx, "→ look-ahead step", box.x + 6, box.y + box.h - 36, colors.lookahead, 12, "left", "bold");
        label(ctx, "→ gradient correction", box.x + 6, box.y + box.h - 19, colors.accent, 12, "left", "bold");
      }
      if (messages.length) note(ctx, box, messages[0], colors);
    });
    if (payload.loss) {
      const { rows } = panels(L.width, payload.panels.length, 300);
      const top = rows * (side + 8);
      drawLoss(ctx, { x: 46, y: top + 12, w: L.width - 56, h: L.height - top - 40 }, payload, sel, colors);
    }
  },
};

function drawLookahead(ctx, m, payload, sel, colors) {
  // Nesterov's step at the current iterate, decomposed from the stored iterates alone:
  // velocity v_k = x_{k-1} - x_k, look-ahead point x_k - momentum * v_k, then the gradient
  // step to x_{k+1}. (No gradient is evaluated here: the correction is x_{k+1} - look-ahead.)
  const k = sel.step, gamma = payload.axes.momentum[sel.momentum];
  const run = pick(payload.methods[payload.lookahead], sel);
  if (run.diverged_at >= 0 && k + 1 >= run.diverged_at) return;
  const at = (j) => [run.x[2 * j], run.x[2 * j + 1]];
  const x = at(k), next = at(k + 1), prev = k > 0 ? at(k - 1) : x;
  const ahead = [x[0] + gamma * (x[0] - prev[0]), x[1] + gamma * (x[1] - prev[1])];
  arrow(ctx, m.x(x[0]), m.y(x[1]), m.x(ahead[0]), m.y(ahead[1]), colors.lookahead, 3);
  arrow(ctx, m.x(ahead[0]), m.y(ahead[1]), m.x(next[0]), m.y(next[1]), colors.accent, 3);
}

function drawLoss(ctx, box, payload, sel, colors) {
  const lim = payload.loss.ylim, step = sel.step, n = payload.steps;
  const m = mapper(box, [0, n], lim);
  frameBox(ctx, box, colors);
  ctx.save(); ctx.beginPath(); ctx.rect(box.x, box.y, box.w, box.h); ctx.clip();
  Object.values(payload.methods).forEach((method) => {
    const run = pick(method, sel), color = colors[method.color];
    const pts = [];
    run.f.forEach((v, k) => pts.push(k, v === null ? null : Math.max(lim[0], Math.min(lim[1], v))));
    ctx.globalAlpha = 0.35; ctx.strokeStyle = color; ctx.lineWidth = 1.5; polyline(ctx, m, pts, 2);
    ctx.globalAlpha = 1; ctx.lineWidth = 2.5; polyline(ctx, m, pts.slice(0, 2 * (step + 1)), 2);
  });
  ctx.strokeStyle = colors.ink; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
  ctx.beginPath(); ctx.moveTo(m.x(step), box.y); ctx.lineTo(m.x(step), box.y + box.h); ctx.stroke();
  ctx.setLineDash([]);
  ctx.restore();
  // axis labels: log10 of the gap
  for (let e = Math.ceil(lim[0]); e <= Math.floor(lim[1]); e += Math.max(1, Math.round((lim[1] - lim[0]) / 4))) {
    label(ctx, `1e${e}`, box.x - 4, m.y(e) - 7, colors.ink, 11, "right");
  }
  label(ctx, "step", box.x + box.w / 2, box.y + box.h + 4, colors.ink, 12, "center");
  label(ctx, "f − f*", box.x, box.y - 14, colors.ink, 12);
}

// Heat maps of steps per tenfold error reduction over (learning rate, momentum), one panel per
// method, for the condition number picked by the "kappa" slider. Each grid arrives as base64
// bytes: 0..254 index payload.lut (log scale from 1 to payload.max_steps), 255 means "diverges".
const decoded = new Map();
function grid(b64) {
  if (!decoded.has(b64)) decoded.set(b64, Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
  return decoded.get(b64);
}

const rgbCache = new Map();
function hexToRgb(hex) {
  if (!rgbCache.has(hex)) rgbCache.set(hex, [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  return rgbCache.get(hex);
}

function heatLayout(width, payload) {
  const n = payload.order.length;
  const { cols, rows } = panels(width, n, 210);
  const side = Math.min(width / cols, 300);
  const wide = width >= 44 + 300 + 170; // room for the legend beside the colour bar
  return { cols, rows, side, wide, bar: wide ? 58 : 86 };
}

// momentum -> fraction of the momentum axis (uniform in log(1 - momentum), 0 at the bottom)
function momentumFraction(g, payload) {
  const M = payload.shape[0];
  const u = Math.log(Math.max(1 - g, payload.momentum_floor)) / Math.log(payload.momentum_floor);
  return (u * (M - 1) + 0.5) / M;
}

DRAWERS.heatmap = {
  height(width, payload) {
    const H = heatLayout(width, payload);
    return H.rows * H.side + H.bar;
  },
  draw(ctx, L, view) {
    const { payload, colors, sel } = view;
    const H = heatLayout(L.width, payload);
    const [M, N] = payload.shape;
    const k = sel.kappa;
    const image = document.createElement("canvas");
    image.width = N; image.height = M;
    const ictx = image.getContext("2d");
    const grey = hexToRgb(colors.diverging);
    payload.order.forEach((name, p) => {
      const method = payload.methods[name];
      const ox = (p % H.cols) * (L.width / H.cols) + (L.width / H.cols - H.side) / 2;
      const oy = Math.floor(p / H.cols) * H.side;
      const box = { x: ox + 44, y: oy + 24, w: H.side - 52, h: H.side - 62 };
      // the grid as pixels, momentum 0 in the bottom row
      const codes = grid(method.grids[k]);
      const img = ictx.createImageData(N, M);
      for (let j = 0; j < M; j++) {
        for (let i = 0; i < N; i++) {
          const code = codes[j * N + i];
          const c = code === 255 ? grey : hexToRgb(payload.lut[code]);
          const o = 4 * ((M - 1 - j) * N + i);
          img.data[o] = c[0]; img.data[o + 1] = c[1]; img.data[o + 2] = c[2]; img.data[o + 3] = 255;
        }
      }
      ictx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(image, box.x, box.y, box.w, box.h);
      frameBox(ctx, box, colors);
      // the classical tuned setting
      const [lr, g] = method.tuned[k];
      const tx = box.x + (lr / payload.lr[1]) * box.w;
      const ty = box.y + box.h * (1 - momentumFraction(g, payload));
      dot(ctx, tx, ty, 5, colors.paper, colors.ink);
      // axes
      label(ctx, method.label, box.x, oy + 4, colors.ink, 14, "left", "bold");
      for (let t = 0; t <= payload.lr[1]; t += 1) {
        label(ctx, String(t), box.x + (t / payload.lr[1]) * box.w, box.y + box.h + 3, colors.ink, 11, "center");
      }
      label(ctx, "learning rate ηL", box.x + box.w / 2, box.y + box.h + 17, colors.ink, 12, "center");
      payload.momentum_ticks.forEach((t) => {
        label(ctx, String(t), box.x - 4, box.y + box.h * (1 - momentumFraction(t, payload)) - 6, colors.ink, 11, "right");
      });
      ctx.save();
      ctx.translate(ox + 8, box.y + box.h / 2); ctx.rotate(-Math.PI / 2);
      label(ctx, "momentum γ", 0, -6, colors.ink, 12, "center");
      ctx.restore();
    });
    // colour bar: steps per tenfold error reduction, log scale, then the two markers
    const top = H.rows * H.side + 8;
    const bar = { x: 44, y: top + 16, w: Math.min(300, L.width - 60), h: 12 };
    const logMax = Math.log(payload.max_steps);
    for (let c = 0; c < payload.lut.length; c++) {
      ctx.fillStyle = payload.lut[c];
      ctx.fillRect(bar.x + (c / payload.lut.length) * bar.w, bar.y, bar.w / payload.lut.length + 1, bar.h);
    }
    label(ctx, "steps to shrink the error ten-fold", bar.x, top, colors.ink, 12);
    [1, 10, 100, 1000].forEach((s) => {
      label(ctx, String(s), bar.x + (Math.log(s) / logMax) * bar.w, bar.y + bar.h + 2, colors.ink, 11, "center");
    });
    // the two markers: beside the bar on wide layouts, under it on narrow ones
    const kx = H.wide ? bar.x + bar.w + 14 : bar.x, ky = H.wide ? bar.y : bar.y + bar.h + 22;
    ctx.fillStyle = colors.diverging; ctx.fillRect(kx, ky, 14, bar.h);
    ctx.strokeStyle = colors.surface; ctx.strokeRect(kx, ky, 14, bar.h);
    label(ctx, "diverges", kx + 18, ky - 1, colors.ink, 11);
    const tx = H.wide ? kx : kx + 90, ty = H.wide ? ky + bar.h + 12 : ky + bar.h / 2;
    dot(ctx, tx + 7, ty, 5, colors.paper, colors.ink);
    label(ctx, "tuned", tx + 18, ty - 7, colors.ink, 11);
  },
  describe({ payload, sel }) {
    const k = sel.kappa;
    const best = payload.order.map((n) => `${payload.methods[n].label} ${payload.methods[n].best[k]}`);
    return `κ = ${payload.kappa[k]}: fewest steps per ten-fold error reduction on this grid: ${best.join(", ")}; white circles mark the tuned settings`;
  },
};

// ---------------------------------------------------------------- controls and the render loop
function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "nagw";
  const controls = document.createElement("div");
  controls.className = "nagw-controls";
  const canvas = document.createElement("canvas");
  canvas.className = "nagw-canvas";
  canvas.setAttribute("role", "img");
  const live = document.createElement("p");
  live.className = "nagw-status";
  live.setAttribute("aria-live", "polite");
  root.append(controls, canvas, live);
  el.appendChild(root);
  // In JupyterLab, notebook shortcuts would swallow the arrow keys meant for the sliders.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.addEventListener("keydown", (event) => event.stopPropagation());

  const sliders = model.get("sliders");
  const inputs = {};
  let sel = Object.assign({}, model.get("selection"));
  let pending = false, timer = null;

  // a Play button only for figures with a "step" slider
  const play = document.createElement("button");
  play.type = "button";
  play.className = "nagw-play";
  play.textContent = "▶ Play";
  play.setAttribute("aria-label", "Play the steps");
  play.setAttribute("aria-pressed", "false");
  if (sliders.some((s) => s.name === "step")) controls.appendChild(play);

  sliders.forEach((s) => {
    const wrap = document.createElement("label");
    wrap.className = "nagw-slider";
    const name = document.createElement("span");
    name.className = "nagw-name";
    name.textContent = s.label;
    const input = document.createElement("input");
    input.type = "range"; input.min = "0"; input.max = String(s.values.length - 1); input.step = "1";
    input.value = String(sel[s.name]);
    input.dataset.name = s.name;
    input.setAttribute("aria-label", s.label);
    const out = document.createElement("output");
    out.className = "nagw-value";
    wrap.append(name, input, out);
    controls.appendChild(wrap);
    inputs[s.name] = { input, out, spec: s };
    input.addEventListener("input", () => {
      sel[s.name] = Number(input.value);
      if (s.name === "step") stop();
      commit();
    });
  });

  function text(spec, i) { return spec.format ? spec.format.replace("{}", spec.values[i]) : String(spec.values[i]); }

  function syncInputs() {
    Object.values(inputs).forEach(({ input, out, spec }) => {
      input.value = String(sel[spec.name]);
      out.textContent = text(spec, sel[spec.name]);
      input.setAttribute("aria-valuetext", `${spec.label} ${text(spec, sel[spec.name])}`);
    });
  }

  function commit() {
    // one redraw per animation frame, however many input events arrive
    syncInputs();
    schedule();
    model.set("selection", Object.assign({}, sel));
    model.save_changes();
  }

  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }

  function draw() {
    const started = performance.now();
    const payload = model.get("payload"), colors = model.get("colors");
    const drawer = DRAWERS[model.get("kind")];
    const width = Math.max(280, Math.floor(root.clientWidth || 600));
    const height = Math.floor(drawer.height(width, payload));
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr); canvas.height = Math.round(height * dpr);
      canvas.style.width = `${width}px`; canvas.style.height = `${height}px`;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = colors.paper; ctx.fillRect(0, 0, width, height);
    drawer.draw(ctx, { width, height }, { payload, colors, sel });
    canvas.dataset.drawn = String(Number(canvas.dataset.drawn || 0) + 1);
    canvas.dataset.drawMs = (performance.now() - started).toFixed(2); // read by the browser test
    live.textContent = (drawer.describe || describeMethods)({ payload, colors, sel });
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.textContent = "▶ Play";
    play.setAttribute("aria-pressed", "false");
  }

  play.addEventListener("click", () => {
    if (timer !== null) { stop(); return; }
    const last = inputs.step.spec.values.length - 1;
    if (sel.step >= last) sel.step = 0;
    play.textContent = "❚❚ Pause";
    play.setAttribute("aria-pressed", "true");
    timer = setInterval(() => {
      sel.step = Math.min(sel.step + 1, last);
      commit();
      if (sel.step >= last) stop();
    }, PLAY_INTERVAL_MS);
  });

  canvas.setAttribute("aria-label", model.get("description"));
  model.on("change:selection", () => { sel = Object.assign({}, model.get("selection")); syncInputs(); schedule(); });
  model.on("change:payload", schedule);
  const observer = new ResizeObserver(schedule);
  observer.observe(root);
  syncInputs();
  draw();
  return () => { stop(); observer.disconnect(); };
}

export default { render };
