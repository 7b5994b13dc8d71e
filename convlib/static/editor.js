// The kernel editor: a menu of named kernels, the nine weights, the divisor, the photo before and
// after. The controls live here, in the browser; Python computes the filtered photo and says what
// the kernel did (the picture's alt, and a shorter sentence for the live region).
//
// For the keyboard and screen readers: the controls are built once and updated in place, so the
// one in use keeps its focus; no key pressed here reaches JupyterLab's notebook shortcuts
// (keepKeys, in keys.js) and Escape goes back to the cell; every control has a label of its own
// (no tooltip); a polite live region says the new kernel and what it did; focus rings are 3 px.
// The layout reflows: the menu, the weights and the photos take the width there is.

function element(tag, attributes = {}, text = "") {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) e.setAttribute(name, value);
  if (text) e.textContent = text;
  return e;
}

const STEP_KEYS = new Set(["ArrowUp", "ArrowDown", "PageUp", "PageDown"]);
const number = (v) => (Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6));

function render({ model, el }) {
  const root = element("div", { class: "convlib-editor", role: "group", "aria-label": "kernel editor" });
  el.appendChild(root);
  keepKeys(root);
  const uid = Math.random().toString(36).slice(2);

  // the menu of named kernels
  const menuLabel = element("label", { class: "ce-menu", for: `ce-menu-${uid}` }, "kernel");
  const menu = element("select", { id: `ce-menu-${uid}`, name: "kernel" });
  for (const name of model.get("names")) menu.appendChild(element("option", { value: name }, name));
  const menuRow = element("div", { class: "ce-row" });
  menuRow.append(menuLabel, menu);

  // the nine weights and the divisor
  const weights = element("fieldset", { class: "ce-weights" });
  weights.appendChild(element("legend", {}, "the kernel's nine weights"));
  const grid = element("div", { class: "ce-grid" });
  const cells = [];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      const cell = element("input", { type: "number", step: "1", inputmode: "decimal",
                                       "aria-label": `weight row ${i}, column ${j}`, "data-weight": `${i},${j}` });
      cells.push(cell);
      grid.appendChild(cell);
    }
  weights.appendChild(grid);
  const scaleLabel = element("label", { class: "ce-scale", for: `ce-scale-${uid}` }, "divide by ");
  const scale = element("input", { type: "number", step: "1", id: `ce-scale-${uid}`, name: "divide by" });
  scaleLabel.appendChild(scale);
  const sum = element("p", { class: "ce-sum" });
  const said = element("p", { class: "ce-said", role: "status", "aria-live": "polite" });

  // the photo before and after
  const photos = element("div", { class: "ce-photos" });
  const figures = {};
  for (const [name, cls] of [["original", "convlib-photo"], ["filtered", "convlib-result"]]) {
    const figure = element("figure");
    const caption = element("figcaption");
    const img = element("img", { class: cls });
    figure.append(caption, img);
    photos.appendChild(figure);
    figures[name] = { img, caption };
  }
  root.append(menuRow, weights, scaleLabel, sum, said, photos);

  function show() {
    menu.value = model.get("preset_name");
    const values = model.get("numbers");
    cells.forEach((cell, k) => {
      if (!(document.activeElement === cell && Number(cell.value) === values[k])) cell.value = number(values[k]);
    });
    if (!(document.activeElement === scale && Number(scale.value) === model.get("divide_by")))
      scale.value = number(model.get("divide_by"));
    sum.innerHTML = model.get("kernel_sum");
  }

  function pictures() {
    for (const [name, trait] of [["original", "original_img"], ["filtered", "filtered_img"]]) {
      const { src, alt, caption } = model.get(trait);
      const { img, caption: text } = figures[name];
      if (img.getAttribute("src") !== src) img.setAttribute("src", src);
      img.setAttribute("alt", alt);
      text.textContent = caption;
    }
  }

  function speak() {
    said.textContent = model.get("said");
  }

  function send(name, value) {
    model.set(name, value);
    model.save_changes();
  }

  function commitNumbers() {
    const values = cells.map((cell) => cell.value.trim() === "" ? NaN : Number(cell.value));
    const divide = scale.value.trim() === "" ? NaN : Number(scale.value);
    if (values.some((v) => !Number.isFinite(v)) || !Number.isFinite(divide)) return;  // half typed: wait
    const same = values.every((v, k) => v === model.get("numbers")[k]) && divide === model.get("divide_by");
    if (same) return;
    model.set("numbers", values);
    model.set("divide_by", divide);
    model.save_changes();
  }

  menu.addEventListener("change", () => send("preset_name", menu.value));
  for (const input of [...cells, scale]) {
    input.addEventListener("change", commitNumbers);  // Enter, or leaving the box
    input.addEventListener("keyup", (e) => { if (STEP_KEYS.has(e.key)) commitNumbers(); });  // ↑/↓ stepped it
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") commitNumbers(); });
  }

  const listeners = [["change:preset_name change:numbers change:divide_by change:kernel_sum", show],
                     ["change:original_img change:filtered_img", pictures], ["change:said", speak]];
  for (const [events, handler] of listeners) for (const name of events.split(" ")) model.on(name, handler);
  show();
  pictures();
  return () => {
    for (const [events, handler] of listeners) for (const name of events.split(" ")) model.off(name, handler);
  };
}

export default { render };
