"""The course as a learner meets it: JupyterLab in a real Chromium, driven by Playwright.

Every lesson is opened, run top to bottom, and checked for error outputs and broken widgets;
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
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from labharness import (CHROMIUM, RUN_IN_KERNEL, WAIT_MS, free_port, lab_and_browser, lab_flags, open_and_run_all,
                        scratch_home, stop, wait_for_server)

from convlib import conv2d, data

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
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
        stop(process)


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
        yield lab


def _src_changes(page, locator, action, timeout=WAIT_MS):
    """Do ``action`` and wait until the image ``locator`` shows another picture."""
    before = locator.get_attribute("src")
    action()
    handle = locator.element_handle()
    page.wait_for_function("([img, old]) => img.getAttribute('src') !== old", arg=[handle, before], timeout=timeout)


def _exercise_widgets(page, lesson):
    """Move what can be moved in a lesson; each move must change the picture."""
    if lesson.startswith("02_"):
        # the animation: press play, the frame advances
        frame = page.locator("img[id^='_anim_img']").first
        frame.wait_for(state="attached", timeout=WAIT_MS)  # the player's first frame is in the page
        frame.scroll_into_view_if_needed(timeout=WAIT_MS)
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=frame.element_handle(),
                               timeout=WAIT_MS)
        _src_changes(page, frame, lambda: page.locator("button[title='Play']").first.click(), timeout=WAIT_MS)
        page.locator("button[title='Pause']").first.click()
        _drag_the_slide(page)
    if lesson.startswith("04_"):
        editor = page.locator(".widget-vbox").filter(has=page.locator("select")).first
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
  map: [...root.querySelectorAll('.cs-feature .cs-cell')].map(c => Number(c.textContent)),
  image: [...root.querySelectorAll('.cs-image .cs-cell')].map(c => Number(c.textContent)),
})"""


def _drag_the_slide(page):
    """Drag the window across the image; click a pixel; read the widget back in Python."""
    root = page.locator(".convlib-slide").first
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
    back = json.loads(page.evaluate(RUN_IN_KERNEL, "import json; print(json.dumps({'image': slide.image, "
                                    "'position': slide.position, 'feature': slide.feature, "
                                    "'same': bool((np.array(slide.feature) == slide.conv2d_map()).all())}))"))
    assert back == {"image": flipped.tolist(), "position": [1, 1], "feature": want_map.tolist(), "same": True}
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
    back = json.loads(page.evaluate(RUN_IN_KERNEL, "import json; print(json.dumps([slide.stride, slide.padding, "
                                    "slide.dilation, bool((np.array(slide.feature) == slide.conv2d_map()).all())]))"))
    assert back == [1, 1, 2, True]


def _screenshot_on_failure(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(shot), full_page=False)
    print(f"screenshot of the failing page: {shot}")


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_runs_in_jupyterlab(lab, lesson):
    page = lab["browser"].new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(WAIT_MS)  # every wait below ends; pytest-timeout is the last resort
    try:
        open_and_run_all(page, lab, f"notebooks/{lesson}")
        errors = page.locator("[data-mime-type='application/vnd.jupyter.error']")
        assert errors.count() == 0, f"error output in {lesson}: {errors.first.inner_text()[:500]}"
        assert page.get_by_text("Error displaying widget").count() == 0, f"a widget failed to display in {lesson}"
        assert page.locator(".jp-OutputArea-output img").count() > 0, f"no figure shown in {lesson}"
        _exercise_widgets(page, lesson)
    except Exception:
        _screenshot_on_failure(page, Path(lesson).stem)
        raise
    finally:
        page.close()


SET_FIRST_ANSWER = """(source) => {
  const notebook = window.jupyterapp.shell.currentWidget.content;
  const cell = notebook.widgets.find(c => (c.model.getMetadata('convlib') || {}).answer === 'window_sum');
  cell.model.sharedModel.setSource(source);
}"""


def test_exercise_gives_feedback_in_jupyterlab(lab):
    """A learner answers question 1 of exercise 1 and runs all: praise there, 'not attempted' after."""
    page = lab["browser"].new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    answer = (
        "def window_sum(image, kernel, row, col):\n"
        "    kh, kw = kernel.shape\n"
        "    return np.sum(image[row:row + kh, col:col + kw] * kernel)"
    )
    try:
        open_and_run_all(page, lab, "exercises/01_image_and_kernel.ipynb",
                          before_run=lambda: page.evaluate(SET_FIRST_ANSWER, answer))
        outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
        assert any("✅ Correct: window_sum passes all" in text for text in outputs), outputs
        assert any("feature_map is not attempted yet" in text for text in outputs), outputs
        assert page.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0
    except Exception:
        _screenshot_on_failure(page, "exercise_01")
        raise
    finally:
        page.close()


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
