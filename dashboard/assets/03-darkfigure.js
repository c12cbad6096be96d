/* Dark Figure browser helpers: URL state, board mode, image downloads, keyboard navigation.
   Served by the app itself (no CDN). */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  darkfigure: {
    /* Rewrite the query string in place (no reload, no re-render, focus kept) and set the
       board class on <body> so the CSS can switch to presentation scale. */
    syncUrl: function (query, state) {
      if (query === undefined || query === null) { return window.dash_clientside.no_update; }
      var path = window.location.pathname;
      // On an area profile the path names the area: follow the area filter.
      if (/^\/area\//.test(path) && state && state.area) { path = "/area/" + state.area; }
      var url = path + query + window.location.hash;
      if (url !== window.location.pathname + window.location.search + window.location.hash) {
        window.history.replaceState(window.history.state, "", url);
      }
      var board = !!(state && state.board);
      document.body.classList.toggle("board", board);
      return "";
    },
    /* PNG or SVG of one chart, made by plotly in the browser. */
    downloadImage: function (pngClicks, svgClicks, graphId, protectedFigure) {
      var ctx = window.dash_clientside.callback_context;
      var trig = (ctx.triggered && ctx.triggered.length) ? ctx.triggered[0].prop_id : "";
      var format = trig.indexOf("-svg.") >= 0 ? "svg" : "png";
      var holder = document.getElementById(graphId);
      var gd = holder ? holder.querySelector(".js-plotly-plot") : null;
      // Exact counts on screen: export the protected figure the server sent, never the graph.
      var source = protectedFigure ? {data: protectedFigure.data || [],
                                      layout: protectedFigure.layout || {}} : gd;
      if (source && window.Plotly) {
        window.Plotly.downloadImage(source, {format: format,
                                             filename: graphId.replace(/-graph$/, ""),
                                             width: 1600, height: 900});
      }
      return window.dash_clientside.no_update;
    }
  }
});

/* Board mode: left/right arrows and Page Up/Down step through the board views in order: the
   links the board navigation shows, in its order (the pack's order, dashboard/pages/__init__.py),
   so the keys never skip a view the screen offers (Justice was missing from a fixed list). */
(function () {
  function boardLinks() {
    return Array.prototype.filter.call(
      document.querySelectorAll(".site-nav a.nav-link"),
      function (a) { return a.offsetParent !== null; });
  }
  function currentIndex(links) {
    var path = window.location.pathname;
    for (var i = 0; i < links.length; i++) {
      if (new URL(links[i].href, window.location.href).pathname === path) { return i; }
    }
    return -1;
  }
  document.addEventListener("keydown", function (event) {
    if (!document.body.classList.contains("board")) { return; }
    var tag = (event.target && event.target.tagName) || "";
    if (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(tag) || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var step = 0;
    if (event.key === "ArrowRight" || event.key === "PageDown") { step = 1; }
    if (event.key === "ArrowLeft" || event.key === "PageUp") { step = -1; }
    if (!step) { return; }
    var links = boardLinks();
    if (!links.length) { return; }
    var i = currentIndex(links);
    var next = i < 0 ? 0 : Math.min(Math.max(i + step, 0), links.length - 1);
    if (next !== i) { event.preventDefault(); links[next].click(); }
  });
})();
