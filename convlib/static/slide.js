// The slide you can touch: drag the kernel's window over the image and watch the dot product.
// Everything is drawn and computed here, in the browser, with no round trip to the kernel;
// image, kernel, stride, padding, dilation, position and the feature map are synced to Python.
//
// For the keyboard and screen readers: the panels are built once and updated in place, so the
// control in use keeps its focus; no key pressed in the widget reaches JupyterLab's notebook
// shortcuts (keepKeys, in keys.js), and Escape goes back to the cell; a live region says the
// position and the sum at each move (P: the products), an edge when the window is at one, and
// the new map size when stride, padding or dilation change; cells are labelled by row, column,
// value and weight; map cells not computed yet are empty and hidden from assistive technology.
//
// Sizes follow the room there is: a cell is --cs-cell wide (40 px at most, smaller when the
// widest panel would not fit), so the widget reflows down to 320 CSS px without scrolling.

const CELL = 40, SMALLEST = 18; // px per cell, in every panel: the image, the kernel, the products, the map
const fmt = (v) => (Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100));
const KEYS_OF_A_MENU = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp",
                                "PageDown", "Enter", " "]);

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
            reached[r * s + i * d][c * s + j * d] = true;  // a tap; pixels between taps are skipped
          }
        row.push(sum);
      }
      feature.push(row);
    }
  }
  return { image, kernel, s, p, d, H, W, kh, kw, PH, PW, spanH, spanW, outH, outW, ok, at, feature, reached };
}

function grid(cls, rows, cols, label, role) {
  const box = document.createElement("div");
  box.className = "cs-panel " + cls;
  const title = document.createElement("div");
  title.className = "cs-title";
  title.textContent = label;
  const g = document.createElement("div");
  g.className = "cs-grid";
  g.style.gridTemplateColumns = `repeat(${cols}, var(--cs-cell))`;
  g.style.gridTemplateRows = `repeat(${rows}, var(--cs-cell))`;
  if (role) g.setAttribute("role", role);
  const cells = [];
  for (let r = 0; r < rows; r++) {
    const line = [], row = document.createElement("div");
    row.className = "cs-line";
    if (role === "grid") row.setAttribute("role", "row");
    for (let c = 0; c < cols; c++) {
      const cell = document.createElement("div");
      cell.className = "cs-cell";
      if (role === "grid") cell.setAttribute("role", "gridcell");
      cell.dataset.row = r;
      cell.dataset.col = c;
      row.appendChild(cell);
      line.push(cell);
    }
    g.appendChild(row);
    cells.push(line);
  }
  box.append(title, g);
  return { box, title, grid: g, cells };
}

