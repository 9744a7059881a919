// The gradient-trace page: per-layer bars on a log scale, one frame per recorded step.
// (viz/explorer/page.py wraps it in a function scope.)
const data = JSON.parse(document.getElementById("explorer-data").textContent);
const root = document.getElementById("runs");
const slider = document.getElementById("step"),
  label = document.getElementById("step-label");
const steps = Math.max(...data.runs.map((r) => r.steps.length));
slider.max = steps - 1;
const positive = [];
for (const run of data.runs)
  for (const row of run.values)
    for (const v of row)
      if (Number(v) > 0 && Number.isFinite(Number(v))) positive.push(Number(v));
const low = Math.floor(Math.log10(Math.min(...positive, 1))),
  high = Math.ceil(Math.log10(Math.max(...positive, 1)));
const span = Math.max(high - low, 1);
const num = (v) => (Number.isFinite(Number(v)) ? Number(v).toExponential(2) : String(v));
const esc = (s) =>
  String(s).replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c],
  );
const views = data.runs.map((run) => {
  const box = document.createElement("section");
  box.className = "run";
  let html = `<h2>${esc(run.label)}</h2><div class="axis">${data.quantity}, log scale: 1e${low} .. 1e${high}</div>`;
  html += run.layers
    .map(
      (name, i) =>
        `<div class="bar-row"><span class="layer">${esc(name)}</span><span class="track"><span class="bar" data-layer="${i}"></span></span><span class="bar-value" data-layer="${i}"></span></div>`,
    )
    .join("");
  box.innerHTML = html;
  root.appendChild(box);
  return { run, bars: box.querySelectorAll(".bar"), texts: box.querySelectorAll(".bar-value") };
});
function show(index) {
  slider.value = index;
  for (const { run, bars, texts } of views) {
    const s = Math.min(index, run.steps.length - 1);
    run.values[s].forEach((v, i) => {
      const x = Number(v),
        ratio = Number(run.ratios[s][i]);
      const width =
        x > 0 && Number.isFinite(x) ? Math.max(0.5, ((Math.log10(x) - low) / span) * 100) : 0;
      const flag =
        !Number.isFinite(x) || ratio > data.exploding_ratio
          ? "exploding"
          : ratio < data.vanishing_ratio
            ? "vanishing"
            : "healthy";
      bars[i].style.width = `${width}%`;
      bars[i].className = `bar ${flag}`;
      texts[i].textContent =
        `${num(v)}  (${num(ratio)} x output)${flag === "healthy" ? "" : "  " + flag}`;
    });
  }
  const run = data.runs[0];
  label.textContent = `step ${run.steps[Math.min(index, run.steps.length - 1)]} (${index + 1} / ${steps})`;
}
let timer = null;
const play = document.getElementById("play");
function stop() {
  clearInterval(timer);
  timer = null;
  play.textContent = "\u25B6 play";
}
play.addEventListener("click", () => {
  if (timer) return stop();
  if (Number(slider.value) >= steps - 1) show(0);
  play.textContent = "\u275A\u275A pause";
  timer = setInterval(
    () => {
      const next = Number(slider.value) + 1;
      show(Math.min(next, steps - 1));
      if (next >= steps - 1) stop();
    },
    Number(document.getElementById("speed").value),
  );
});
slider.addEventListener("input", () => {
  stop();
  show(Number(slider.value));
});
show(0);
window.traceExplorer = { show, steps, data };
document.body.dataset.ready = "true";
