"""The slide widget in JupyterLab in Chromium, side by side with the widgets it replaces.

One JupyterLab, one Chromium, one notebook holding the three widgets; for each, the time from a
learner's action to the new picture:

- ``SlideWidget`` (anywidget, drawn in the browser): one drag step, from the pointer event to
  the page laid out again (script, style and layout, measured in the page);
- ``SlideExplorer`` (ipywidgets, a matplotlib PNG redrawn in the kernel): one position, from
  the key press to the new image in the page;
- ``KernelEditor`` (anywidget: controls in the browser, the filtered photo computed in the kernel)
  on the photo: one kernel change, from the choice to the new image.

    python benchmarks/bench_drag.py             # make bench-drag
    python benchmarks/bench_drag.py --steps 60

The last line is ``drag step median: X ms``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from labharness import WAIT_MS, lab_and_browser, open_and_run_all  # noqa: E402

CELLS = [
    "import numpy as np\nfrom convlib import data, widgets",
    "slide = widgets.SlideWidget(np.random.default_rng(0).integers(0, 2, (12, 12)), data.x_kernel())\nslide",
    "explorer = widgets.SlideExplorer()\nexplorer",
    "editor = widgets.KernelEditor(data.photo(size=256))\neditor",
]

# Drag over every cell of the image, row by row; per step: dispatch the pointer event, then
# force style and layout (what the next frame needs), and time it.
DRAG = """([steps]) => {
  const root = document.querySelector('.convlib-slide');
  const grid = root.querySelector('.cs-image .cs-grid');
  const box = grid.getBoundingClientRect();
  const rows = grid.style.gridTemplateRows.match(/repeat\\((\\d+)/)[1] * 1;
  const cols = grid.style.gridTemplateColumns.match(/repeat\\((\\d+)/)[1] * 1;
  const cell = box.width / cols;
  const at = (r, c) => ({ clientX: box.left + (c + 0.5) * cell, clientY: box.top + (r + 0.5) * cell,
                          bubbles: true, pointerId: 7, isPrimary: true });
  grid.dispatchEvent(new PointerEvent('pointerdown', at(1, 1)));
  const times = [];
  let k = 0;
  for (let s = 0; s < steps; s++) {
    const r = 1 + Math.floor(k / (cols - 2)) % (rows - 2), c = 1 + k % (cols - 2);
    k += 1;
    const t0 = performance.now();
    grid.dispatchEvent(new PointerEvent('pointermove', at(r, c === 1 && r === 1 ? 2 : c)));
    void root.offsetHeight;  // style and layout, now
    times.push(performance.now() - t0);
  }
  grid.dispatchEvent(new PointerEvent('pointerup', at(1, 1)));
  return times;
}"""


def _until_src_changes(page, container, selector, action):
    """Time ``action`` until the image ``selector`` in ``container`` shows another picture (the same
    <img> with a new ``src``, or a new <img>)."""
    before = container.locator(selector).first.get_attribute("src")
    started = time.perf_counter()
    action()
    page.wait_for_function("([root, selector, old]) => { const img = root.querySelector(selector);"
                           " return !!img && img.getAttribute('src') !== old; }",
                           arg=[container.element_handle(), selector, before], timeout=WAIT_MS, polling="raf")
    return (time.perf_counter() - started) * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200, help="drag steps (default 200)")
    parser.add_argument("--changes", type=int, default=12, help="explorer and editor changes (default 12)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-drag-") as scratch:
        base = Path(scratch)
        (base / "course").mkdir()
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS], metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        nbformat.write(nb, base / "course" / "widgets.ipynb")
        with lab_and_browser(base / "course", base) as lab:
            page = lab["browser"].new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT_MS)
            open_and_run_all(page, lab, "widgets.ipynb")
            page.locator(".convlib-slide .cs-image").first.wait_for(state="visible")
            page.evaluate(DRAG, [20])  # warm up
            drag = page.evaluate(DRAG, [args.steps])

            explorer = page.locator(".widget-vbox").filter(has=page.locator(".widget-slider")).first
            handle = explorer.locator(".widget-slider").filter(has_text="position").locator(".noUi-handle").first
            handle.focus()
            steps = []
            for i in range(args.changes):
                key = "ArrowRight" if (i // 8) % 2 == 0 else "ArrowLeft"
                steps.append(_until_src_changes(page, explorer, "img.widget-image", lambda: page.keyboard.press(key)))

            editor = page.locator(".convlib-editor").first
            names = ["box blur", "sharpen", "Gaussian blur", "edge detection (Laplacian)", "identity"]
            changes = [_until_src_changes(page, editor, "img.convlib-result",
                                          lambda n=n: editor.locator("select").first.select_option(n))
                       for n in (names * args.changes)[: args.changes]]

    print(f"{'widget':44s} {'action':34s} {'median ms':>10s} {'p90 ms':>8s}")
    rows = [("SlideWidget (anywidget, in the browser)", "one drag step", drag),
            ("SlideExplorer (ipywidgets, PNG from kernel)", "one position (arrow key)", steps),
            ("KernelEditor on a 256x256 photo", "one kernel change, end to end", changes)]
    for name, action, times in rows:
        ordered = sorted(times)
        print(f"{name:44s} {action:34s} {statistics.median(times):10.2f} {ordered[int(0.9 * (len(times) - 1))]:8.2f}")
    print(f"drag step median: {statistics.median(drag):.2f} ms")


if __name__ == "__main__":
    main()
