// Renders the book's interactive figures on the static site: no kernel, no network, and without
// the 3.6 MB Jupyter widget manager.
//
// The build stores each page's widget state in the page (a widget-state+json script) and a
// widget-view+json script where each figure goes. Every figure is an anywidget, whose state holds
// its front-end module (_esm) and style (_css). This file, loaded as a module only on pages with
// widgets (nb_ipywidgets_js in _config.yml), imports each module and calls its render({model, el}),
// with a model that implements what anywidget's model offers a figure: get, set, on, off,
// save_changes and send (the last two do nothing without a kernel). The same module runs in
// JupyterLab under anywidget itself.
//
// A page with any other kind of widget view gets the full widget manager instead (require.js,
// widgets-config.js and embed-amd.js, kept in this folder), which renders every view on the page.

const STATE = 'script[type="application/vnd.jupyter.widget-state+json"]';
const VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]';

class Model {
  constructor(state) {
    this.state = { ...state };
    this.listeners = new Map();
  }

  get(name) {
    return this.state[name];
  }

  set(name, value) {
    const changes = typeof name === "string" ? { [name]: value } : name;
    for (const [key, v] of Object.entries(changes)) {
      this.state[key] = v;
      this.emit(`change:${key}`, v);
    }
    this.emit("change");
  }

  on(event, callback) {
    for (const name of event.split(/\s+/)) {
      if (!this.listeners.has(name)) this.listeners.set(name, new Set());
      this.listeners.get(name).add(callback);
    }
  }

  off(event, callback) {
    for (const name of event ? event.split(/\s+/) : [...this.listeners.keys()]) {
      if (callback) this.listeners.get(name)?.delete(callback);
      else this.listeners.delete(name);
    }
  }

  emit(name, value) {
    for (const callback of this.listeners.get(name) || []) callback(this, value);
  }

  save_changes() {}

  send() {}
}

const modules = new Map(); // module source -> the widget definition it exports
function definition(source) {
  if (!modules.has(source)) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    modules.set(source, import(url).then(async (module) => {
      URL.revokeObjectURL(url);
      const exported = module.default ?? module;
      return typeof exported === "function" ? await exported() : exported;
    }));
  }
  return modules.get(source);
}

const styles = new Set();
function style(css) {
  if (!css || styles.has(css)) return;
  styles.add(css);
  const tag = document.createElement("style");
  tag.textContent = css;
  document.head.appendChild(tag);
}

function load(src) {
  return new Promise((resolve, reject) => {
    const tag = document.createElement("script");
    tag.src = src;
    tag.onload = resolve;
    tag.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.appendChild(tag);
  });
}

async function fullManager() {
  const base = new URL(".", import.meta.url).href;
  for (const file of ["require.js", "widgets-config.js", "embed-amd.js"]) await load(base + file);
}

async function main() {
  const models = {};
  for (const tag of document.querySelectorAll(STATE)) Object.assign(models, JSON.parse(tag.textContent).state);
  const views = [...document.querySelectorAll(VIEW)].map((tag) => ({ tag, id: JSON.parse(tag.textContent).model_id }));
  if (views.some(({ id }) => models[id]?.model_module !== "anywidget")) return fullManager();
  const live = new Map();
  const initialised = new Map();
  for (const { tag, id } of views) {
    if (!live.has(id)) live.set(id, new Model(models[id].state));
    const model = live.get(id);
    style(model.get("_css"));
    const widget = await definition(model.get("_esm"));
    if (widget.initialize && !initialised.has(id)) initialised.set(id, await widget.initialize({ model }));
    const el = document.createElement("div");
    el.className = "widget-subarea anywidget-static";
    tag.after(el);
    await widget.render({ model, el });
  }
}

main().catch((error) => console.error("interactive figures:", error));
