/**
 * The app's stylesheet and script, served from our own origin (no CDN; CSP allows only 'self'). Kept as
 * strings so the compiled package needs no asset copying.
 */

/** Large type, AA+ contrast in light and dark, visible focus, colour never the only signal. */
export const APP_CSS = `
:root { --fg: #111; --bg: #fff; --muted: #3d3d3d; --line: #767676; --accent: #0b57d0; --ok: #0a6b2d; --bad: #a4161a;
  --s0: #0b57d0; --s1: #a4161a; --s2: #0a6b2d; --grid: #f3c7c7; --tile: #f2f4f7; color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { --fg: #f4f4f4; --bg: #101214; --muted: #c9c9c9; --line: #9a9a9a; --accent: #8ab4f8;
  --ok: #7ee2a8; --bad: #ffb4ab; --s0: #8ab4f8; --s1: #ffb4ab; --s2: #7ee2a8; --grid: #4a2a2a; --tile: #1c1f23; } }
* { box-sizing: border-box; }
body { margin: 0; font: 1.125rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 80rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 2rem; margin: .5rem 0 0; } h2 { font-size: 1.5rem; margin-top: 2rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.2rem; margin: 1rem 0 .25rem; } small { color: var(--muted); font-weight: normal; }
.meta { color: var(--muted); margin: .25rem 0; }
.banner { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem 1.5rem; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.tiles { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 1rem; }
.tile { background: var(--tile); border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; display: flex; flex-direction: column; }
.tile .label { font-weight: 600; } .tile .value { font-size: 2.5rem; font-weight: 700; line-height: 1.2; font-variant-numeric: tabular-nums; }
.tile .when { color: var(--muted); font-size: 1rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 1rem 2rem; }
figure.chart { margin: 0; } svg { width: 100%; height: auto; display: block; }
.axis { stroke: var(--line); stroke-width: 1.5; } .grid { stroke: var(--grid); stroke-width: 1; }
.tick { fill: var(--muted); font-size: 13px; }
.line { fill: none; stroke-width: 2.5; } .wave { fill: none; stroke: var(--fg); stroke-width: 1.75; }
.line.series-0, .dot.series-0 { stroke: var(--s0); } .dot.series-0, .swatch.series-0 { fill: var(--s0); background: var(--s0); }
.line.series-1 { stroke: var(--s1); stroke-dasharray: 7 4; } .dot.series-1, .swatch.series-1 { fill: var(--s1); background: var(--s1); }
.line.series-2 { stroke: var(--s2); stroke-dasharray: 2 3; } .dot.series-2, .swatch.series-2 { fill: var(--s2); background: var(--s2); }
.legend { list-style: none; padding: 0; display: flex; gap: 1.5rem; } .swatch { display: inline-block; width: 1rem; height: .35rem; margin-right: .4rem; vertical-align: middle; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .5rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
details { margin: .5rem 0; } summary { cursor: pointer; color: var(--accent); }
.status-active { color: var(--ok); font-weight: 600; } .status-revoked, .status-inactive { color: var(--bad); font-weight: 600; }
.notice.ok { border-left: 6px solid var(--ok); padding: .5rem 1rem; } .notice.error { border-left: 6px solid var(--bad); padding: .5rem 1rem; }
button { font: inherit; padding: .5rem 1rem; border-radius: .375rem; border: 2px solid var(--accent); background: var(--bg); color: var(--accent); cursor: pointer; }
button:hover { background: var(--accent); color: var(--bg); }
.link-list { list-style: none; padding: 0; } .link-list form { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .5rem 0; }
form.inline { margin-left: auto; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
`;

/**
 * Refreshes the page every `data-refresh-seconds` while it is visible and nobody is using a form, so a
 * ward screen stays current without a reload button; announces nothing (the page is re-read calmly).
 */
export const APP_JS = `'use strict';
(function () {
  var seconds = Number(document.body.getAttribute('data-refresh-seconds'));
  if (!(seconds > 0)) return;
  setInterval(function () {
    var active = document.activeElement;
    var busy = active && (active.tagName === 'INPUT' || active.tagName === 'BUTTON' || active.tagName === 'SUMMARY');
    var open = document.querySelector('details[open]');
    if (document.visibilityState === 'visible' && !busy && !open) location.replace(location.pathname);
  }, seconds * 1000);
})();
`;
