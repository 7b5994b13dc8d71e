"""The course as a learner meets it: JupyterLab in a real Chromium, driven by Playwright.

Every lesson is opened and checked for error outputs, broken widgets and figures without words:
the lessons with widgets are run top to bottom in JupyterLab (a widget needs its kernel), the
others are shown as stored, the outputs that nbval, in the same ``make test``, reproduces on a
fresh kernel and compares (so a lesson without widgets is executed once);
the slide widget is dragged with the mouse, its pixels clicked and its values read back in
Python; the kernel editor and the animation are moved and must change what is shown; an
exercise is answered and its check must praise the answer. On a failure a screenshot is kept in
``test-artifacts/browser/``. The server and browser come from ``tests/labharness.py``.

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``playwright`` package (the
test extra); ``playwright install`` is not used. Without Chromium the browser tests are skipped
with the reason shown — except in CI (``CI`` set), where they must run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from labharness import (CHROMIUM, RUN_IN_KERNEL, WAIT_MS, close_all, free_port, lab_and_browser, lab_flags, lab_page,
                        open_and_run_all, run_all, scratch_home, show_notebook, shut_down, stop, wait_for_server,
                        wait_for_session)

from convlib import conv2d, data

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# the lessons that show a widget, which lives only while its kernel runs: run in JupyterLab
LIVE = {name for name in LESSONS if WIDGET_VIEW in (ROOT / "notebooks" / name).read_text(encoding="utf-8")}
# A hung browser or server must fail the run, not stall it.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


# ------------------------------------------------------------------------------ make lab


def test_make_lab_serves_the_first_lesson(tmp_path):
    """`make lab` itself (set-up already done): the server starts and serves lesson 1."""
    if shutil.which("make") is None:
        pytest.fail("make is needed for `make lab`")
    port, token = free_port(), secrets.token_hex(16)
    env = scratch_home(tmp_path)
    stamp = Path(sys.prefix) / ".installed"
    command = ["make", "-o", str(stamp), "lab", f"VENV={sys.prefix}", "LAB_FLAGS=" + " ".join(lab_flags(port, token))]
    log = (tmp_path / "lab.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_server(base, token, process)
        with urllib.request.urlopen(f"{base}/api/contents/notebooks/01_image_and_kernel.ipynb?token={token}") as r:
            lesson = json.load(r)
        assert lesson["type"] == "notebook" and "Lesson 1" in lesson["content"]["cells"][0]["source"]
        with urllib.request.urlopen(f"{base}/lab/tree/notebooks/01_image_and_kernel.ipynb?token={token}") as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
        text = (tmp_path / "lab.log").read_text()
        assert "lab/tree/notebooks/01_image_and_kernel.ipynb" in text  # opens on the first lesson
    finally:
        gone = stop(process)
    assert gone, "make lab's server outlived the test"


# ------------------------------------------------------------------------------ the browser


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab over a copy of the lessons, started as `make lab` starts it."""
    if not Path(CHROMIUM).exists():
        reason = "browser test skipped: Chromium is not installed (Debian/Ubuntu: apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test, but " + reason)
        pytest.skip(reason)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -e '.[test]'")

    base_dir = tmp_path_factory.mktemp("lab")
    course = base_dir / "course"
    for folder in ("notebooks", "exercises"):
        shutil.copytree(ROOT / folder, course / folder, ignore=shutil.ignore_patterns("output", ".ipynb_checkpoints"))
    with lab_and_browser(course, base_dir) as lab:
        yield dict(lab, root=course)


@pytest.fixture(scope="module")
def page(lab):
    """One page of JupyterLab for the lessons and the exercise, each notebook opened in turn."""
    page = lab_page(lab)
    yield page
    page.close()


def _src_changes(page, locator, action, timeout=WAIT_MS):
    """Do ``action`` and wait until the image ``locator`` shows another picture (the same or a new <img>)."""
    from playwright.sync_api import expect

    before = locator.get_attribute("src")
    action()
    expect(locator).not_to_have_attribute("src", before, timeout=timeout)


def _exercise_widgets(page, lesson):
    """Move what can be moved in a lesson; each move must change the picture."""
    if lesson.startswith("02_"):
        # the animation: press play, the frame advances
        player = page.locator(f"{SHOWN} .convlib-player").first
        frame = player.locator(".cp-frame")
        frame.wait_for(state="attached", timeout=WAIT_MS)  # the player's first frame is in the page
        frame.scroll_into_view_if_needed(timeout=WAIT_MS)
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=frame.element_handle(),
                               timeout=WAIT_MS)
        _src_changes(page, frame, lambda: player.locator("button[aria-label='play']").click(), timeout=WAIT_MS)
        player.locator("button[aria-label='pause']").click()
        _drag_the_slide(page)
    if lesson.startswith("04_"):
        editor = page.locator(f"{SHOWN} .convlib-editor").first
        picture = editor.locator("img.convlib-result").first
        _src_changes(page, picture, lambda: editor.locator("select").first.select_option("box blur"))
        cell = editor.locator("input[type='number']").first

        def type_number():
            cell.fill("7")
            cell.press("Enter")

        _src_changes(page, picture, type_number)
        assert "(your own)" in editor.locator("select").first.input_value()


