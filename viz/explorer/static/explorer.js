// The step-through backprop page. Reads the graph data embedded by viz/explorer/page.py and
// the Graphviz SVG drawn into #canvas; adds stepping, panels, pan/zoom, collapse and search.
// Plain browser JavaScript: no library, no network request.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("explorer-data").textContent);
  const svg = document.querySelector("#canvas svg");
  const panel = document.getElementById("panel");
  const progress = document.getElementById("progress");
  const T = data.tensors, O = data.ops;
  const F = data.forward.length, B = data.backward.length, END = F + B;
  let position = 0, timer = null, selected = null;

  // ----- the drawing: DOT node name -> element, with what it shows ------------------------
  const nodes = new Map(), edges = new Map();
  for (const g of svg.querySelectorAll("g.node")) {
    const name = g.querySelector("title").textContent;
    if (name.startsWith("legend_")) continue;
    const shape = g.querySelector("polygon, ellipse, path");
    const texts = Array.from(g.querySelectorAll("text"));
    nodes.set(name, {
      g, name, shape, fill: shape ? shape.getAttribute("fill") : null,
      texts: texts.map((t) => ({ el: t, fill: t.getAttribute("fill") })),
      valueLines: texts.filter((t) => t.textContent.startsWith("data ")),
      gradLines: texts.filter((t) => /^(grad |params mean\|g\|)/.test(t.textContent)),
      tensors: [], ops: [], valueStep: 0, gradStep: null, state: "",
    });
  }
  for (const g of svg.querySelectorAll("g.edge")) edges.set(g.querySelector("title").textContent, g);
  T.forEach((t, i) => {
    const node = nodes.get(t.node);
    if (!node) return;
    node.tensors.push(i);
    node.valueStep = Math.max(node.valueStep, t.value_step);
    if (t.grad_step !== null) node.gradStep = Math.max(node.gradStep ?? 0, t.grad_step);
  });
  const forwardPosition = new Array(O.length);
  data.forward.forEach((k, step) => { forwardPosition[k] = step + 1; });
  O.forEach((op, k) => {
    const node = nodes.get(op.node);
    if (!node) return;
    node.ops.push(k);
    node.valueStep = Math.max(node.valueStep, forwardPosition[k]);
  });

  // ----- clusters (layers): collapse and expand -------------------------------------------
  const clusters = [];
  for (const g of svg.querySelectorAll("g.cluster")) {
    if (g.querySelector("title").textContent === "cluster_legend") continue;
    const link = g.querySelector("a");
    const path = link ? link.getAttribute("xlink:title") : g.querySelector("text").textContent;
    clusters.push({ g, path, box: g.getBBox(), collapsed: false, members: [], inner: [] });
  }
  const inside = (b, box) => {
    const x = b.x + b.width / 2, y = b.y + b.height / 2;
    return x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height;
  };
  for (const cluster of clusters) {
    for (const node of nodes.values()) if (inside(node.g.getBBox(), cluster.box)) cluster.members.push(node);
    for (const other of clusters) {
      if (other !== cluster && other.path.startsWith(cluster.path + "/")) cluster.inner.push(other);
    }
    const label = document.createElementNS("http://www.w3.org/2000/svg", "text");
    label.setAttribute("class", "collapsed-label");
    label.setAttribute("x", cluster.box.x + cluster.box.width / 2);
    label.setAttribute("y", cluster.box.y + cluster.box.height / 2);
    label.setAttribute("text-anchor", "middle");
    const count = cluster.members.reduce((n, m) => n + m.ops.length, 0);
    label.textContent = `${cluster.path.split("/").pop()}: ${count} op${count === 1 ? "" : "s"} (click to expand)`;
    const fit = Math.min(cluster.box.height * 0.3, cluster.box.width / (label.textContent.length * 0.6));
    label.setAttribute("font-size", Math.max(14, fit).toFixed(1));
    cluster.g.appendChild(label);
    const title = cluster.g.querySelector("text");
    if (title) title.classList.add("cluster-title");
    // a click on the box's title folds it; a click anywhere on a folded box unfolds it
    cluster.g.addEventListener("click", (event) => {
      if (event.target.closest("g.node") || dragged) return;
      if (!cluster.collapsed && event.target !== title) return;
      event.stopPropagation();
      setCollapsed(cluster, !cluster.collapsed);
    });
  }
  const hiddenBy = new Map(); // DOT node name -> the outermost collapsed cluster hiding it

  function applyCollapse() {
    hiddenBy.clear();
    const outer = clusters.filter((c) => c.collapsed && !clusters.some(
      (o) => o.collapsed && c.path.startsWith(o.path + "/")));
    for (const cluster of clusters) {
      const covered = outer.some((o) => cluster.path.startsWith(o.path + "/"));
      cluster.g.classList.toggle("collapsed", cluster.collapsed && !covered);
      cluster.g.classList.toggle("covered", covered);
    }
    for (const cluster of outer) for (const node of cluster.members) hiddenBy.set(node.name, cluster);
    for (const node of nodes.values()) node.g.classList.toggle("hidden", hiddenBy.has(node.name));
    for (const [title, g] of edges) {
      const [from, to] = title.split("->");
      g.classList.toggle("hidden", hiddenBy.has(from) && hiddenBy.has(to));
    }
    render();
  }
  function setCollapsed(cluster, collapsed) { cluster.collapsed = collapsed; applyCollapse(); }
  // "collapse layers" folds the innermost boxes (the layers), not the model around them
  function setAll(collapsed) {
    for (const c of clusters) c.collapsed = collapsed && c.inner.length === 0;
    applyCollapse();
  }

  // ----- numbers -------------------------------------------------------------------------
  const num = (v) => {
    const x = Number(v);
    if (!Number.isFinite(x)) return String(v);
    return Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-4) ? x.toExponential(4) : String(+x.toPrecision(6));
  };
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  // an unnamed tensor is called after the op that made it
  const tname = (i) => T[i].name || (T[i].producer !== null ? `output of ${O[T[i].producer].name}` : T[i].kind);
  const shapeText = (shape) => (shape.length ? `(${shape.join(", ")}${shape.length === 1 ? "," : ""})` : "scalar");

  function arrayHtml(summary, cls) {
    if (!summary) return "<p class=\"muted\">no gradient</p>";
    let out = "";
    if (summary.values) {
      const cols = summary.shape.length >= 2 ? summary.shape[summary.shape.length - 1] : summary.values.length || 1;
      out += `<table class="${cls}">`;
      for (let r = 0; r < summary.values.length; r += cols) {
        out += "<tr>" + summary.values.slice(r, r + cols).map((v) => `<td class="number" data-value="${v}">${num(v)}</td>`).join("") + "</tr>";
      }
      out += "</table>";
      if (summary.shape.length > 2) out += `<p class="muted">rows of the last axis, shape ${shapeText(summary.shape)}</p>`;
    }
    const s = summary.stats || statistics(summary.values);
    if (s) {
      out += `<p class="stats ${cls}-stats">min ${num(s.min)} &middot; max ${num(s.max)} &middot; mean ${num(s.mean)} &middot; std ${num(s.std)} &middot; mean |.| ${num(s.mean_abs)} &middot; norm ${num(s.norm)}` +
        (s.nonfinite ? ` &middot; <b>${s.nonfinite} NaN/inf</b>` : "") + "</p>";
    }
    if (summary.histogram) out += histogramSvg(summary.histogram);
    return out;
  }
  function statistics(values) {
    if (!values || !values.length) return null;
    const xs = values.map(Number), finite = xs.filter(Number.isFinite);
    if (!finite.length) return { nonfinite: xs.length };
    const mean = finite.reduce((a, x) => a + x, 0) / finite.length;
    const sq = finite.reduce((a, x) => a + x * x, 0);
    return {
      min: Math.min(...finite), max: Math.max(...finite), mean,
      std: Math.sqrt(Math.max(0, sq / finite.length - mean * mean)),
      mean_abs: finite.reduce((a, x) => a + Math.abs(x), 0) / finite.length,
      norm: Math.sqrt(sq), nonfinite: xs.length - finite.length,
    };
  }
  function histogramSvg(h) {
    const top = Math.max(...h.counts, 1), w = 240, hgt = 60, bw = w / h.counts.length;
    const bars = h.counts.map((c, i) => `<rect x="${i * bw}" y="${hgt - (c / top) * hgt}" width="${bw - 1}" height="${(c / top) * hgt}"><title>${num(h.edges[i])} .. ${num(h.edges[i + 1])}: ${c}</title></rect>`).join("");
    return `<svg class="histogram" width="${w}" height="${hgt + 14}">${bars}<text x="0" y="${hgt + 12}">${num(h.edges[0])}</text><text x="${w}" y="${hgt + 12}" text-anchor="end">${num(h.edges[h.edges.length - 1])}</text></svg>`;
  }

  // ----- what the page shows at a position ------------------------------------------------
  function render() {
    const f = Math.min(position, F), b = Math.max(0, position - F);
    const current = currentNodes();
    for (const node of nodes.values()) {
      const valueShown = node.valueStep <= f;
      const gradShown = b > 0 && node.gradStep !== null && node.gradStep <= b;
      const state = `${valueShown}|${gradShown}|${current.has(node.name)}`;
      if (state === node.state) continue;
      node.state = state;
      node.g.classList.toggle("pending", !valueShown);
      node.g.classList.toggle("current", current.has(node.name));
      for (const line of node.valueLines) line.style.visibility = valueShown ? "" : "hidden";
      for (const line of node.gradLines) line.style.visibility = gradShown ? "" : "hidden";
      if (node.shape && node.fill && node.fill !== "none" && node.tensors.length) {
        node.shape.setAttribute("fill", gradShown ? node.fill : "#ffffff");
        for (const t of node.texts) {
          if (t.fill) t.el.setAttribute("fill", gradShown ? t.fill : "#000000");
        }
      }
    }
    for (const g of svg.querySelectorAll("g.edge.active")) g.classList.remove("active", "backward-edge", "forward-edge");
    for (const c of clusters) c.g.classList.remove("current");
    const step = currentStep();
    if (step) {
      const op = O[step.op];
      const links = step.phase === "forward"
        ? [...op.inputs.map((t) => [T[t].node, op.node]), [op.node, T[op.output].node]]
        : op.inputs.map((t) => [T[t].node, op.node]);
      for (const [from, to] of links) {
        const g = edges.get(`${from}->${to}`);
        if (g) g.classList.add("active", step.phase === "backward" ? "backward-edge" : "forward-edge");
      }
      for (const name of current) if (hiddenBy.has(name)) hiddenBy.get(name).g.classList.add("current");
      const shown = nodes.get(op.node);
      if (shown && document.getElementById("follow").checked) {
        const target = hiddenBy.has(op.node) ? hiddenBy.get(op.node).g : shown.g;
        if (!inView(target)) centerOn(target);
      }
    }
    progress.textContent = progressText(step);
    if (!selected) stepPanel(step);
    document.getElementById("position").value = position;
  }
  function currentStep() {
    if (position >= 1 && position <= F) return { phase: "forward", index: position, op: data.forward[position - 1] };
    if (position > F) {
      const entry = data.backward[position - F - 1];
      return { phase: "backward", index: position - F, op: entry.op, entry };
    }
    return null;
  }
  function currentNodes() {
    const step = currentStep(), names = new Set();
    if (!step) return names;
    const op = O[step.op];
    names.add(op.node);
    if (step.phase === "forward") names.add(T[op.output].node);
    else for (const t of op.inputs) names.add(T[t].node);
    return names;
  }
  function progressText(step) {
    if (!step) return F ? `start: inputs only (forward 0 / ${F})` : "no ops: this tensor was not computed by an op";
    const total = step.phase === "forward" ? F : B;
    return `${step.phase} ${step.index} / ${total}: ${O[step.op].name}`;
  }
  function stepPanel(step) {
    let html;
    if (!step) {
      html = `<h2>Start</h2><p>The inputs and parameters hold their values; nothing is computed yet.</p>
        <p>Step with &rarr; (forward ${F} ops, then backward ${B}), play with Space, back with &larr;. Click any node for its details.</p>`;
    } else {
      const op = O[step.op];
      const where = op.module ? ` <span class="module">in ${esc(op.module)}</span>` : "";
      html = `<h2>${esc(progressText(step))}</h2><p>${where}</p>`;
      if (step.phase === "forward") {
        html += `<p class="rule forward-text">${esc(op.text)}</p><p class="doc">${esc(data.docs[op.name])}</p>`;
      } else {
        const entry = step.entry;
                html += `<p>g = dL/d(${esc(tname(op.output))}) = <span class="grad-in">${esc(entry.grad_in ?? "none")}</span></p>`;
        html += entry.rules.map((r) => `<p class="rule" data-input="${r.input}">${esc(r.text)}<br><span class="muted">to ${esc(tname(r.input))}</span></p>`).join("");
        html += entry.sums.map((s) => `<p class="rule sum" data-tensor="${s.tensor}">used more than once: ${esc(s.text)}</p>`).join("");
      }
    }
    if (position === F && F) html += `<p class="phase-note">Forward pass done. Next: backward, in the engine's order.</p>`;
    if (position === END && B) html += `<p class="phase-note">Backward pass done: every tensor shows its gradient.</p>`;
    panel.innerHTML = html;
  }

  function tensorHtml(i) {
    const t = T[i];
    const producer = t.producer !== null ? O[t.producer] : null;
    let html = `<h3 class="tensor-name">${esc(tname(i))}</h3><p>${esc(t.kind)}${t.module ? ` &middot; <span class="module">${esc(t.module)}</span>` : ""} &middot; ${shapeText(t.value.shape)} ${esc(t.value.dtype)}</p>`;
    if (producer) html += `<p class="doc">made by ${esc(producer.name)}: ${esc(data.docs[producer.name])}</p>`;
    if (t.flag) html += `<p class="flag">${esc(t.flag)}</p>`;
    html += `<h4>value</h4>${arrayHtml(t.value, "value-table")}`;
    html += `<h4>gradient dL/d(${esc(t.name || "this")})${t.grad_step !== null && t.grad_step > 0 ? ` <span class="muted">(complete at backward step ${t.grad_step})</span>` : ""}</h4>${arrayHtml(t.grad, "grad-table")}`;
    return html;
  }
  function opHtml(k) {
    const op = O[k];
    const inputs = op.inputs.map((t) => esc(tname(t))).join(", ");
    return `<h3 class="op-name">${esc(op.name)}</h3>${op.module ? `<p class="module">${esc(op.module)}</p>` : ""}
      <p class="doc">${esc(data.docs[op.name])}</p><p>inputs: ${inputs}</p><p class="rule">${esc(op.text)}</p>`;
  }
  function showNode(name) {
    const node = nodes.get(name);
    if (!node) return;
    selected = name;
    for (const n of nodes.values()) n.g.classList.toggle("selected", n.name === name);
    let html = `<p><button id="close-details">back to the step</button></p>`;
    if (node.tensors.length + node.ops.length === 1) {
      html += node.tensors.length ? tensorHtml(node.tensors[0]) : opHtml(node.ops[0]);
    } else {
      const title = node.g.querySelector("text");
      html += `<h3>${esc(title ? title.textContent : name)}</h3><p>${node.ops.length} ops, ${node.tensors.length} tensors (click one)</p><ul class="members">`;
      html += node.ops.map((k) => `<li><a href="#" data-op="${k}">${esc(O[k].name)}</a></li>`).join("");
      html += node.tensors.map((i) => `<li><a href="#" data-tensor="${i}">${esc(tname(i))} ${shapeText(T[i].value.shape)}</a></li>`).join("");
      html += "</ul><div id=\"member-details\"></div>";
    }
    panel.innerHTML = html;
  }
  panel.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-op], a[data-tensor]");
    if (link) {
      event.preventDefault();
      const box = document.getElementById("member-details");
      box.innerHTML = link.dataset.op !== undefined ? opHtml(+link.dataset.op) : tensorHtml(+link.dataset.tensor);
    } else if (event.target.id === "close-details") {
      selected = null;
      for (const n of nodes.values()) n.g.classList.remove("selected");
      render();
    }
  });
  for (const node of nodes.values()) {
    node.g.addEventListener("click", (event) => { event.stopPropagation(); if (!dragged) showNode(node.name); });
  }

  // ----- stepping and playing ------------------------------------------------------------
  function go(p) { position = Math.max(0, Math.min(END, p)); render(); }
  function stop() { if (timer) clearInterval(timer); timer = null; document.getElementById("play").textContent = "\u25B6 play"; }
  function play() {
    if (timer) return stop();
    if (position >= END) go(0);
    document.getElementById("play").textContent = "\u275A\u275A pause";
    timer = setInterval(() => { go(position + 1); if (position >= END) stop(); }, Number(document.getElementById("speed").value));
  }
  const actions = {
    "to-start": () => go(0), "step-back": () => go(position - 1), "step-forward": () => go(position + 1),
    "to-forward-end": () => go(F), "to-end": () => go(END), play,
    "collapse-all": () => setAll(true), "expand-all": () => setAll(false), fit: () => fit(),
  };
  for (const [id, action] of Object.entries(actions)) {
    document.getElementById(id).addEventListener("click", () => { if (id !== "play") stop(); action(); });
  }
  document.getElementById("speed").addEventListener("change", () => { if (timer) { stop(); play(); } });
  const slider = document.getElementById("position");
  slider.max = END;
  slider.addEventListener("input", () => { stop(); go(Number(slider.value)); });
  document.addEventListener("keydown", (event) => {
    if (event.target.tagName === "INPUT" && event.target.type === "text") return;
    const keys = { ArrowRight: () => go(position + 1), ArrowLeft: () => go(position - 1), Home: () => go(0), End: () => go(END), " ": play };
    if (keys[event.key]) { event.preventDefault(); if (event.key !== " ") stop(); keys[event.key](); }
  });

  // ----- pan and zoom (the SVG's viewBox) ----------------------------------------------
  const full = svg.viewBox.baseVal;
  const home = [full.x, full.y, full.width, full.height];
  let view = home.slice();
  svg.removeAttribute("width"); svg.removeAttribute("height");
  const setView = (v) => { view = v; svg.setAttribute("viewBox", v.join(" ")); };
  function fit() { setView(home.slice()); }
  function toGraph(clientX, clientY) {
    const r = svg.getBoundingClientRect();
    const scale = Math.max(view[2] / r.width, view[3] / r.height);
    const ox = view[0] + (view[2] - r.width * scale) / 2, oy = view[1] + (view[3] - r.height * scale) / 2;
    return [ox + (clientX - r.left) * scale, oy + (clientY - r.top) * scale, scale];
  }
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const factor = event.deltaY > 0 ? 1.2 : 1 / 1.2;
    const [gx, gy] = toGraph(event.clientX, event.clientY);
    setView([gx - (gx - view[0]) * factor, gy - (gy - view[1]) * factor, view[2] * factor, view[3] * factor]);
  }, { passive: false });
  let drag = null, dragged = false;
  svg.addEventListener("pointerdown", (event) => { dragged = false; drag = { x: event.clientX, y: event.clientY, view: view.slice() }; });
  window.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const [, , scale] = toGraph(event.clientX, event.clientY);
    const dx = (event.clientX - drag.x) * scale, dy = (event.clientY - drag.y) * scale;
    if (Math.abs(dx) + Math.abs(dy) > 2) dragged = true;  // a pan, not a click
    setView([drag.view[0] - dx, drag.view[1] - dy, drag.view[2], drag.view[3]]);
  });
  window.addEventListener("pointerup", () => { drag = null; });
  function inView(g) {
    const r = g.getBoundingClientRect(), c = svg.getBoundingClientRect();
    return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
  }
  function centerOn(g) {
    // the node's box is in its own coordinates; the viewBox is in the SVG's
    const b = g.getBBox();
    const m = svg.getScreenCTM().inverse().multiply(g.getScreenCTM());
    const p = new DOMPoint(b.x + b.width / 2, b.y + b.height / 2).matrixTransform(m);
    const width = Math.min(home[2], Math.max(300, b.width * 8)), height = width * home[3] / home[2];
    setView([p.x - width / 2, p.y - height / 2, width, height]);
  }

  // ----- search by name ---------------------------------------------------------------
  const search = document.getElementById("search"), found = document.getElementById("found");
  let matches = [], matchIndex = -1;
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    const query = search.value.trim().toLowerCase();
    if (!query) return;
    if (query !== search.dataset.query) {
      search.dataset.query = query;
      matches = [];
      T.forEach((t, i) => { if ((t.name || "").toLowerCase().includes(query)) matches.push(t.node); });
      O.forEach((op) => { if (op.name.toLowerCase().includes(query) || (op.module || "").toLowerCase().includes(query)) matches.push(op.node); });
      matches = [...new Set(matches)];
      matchIndex = -1;
    }
    if (!matches.length) { found.textContent = "no match"; return; }
    matchIndex = (matchIndex + 1) % matches.length;
    found.textContent = `${matchIndex + 1} / ${matches.length}`;
    const name = matches[matchIndex];
    const cluster = hiddenBy.get(name);
    if (cluster) { for (const c of clusters) if (name && cluster.path.startsWith(c.path)) c.collapsed = false; applyCollapse(); }
    const node = nodes.get(name);
    for (const n of nodes.values()) n.g.classList.toggle("found", n.name === name);
    if (node) { centerOn(node.g); showNode(name); }
  });

  if (data.collapsed_at_start) setAll(true); else render();
  window.explorer = { go, get position() { return position; }, forwardSteps: F, backwardSteps: B, showNode, data, ready: true };
  document.body.dataset.ready = "true";
})();
