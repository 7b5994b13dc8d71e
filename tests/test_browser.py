"""The course as a learner meets it: JupyterLab in a real Chromium, driven by Playwright.

Every lesson is opened, run top to bottom, and checked for error outputs and broken widgets;
sliders, the kernel editor and the animation are moved and must change what is shown; an exercise
is answered and its check must praise the answer. On a failure a screenshot is kept in
``test-artifacts/browser/``.

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``playwright`` package (the
test extra); ``playwright install`` is not used. Without Chromium the browser tests are skipped
with the reason shown — except in CI (``CI`` set), where they must run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# JupyterLab settings for a quiet, predictable page: no news pop-up, every cell in the DOM,
# no autosave (the lessons are copies, but still).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

# A hung browser or server must fail the run, not stall it.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]
# Every wait below is for a thing the test needs (a kernel that is idle, an element that is
# there) with a time limit that holds on a slow, busy 2-core machine.
WAIT_MS = 120_000


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _scratch_home(base):
    """A scratch HOME with the lab settings above; returns the environment to run in."""
    home = base / "home"
    settings = home / ".jupyter" / "lab" / "user-settings"
    for relative, value in LAB_SETTINGS.items():
        path = settings / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    (base / "tmp").mkdir(exist_ok=True)
    return dict(os.environ, HOME=str(home), TMPDIR=str(base / "tmp"), JUPYTERLAB_SETTINGS_DIR=str(settings),
                JUPYTER_CONFIG_DIR=str(home / ".jupyter"))


def _wait_for_server(base_url, token, process, seconds=180):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the JupyterLab server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/api/status?token={token}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"JupyterLab did not answer within {seconds} s")


def _stop(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def _lab_flags(port, token):
    return ["--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"]


# ------------------------------------------------------------------------------ make lab


def test_make_lab_serves_the_first_lesson(tmp_path):
    """`make lab` itself (set-up already done): the server starts and serves lesson 1."""
    if shutil.which("make") is None:
        pytest.fail("make is needed for `make lab`")
    port, token = _free_port(), secrets.token_hex(16)
    env = _scratch_home(tmp_path)
    stamp = Path(sys.prefix) / ".installed"
    command = ["make", "-o", str(stamp), "lab", f"VENV={sys.prefix}", "LAB_FLAGS=" + " ".join(_lab_flags(port, token))]
    log = (tmp_path / "lab.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_server(base, token, process)
        with urllib.request.urlopen(f"{base}/api/contents/notebooks/01_image_and_kernel.ipynb?token={token}") as r:
            lesson = json.load(r)
        assert lesson["type"] == "notebook" and "Lesson 1" in lesson["content"]["cells"][0]["source"]
        with urllib.request.urlopen(f"{base}/lab/tree/notebooks/01_image_and_kernel.ipynb?token={token}") as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
        text = (tmp_path / "lab.log").read_text()
        assert "lab/tree/notebooks/01_image_and_kernel.ipynb" in text  # opens on the first lesson
    finally:
        _stop(process)


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
    env = _scratch_home(base_dir)
    port, token = _free_port(), secrets.token_hex(16)
    root_flag = ["--allow-root"] if os.geteuid() == 0 else []
    command = [sys.executable, "-m", "jupyter", "lab", *root_flag, *_lab_flags(port, token),
               "--expose-app-in-browser", f"--ServerApp.root_dir={course}"]
    log = (base_dir / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_server(base, token, server)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield {"base": base, "token": token, "browser": browser}
            browser.close()
    finally:
        _stop(server)


IDLE = "() => /\\| Idle/.test((document.querySelector('#jp-main-statusbar') || {}).innerText || '')"
KERNEL_READY = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""
# Started, not awaited: the command's promise may outlive the run; the prompts tell when it is done.
RUN_ALL = "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }"
ALL_RUN = """() => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
    .map(e => e.innerText);
  return prompts.length > 0 && prompts.every(t => /\\[\\d+\\]/.test(t));
}"""


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
        # the slider over the positions: End jumps to the last position
        explorer = page.locator(".widget-vbox").filter(has=page.locator("img.widget-image")).first
        picture = explorer.locator("img.widget-image").first
        handle = explorer.locator(".widget-slider").filter(has_text="position").locator(".noUi-handle").first

        def to_end():
            handle.focus()
            page.keyboard.press("End")

        _src_changes(page, picture, to_end)
        assert "feature[2, 2]" in explorer.inner_text()
        # stride and padding rebuild the positions
        stride = explorer.locator(".widget-slider").filter(has_text="stride").locator(".noUi-handle").first

        def stride_end():
            stride.focus()
            page.keyboard.press("End")

        _src_changes(page, picture, stride_end)
    if lesson.startswith("04_"):
        editor = page.locator(".widget-vbox").filter(has=page.locator("select")).first
        picture = editor.locator("img.widget-image").first
        _src_changes(page, picture, lambda: editor.locator("select").first.select_option("box blur"))
        cell = editor.locator("input[type='number']").first

        def type_number():
            cell.fill("7")
            cell.press("Enter")

        _src_changes(page, picture, type_number)
        assert "(your own)" in editor.locator("select").first.input_value()


def _open_and_run_all(page, lab, path, before_run=None):
    page.goto(f"{lab['base']}/lab/tree/{path}?token={lab['token']}", timeout=WAIT_MS)
    page.wait_for_function(IDLE, timeout=WAIT_MS)
    page.wait_for_function(KERNEL_READY, timeout=WAIT_MS)
    if before_run:
        before_run()
    page.evaluate(RUN_ALL)
    page.wait_for_function(ALL_RUN, timeout=2 * WAIT_MS)
    page.wait_for_function(IDLE, timeout=WAIT_MS)
    page.wait_for_function(KERNEL_READY, timeout=WAIT_MS)


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
        _open_and_run_all(page, lab, f"notebooks/{lesson}")
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
        _open_and_run_all(page, lab, "exercises/01_image_and_kernel.ipynb",
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
        assert page.locator("h2").all_inner_texts() == ["01_image_and_kernel — 1 / 3", "03_depth — 0 / 1"]
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
