// The step-through page, part 3 of 3: stepping and playing, keyboard, pan and zoom, search,
// and the start.
// ----- stepping and playing ------------------------------------------------------------
function go(p) {
  position = Math.max(0, Math.min(END, p));
  render();
}
function stop() {
  if (timer) clearInterval(timer);
  timer = null;
  document.getElementById("play").textContent = "\u25B6 play";
}
function play() {
  if (timer) return stop();
  if (position >= END) go(0);
  document.getElementById("play").textContent = "\u275A\u275A pause";
  timer = setInterval(
    () => {
      go(position + 1);
      if (position >= END) stop();
    },
    Number(document.getElementById("speed").value),
  );
}
const actions = {
  "to-start": () => go(0),
  "step-back": () => go(position - 1),
  "step-forward": () => go(position + 1),
  "to-forward-end": () => go(F),
  "to-end": () => go(END),
  play,
  "collapse-all": () => setAll(true),
  "expand-all": () => setAll(false),
  fit: () => fit(),
};
for (const [id, action] of Object.entries(actions)) {
  document.getElementById(id).addEventListener("click", () => {
    if (id !== "play") stop();
    action();
  });
}
document.getElementById("speed").addEventListener("change", () => {
  if (timer) {
    stop();
    play();
  }
});
const slider = document.getElementById("position");
slider.max = END;
slider.addEventListener("input", () => {
  stop();
  go(Number(slider.value));
});
document.addEventListener("keydown", (event) => {
  if (event.target.tagName === "INPUT" && event.target.type === "text") return;
  const keys = {
    ArrowRight: () => go(position + 1),
    ArrowLeft: () => go(position - 1),
    Home: () => go(0),
    End: () => go(END),
    " ": play,
  };
  if (keys[event.key]) {
    event.preventDefault();
    if (event.key !== " ") stop();
    keys[event.key]();
  }
});

// ----- pan and zoom (the SVG's viewBox) ----------------------------------------------
const full = svg.viewBox.baseVal;
const home = [full.x, full.y, full.width, full.height];
let view = home.slice();
svg.removeAttribute("width");
svg.removeAttribute("height");
const setView = (v) => {
  view = v;
  svg.setAttribute("viewBox", v.join(" "));
};
function fit() {
  setView(home.slice());
}
function toGraph(clientX, clientY) {
  const r = svg.getBoundingClientRect();
  const scale = Math.max(view[2] / r.width, view[3] / r.height);
  const ox = view[0] + (view[2] - r.width * scale) / 2,
    oy = view[1] + (view[3] - r.height * scale) / 2;
  return [ox + (clientX - r.left) * scale, oy + (clientY - r.top) * scale, scale];
}
svg.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    const factor = event.deltaY > 0 ? 1.2 : 1 / 1.2;
    const [gx, gy] = toGraph(event.clientX, event.clientY);
    setView([
      gx - (gx - view[0]) * factor,
      gy - (gy - view[1]) * factor,
      view[2] * factor,
      view[3] * factor,
    ]);
  },
  { passive: false },
);
let drag = null,
  dragged = false;
svg.addEventListener("pointerdown", (event) => {
  dragged = false;
  drag = { x: event.clientX, y: event.clientY, view: view.slice() };
});
window.addEventListener("pointermove", (event) => {
  if (!drag) return;
  const [, , scale] = toGraph(event.clientX, event.clientY);
  const dx = (event.clientX - drag.x) * scale,
    dy = (event.clientY - drag.y) * scale;
  if (Math.abs(dx) + Math.abs(dy) > 2) dragged = true; // a pan, not a click
  setView([drag.view[0] - dx, drag.view[1] - dy, drag.view[2], drag.view[3]]);
});
window.addEventListener("pointerup", () => {
  drag = null;
});
function inView(g) {
  const r = g.getBoundingClientRect(),
    c = svg.getBoundingClientRect();
  return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
}
function centerOn(g) {
  // the node's box is in its own coordinates; the viewBox is in the SVG's
  const b = g.getBBox();
  const m = svg.getScreenCTM().inverse().multiply(g.getScreenCTM());
  const p = new DOMPoint(b.x + b.width / 2, b.y + b.height / 2).matrixTransform(m);
  const width = Math.min(home[2], Math.max(300, b.width * 8)),
    height = (width * home[3]) / home[2];
  setView([p.x - width / 2, p.y - height / 2, width, height]);
}

// ----- search by name ---------------------------------------------------------------
const search = document.getElementById("search"),
  found = document.getElementById("found");
let matches = [],
  matchIndex = -1;
search.addEventListener("keydown", (event) => {
  if (event.key !== "Enter") return;
  const query = search.value.trim().toLowerCase();
  if (!query) return;
  if (query !== search.dataset.query) {
    search.dataset.query = query;
    matches = [];
    T.forEach((t, i) => {
      if ((t.name || "").toLowerCase().includes(query)) matches.push(t.node);
    });
    O.forEach((op) => {
      if (
        op.name.toLowerCase().includes(query) ||
        (op.module || "").toLowerCase().includes(query)
      )
        matches.push(op.node);
    });
    matches = [...new Set(matches)];
    matchIndex = -1;
  }
  if (!matches.length) {
    found.textContent = "no match";
    return;
  }
  matchIndex = (matchIndex + 1) % matches.length;
  found.textContent = `${matchIndex + 1} / ${matches.length}`;
  const name = matches[matchIndex];
  const cluster = hiddenBy.get(name);
  if (cluster) {
    for (const c of clusters) if (name && cluster.path.startsWith(c.path)) c.collapsed = false;
    applyCollapse();
  }
  const node = nodes.get(name);
  for (const n of nodes.values()) n.g.classList.toggle("found", n.name === name);
  if (node) {
    centerOn(node.g);
    showNode(name);
  }
});

if (data.collapsed_at_start) setAll(true);
else render();
window.explorer = {
  go,
  get position() {
    return position;
  },
  forwardSteps: F,
  backwardSteps: B,
  showNode,
  data,
  ready: true,
};
document.body.dataset.ready = "true";