SLIDE_STATE = """(root) => ({
  row: Number(root.querySelector('.cs-feature .cs-current').dataset.row),
  col: Number(root.querySelector('.cs-feature .cs-current').dataset.col),
  shown: Number(root.querySelector('.cs-feature .cs-current').textContent),
  sum: Number(root.querySelector('.cs-products .cs-title').dataset.sum),
  map: [...root.querySelectorAll('.cs-feature .cs-cell')].map(c => Number(c.dataset.value)),
  image: [...root.querySelectorAll('.cs-image .cs-cell')].map(c => Number(c.textContent)),
})"""


def _drag_the_slide(page):
    """Drag the window across the image; click a pixel; read the widget back in Python."""
    root = page.locator(f"{SHOWN} .convlib-slide").first
    root.wait_for(state="visible", timeout=WAIT_MS)
    root.scroll_into_view_if_needed()
    image, kernel = data.binary_image(), data.x_kernel()
    expected = conv2d(image, kernel)
    box = root.locator(".cs-image .cs-grid").bounding_box()
    cell = box["width"] / image.shape[1]

    def centre(r, c):
        return box["x"] + (c + 0.5) * cell, box["y"] + (r + 0.5) * cell

    page.mouse.move(*centre(1, 1))
    page.mouse.down()
    path = [(1, 2), (1, 3), (2, 3), (3, 3), (3, 2), (3, 1), (2, 1), (2, 2)]  # centres of windows
    for r, c in path:
        page.mouse.move(*centre(r, c), steps=3)
        want = (r - 1, c - 1)
        page.wait_for_function(f"(root) => {{ const e = root.querySelector('.cs-feature .cs-current');"
                               f" return e && e.dataset.row == {want[0]} && e.dataset.col == {want[1]}; }}",
                               arg=root.element_handle(), timeout=WAIT_MS)
        state = root.evaluate(SLIDE_STATE)
        assert (state["row"], state["col"]) == want
        assert state["shown"] == state["sum"] == expected[want], (want, state, expected[want])
    page.mouse.up()
    # one click flips one pixel: the map follows, equal to conv2d of the new image
    flipped = image.copy()
    flipped[0, 4] = 1 - flipped[0, 4]
    page.mouse.click(*centre(0, 4))
    want_map = conv2d(flipped, kernel)
    page.wait_for_function("([root, n]) => Number(root.querySelectorAll('.cs-image .cs-cell')[4].textContent) === n",
                           arg=[root.element_handle(), int(flipped[0, 4])], timeout=WAIT_MS)
    state = root.evaluate(SLIDE_STATE)
    assert state["image"] == flipped.ravel().tolist() and state["map"] == want_map.ravel().tolist()
    # and Python has it all: the image, the position, the map, equal to conv2d
    _python_sees(page, "{'image': slide.image, 'position': slide.position, 'feature': slide.feature, "
                       "'same': bool((np.array(slide.feature) == slide.conv2d_map()).all())}",
                 {"image": flipped.tolist(), "position": [1, 1], "feature": want_map.tolist(), "same": True})
    # stride, padding and dilation: the map is conv2d's, and an uneven stride shows what it never reaches
    for settings in ({"stride": 2}, {"stride": 3}, {"stride": 1, "padding": 1, "dilation": 2}):
        for name, value in settings.items():
            root.locator(f"select[name={name}]").select_option(str(value))
        full = {"stride": 1, "padding": 0, "dilation": 1, **settings}
        want_map = conv2d(flipped, kernel, **full)
        page.wait_for_function("([root, n]) => root.querySelectorAll('.cs-feature .cs-cell').length === n",
                               arg=[root.element_handle(), want_map.size], timeout=WAIT_MS)
        state = root.evaluate(SLIDE_STATE)
        assert state["map"] == want_map.ravel().tolist(), (full, state["map"])
        never = root.locator(".cs-image .cs-never").count()
        assert never == (16 if full["stride"] == 3 else 0), (full, never)
    _python_sees(page, "[slide.stride, slide.padding, slide.dilation, "
                       "bool((np.array(slide.feature) == slide.conv2d_map()).all())]", [1, 1, 2, True])


PLACEHOLDERS = {"", "Image", "No description has been provided for this image"}
# The notebook on show: JupyterLab reopens the tabs of earlier tests (as stored, not run) behind it.
SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def _every_figure_is_described(page, lesson):
    """Every picture a lesson shows has a specific alt text (not JupyterLab's or nbconvert's placeholder)."""
    alts = page.evaluate(f"() => [...document.querySelectorAll('{SHOWN} .jp-OutputArea-output img')]"
                         ".map(img => img.getAttribute('alt'))")
    missing = [alt for alt in alts if alt is None or alt.strip() in PLACEHOLDERS or len(alt) < 20]
    assert not missing, f"{lesson}: {len(missing)} of {len(alts)} figures have no text alternative: {missing}"


