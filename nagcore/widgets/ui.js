// The part every figure shares: controls, the drawing loop and the words under the picture.
//
// A figure module describes itself as
//   {compute(spec, params) -> data, height(width, spec) -> px, draw(ctx, view),
//    describe(view) -> {status, alt}, legend(spec) -> [{color, label, dash}],
//    buttons?: [{label, apply(view) -> params, enabled(view)}], inactive?(view) -> [slider names],
//    pointer?: {hit(view, x, y) -> handle, drag(view, handle, x, y) -> params,
//               handles(view) -> [[x, y], ...] where to grab (also read by the browser test)}}
// with view = {spec, params, data, colors, width, height}, and calls mount({model, el}, figure).
// `spec` (what the figure shows and its sliders) comes from Python; `params` (the current
// setting) goes both ways, so a notebook can read what the reader chose. Nothing here needs a
// kernel: on the static site model.save_changes() does nothing and the figure still responds.
//
// A redraw happens inside the input event that caused it, so the new picture is on screen in the
// next frame; the figures are cheap enough for that (the browser test measures it).

import { num } from "./words.js";

const POSITIONS = 400; // positions of a continuous slider
const PLAY_SECONDS = 4; // Play runs through all the steps in about this time

// ---------------------------------------------------------------- slider scales

// value <-> position in [0, positions] for the scales a slider can have:
// linear, log (log of the value is uniform), log1m (log of 1 - value is uniform: momentum near 1),
// int (one position per integer).
export function positions(s) {
  return s.scale === "int" ? s.max - s.min : POSITIONS;
}

// (the ends are exact; values between are rounded to 12 significant digits, so that round values
// such as a condition number of 100 come out exact)
export function to_value(s, p) {
  const t = p / positions(s);
  if (s.scale === "int") return s.min + p;
  if (p <= 0 || p >= positions(s)) return p <= 0 ? s.min : s.max;
  let v;
  if (s.scale === "log") v = s.min * (s.max / s.min) ** t;
  else if (s.scale === "log1m") v = 1 - (1 - s.min) * ((1 - s.max) / (1 - s.min)) ** t;
  else v = s.min + (s.max - s.min) * t;
  return Number(v.toPrecision(12));
}

export function to_position(s, v) {
  let t;
  if (s.scale === "int") return Math.max(0, Math.min(s.max - s.min, Math.round(v - s.min)));
  if (s.scale === "log") t = Math.log(v / s.min) / Math.log(s.max / s.min);
  else if (s.scale === "log1m") t = Math.log((1 - v) / (1 - s.min)) / Math.log((1 - s.max) / (1 - s.min));
  else t = (v - s.min) / (s.max - s.min);
  return Math.max(0, Math.min(POSITIONS, Math.round(t * POSITIONS)));
}

// a slider's value in words; near 1 on a log1m scale, enough digits to tell 0.995 from 0.9951
function shown(s, v) {
  if (s.scale === "int") return String(v);
  const digits = s.scale === "log1m" && v < 1 ? Math.max(s.digits || 3, Math.ceil(-Math.log10(1 - v)) + 2) : s.digits || 3;
  return num(v, digits);
}

// ---------------------------------------------------------------- the figure

function element(tag, className, attributes = {}) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  return e;
}

