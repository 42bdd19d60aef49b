"""The side-by-side page's style sheet and script, inlined into every page so that it needs
no network and no file beside it.

Every CSS rule starts with ``ROOT``, which the page replaces by the selector of its own view
(a unique id in a notebook), so that several views on one page, made by different versions
of srcdiff even, never restyle each other. The script is written for one view too: it is
handed that view's element, and only looks inside it.

Roles of derivative lines are coloured by group: a left rule on every line, and a background
of the same hue while the line is highlighted. A highlighted source or three-address line,
which has no role, is yellow. Hovering a line highlights what it is linked to; clicking it
pins that highlight (for reading it while scrolling, and on screens without a mouse
pointer) until the line, or anything that is not a line, is clicked again.
"""

STYLE = """\
ROOT { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
  background: #fff; line-height: 1.4; }
ROOT h1 { font-size: 1.3em; margin: 0.2em 0 0.4em; }
ROOT h2 { font-size: 1.1em; margin: 1.2em 0 0.4em; }
ROOT h2 code { font-size: 1.05em; }
ROOT .sd-where { color: #57606a; font-weight: normal; font-size: 0.85em; margin-left: 0.6em; }
ROOT .sd-help { color: #57606a; margin: 0.2em 0 0.6em; font-size: 0.9em; }
ROOT .sd-legend { display: flex; flex-wrap: wrap; gap: 0.4em 1.2em; list-style: none;
  padding: 0; margin: 0 0 0.6em; font-size: 0.85em; }
ROOT .sd-legend li { display: flex; align-items: center; gap: 0.4em; }
ROOT .sd-swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px;
  border-left: 4px solid transparent; }
ROOT .sd-cols { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 12px;
  align-items: start; }
@media (max-width: 900px) { ROOT .sd-cols { grid-template-columns: minmax(0, 1fr); } }
ROOT .sd-col h3 { font-size: 0.8em; font-weight: 600; letter-spacing: 0.04em;
  text-transform: uppercase; color: #57606a; margin: 0 0 4px; }
ROOT .sd-code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas,
  "DejaVu Sans Mono", monospace; font-size: 13px; line-height: 1.5; background: #f6f8fa;
  border: 1px solid #d0d7de; border-radius: 6px; padding: 6px 0; overflow-x: auto;
  margin-bottom: 8px; }
ROOT .sd-code h4 { font: inherit; color: #57606a; margin: 0; padding: 0 8px; }
ROOT .sd-line { white-space: pre; padding-right: 8px; border-left: 4px solid transparent;
  min-height: 1.5em; }
ROOT .sd-no { display: inline-block; min-width: 2.5em; padding-right: 1em; text-align: right;
  color: #8c959f; user-select: none; }
ROOT .sd-r-forward { border-left-color: #4c8bf5; }
ROOT .sd-r-adjoint { border-left-color: #e8710a; }
ROOT .sd-r-tangent { border-left-color: #188038; }
ROOT .sd-r-tape { border-left-color: #9334e6; }
ROOT .sd-r-recompute { border-left-color: #12a4b8; }
ROOT .sd-r-result { border-left-color: #3c4043; }
ROOT .sd-r-guard { border-left-color: #9aa0a6; }
ROOT .sd-r-comment { color: #6e7781; font-style: italic; }
ROOT .sd-hl { background: #fff1a8; }
ROOT .sd-hl.sd-r-forward, ROOT .sd-swatch.sd-r-forward { background: #d2e3fc; }
ROOT .sd-hl.sd-r-adjoint, ROOT .sd-swatch.sd-r-adjoint { background: #fddcbf; }
ROOT .sd-hl.sd-r-tangent, ROOT .sd-swatch.sd-r-tangent { background: #ceead6; }
ROOT .sd-hl.sd-r-tape, ROOT .sd-swatch.sd-r-tape { background: #ead6fc; }
ROOT .sd-hl.sd-r-recompute, ROOT .sd-swatch.sd-r-recompute { background: #c8eef3; }
ROOT .sd-hl.sd-r-result, ROOT .sd-swatch.sd-r-result { background: #e3e5e8; }
ROOT .sd-hl.sd-r-guard, ROOT .sd-swatch.sd-r-guard { background: #eceff1; }
ROOT .sd-hl.sd-r-comment, ROOT .sd-swatch.sd-r-comment { background: #f1f3f4; }
ROOT .sd-at { background: #ffe27a; outline: 1px solid #d4a72c; }
ROOT .sd-pinned { outline: 2px solid #9a6700; }
ROOT .sd-line[data-k] { cursor: pointer; }
ROOT .sd-error { white-space: pre-wrap; color: #a40e26; background: #ffebe9;
  border: 1px solid #ff8182; border-radius: 6px; padding: 8px; font-family: ui-monospace,
  Menlo, Consolas, monospace; font-size: 13px; }
"""

SCRIPT = """\
(function (root) {
  "use strict";
  if (!root) { return; }
  var lit = [], pinned = null;
  function clear() {
    lit.forEach(function (el) { el.classList.remove("sd-hl", "sd-at", "sd-pinned"); });
    lit = [];
  }
  function lineAt(target) {
    var line = target.closest ? target.closest(".sd-line[data-k]") : null;
    return line && root.contains(line) ? line : null;
  }
  function show(line) {
    clear();
    if (!line) { return; }
    var section = line.closest(".sd-fn");
    line.classList.add("sd-at");
    if (line === pinned) { line.classList.add("sd-pinned"); }
    lit.push(line);
    (line.getAttribute("data-to") || "").split(" ").forEach(function (key) {
      if (!key) { return; }
      var target = section.querySelector('[data-k="' + key + '"]');
      if (target) { target.classList.add("sd-hl"); lit.push(target); }
    });
  }
  root.addEventListener("mouseover", function (event) {
    if (!pinned) { show(lineAt(event.target)); }
  });
  root.addEventListener("click", function (event) {
    var line = lineAt(event.target);
    pinned = line && line !== pinned ? line : null;
    show(pinned || line);
  });
  root.addEventListener("mouseleave", function () {
    if (!pinned) { clear(); }
  });
})(document.getElementById(ROOT_ID));
"""
