"""A JupyterLab server and a headless Chromium for the browser tests and the drag benchmark.

Debian's ``chromium`` with the ``playwright`` package (``playwright install`` is not used); the
server runs on 127.0.0.1 with a random token, in a scratch HOME with quiet lab settings.
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
from contextlib import contextmanager
from pathlib import Path

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

# Every wait is for a thing that is needed (a kernel that is idle, an element that is there)
# with a time limit that holds on a slow, busy 2-core machine.
WAIT_MS = 120_000


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_home(base):
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


def wait_for_server(base_url, token, process, seconds=180):
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


def group_alive(group):
    """Whether any process of the process group ``group`` is still there (a zombie included)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def stop(process, seconds=30):
    """End ``process`` and every process of its group (a server's kernels); whether all are gone."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
    deadline = time.monotonic() + seconds  # the kernels end after their server, and are reaped by init
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if group_alive(process.pid):
        os.killpg(process.pid, signal.SIGKILL)
        return False
    return True


def _api(lab, method, path):
    """Call the server's REST API (``/api/<path>``); its JSON answer, or ``None``."""
    request = urllib.request.Request(f"{lab['base']}/api/{path}", method=method,
                                     headers={"Authorization": f"token {lab['token']}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return json.loads(body) if body else None


def running_kernels(lab):
    """The kernels the server runs now (JupyterLab's ``/api/kernels``)."""
    return _api(lab, "GET", "kernels")


def wait_for_session(lab, path, seconds=60):
    """Wait until the server holds a session (and so a kernel) for the notebook ``path``: JupyterLab
    starts one for an opened notebook without being asked, and a session still being made when
    the page closes would outlive :func:`shut_down`."""
    deadline = time.monotonic() + seconds
    while not any(session["path"] == path for session in _api(lab, "GET", "sessions")):
        if time.monotonic() > deadline:
            raise AssertionError(f"JupyterLab started no kernel for {path} in {seconds} s")
        time.sleep(0.1)  # a poll of the condition, not a wait in its place


def shut_down(lab, path=None):
    """Shut down the kernel of the notebook ``path`` (every notebook's, when ``None``): a closed
    page leaves its kernel running."""
    for session in _api(lab, "GET", "sessions"):
        if path is None or session["path"] == path:
            _api(lab, "DELETE", f"sessions/{session['id']}")


def lab_flags(port, token):
    return ["--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"]


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


# A stored notebook's prompts already hold numbers: clear them first, so that numbers in every
# prompt mean this run has reached every cell (and the outputs looked at are this run's).
CLEAR_ALL = "() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs').then(() => true)"
NONE_RUN = """() => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
    .map(e => e.innerText);
  return prompts.length > 0 && prompts.every(t => !/\\[\\d+\\]/.test(t));
}"""


def lab_url(lab, path):
    """The page of one notebook, alone: ``reset`` stops JupyterLab reopening earlier pages' tabs."""
    return f"{lab['base']}/lab/tree/{path}?token={lab['token']}&reset"


# One page may show one notebook after another: JupyterLab is loaded once (a few seconds of the
# browser's work each time), and each notebook opened by its command in place of the one before.
APP_READY = "() => !!(window.jupyterapp && window.jupyterapp.shell && document.querySelector('#jp-main-statusbar'))"
OPEN = "(path) => window.jupyterapp.commands.execute('docmanager:open', {path}).then(() => true)"
# the tests' notebooks are copies: closed without a dialog asking to save them
CLOSE_ALL = """() => {
  for (const widget of [...window.jupyterapp.shell.widgets('main')]) {
    if (widget.context) { widget.context.model.dirty = false; }
    widget.close();
  }
  return true;
}"""
NO_NOTEBOOK = "() => document.querySelectorAll('.jp-NotebookPanel').length === 0"
ON_SHOW = """(path) => {
  const widget = window.jupyterapp.shell.currentWidget;
  return !!widget && !!widget.context && widget.context.path === path && widget.isVisible;
}"""


def lab_page(lab, viewport=(1400, 1000)):
    """A new page with JupyterLab loaded and no notebook open, for :func:`show_notebook`."""
    page = lab["browser"].new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.set_default_timeout(WAIT_MS)  # every wait ends; pytest-timeout is the last resort
    page.goto(f"{lab['base']}/lab?token={lab['token']}&reset", timeout=WAIT_MS)
    page.wait_for_function(APP_READY, timeout=WAIT_MS)
    return page


def show_notebook(page, path):
    """Close every tab of ``page`` (a :func:`lab_page`) and open the notebook ``path`` alone."""
    close_all(page)
    page.evaluate(OPEN, path)
    page.wait_for_function(ON_SHOW, arg=path, timeout=WAIT_MS)


def close_all(page):
    page.evaluate(CLOSE_ALL)
    page.wait_for_function(NO_NOTEBOOK, timeout=WAIT_MS)


def open_and_run_all(page, lab, path, before_run=None):
    """Open ``path`` on a page of its own and run it top to bottom (:func:`run_all`)."""
    page.goto(lab_url(lab, path), timeout=WAIT_MS)
    run_all(page, before_run)


def run_all(page, before_run=None):
    """Run the notebook on show top to bottom on its kernel, once it is idle; wait until every
    cell has run and the kernel is idle again. ``before_run``: called once the outputs are cleared."""
    page.wait_for_function(IDLE, timeout=WAIT_MS)
    page.wait_for_function(KERNEL_READY, timeout=WAIT_MS)
    page.evaluate(CLEAR_ALL)
    page.wait_for_function(NONE_RUN, timeout=WAIT_MS)
    if before_run:
        before_run()
    page.evaluate(RUN_ALL)
    page.wait_for_function(ALL_RUN, timeout=2 * WAIT_MS)
    page.wait_for_function(IDLE, timeout=WAIT_MS)
    page.wait_for_function(KERNEL_READY, timeout=WAIT_MS)



@contextmanager
def lab_and_browser(folder, base_dir):
    """JupyterLab serving ``folder`` and a launched Chromium: yields ``{"base", "token", "browser"}``.

    At the end every kernel is shut down and the server stopped; it fails if any of them is
    left running."""
    from playwright.sync_api import sync_playwright

    env = scratch_home(base_dir)
    port, token = free_port(), secrets.token_hex(16)
    root_flag = ["--allow-root"] if os.geteuid() == 0 else []
    command = [sys.executable, "-m", "jupyter", "lab", *root_flag, *lab_flags(port, token),
               "--expose-app-in-browser", f"--ServerApp.root_dir={folder}"]
    log = (base_dir / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_server(base, token, server)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                lab = {"base": base, "token": token, "browser": browser}
                yield lab
                left = running_kernels(lab)  # each test shuts down the kernels it started
                shut_down(lab)
                assert left == [], f"kernels left running: {left}"
            finally:
                browser.close()
    finally:
        gone = stop(server)
    assert gone, "the JupyterLab server or one of its kernels outlived the tests"


# Runs Python in the notebook's kernel and returns what it printed.
RUN_IN_KERNEL = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code, store_history: false });
  let out = "";
  future.onIOPub = (msg) => { if (msg.header.msg_type === "stream") out += msg.content.text; };
  await future.done;
  return out;
}"""