export function mount({ model, el }, figure) {
  // a page-wide unique prefix for ids (each figure type is a module of its own)
  const uid = `nagw-${Math.random().toString(36).slice(2, 10)}`;
  const spec = model.get("spec"), colors = model.get("colors");
  let params = { ...model.get("params") };

  const root = element("div", "nagw");
  root.dataset.figure = spec.figure || "";
  const controls = element("div", "nagw-controls");
  const legend = element("ul", "nagw-legend");
  const canvas = element("canvas", "nagw-canvas", { role: "img" });
  const status = element("p", "nagw-status", { "aria-live": "polite" });
  root.append(controls, legend, canvas, status);
  el.appendChild(root);
  // In JupyterLab the notebook's shortcuts would swallow the keys meant for the controls.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.addEventListener("keydown", (event) => event.stopPropagation());

  // ---- controls
  const inputs = [];
  const stepSlider = (spec.sliders || []).find((s) => s.name === "step");
  const play = element("button", "nagw-button nagw-play", { type: "button", "aria-pressed": "false" });
  if (stepSlider) controls.appendChild(play);

  for (const s of spec.sliders || []) {
    const wrap = element("div", "nagw-slider");
    const head = element("div", "nagw-slider-head");
    const name = element("span", "nagw-name");
    name.textContent = s.label;
    const out = element("output", "nagw-value", { "aria-hidden": "true" });
    const input = element("input", "", { type: "range", min: "0", max: String(positions(s)), step: "1", "aria-label": s.label });
    input.dataset.name = s.name;
    head.append(name, out);
    wrap.append(head, input);
    controls.appendChild(wrap);
    const sync = (inactive) => {
      input.disabled = inactive.includes(s.name);
      wrap.classList.toggle("nagw-inactive", input.disabled);
      input.value = String(to_position(s, params[s.name]));
      out.textContent = shown(s, params[s.name]);
      input.setAttribute("aria-valuetext", `${s.label} ${shown(s, params[s.name])}`);
    };
    inputs.push(sync);
    input.addEventListener("input", () => {
      if (s.name === "step") stop();
      update({ [s.name]: to_value(s, Number(input.value)) }, true);
    });
    input.addEventListener("keydown", (event) => {
      // PageUp / PageDown: a tenth of the range at a time
      if (event.key !== "PageUp" && event.key !== "PageDown") return;
      event.preventDefault();
      const jump = Math.max(1, Math.round(positions(s) / 10)) * (event.key === "PageUp" ? 1 : -1);
      input.value = String(Math.max(0, Math.min(positions(s), Number(input.value) + jump)));
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  // a choice is a group of toggle buttons, one pressed: each is a stop of the Tab key
  for (const c of spec.choices || []) {
    const set = element("div", "nagw-choice", { role: "group", "aria-labelledby": `${uid}-${c.name}` });
    const title = element("span", "nagw-choice-label", { id: `${uid}-${c.name}` });
    title.textContent = c.label;
    set.appendChild(title);
    const options = c.options.map(([value, label]) => {
      const option = element("button", "nagw-button nagw-option", { type: "button" });
      option.dataset.choice = c.name;
      option.dataset.value = value;
      option.textContent = label;
      option.addEventListener("click", () => update({ [c.name]: value }, true));
      set.appendChild(option);
      return option;
    });
    controls.appendChild(set);
    inputs.push(() => options.forEach((o) => o.setAttribute("aria-pressed", String(o.dataset.value === params[c.name]))));
  }

  const buttons = (figure.buttons || []).map((b) => {
    const button = element("button", "nagw-button", { type: "button" });
    button.textContent = b.label;
    button.addEventListener("click", () => update(b.apply(view()), true));
    controls.appendChild(button);
    return { button, b };
  });

  for (const item of figure.legend(spec)) {
    const li = element("li");
    const swatch = element("span", "nagw-swatch", { "aria-hidden": "true" });
    swatch.style.borderTop = `${item.width || 3}px ${item.dash ? "dashed" : "solid"} ${colors[item.color] || item.color}`;
    if (item.marker) { swatch.className = "nagw-swatch nagw-marker"; swatch.style.borderTop = ""; swatch.style.background = colors[item.color]; }
    li.append(swatch, document.createTextNode(item.label));
    legend.appendChild(li);
  }

  function syncControls() {
    const v = view();
    const inactive = figure.inactive ? figure.inactive(v) : [];
    inputs.forEach((sync) => sync(inactive));
    buttons.forEach(({ button, b }) => { button.disabled = b.enabled ? !b.enabled(v) : false; });
  }

  // ---- computing and drawing
  let cacheKey = null, cacheData = null, last = null, pending = false;

  function data() {
    const { step, ...rest } = params;
    const key = JSON.stringify(rest);
    if (key !== cacheKey) { cacheData = figure.compute(spec, params); cacheKey = key; }
    return cacheData;
  }

  // the figure's width, measured when it changes (reading it on every input would force a layout)
  let width = null;
  function view() {
    if (width === null) width = Math.max(200, Math.floor(root.clientWidth || 640));
    return { spec, params, colors, width, height: Math.floor(figure.height(width, spec)), data: data() };
  }

  function draw() {
    const started = performance.now();
    const v = view();
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(v.width * dpr) || canvas.height !== Math.round(v.height * dpr)) {
      canvas.width = Math.round(v.width * dpr);
      canvas.height = Math.round(v.height * dpr);
      canvas.style.width = `${v.width}px`;
      canvas.style.height = `${v.height}px`;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = colors.paper;
    ctx.fillRect(0, 0, v.width, v.height);
    figure.draw(ctx, v);
    const words = figure.describe(v);
    status.textContent = words.status;
    canvas.setAttribute("aria-label", words.alt);
    last = v;
    if (figure.pointer) canvas.dataset.handles = JSON.stringify(figure.pointer.handles(v).map((p) => p.map(Math.round)));
    canvas.dataset.drawn = String(Number(canvas.dataset.drawn || 0) + 1);
    canvas.dataset.drawMs = (performance.now() - started).toFixed(2); // read by the browser test
  }

  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }

  let pushing = false;
  function save() {
    pushing = true;
    model.set("params", { ...params });
    model.save_changes();
    pushing = false;
  }

  // now: redraw inside this event (user input); otherwise at the next animation frame
  function update(changes, now) {
    Object.assign(params, changes);
    syncControls();
    if (now) draw(); else schedule();
    if (timer === null) save();
  }

  model.on("change:params", () => {
    if (pushing) return;
    params = { ...model.get("params") };
    syncControls();
    schedule();
  });

  // ---- Play
  let timer = null;
  function label(playing) {
    play.textContent = playing ? "❚❚ Pause" : "▶ Play";
    play.setAttribute("aria-label", playing ? "Pause" : "Play the steps");
    play.setAttribute("aria-pressed", String(playing));
  }
  function stop() {
    if (timer === null) return;
    cancelAnimationFrame(timer);
    timer = null;
    label(false);
    save();
  }
  play.addEventListener("click", () => {
    if (timer !== null) { stop(); return; }
    const lastStep = stepSlider.max;
    if (params.step >= lastStep) params.step = stepSlider.min;
    const perStep = (1000 * PLAY_SECONDS) / Math.max(1, lastStep - stepSlider.min);
    let clock = performance.now(), from = params.step;
    label(true);
    const tick = (now) => {
      // (a frame's time stamp can be a little earlier than the click)
      const step = Math.min(lastStep, from + Math.floor(Math.max(0, now - clock) / perStep));
      if (step !== params.step) update({ step }, true);
      if (step >= lastStep) { timer = null; label(false); save(); return; }
      timer = requestAnimationFrame(tick);
    };
    timer = requestAnimationFrame(tick);
  });
  label(false);

  // ---- pointer: drag a handle or click on the picture (with the sliders as the keyboard way)
  let dragging = null;
  const local = (event) => {
    const r = canvas.getBoundingClientRect();
    return [event.clientX - r.left, event.clientY - r.top];
  };
  if (figure.pointer) {
    canvas.addEventListener("pointerdown", (event) => {
      const [x, y] = local(event);
      const handle = last && figure.pointer.hit(last, x, y);
      if (!handle) return;
      dragging = handle;
      canvas.setPointerCapture(event.pointerId);
      event.preventDefault();
      update(figure.pointer.drag(last, handle, x, y), true);
    });
    canvas.addEventListener("pointermove", (event) => {
      const [x, y] = local(event);
      if (dragging) update(figure.pointer.drag(last, dragging, x, y), true);
      else canvas.style.cursor = last && figure.pointer.hit(last, x, y) ? "pointer" : "";
    });
    const release = () => { dragging = null; };
    canvas.addEventListener("pointerup", release);
    canvas.addEventListener("pointercancel", release);
    // on touch screens, a finger on a handle drags it instead of scrolling the page
    canvas.addEventListener("touchstart", (event) => {
      const t = event.touches[0], r = canvas.getBoundingClientRect();
      if (last && figure.pointer.hit(last, t.clientX - r.left, t.clientY - r.top)) event.preventDefault();
    }, { passive: false });
  }

  const observer = new ResizeObserver(() => { width = null; schedule(); });
  observer.observe(root);
  syncControls();
  draw();
  return () => { stop(); observer.disconnect(); };
}
