// The step-through page, part 2 of 3: numbers and arrays as HTML, what the graph and the
// side panel show at a position, and the details of a clicked node.
// ----- numbers -------------------------------------------------------------------------
const num = (v) => {
  const x = Number(v);
  if (!Number.isFinite(x)) return String(v);
  return Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-4)
    ? x.toExponential(4)
    : String(+x.toPrecision(6));
};
const esc = (s) =>
  String(s).replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c],
  );
// an unnamed tensor is called after the op that made it
const tname = (i) =>
  T[i].name || (T[i].producer !== null ? `output of ${O[T[i].producer].name}` : T[i].kind);
const shapeText = (shape) =>
  shape.length ? `(${shape.join(", ")}${shape.length === 1 ? "," : ""})` : "scalar";

function arrayHtml(summary, cls) {
  if (!summary) return '<p class="muted">no gradient</p>';
  let out = "";
  if (summary.values) {
    const cols =
      summary.shape.length >= 2
        ? summary.shape[summary.shape.length - 1]
        : summary.values.length || 1;
    out += `<table class="${cls}">`;
    for (let r = 0; r < summary.values.length; r += cols) {
      out +=
        "<tr>" +
        summary.values
          .slice(r, r + cols)
          .map((v) => `<td class="number" data-value="${v}">${num(v)}</td>`)
          .join("") +
        "</tr>";
    }
    out += "</table>";
    if (summary.shape.length > 2)
      out += `<p class="muted">rows of the last axis, shape ${shapeText(summary.shape)}</p>`;
  }
  const s = summary.stats || statistics(summary.values);
  if (s) {
    out +=
      `<p class="stats ${cls}-stats">min ${num(s.min)} &middot; max ${num(s.max)} &middot; mean ${num(s.mean)} &middot; std ${num(s.std)} &middot; mean |.| ${num(s.mean_abs)} &middot; norm ${num(s.norm)}` +
      (s.nonfinite ? ` &middot; <b>${s.nonfinite} NaN/inf</b>` : "") +
      "</p>";
  }
  if (summary.histogram) out += histogramSvg(summary.histogram);
  return out;
}
function statistics(values) {
  if (!values || !values.length) return null;
  const xs = values.map(Number),
    finite = xs.filter(Number.isFinite);
  if (!finite.length) return { nonfinite: xs.length };
  const mean = finite.reduce((a, x) => a + x, 0) / finite.length;
  const sq = finite.reduce((a, x) => a + x * x, 0);
  return {
    min: Math.min(...finite),
    max: Math.max(...finite),
    mean,
    std: Math.sqrt(Math.max(0, sq / finite.length - mean * mean)),
    mean_abs: finite.reduce((a, x) => a + Math.abs(x), 0) / finite.length,
    norm: Math.sqrt(sq),
    nonfinite: xs.length - finite.length,
  };
}
function histogramSvg(h) {
  const top = Math.max(...h.counts, 1),
    w = 240,
    hgt = 60,
    bw = w / h.counts.length;
  const bars = h.counts
    .map(
      (c, i) =>
        `<rect x="${i * bw}" y="${hgt - (c / top) * hgt}" width="${bw - 1}" height="${(c / top) * hgt}"><title>${num(h.edges[i])} .. ${num(h.edges[i + 1])}: ${c}</title></rect>`,
    )
    .join("");
  return `<svg class="histogram" width="${w}" height="${hgt + 14}">${bars}<text x="0" y="${hgt + 12}">${num(h.edges[0])}</text><text x="${w}" y="${hgt + 12}" text-anchor="end">${num(h.edges[h.edges.length - 1])}</text></svg>`;
}

// ----- what the page shows at a position ------------------------------------------------
function render() {
  const f = Math.min(position, F),
    b = Math.max(0, position - F);
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
  for (const g of svg.querySelectorAll("g.edge.active"))
    g.classList.remove("active", "backward-edge", "forward-edge");
  for (const c of clusters) c.g.classList.remove("current");
  const step = currentStep();
  if (step) {
    const op = O[step.op];
    const links =
      step.phase === "forward"
        ? [...op.inputs.map((t) => [T[t].node, op.node]), [op.node, T[op.output].node]]
        : op.inputs.map((t) => [T[t].node, op.node]);
    for (const [from, to] of links) {
      const g = edges.get(`${from}->${to}`);
      if (g)
        g.classList.add("active", step.phase === "backward" ? "backward-edge" : "forward-edge");
    }
    for (const name of current)
      if (hiddenBy.has(name)) hiddenBy.get(name).g.classList.add("current");
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
  if (position >= 1 && position <= F)
    return { phase: "forward", index: position, op: data.forward[position - 1] };
  if (position > F) {
    const entry = data.backward[position - F - 1];
    return { phase: "backward", index: position - F, op: entry.op, entry };
  }
  return null;
}
function currentNodes() {
  const step = currentStep(),
    names = new Set();
  if (!step) return names;
  const op = O[step.op];
  names.add(op.node);
  if (step.phase === "forward") names.add(T[op.output].node);
  else for (const t of op.inputs) names.add(T[t].node);
  return names;
}
function progressText(step) {
  if (!step)
    return F
      ? `start: inputs only (forward 0 / ${F})`
      : "no ops: this tensor was not computed by an op";
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
      html += entry.rules
        .map(
          (r) =>
            `<p class="rule" data-input="${r.input}">${esc(r.text)}<br><span class="muted">to ${esc(tname(r.input))}</span></p>`,
        )
        .join("");
      html += entry.sums
        .map(
          (s) =>
            `<p class="rule sum" data-tensor="${s.tensor}">used more than once: ${esc(s.text)}</p>`,
        )
        .join("");
    }
  }
  if (position === F && F)
    html += `<p class="phase-note">Forward pass done. Next: backward, in the engine's order.</p>`;
  if (position === END && B)
    html += `<p class="phase-note">Backward pass done: every tensor shows its gradient.</p>`;
  panel.innerHTML = html;
}

function tensorHtml(i) {
  const t = T[i];
  const producer = t.producer !== null ? O[t.producer] : null;
  let html = `<h3 class="tensor-name">${esc(tname(i))}</h3><p>${esc(t.kind)}${t.module ? ` &middot; <span class="module">${esc(t.module)}</span>` : ""} &middot; ${shapeText(t.value.shape)} ${esc(t.value.dtype)}</p>`;
  if (producer)
    html += `<p class="doc">made by ${esc(producer.name)}: ${esc(data.docs[producer.name])}</p>`;
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
    html += node.ops
      .map((k) => `<li><a href="#" data-op="${k}">${esc(O[k].name)}</a></li>`)
      .join("");
    html += node.tensors
      .map(
        (i) =>
          `<li><a href="#" data-tensor="${i}">${esc(tname(i))} ${shapeText(T[i].value.shape)}</a></li>`,
      )
      .join("");
    html += '</ul><div id="member-details"></div>';
  }
  panel.innerHTML = html;
}
panel.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-op], a[data-tensor]");
  if (link) {
    event.preventDefault();
    const box = document.getElementById("member-details");
    box.innerHTML =
      link.dataset.op !== undefined ? opHtml(+link.dataset.op) : tensorHtml(+link.dataset.tensor);
  } else if (event.target.id === "close-details") {
    selected = null;
    for (const n of nodes.values()) n.g.classList.remove("selected");
    render();
  }
});
for (const node of nodes.values()) {
  node.g.addEventListener("click", (event) => {
    event.stopPropagation();
    if (!dragged) showNode(node.name);
  });
}