def _python_sees(page, expression, expected, seconds=WAIT_MS / 1000):
    """Ask the kernel for ``expression`` (as JSON) until it equals ``expected``.

    The browser sends a widget's changes to the kernel as the kernel becomes free (ipywidgets
    holds them back while one is on its way), so Python may see them a moment after the page.
    """
    deadline = time.monotonic() + seconds
    while True:
        back = json.loads(page.evaluate(RUN_IN_KERNEL, f"import json; print(json.dumps({expression}))"))
        if back == expected or time.monotonic() > deadline:
            break
    assert back == expected


def _screenshot_on_failure(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(shot), full_page=False)
    print(f"screenshot of the failing page: {shot}")


ALL_PICTURES_LOADED = f"() => [...document.querySelectorAll('{SHOWN} .jp-OutputArea-output img')]" \
    ".every(img => img.complete && img.naturalWidth > 0)"


def test_the_lessons_with_widgets_are_the_ones_expected():
    """What decides which lessons run in JupyterLab: the slide widget (2) and the kernel editor (4)."""
    assert LIVE == {"02_the_slide.ipynb", "04_filter_effects.ipynb"}


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_runs_in_jupyterlab(lab, page, lesson):
    path = f"notebooks/{lesson}"
    try:
        show_notebook(page, path)
        if lesson in LIVE:
            run_all(page)
        else:  # as stored: what nbval reproduces (JupyterLab starts its kernel all the same)
            wait_for_session(lab, path)
        page.wait_for_function(ALL_PICTURES_LOADED)
        errors = page.locator("[data-mime-type='application/vnd.jupyter.error']")
        assert errors.count() == 0, f"error output in {lesson}: {errors.first.inner_text()[:500]}"
        assert page.get_by_text("Error displaying widget").count() == 0, f"a widget failed to display in {lesson}"
        assert page.locator(f"{SHOWN} .jp-OutputArea-output img").count() > 0, f"no figure shown in {lesson}"
        _every_figure_is_described(page, lesson)
        _exercise_widgets(page, lesson)
    except Exception:
        _screenshot_on_failure(page, Path(lesson).stem)
        raise
    finally:
        close_all(page)
        shut_down(lab, path)


SET_FIRST_ANSWER = """(source) => {
  const notebook = window.jupyterapp.shell.currentWidget.content;
  const cell = notebook.widgets.find(c => (c.model.getMetadata('convlib') || {}).answer === 'window_sum');
  cell.model.sharedModel.setSource(source);
}"""


def test_exercise_gives_feedback_in_jupyterlab(lab, page):
    """A learner answers question 1 of exercise 1 and runs all: praise there, 'not attempted' after."""
    answer = (
        "def window_sum(image, kernel, row, col):\n"
        "    kh, kw = kernel.shape\n"
        "    return np.sum(image[row:row + kh, col:col + kw] * kernel)"
    )
    try:
        show_notebook(page, "exercises/01_image_and_kernel.ipynb")
        run_all(page, before_run=lambda: page.evaluate(SET_FIRST_ANSWER, answer))
        outputs = page.locator(f"{SHOWN} .jp-OutputArea-output").all_inner_texts()
        assert any("✅ Correct: window_sum passes all" in text for text in outputs), outputs
        assert any("feature_map is not attempted yet" in text for text in outputs), outputs
        assert page.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0
    except Exception:
        _screenshot_on_failure(page, "exercise_01")
        raise
    finally:
        close_all(page)
        shut_down(lab, "exercises/01_image_and_kernel.ipynb")


# ------------------------------------------------------------------------------ feedback pages