function select(label, name, values) {
  const wrap = document.createElement("label");
  wrap.className = "cs-control";
  wrap.textContent = label + " ";
  const sel = document.createElement("select");
  sel.name = name;
  for (const v of values) {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = v;
    sel.appendChild(o);
  }
  wrap.appendChild(sel);
  return { wrap, sel };
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "convlib-slide";
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", "the slide: the kernel's window on the image");
  el.appendChild(root);
  keepKeys(root);
  let L, pos, parts = null, shape = "", press = null, preview = null, said = "", size = 0, productWords = "";

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

  // ---- what stays for the widget's life: the menus, the help, the stage, the live region
  const controls = document.createElement("div");
  controls.className = "cs-controls";
  const menus = {};
  for (const [label, name, values] of [["stride", "stride", [1, 2, 3]], ["padding", "padding", [0, 1, 2]],
                                       ["dilation", "dilation", [1, 2]]]) {
    const { wrap, sel } = select(label, name, values);
    sel.addEventListener("change", () => send(name, Number(sel.value)));
    sel.addEventListener("keydown", (e) => { if (KEYS_OF_A_MENU.has(e.key)) e.stopPropagation(); });
    menus[name] = sel;
    controls.appendChild(wrap);
  }
  const help = document.createElement("p");
  help.className = "cs-help";
  help.id = `cs-help-${Math.random().toString(36).slice(2)}`;
  help.textContent = "Drag the window (the thick square frame on the image), or focus the image and use the arrow " +
    "keys (Home, End: first and last position; P: say the products); Enter or Space flips the pixel under the " +
    "window's centre. Click a weight, or focus it and press Enter, to change it (0, 1, −1). The dashed square on " +
    "the feature map is where the window's sum goes; hovering the map previews a position, clicking it moves " +
    "there. Escape goes back to the notebook.";
  const stage = document.createElement("div");
  stage.className = "cs-stage";
  const status = document.createElement("p");
  status.className = "cs-formula";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  root.append(controls, help, stage, status);

  function syncMenus() {
    for (const [name, sel] of Object.entries(menus)) {
      for (const o of sel.options) o.disabled = !fits({ [name]: Number(o.value) });
      sel.value = String(model.get(name));
    }
  }

  function focusedPart() {  // which control has focus, by what it is (elements may be rebuilt)
    const a = document.activeElement;
    if (!a || !stage.contains(a)) return null;
    if (a === parts.image.grid) return { image: true };
    if (a.dataset && a.dataset.weight) return { weight: a.dataset.weight };
    return null;
  }

  function refocus(part) {
    if (!part || !parts) return;
    if (part.image) parts.image.grid.focus();
    else if (part.weight) {
      const w = stage.querySelector(`[data-weight="${part.weight}"]`);
      if (w) w.focus();
    }
  }

  function fitCells() {  // the cell size from the width there is: the widest panel fits, 18 to 40 px
    if (!L) return;
    const room = root.clientWidth - 24;  // the widget's padding and the grid's border
    const widest = Math.max(L.PW, L.kw, L.outW, 1);
    const fit = room > 0 ? Math.max(SMALLEST, Math.min(CELL, Math.floor(room / widest))) : CELL;
    if (fit === size) return;
    size = fit;  // set in pixels (a drag step then recomputes no sizes)
    root.style.setProperty("--cs-cell", `${size}px`);
    root.classList.toggle("cs-small", size < 32);
    if (parts && L.ok && pos) place(pos);
  }

  function update(note) {
    L = layout(model);
    syncMenus();
    const next = `${L.PH}x${L.PW}/${L.kh}x${L.kw}/${L.outH}x${L.outW}/${L.ok}`;
    if (next !== shape || !parts) {
      const part = parts ? focusedPart() : null;
      build();
      shape = next;
      refocus(part);
    }
    fitCells();
    if (!L.ok) return;
    fill();
    const [r0, c0] = model.get("position");
    pos = [Math.min(Math.max(r0, 0), L.outH - 1), Math.min(Math.max(c0, 0), L.outW - 1)];
    draw(pos, note);
    const same = JSON.stringify(L.feature) === JSON.stringify(model.get("feature"));
    if (!same || pos[0] !== r0 || pos[1] !== c0) {
      model.set("feature", L.feature);
      model.set("position", pos);
      model.save_changes();
    }
  }

  function build() {  // the panels for this shape of image, kernel and map (not their values)
    stage.textContent = "";
    parts = null;
    if (!L.ok) {
      const err = document.createElement("div");
      err.className = "cs-error";
      err.setAttribute("role", "alert");
      err.textContent = `the ${L.kh}x${L.kw} kernel (spanning ${L.spanH}x${L.spanW}) does not fit in the ${L.PH}x${L.PW} padded image`;
      stage.appendChild(err);
      status.textContent = err.textContent;
      return;
    }
    const row = document.createElement("div");
    row.className = "cs-row";
    const image = grid("cs-image", L.PH, L.PW, "", "grid");
    const kernel = grid("cs-kernel", L.kh, L.kw, "kernel (click a weight)", "group");
    const products = grid("cs-products", L.kh, L.kw, "window × kernel", "grid");
    const feature = grid("cs-feature", L.outH, L.outW, "", "grid");
    kernel.grid.setAttribute("aria-label", "kernel");
    for (let i = 0; i < L.kh; i++)
      for (let j = 0; j < L.kw; j++) {
        const cell = kernel.cells[i][j];
        cell.tabIndex = 0;
        cell.setAttribute("role", "button");
        cell.dataset.weight = `${i},${j}`;
      }
    const frame = document.createElement("div");
    frame.className = "cs-frame";
    frame.setAttribute("aria-hidden", "true");
    image.grid.appendChild(frame);
    image.grid.tabIndex = 0;
    image.grid.setAttribute("aria-describedby", help.id);
    const never = document.createElement("p");
    never.className = "cs-note";
    image.box.appendChild(never);
    const current = document.createElement("p");
    current.className = "cs-note";
    feature.box.appendChild(current);
    row.append(image.box, kernel.box, products.box, feature.box);
    stage.appendChild(row);
    parts = { image, kernel, products, feature, frame, never, current };
    wire();
  }

  function fill() {  // the values: pixels, weights, which pixels no position reaches, the map
    const { image, kernel, feature, never } = parts;
    const label = L.p ? `image ${L.H}×${L.W}, padded with ${L.p} ring${L.p > 1 ? "s" : ""} of zeros` : `image ${L.H}×${L.W}`;
    image.title.textContent = label;
    image.grid.setAttribute("aria-label", label + "; the thick square frame is the kernel's window");
    const missed = [], never_said = L.d > 1 ? "never under a weight (the dilation skips it)" : "never under the kernel";
    for (let r = 0; r < L.PH; r++)
      for (let c = 0; c < L.PW; c++) {
        const cell = image.cells[r][c], v = L.at(r, c);
        const padding = r < L.p || c < L.p || r >= L.p + L.H || c >= L.p + L.W;
        cell.textContent = fmt(v);
        cell.classList.toggle("cs-pad", padding);
        cell.classList.toggle("cs-on", !padding && v !== 0);
        const out = !L.reached[r][c];
        cell.classList.toggle("cs-never", out);
        if (out && !padding) missed.push(`(${r - L.p}, ${c - L.p})`);
        cell.dataset.base = `row ${r - L.p}, column ${c - L.p}: ${padding ? "padding zero" : fmt(v)}` +
          (out ? `, ${never_said}` : "");
        cell.setAttribute("aria-label", cell.dataset.base);
      }
    never.textContent = missed.length ? `cross-hatched: ${missed.length} pixel${missed.length > 1 ? "s" : ""} ` +
      `${L.d > 1 ? "never under a weight" : "never under the kernel"}, ${missed.join(", ")}` : "";
    for (let i = 0; i < L.kh; i++)
      for (let j = 0; j < L.kw; j++) {
        const cell = kernel.cells[i][j], w = L.kernel[i][j], next = w === 0 ? 1 : w === 1 ? -1 : 0;
        cell.textContent = fmt(w);
        cell.setAttribute("aria-label", `weight row ${i}, column ${j}: ${fmt(w)}; press Enter to make it ${fmt(next)}`);
      }
    feature.title.textContent = `feature map ${L.outH}×${L.outW}`;
    feature.grid.setAttribute("aria-label", `feature map ${L.outH}×${L.outW}, filled up to the window's position`);
  }

  function draw(at, note) {  // the window at ``at``: its frame, taps, products, the map so far, the words
    const [r, c] = at, { image, products, feature, frame, current } = parts;
    const top = r * L.s, left = c * L.s;
    for (const line of image.cells)
      for (const cell of line) {
        if (cell.classList.contains("cs-tap") || cell.classList.contains("cs-skip")) {
          cell.classList.remove("cs-tap", "cs-skip");
          cell.removeAttribute("data-w");
          cell.setAttribute("aria-label", cell.dataset.base);
        }
      }
    for (let i = 0; i < L.spanH; i++)
      for (let j = 0; j < L.spanW; j++) {
        if (i % L.d || j % L.d) {  // inside the window but between taps: dilation skips it
          const cell = image.cells[top + i][left + j];
          cell.classList.add("cs-skip");
          cell.setAttribute("aria-label", cell.dataset.base + ", skipped by the dilation");
        }
      }
    const terms = [];
    let sum = 0;
    for (let i = 0; i < L.kh; i++)
      for (let j = 0; j < L.kw; j++) {
        const rr = top + i * L.d, cc = left + j * L.d, x = L.at(rr, cc), w = L.kernel[i][j];
        const cell = image.cells[rr][cc];
        cell.classList.add("cs-tap");
        cell.dataset.w = "×" + fmt(w);
        cell.setAttribute("aria-label", `${cell.dataset.base}, in the window, times weight ${fmt(w)}`);
        const product = products.cells[i][j];
        product.textContent = fmt(x * w);
        product.classList.toggle("cs-on", x * w !== 0);
        product.setAttribute("aria-label", `row ${i}, column ${j}: ${fmt(x)} × ${fmt(w)} = ${fmt(x * w)}`);
        terms.push(`${fmt(x)}×${fmt(w)}`);
        sum += x * w;
      }
    place(at);
    products.title.textContent = `window × kernel: sum = ${fmt(sum)}`;
    products.title.dataset.sum = sum;
    products.grid.setAttribute("aria-label", `window × kernel, sum ${fmt(sum)}`);
    for (let rr = 0; rr < L.outH; rr++)
      for (let cc = 0; cc < L.outW; cc++) {
        const cell = feature.cells[rr][cc], done = rr < r || (rr === r && cc <= c), here = rr === r && cc === c;
        cell.classList.toggle("cs-done", done);
        cell.classList.toggle("cs-current", here);
        cell.dataset.value = L.feature[rr][cc];
        cell.textContent = done ? fmt(L.feature[rr][cc]) : "";  // not computed yet: nothing to read
        if (done) {
          cell.removeAttribute("aria-hidden");
          cell.setAttribute("aria-label", `row ${rr}, column ${cc}: ${fmt(L.feature[rr][cc])}` +
            (here ? ", the window's sum (dashed frame)" : ""));
        } else {
          cell.setAttribute("aria-hidden", "true");
          cell.removeAttribute("aria-label");
        }
      }
    feature.cells.forEach((line, rr) => {  // a row with nothing computed yet is hidden as a whole
      const row = line[0].parentElement;
      if (rr <= r) row.removeAttribute("aria-hidden");
      else row.setAttribute("aria-hidden", "true");
    });
    current.textContent = `dashed: row ${r}, column ${c}, the window's sum`;
    const text = `${preview ? "Preview: w" : "W"}indow at row ${r}, column ${c}: sum ${fmt(sum)}, written to ` +
      `feature[${r}, ${c}].`;
    productWords = `Products at row ${r}, column ${c}: ${terms.join(" + ")} = ${fmt(sum)}.`;
    status.dataset.position = `${r},${c}`;
    status.dataset.sum = sum;
    say((note ? note + " " : "") + text);
  }

  function place(at) {  // the window's frame, in pixels of the current cell size
    const frame = parts.frame.style;
    frame.top = `${at[0] * L.s * size}px`;
    frame.left = `${at[1] * L.s * size}px`;
    frame.width = `${L.spanW * size}px`;
    frame.height = `${L.spanH * size}px`;
  }

  function say(words) {  // the live region, changed only when there is something new to hear
    if (words !== said) status.textContent = said = words;
  }

  function edge(dr, dc) {  // a move that the edge stops: said as such
    const where = dr < 0 ? "top row (row 0)" : dr > 0 ? `bottom row (row ${L.outH - 1})` :
      dc < 0 ? "first column (column 0)" : `last column (column ${L.outW - 1})`;
    say(`Edge: the window is already in the ${where} of the ${L.outH}×${L.outW} feature map; ` +
        `it stays at row ${pos[0]}, column ${pos[1]}.`);
  }

  function moveTo(r, c) {
    r = Math.min(Math.max(r, 0), L.outH - 1);
    c = Math.min(Math.max(c, 0), L.outW - 1);
    preview = null;
    if (r === pos[0] && c === pos[1]) return;
    pos = [r, c];
    draw(pos);
    send("position", pos);
  }

  function cellOf(event) {
    const box = parts.image.grid.getBoundingClientRect();
    const r = Math.floor((event.clientY - box.top) / (box.height / L.PH)), c = Math.floor((event.clientX - box.left) / (box.width / L.PW));
    return r >= 0 && c >= 0 && r < L.PH && c < L.PW ? [r, c] : null;
  }

  function follow(cell) {  // the window centred on the pointer, snapped to the positions the stride allows
    moveTo(Math.round((cell[0] - (L.spanH - 1) / 2) / L.s), Math.round((cell[1] - (L.spanW - 1) / 2) / L.s));
  }

  let pending = null;  // what the next update from the model should say first
  function flip(r, c) {  // padded coordinates; padding cannot be flipped
    const ri = r - L.p, ci = c - L.p;
    if (ri < 0 || ci < 0 || ri >= L.H || ci >= L.W) return;
    const next = L.image.map((line) => line.slice());
    next[ri][ci] = next[ri][ci] === 0 ? 1 : 0;
    pending = `Pixel row ${ri}, column ${ci} is now ${next[ri][ci]}.`;
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
    g.addEventListener("pointerup", () => {
      if (press && !press.moved) flip(...press.cell);
      press = null;
    });
    g.addEventListener("pointercancel", () => { press = null; });
    g.addEventListener("keydown", (e) => {
      const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (moves[e.key]) {
        const [dr, dc] = moves[e.key], r = pos[0] + dr, c = pos[1] + dc;
        if (r < 0 || c < 0 || r >= L.outH || c >= L.outW) edge(dr, dc);
        else moveTo(r, c);
      } else if (e.key === "p" || e.key === "P") {
        say(productWords);
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
      e.stopPropagation();  // the notebook's shortcuts (Enter: edit the cell, arrows: next cell) never see it
    });
    // hovering the map previews a position; leaving it brings back the window's own; a click moves there
    parts.feature.cells.forEach((line, r) => line.forEach((cell, c) => {
      cell.addEventListener("pointerenter", () => { preview = [r, c]; draw(preview); });
      cell.addEventListener("click", () => moveTo(r, c));
    }));
    parts.feature.grid.addEventListener("pointerleave", () => {
      if (preview) { preview = null; draw(pos); }
    });
    parts.kernel.cells.forEach((line, i) => line.forEach((cell, j) => {
      const change = () => {
        const w = L.kernel[i][j], next = L.kernel.map((row) => row.slice());
        next[i][j] = w === 0 ? 1 : w === 1 ? -1 : 0;
        pending = `Weight row ${i}, column ${j} is now ${fmt(next[i][j])}.`;
        send("kernel", next);
      };
      cell.addEventListener("click", change);
      cell.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          change();
          e.preventDefault();
          e.stopPropagation();
        }
      });
    }));
  }

  function settingSaid(name) {  // stride, padding or dilation changed: the new map, what is skipped
    const n = layout(model);
    if (!n.ok) return null;
    const positions = n.outH * n.outW;
    let words = `${name[0].toUpperCase() + name.slice(1)} ${model.get(name)}: the feature map is now ` +
      `${n.outH}×${n.outW}, ${positions} position${positions === 1 ? "" : "s"}.`;
    if (n.d > 1)
      words += ` The ${n.kh}×${n.kw} kernel spans ${n.spanH}×${n.spanW} pixels, its weights ` +
        `${n.d} apart; the pixels between them are skipped.`;
    let missed = 0;
    for (let r = n.p; r < n.p + n.H; r++) for (let c = n.p; c < n.p + n.W; c++) if (!n.reached[r][c]) missed++;
    if (missed) words += ` ${missed} pixel${missed === 1 ? " is" : "s are"} never under ${n.d > 1 ? "a weight" : "the kernel"}.`;
    return words;
  }

  const names = ["image", "kernel", "stride", "padding", "dilation"];
  const handlers = names.map((name) => () => {
    const note = ["stride", "padding", "dilation"].includes(name) ? settingSaid(name) : pending;
    pending = null;
    update(note);
  });
  names.forEach((name, i) => model.on(`change:${name}`, handlers[i]));
  const moved = () => {
    const [r, c] = model.get("position");
    if (L && L.ok && parts && (r !== pos[0] || c !== pos[1])) {
      pos = [Math.min(Math.max(r, 0), L.outH - 1), Math.min(Math.max(c, 0), L.outW - 1)];
      draw(pos);
    }
  };
  model.on("change:position", moved);
  const resize = new ResizeObserver(() => fitCells());
  resize.observe(root);
  update(null);
  return () => {
    names.forEach((name, i) => model.off(`change:${name}`, handlers[i]));
    resize.disconnect();
    model.off("change:position", moved);
  };
}

export default { render };
