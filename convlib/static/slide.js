// The slide you can touch: drag the kernel's window over the image and watch the dot product.
// Everything is drawn and computed here, in the browser, with no round trip to the kernel;
// image, kernel, stride, padding, dilation, position and the feature map are synced to Python.

const CELL = 34; // px per cell, in every panel: the image, the kernel, the products, the map
const fmt = (v) => (Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100));

function layout(model) {
  const image = model.get("image"), kernel = model.get("kernel");
  const s = model.get("stride"), p = model.get("padding"), d = model.get("dilation");
  const H = image.length, W = H ? image[0].length : 0, kh = kernel.length, kw = kh ? kernel[0].length : 0;
  const PH = H + 2 * p, PW = W + 2 * p, spanH = d * (kh - 1) + 1, spanW = d * (kw - 1) + 1;
  const at = (r, c) => (r < p || c < p || r >= p + H || c >= p + W ? 0 : image[r - p][c - p]);
  const outH = Math.floor((PH - spanH) / s) + 1, outW = Math.floor((PW - spanW) / s) + 1;
  const ok = kh > 0 && kw > 0 && spanH <= PH && spanW <= PW;
  const feature = [];
  const reached = Array.from({ length: PH }, () => new Array(PW).fill(false));
  if (ok) {
    for (let r = 0; r < outH; r++) {
      const row = [];
      for (let c = 0; c < outW; c++) {
        let sum = 0;
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            sum += at(r * s + i * d, c * s + j * d) * kernel[i][j];
          }
        for (let i = 0; i < spanH; i++) for (let j = 0; j < spanW; j++) reached[r * s + i][c * s + j] = true;
        row.push(sum);
      }
      feature.push(row);
    }
  }
  return { image, kernel, s, p, d, H, W, kh, kw, PH, PW, spanH, spanW, outH, outW, ok, at, feature, reached };
}

function grid(cls, rows, cols, label) {
  const box = document.createElement("div");
  box.className = "cs-panel " + cls;
  const title = document.createElement("div");
  title.className = "cs-title";
  title.textContent = label;
  const g = document.createElement("div");
  g.className = "cs-grid";
  g.style.gridTemplateColumns = `repeat(${cols}, ${CELL}px)`;
  g.style.gridTemplateRows = `repeat(${rows}, ${CELL}px)`;
  const cells = [];
  for (let r = 0; r < rows; r++) {
    const line = [];
    for (let c = 0; c < cols; c++) {
      const cell = document.createElement("div");
      cell.className = "cs-cell";
      cell.dataset.row = r;
      cell.dataset.col = c;
      g.appendChild(cell);
      line.push(cell);
    }
    cells.push(line);
  }
  box.append(title, g);
  return { box, title, grid: g, cells };
}