def test_feedback_page_reads_offline_in_chromium(lab, tmp_path):
    """A learner's feedback page opens from disk, fetches nothing, and shows each point and message."""
    import numpy as np

    from convlib.exercises import questions
    from convlib.grading.feedback import page_name, write_feedback
    from convlib.grading.report import Result

    _, message = questions("01_image_and_kernel")[0].evaluate(lambda image, kernel, row, col: int(np.sum(image[row:row + 3, col:col + 3])))
    assert message.startswith("❌")
    results = [
        Result(submission="ann/01_image_and_kernel.ipynb", learner="Ann <Lee>", exercise="01_image_and_kernel",
               questions={"window_sum": False, "feature_map": False, "feature_map_shape": True},
               messages={"window_sum": message, "feature_map": "❌ feature_map: its check cell did not run."}),
        Result(submission="ann/03_depth.ipynb", learner="Ann <Lee>", exercise="03_depth", status="timed out",
               detail="the notebook ran out of time (120 s)", questions={"depth_conv": False}),
    ]
    path = write_feedback(tmp_path, results)["Ann <Lee>"]
    assert path.name == page_name("Ann <Lee>")
    page = lab["browser"].new_page(viewport={"width": 1000, "height": 900})
    try:
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        assert _axe(page, page.locator("body")) == []  # WCAG 2.1 AA: nothing serious or critical
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "feedback_page.png"), full_page=True)
        assert page.title() == "Feedback for Ann <Lee>"
        assert page.locator("h1").inner_text() == "Feedback for Ann <Lee>"  # escaped, shown as text
        assert page.locator("h2").all_inner_texts() == ["Exercise 1 — Image and kernel — 1 / 3", "Exercise 3 — Depth — 0 / 1"]
        lost = page.locator("tr.lost")
        assert lost.count() == 3 and page.locator("tr.solved").count() == 1
        assert "you summed the window" in lost.first.inner_text() or "np.array(" in lost.first.inner_text()
        assert page.locator(".status").inner_text().startswith("This notebook was not graded to the end: timed out")
        red = lost.first.locator("td.mark").evaluate("e => getComputedStyle(e).color")
        assert red == "rgb(180, 35, 24)"  # and the ❌ says it without colour
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1000  # nothing runs off the side
    finally:
        page.close()
    assert requests == [path.as_uri()]  # nothing fetched but the page itself


# ------------------------------------------------------------------------------ accessibility

AXE_SOURCE = None
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async ([element, tags]) => {
  const result = await window.axe.run(element, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html.slice(0, 160))}));
}"""


def _axe(page, element, impacts=("serious", "critical")):
    """axe-core's WCAG 2.1 A/AA violations inside ``element`` of these impacts (``None``: all)."""
    global AXE_SOURCE
    if AXE_SOURCE is None:
        import axe_playwright_python

        AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(content=AXE_SOURCE)
    violations = page.evaluate(RUN_AXE, [element.element_handle(), WCAG_AA])
    return [v for v in violations if impacts is None or v["impact"] in impacts]


WIDGETS = [
    "import numpy as np\nfrom matplotlib import pyplot as plt\nfrom convlib import animate, data, plot, widgets",
    "slide = widgets.SlideWidget(data.binary_image(), data.x_kernel())\nslide",
    "editor = widgets.KernelEditor(data.photo(size=96), kernel='sharpen')\neditor",
    "animate.play(data.binary_image(), data.x_kernel(), stride=2)",
    "print('the cell after the widgets')",
]


@pytest.fixture(scope="module")
def widget_page(lab):
    """One notebook with the slide widget, the kernel editor and the animation player, run once."""
    import nbformat

    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                 "language": "python"}})
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in WIDGETS]
    folder = Path(lab["root"])
    nbformat.write(notebook, folder / "widgets.ipynb")
    page = lab["browser"].new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    errors = []  # an exception in a widget's script: a test that waits on the widget would only time out
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        open_and_run_all(page, lab, "widgets.ipynb")
        page.locator(f"{SHOWN} .convlib-slide .cs-image .cs-grid").first.wait_for(state="visible")
        page.locator(f"{SHOWN} .convlib-editor img.convlib-result").first.wait_for(state="visible")
        yield page
        assert errors == [], f"scripts on the widgets' page failed: {errors}"
    except Exception:
        _screenshot_on_failure(page, "widgets")
        raise
    finally:
        page.close()
        shut_down(lab, "widgets.ipynb")


ROOTS = {"slide widget": ".convlib-slide", "kernel editor": ".convlib-editor", "animation player": ".convlib-player"}
CELL_OF = {"slide widget": 1, "kernel editor": 2, "animation player": 3}  # the widget's cell in WIDGETS


def _root(page, what):
    return page.locator(f"{SHOWN} {ROOTS[what]}").first


@pytest.mark.parametrize("what", ["slide widget", "kernel editor", "animation player"])
def test_widgets_pass_axe(widget_page, what):
    page = widget_page
    element = _root(page, what)
    element.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    element.screenshot(path=str(ARTIFACTS / f"{what.replace(' ', '_')}.png"))
    assert _axe(page, element) == [], f"the {what} has serious or critical axe violations"
    images = element.locator("img")
    for i in range(images.count()):
        alt = images.nth(i).get_attribute("alt")
        assert alt and alt not in PLACEHOLDERS and len(alt) > 20, (what, alt)


