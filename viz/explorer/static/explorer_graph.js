// The step-through page, part 1 of 3: the embedded data and the Graphviz drawing, indexed;
// the layer boxes that fold and unfold. (viz/explorer/page.py joins the parts into one
// script; plain browser JavaScript, no library, no network request.)
const data = JSON.parse(document.getElementById("explorer-data").textContent);
const svg = document.querySelector("#canvas svg");
const panel = document.getElementById("panel");
const progress = document.getElementById("progress");
const T = data.tensors,
  O = data.ops;
const F = data.forward.length,
  B = data.backward.length,
  END = F + B;
let position = 0,
  timer = null,
  selected = null;

// ----- the drawing: DOT node name -> element, with what it shows ------------------------
const nodes = new Map(),
  edges = new Map();
for (const g of svg.querySelectorAll("g.node")) {
  const name = g.querySelector("title").textContent;
  if (name.startsWith("legend_")) continue;
  const shape = g.querySelector("polygon, ellipse, path");
  const texts = Array.from(g.querySelectorAll("text"));
  nodes.set(name, {
    g,
    name,
    shape,
    fill: shape ? shape.getAttribute("fill") : null,
    texts: texts.map((t) => ({ el: t, fill: t.getAttribute("fill") })),
    valueLines: texts.filter((t) => t.textContent.startsWith("data ")),
    gradLines: texts.filter((t) => /^(grad |params mean\|g\|)/.test(t.textContent)),
    tensors: [],
    ops: [],
    valueStep: 0,
    gradStep: null,
    state: "",
  });
}
for (const g of svg.querySelectorAll("g.edge"))
  edges.set(g.querySelector("title").textContent, g);
T.forEach((t, i) => {
  const node = nodes.get(t.node);
  if (!node) return;
  node.tensors.push(i);
  node.valueStep = Math.max(node.valueStep, t.value_step);
  if (t.grad_step !== null) node.gradStep = Math.max(node.gradStep ?? 0, t.grad_step);
});
const forwardPosition = new Array(O.length);
data.forward.forEach((k, step) => {
  forwardPosition[k] = step + 1;
});
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
  const x = b.x + b.width / 2,
    y = b.y + b.height / 2;
  return x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height;
};
for (const cluster of clusters) {
  for (const node of nodes.values())
    if (inside(node.g.getBBox(), cluster.box)) cluster.members.push(node);
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
  const fit = Math.min(
    cluster.box.height * 0.3,
    cluster.box.width / (label.textContent.length * 0.6),
  );
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
  const outer = clusters.filter(
    (c) => c.collapsed && !clusters.some((o) => o.collapsed && c.path.startsWith(o.path + "/")),
  );
  for (const cluster of clusters) {
    const covered = outer.some((o) => cluster.path.startsWith(o.path + "/"));
    cluster.g.classList.toggle("collapsed", cluster.collapsed && !covered);
    cluster.g.classList.toggle("covered", covered);
  }
  for (const cluster of outer)
    for (const node of cluster.members) hiddenBy.set(node.name, cluster);
  for (const node of nodes.values()) node.g.classList.toggle("hidden", hiddenBy.has(node.name));
  for (const [title, g] of edges) {
    const [from, to] = title.split("->");
    g.classList.toggle("hidden", hiddenBy.has(from) && hiddenBy.has(to));
  }
  render();
}
function setCollapsed(cluster, collapsed) {
  cluster.collapsed = collapsed;
  applyCollapse();
}
// "collapse layers" folds the innermost boxes (the layers), not the model around them
function setAll(collapsed) {
  for (const c of clusters) c.collapsed = collapsed && c.inner.length === 0;
  applyCollapse();
}

