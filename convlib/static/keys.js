// Keys pressed in a course widget stay in the widget (shared by the slide widget, the kernel
// editor and the animation player; Python puts this text in front of each one's own script).
//
// JupyterLab's command-mode shortcuts (m: Markdown, b: insert a cell, arrows: another cell,
// Enter: edit mode) are Lumino key bindings. Lumino's CommandRegistry walks from the key's
// target up to the element listening and ignores every binding once it meets an element with
// `data-lm-suppress-shortcuts`; but it tests that attribute and the binding's selector on each
// element in turn, and the notebook's bindings end in `:focus`, which the focused control
// itself matches. So the attribute goes on the widget's root AND on whichever element takes
// the focus inside it. The keys are also kept from bubbling out of the widget, for other hosts
// (Notebook 7, VS Code) and for JupyterLab's own listeners. Escape leaves the widget: the focus
// goes back to its cell, in command mode, as in the rest of JupyterLab.
const SUPPRESS = "data-lm-suppress-shortcuts";

function keepKeys(root) {
  root.setAttribute(SUPPRESS, "true");
  root.addEventListener("focusin", (event) => {
    const target = event.target;
    if (target instanceof Element && !target.hasAttribute(SUPPRESS)) target.setAttribute(SUPPRESS, "true");
  });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      event.preventDefault();
      leaveToCell(root);
    }
    event.stopPropagation();
  });
}

function leaveToCell(root) {
  for (const place of [root.closest(".jp-Cell"), root.closest(".jp-Notebook")]) {
    if (!place) continue;
    place.focus();
    if (document.activeElement === place) return;
  }
  if (document.activeElement && root.contains(document.activeElement)) document.activeElement.blur();
}