def _notebook_state(page):
    """What a key that reached JupyterLab's notebook shortcuts would change: the cells, their types,
    the active cell and the mode."""
    return page.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget.content;
      return {mode: nb.mode, active: nb.activeCellIndex, cells: nb.widgets.length,
              types: nb.widgets.map(cell => cell.model.type).join(' ')}; }""")


# Keys a learner may press on a control: its own (arrows, pages, Home/End, Enter, Space) and the
# notebook's command-mode shortcuts (a/b insert, c/v/x copy, paste, cut, d d delete, m/y/r
# Markdown/code/raw, j/k move, z undo, Shift/Ctrl+Enter run, 1 heading).
CONTROL_KEYS = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "PageUp", "PageDown", "Home", "End", "Enter", " "]
SHORTCUT_KEYS = ["a", "b", "c", "v", "x", "d", "d", "m", "y", "r", "j", "k", "z", "1", "Shift+Enter", "Control+Enter",
                 "Shift+ArrowDown", "Shift+M"]
# one control of each kind in each widget (controls of a kind share their key handling)
CONTROLS = {
    "slide widget": [".cs-image .cs-grid", "[data-weight='0,1']", "select[name=stride]", "select[name=padding]",
                     "select[name=dilation]"],
    "kernel editor": ["select", "input[data-weight='1,1']", "input[name='divide by']"],
    "animation player": [".cp-slider", ".cp-first", ".cp-previous", ".cp-play", ".cp-next", ".cp-last", ".cp-loop",
                         "summary"],
}
INSIDE = "(root) => root.contains(document.activeElement) && document.activeElement !== document.body"


def _focus_cell(page, what):
    """Make the widget's cell the active one, in command mode, as a learner's click on it would."""
    page.evaluate("""(index) => { const nb = window.jupyterapp.shell.currentWidget.content;
      nb.activeCellIndex = index; nb.mode = 'command'; }""", CELL_OF[what])


@pytest.mark.parametrize("what", ["slide widget", "kernel editor", "animation player"])
def test_no_key_pressed_in_a_widget_reaches_the_notebook(widget_page, what):
    """Every key on every kind of control: the notebook keeps its cells, their types, the active cell
    and the mode, and the focus stays inside the widget."""
    page = widget_page
    root = _root(page, what)
    root.scroll_into_view_if_needed()
    _focus_cell(page, what)
    before = _notebook_state(page)
    assert before["active"] == CELL_OF[what] and before["mode"] == "command"
    for selector in CONTROLS[what]:
        control = root.locator(selector).first
        control.focus()
        assert root.evaluate(INSIDE), (what, selector)
        for key in CONTROL_KEYS + SHORTCUT_KEYS:
            page.keyboard.press(key)
            if page.evaluate("() => !!document.querySelector('.jp-Dialog')"):
                pytest.fail(f"{key!r} on {selector} of the {what} opened a JupyterLab dialog")
            assert _notebook_state(page) == before, (what, selector, key)
            assert root.evaluate(INSIDE), f"{key!r} on {selector} of the {what} sent the focus out of it"
    if what == "animation player":
        pause = root.locator("button[aria-label='pause']")
        if pause.count():
            pause.click()  # leave it still for the next tests
    _reset_widgets(page)


def _reset_widgets(page):
    """The slide widget and the kernel editor as the notebook made them (keys pressed above change them)."""
    page.evaluate(RUN_IN_KERNEL, "slide.image, slide.kernel = data.binary_image(), data.x_kernel()\n"
                                 "slide.stride, slide.padding, slide.dilation, slide.position = 1, 0, 1, [0, 0]\n"
                                 "editor.set_kernel('sharpen')")
    root = _root(page, "slide widget")
    page.wait_for_function("([r, image]) => { const cells = [...r.querySelectorAll('.cs-image .cs-cell')];"
                           " const s = r.querySelector('[role=status]');"
                           " return cells.map(c => Number(c.textContent)).join() === image.join()"
                           " && !!s && s.dataset.position === '0,0'"
                           " && r.querySelector('[data-weight=\"0,1\"]').textContent === '0'; }",
                           arg=[root.element_handle(), data.binary_image().ravel().tolist()])
    page.wait_for_function("(r) => r.querySelector('select').value === 'sharpen'",
                           arg=_root(page, "kernel editor").element_handle())


@pytest.mark.parametrize("what", ["slide widget", "kernel editor", "animation player"])
def test_escape_leaves_a_widget_to_its_cell(widget_page, what):
    page = widget_page
    root = _root(page, what)
    root.scroll_into_view_if_needed()
    root.locator(CONTROLS[what][0]).first.focus()
    page.keyboard.press("Escape")
    page.wait_for_function("(root) => !root.contains(document.activeElement)", arg=root.element_handle())
    state = _notebook_state(page)
    assert state["mode"] == "command" and state["active"] == CELL_OF[what], state
    assert page.evaluate("(root) => document.activeElement === root.closest('.jp-Cell')", root.element_handle())
    # and from there the notebook's own keys work again: ↓ goes to the next cell
    page.keyboard.press("ArrowDown")
    page.wait_for_function("(i) => window.jupyterapp.shell.currentWidget.content.activeCellIndex === i",
                           arg=CELL_OF[what] + 1)


def test_widgets_reflow_at_320_css_px(widget_page):
    """WCAG 1.4.10 (320 CSS px, as 1280 px at 400 % or 640 px at 200 % zoom): every control is on
    screen without scrolling sideways, and axe finds nothing at all."""
    page = widget_page
    page.set_viewport_size({"width": 320, "height": 800})
    # at 320 px the notebook is all a learner keeps open: the side panels closed (their tab bars stay)
    page.evaluate("() => { window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight(); }")
    try:
        slide = _root(page, "slide widget")
        slide.locator("select[name=padding]").select_option("2")  # the widest: a 9×9 padded image
        page.wait_for_function("(r) => r.querySelectorAll('.cs-image .cs-cell').length === 81", arg=slide.element_handle())
        for what in ROOTS:
            root = _root(page, what)
            root.scroll_into_view_if_needed()
            page.wait_for_function("(r) => r.getBoundingClientRect().right <= window.innerWidth", arg=root.element_handle())
            placed = root.evaluate("""(root) => [...root.querySelectorAll('button, input, select, summary, [tabindex]')]
              .filter(e => e.getClientRects().length)
              .map(e => { const r = e.getBoundingClientRect();
                          return {what: e.outerHTML.slice(0, 60), left: r.left, right: r.right}; })""")
            assert placed, what
            off = [p for p in placed if p["left"] < 0 or p["right"] > 320]
            assert not off, (what, off)
            scrolls = root.evaluate("""(root) => { const out = root.closest('.jp-OutputArea-output');
              return [root.scrollWidth - root.clientWidth, out ? out.scrollWidth - out.clientWidth : 0]; }""")
            assert max(scrolls) <= 1, (what, scrolls)
            assert _axe(page, root, impacts=None) == [], f"axe at 320 px: the {what}"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            root.screenshot(path=str(ARTIFACTS / f"{what.replace(' ', '_')}_320px.png"))
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})
        _root(page, "slide widget").locator("select[name=padding]").select_option("0")


def test_slide_widget_by_keyboard_keeps_focus_and_speaks(widget_page):
    page = widget_page
    root = page.locator(f"{SHOWN} .convlib-slide").first
    root.scroll_into_view_if_needed()
    status = root.locator("[role=status]")
    grid = root.locator(".cs-image .cs-grid")
    grid.focus()
    before = _notebook_state(page)
    image, kernel = data.binary_image(), data.x_kernel()

    def said_at(r, c):
        page.wait_for_function("([s, p]) => s.dataset.position === p", arg=[status.element_handle(), f"{r},{c}"])
        return status.inner_text()

    # the arrow keys move the window; the live region says the position and the sum each time,
    # the products when asked (P)
    for key, (r, c) in [("ArrowRight", (0, 1)), ("ArrowDown", (1, 1)), ("End", (2, 2)), ("Home", (0, 0))]:
        page.keyboard.press(key)
        text = said_at(r, c)
        assert text == f"Window at row {r}, column {c}: sum {conv2d(image, kernel)[r, c]}, written to feature[{r}, {c}].", text
        assert page.evaluate("(g) => document.activeElement === g", grid.element_handle())
        page.keyboard.press("p")
        window = image[r:r + 3, c:c + 3]
        products = " + ".join(f"{x}×{w}" for x, w in zip(window.ravel(), kernel.ravel()))
        page.wait_for_function("([s, t]) => s.textContent === t", arg=[
            status.element_handle(), f"Products at row {r}, column {c}: {products} = {conv2d(image, kernel)[r, c]}."])
    # an edge is said as such, and the window stays
    page.keyboard.press("ArrowUp")
    page.wait_for_function("(s) => s.textContent.startsWith('Edge: ')", arg=status.element_handle())
    assert status.inner_text() == ("Edge: the window is already in the top row (row 0) of the 3×3 feature map; "
                                   "it stays at row 0, column 0.")
    page.keyboard.press("End")
    said_at(2, 2)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(s) => s.textContent.includes('last column (column 2)')", arg=status.element_handle())
    page.keyboard.press("Home")
    said_at(0, 0)
    # Enter flips the pixel under the window's centre: the widget redraws, the focus stays, the cell is not edited
    page.keyboard.press("Enter")
    page.wait_for_function("(s) => s.textContent.startsWith('Pixel row 1, column 1 is now 0.')", arg=status.element_handle())
    assert page.evaluate("(g) => document.activeElement === g", grid.element_handle())
    page.keyboard.press("Enter")  # and back
    page.wait_for_function("(s) => s.textContent.startsWith('Pixel row 1, column 1 is now 1.')", arg=status.element_handle())
    assert _notebook_state(page) == before
    assert page.evaluate("(g) => document.activeElement === g", grid.element_handle())
    # a weight, changed twice by Enter: the focus stays on it, the cell stays in command mode
    weight = root.locator("[data-weight='0,1']")
    weight.focus()
    for value in ("1", "-1"):
        page.keyboard.press("Enter")
        page.wait_for_function("([s, v]) => s.textContent.startsWith('Weight row 0, column 1 is now ' + v + '.')",
                               arg=[status.element_handle(), value])
        assert page.evaluate("() => document.activeElement.dataset.weight") == "0,1"
        assert weight.get_attribute("aria-label").startswith(f"weight row 0, column 1: {value};")
    assert _notebook_state(page) == before
    page.keyboard.press("Enter")  # back to 0
    page.wait_for_function("(s) => s.textContent.startsWith('Weight row 0, column 1 is now 0.')", arg=status.element_handle())
    # a menu changed by the keyboard keeps its focus, ↓ on it never moves to the next cell, and the
    # new map is said: its size, its positions, and what a dilation skips
    menu = root.locator("select[name=stride]")
    menu.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_function("(r) => r.querySelectorAll('.cs-feature .cs-cell').length === 4", arg=root.element_handle())
    assert page.evaluate("(m) => document.activeElement === m", menu.element_handle())
    assert menu.input_value() == "2" and _notebook_state(page) == before
    side = (5 - 3) // 2 + 1
    page.wait_for_function("(s) => s.textContent.startsWith('Stride 2:')", arg=status.element_handle())
    assert status.inner_text() == (f"Stride 2: the feature map is now {side}×{side}, {side * side} positions. "
                                   f"Window at row 0, column 0: sum {conv2d(image, kernel, stride=2)[0, 0]}, "
                                   "written to feature[0, 0].")
    menu.select_option("1")
    page.wait_for_function("(r) => r.querySelectorAll('.cs-feature .cs-cell').length === 9", arg=root.element_handle())
    dilation = root.locator("select[name=dilation]")
    dilation.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_function("(s) => s.textContent.startsWith('Dilation 2:')", arg=status.element_handle())
    span = 2 * (3 - 1) + 1
    assert status.inner_text() == (
        f"Dilation 2: the feature map is now 1×1, 1 position. The 3×3 kernel spans {span}×{span} pixels, its weights "
        f"2 apart; the pixels between them are skipped. {5 * 5 - 3 * 3} pixels are never under a weight. "
        f"Window at row 0, column 0: sum "
        f"{conv2d(image, kernel, dilation=2)[0, 0]}, written to feature[0, 0].")
    dilation.select_option("1")
    page.wait_for_function("(r) => r.querySelectorAll('.cs-feature .cs-cell').length === 9", arg=root.element_handle())
    assert _notebook_state(page) == before


def test_slide_widget_tells_in_text_what_it_draws(widget_page):
    page = widget_page
    root = page.locator(f"{SHOWN} .convlib-slide").first
    root.scroll_into_view_if_needed()
    status = root.locator("[role=status]")
    root.locator(".cs-image .cs-grid").focus()
    page.keyboard.press("Home")
    page.wait_for_function("(s) => s.dataset.position === '0,0'", arg=status.element_handle())
    # map cells not computed yet are empty and hidden from assistive technology
    hidden = root.evaluate("""(r) => [...r.querySelectorAll('.cs-feature .cs-cell')].map(c =>
        !!c.closest('[aria-hidden=true]') && c.textContent === '')""")
    assert hidden == [False] + [True] * 8
    current = root.locator(".cs-feature .cs-current")
    assert current.get_attribute("aria-label") == "row 0, column 0: 4, the window's sum (dashed frame)"
    assert root.locator("[data-weight='1,1']").get_attribute("aria-label").startswith("weight row 1, column 1: 1;")
    tap = root.locator(".cs-image .cs-cell").nth(2)
    assert tap.get_attribute("aria-label") == "row 0, column 2: 1, in the window, times weight 1"
    # stride 3: the pixels no position reaches are said, not only cross-hatched
    root.locator("select[name=stride]").select_option("3")
    page.wait_for_function("(r) => r.querySelectorAll('.cs-feature .cs-cell').length === 1", arg=root.element_handle())
    never = root.locator(".cs-image .cs-never")
    assert never.count() == 16 and never.first.get_attribute("aria-label").endswith("never under the kernel")
    assert root.locator(".cs-note").first.inner_text().startswith("cross-hatched: 16 pixels never under the kernel, (0, 3)")
    root.locator("select[name=stride]").select_option("1")
    page.wait_for_function("(r) => r.querySelectorAll('.cs-feature .cs-cell').length === 9", arg=root.element_handle())
    # hovering the map previews a position; leaving it restores the window's own, which Python keeps
    target = root.locator(".cs-feature .cs-cell").nth(7)
    target.hover()
    page.wait_for_function("(s) => s.dataset.position === '2,1' && s.textContent.startsWith('Preview:')",
                           arg=status.element_handle())
    page.mouse.move(5, 5)
    page.wait_for_function("(s) => s.dataset.position === '0,0'", arg=status.element_handle())
    _python_sees(page, "slide.position", [0, 0])


def test_animation_player_steps_by_keys_and_says_each_step(widget_page):
    page = widget_page
    root = _root(page, "animation player")
    root.scroll_into_view_if_needed()
    frame, slider, said = root.locator(".cp-frame"), root.locator(".cp-slider"), root.locator("[role=status]")
    feature = conv2d(data.binary_image(), data.x_kernel(), stride=2)  # 2×2: four steps

    def words(step):  # step 1..4, from conv2d: where the window is, the sum, where it goes
        r, c = divmod(step - 1, 2)
        return (f"step {step} of 4: window at rows {2 * r} to {2 * r + 2}, columns {2 * c} to {2 * c + 2}; "
                f"sum {feature[r, c]} goes to feature[{r}, {c}]")

    root.locator(".cp-first").click()
    assert slider.get_attribute("min") == "1" and slider.get_attribute("max") == "4"  # as the label counts
    slider.focus()
    for key, step in [("ArrowRight", 2), ("ArrowUp", 3), ("ArrowLeft", 2), ("ArrowDown", 1), ("PageUp", 3),
                      ("End", 4), ("ArrowRight", 4), ("PageDown", 2), ("Home", 1)]:
        page.keyboard.press(key)
        page.wait_for_function("([s, v]) => s.value === v", arg=[slider.element_handle(), str(step)])
        assert slider.get_attribute("aria-valuetext") == words(step), (key, step)
        assert frame.get_attribute("alt").startswith(f"Step {step} of 4:")
        assert said.inner_text() == words(step), (key, step)
    steps = root.locator("details li")
    assert steps.count() == 4 and steps.nth(0).text_content() == frame.get_attribute("alt")
    # the frames' pictures follow: four different ones
    seen = set()
    for step in range(4):
        root.locator(".cp-next" if step else ".cp-first").click()
        seen.add(frame.get_attribute("src"))
    assert len(seen) == 4


def test_kernel_editor_says_each_new_kernel(widget_page):
    page = widget_page
    root = _root(page, "kernel editor")
    root.scroll_into_view_if_needed()
    said, picture, menu = root.locator("[role=status]"), root.locator("img.convlib-result"), root.locator("select")
    menu.focus()
    menu.select_option("sharpen")
    before = picture.get_attribute("alt")
    page.keyboard.press("ArrowDown")  # the next kernel in the menu, by the keyboard
    page.wait_for_function("([img, old]) => img.alt !== old", arg=[picture.element_handle(), before])
    name = menu.input_value()
    assert name != "sharpen"
    page.wait_for_function("(s) => s.textContent.length > 0", arg=said.element_handle())
    text = said.inner_text()
    assert text.startswith(f"the {name} kernel, sum ")
    assert text.split(": ", 1)[1] in picture.get_attribute("alt")  # the alt's words, short
    assert len(text) < len(picture.get_attribute("alt"))
    assert page.evaluate("(m) => document.activeElement === m", menu.element_handle())
    _python_sees(page, "editor.preset.value", name)
    # a weight typed: the live region says it is one's own kernel, and what it did
    weight = root.locator("input[data-weight='1,1']")
    weight.focus()
    weight.fill("9")
    page.keyboard.press("Enter")
    page.wait_for_function("(s) => s.textContent.startsWith('your own kernel, sum ')", arg=said.element_handle())
    assert menu.input_value() == "(your own)"
    assert page.evaluate("(w) => document.activeElement === w", weight.element_handle())
    # every control has a name of its own, and no tooltip says "null"
    assert root.locator("[title]").count() == 0
    focus_ring = weight.evaluate("(w) => { const s = getComputedStyle(w); return [s.outlineStyle, s.outlineWidth]; }")
    assert focus_ring == ["solid", "3px"]


def test_stored_figures_show_with_their_alt_before_anything_runs(lab, page):
    """A lesson opened as it is stored (not trusted, not run): each figure is there, with its words."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                 "language": "python"}})
    notebook.cells = [nbformat.v4.new_code_cell(
        "from matplotlib import pyplot as plt\nfrom convlib import data, plot\n"
        "plot.show_grids((data.x_kernel(), 'kernel', 'kernel'))\nplt.show()")]
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    nbformat.write(notebook, Path(lab["root"]) / "stored.ipynb")
    try:
        show_notebook(page, "stored.ipynb")
        picture = page.locator(f"{SHOWN} .jp-OutputArea-output img").first
        picture.wait_for(state="visible")
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 100", arg=picture.element_handle())
        assert picture.get_attribute("alt") == "kernel: 3×3 grid: row 0: 1, 0, 1; row 1: 0, 1, 0; row 2: 1, 0, 1."
        assert page.locator(f"{SHOWN} .jp-OutputArea-output[data-mime-type='text/html']").count() == 1
        wait_for_session(lab, "stored.ipynb")  # nothing was run, but opening it started a kernel
    finally:
        close_all(page)
        shut_down(lab, "stored.ipynb")
