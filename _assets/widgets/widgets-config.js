// Loaded on widget pages only (nb_ipywidgets_js in _config.yml), after require.js and before
// embed-amd.js. Everything the widget manager needs comes from this folder: nothing from a CDN.
(function () {
  // .../_static/widgets/ at any page depth
  var base = new URL(".", document.currentScript.src).href;
  var dir = base.replace(/\/$/, "");
  // The theme's Font Awesome JS swaps <i class="fa"> for <svg>; ipywidgets' Play button then
  // cannot find its <i> and throws on every tick. "nest" keeps the <i> and puts the svg inside.
  window.FontAwesomeConfig = Object.assign({}, window.FontAwesomeConfig, { autoReplaceSvg: "nest" });
  window.__jupyter_widgets_assets_path__ = base;
  window.requirejs.config({
    paths: {
      anywidget: base + "anywidget/index",
      // html-manager derives its font URLs from its module id; map them back into this folder.
      "@jupyter-widgets/html-manager/dist": dir,
      "@jupyter-widgets": dir,
    },
  });
})();