function select(label, name, values, current, allowed) {
  const wrap = document.createElement("label");
  wrap.className = "cs-control";
  wrap.textContent = label + " ";
  const sel = document.createElement("select");
  sel.name = name;
  for (const v of values) {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = v;
    o.disabled = !allowed(v);
    o.selected = v === current;
    sel.appendChild(o);
  }
  wrap.appendChild(sel);
  return { wrap, sel };
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "convlib-slide";
  el.appendChild(root);
  let L, pos, parts, press = null;

  function send(name, value) {
    model.set(name, value);
    model.save_changes();
  }

  function fits(over) {
    const t = { stride: model.get("stride"), padding: model.get("padding"), dilation: model.get("dilation"), ...over };
    const img = model.get("image"), ker = model.get("kernel");
    const H = img.length + 2 * t.padding, W = (img[0] || []).length + 2 * t.padding;
    return t.dilation * (ker.length - 1) + 1 <= H && t.dilation * ((ker[0] || []).length - 1) + 1 <= W;
  }

  function build() {
    L = layout(model);
    root.textContent = "";
    const controls = document.createElement("div");
    controls.className = "cs-controls";
    for (const [label, name, values] of [["stride", "stride", [1, 2, 3]], ["padding", "padding", [0, 1, 2]],
                                         ["dilation", "dilation", [1, 2]]]) {
      const { wrap, sel } = select(label, name, values, model.get(name), (v) => fits({ [name]: v }));
      sel.addEventListener("change", () => {
        send(name, Number(sel.value));
      });
      controls.appendChild(wrap);
    }
    const help = document.createElement("span");
    help.className = "cs-help";
    help.textContent = "drag the red window (or focus the image and use the arrow keys); click a pixel to flip it; click a weight to change it";
    controls.appendChild(help);
    root.appendChild(controls);
    if (!L.ok) {
      const err = document.createElement("div");
      err.className = "cs-error";
      err.textContent = `the ${L.kh}x${L.kw} kernel (spanning ${L.spanH}x${L.spanW}) does not fit in the ${L.PH}x${L.PW} padded image`;
      root.appendChild(err);
      return;
    }
    const row = document.createElement("div");
    row.className = "cs-row";
    const image = grid("cs-image", L.PH, L.PW, L.p ? `image, padded with ${L.p} ring${L.p > 1 ? "s" : ""} of zeros` : "image");
    const kernel = grid("cs-kernel", L.kh, L.kw, "kernel (click a weight)");
    const products = grid("cs-products", L.kh, L.kw, "window × kernel");
    const feature = grid("cs-feature", L.outH, L.outW, `feature map ${L.outH}×${L.outW}`);
    for (let r = 0; r < L.PH; r++)
      for (let c = 0; c < L.PW; c++) {
        const cell = image.cells[r][c], v = L.at(r, c);
        const padding = r < L.p || c < L.p || r >= L.p + L.H || c >= L.p + L.W;
        cell.textContent = fmt(v);
        cell.classList.toggle("cs-pad", padding);
        cell.classList.toggle("cs-on", !padding && v !== 0);
        cell.classList.toggle("cs-never", !L.reached[r][c]);
        if (!L.reached[r][c]) cell.title = "no position of the kernel covers this pixel";
      }
    for (let i = 0; i < L.kh; i++)
      for (let j = 0; j < L.kw; j++) {
        const cell = kernel.cells[i][j];
        cell.textContent = fmt(L.kernel[i][j]);
        cell.tabIndex = 0;
        cell.setAttribute("role", "button");
        cell.setAttribute("aria-label", `weight ${i}, ${j}: ${fmt(L.kernel[i][j])}; press Enter to change`);
      }
    for (let r = 0; r < L.outH; r++)
      for (let c = 0; c < L.outW; c++) feature.cells[r][c].textContent = fmt(L.feature[r][c]);
    const frame = document.createElement("div");
    frame.className = "cs-frame";
    image.grid.appendChild(frame);
    image.grid.tabIndex = 0;
    image.grid.setAttribute("aria-label", "the image; arrow keys move the kernel's window, Enter flips the pixel under its centre");
    row.append(image.box, kernel.box, products.box, feature.box);
    const formula = document.createElement("code");
    formula.className = "cs-formula";
    root.append(row, formula);
    parts = { image, kernel, products, feature, frame, formula };
    wire();
    const [r0, c0] = model.get("position");
    pos = [Math.min(Math.max(r0, 0), L.outH - 1), Math.min(Math.max(c0, 0), L.outW - 1)];
    draw();
    const same = JSON.stringify(L.feature) === JSON.stringify(model.get("feature"));
    if (!same || pos[0] !== r0 || pos[1] !== c0) {
      model.set("feature", L.feature);
      model.set("position", pos);
      model.save_changes();
    }
  }

  function draw() {
    const [r, c] = pos, { image, products, feature, frame, formula } = parts;
    const top = r * L.s, left = c * L.s;
    for (const line of image.cells) for (const cell of line) { cell.classList.remove("cs-tap"); cell.removeAttribute("data-w"); }
    const terms = [];
    let sum = 0;
    for (let i = 0; i < L.kh; i++)
      for (let j = 0; j < L.kw; j++) {
        const rr = top + i * L.d, cc = left + j * L.d, x = L.at(rr, cc), w = L.kernel[i][j];
        const cell = image.cells[rr][cc];
        cell.classList.add("cs-tap");
        cell.dataset.w = "×" + fmt(w);
        products.cells[i][j].textContent = fmt(x * w);
        products.cells[i][j].classList.toggle("cs-on", x * w !== 0);
        terms.push(`${fmt(x)}×${fmt(w)}`);
        sum += x * w;
      }
    frame.style.top = `${top * CELL}px`;
    frame.style.left = `${left * CELL}px`;
    frame.style.width = `${L.spanW * CELL}px`;
    frame.style.height = `${L.spanH * CELL}px`;
    products.title.textContent = `window × kernel: sum = ${fmt(sum)}`;
    products.title.dataset.sum = sum;
    for (const line of feature.cells) for (const cell of line) cell.classList.remove("cs-current", "cs-done");
    for (let rr = 0; rr < L.outH; rr++)
      for (let cc = 0; cc < L.outW; cc++)
        if (rr < r || (rr === r && cc <= c)) feature.cells[rr][cc].classList.add("cs-done");
    feature.cells[r][c].classList.add("cs-current");
    formula.textContent = `feature[${r}, ${c}] = ${terms.join(" + ")} = ${fmt(sum)}`;
  }

  function moveTo(r, c) {
    r = Math.min(Math.max(r, 0), L.outH - 1);
    c = Math.min(Math.max(c, 0), L.outW - 1);
    if (r === pos[0] && c === pos[1]) return;
    pos = [r, c];
    draw();
    send("position", pos);
  }

  function cellOf(event) {
    const box = parts.image.grid.getBoundingClientRect();
    const r = Math.floor((event.clientY - box.top) / CELL), c = Math.floor((event.clientX - box.left) / CELL);
    return r >= 0 && c >= 0 && r < L.PH && c < L.PW ? [r, c] : null;
  }

  function follow(cell) {  // the window centred on the pointer, snapped to the positions the stride allows
    moveTo(Math.round((cell[0] - (L.spanH - 1) / 2) / L.s), Math.round((cell[1] - (L.spanW - 1) / 2) / L.s));
  }

  function flip(r, c) {  // padded coordinates; padding cannot be flipped
    const ri = r - L.p, ci = c - L.p;
    if (ri < 0 || ci < 0 || ri >= L.H || ci >= L.W) return;
    const next = L.image.map((line) => line.slice());
    next[ri][ci] = next[ri][ci] === 0 ? 1 : 0;
    send("image", next);
  }

  function wire() {
    const g = parts.image.grid;
    g.addEventListener("pointerdown", (e) => {
      const cell = cellOf(e);
      if (!cell) return;
      press = { cell, moved: false };
      try {
        g.setPointerCapture(e.pointerId);  // keep the drag when the pointer leaves the grid
      } catch (err) {
        // a synthetic event has no pointer to capture
      }
      e.preventDefault();
    });
    g.addEventListener("pointermove", (e) => {
      if (!press) return;
      const cell = cellOf(e);
      if (!cell) return;
      if (cell[0] !== press.cell[0] || cell[1] !== press.cell[1]) press.moved = true;
      if (press.moved) follow(cell);
    });
    g.addEventListener("pointerup", (e) => {
      if (press && !press.moved) flip(...press.cell);
      press = null;
    });
    g.addEventListener("pointercancel", () => { press = null; });
    g.addEventListener("keydown", (e) => {
      const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (moves[e.key]) {
        moveTo(pos[0] + moves[e.key][0], pos[1] + moves[e.key][1]);
      } else if (e.key === "Home") {
        moveTo(0, 0);
      } else if (e.key === "End") {
        moveTo(L.outH - 1, L.outW - 1);
      } else if (e.key === "Enter" || e.key === " ") {
        flip(pos[0] * L.s + Math.floor(L.kh / 2) * L.d, pos[1] * L.s + Math.floor(L.kw / 2) * L.d);
      } else {
        return;
      }
      e.preventDefault();
    });
    parts.feature.cells.forEach((line, r) => line.forEach((cell, c) => {
      cell.addEventListener("pointerenter", () => moveTo(r, c));
      cell.addEventListener("click", () => moveTo(r, c));
    }));
    parts.kernel.cells.forEach((line, i) => line.forEach((cell, j) => {
      const change = () => {
        const w = L.kernel[i][j], next = L.kernel.map((row) => row.slice());
        next[i][j] = w === 0 ? 1 : w === 1 ? -1 : 0;
        send("kernel", next);
      };
      cell.addEventListener("click", change);
      cell.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") { change(); e.preventDefault(); }
      });
    }));
  }

  const rebuild = () => build();
  const names = ["image", "kernel", "stride", "padding", "dilation"];
  for (const name of names) model.on(`change:${name}`, rebuild);
  const moved = () => {
    const [r, c] = model.get("position");
    if (L && L.ok && (r !== pos[0] || c !== pos[1])) {
      pos = [Math.min(Math.max(r, 0), L.outH - 1), Math.min(Math.max(c, 0), L.outW - 1)];
      draw();
    }
  };
  model.on("change:position", moved);
  build();
  return () => {
    for (const name of names) model.off(`change:${name}`, rebuild);
    model.off("change:position", moved);
  };
}

export default { render };
