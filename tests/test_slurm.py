"""The README's Slurm recipe, as written there, on a real single-node Slurm (Debian's
``slurm-wlm`` and ``munge``; ``.ci/run`` installs them): a private ``munged`` and
``slurm.conf`` for this host, started and stopped here; the README's ``grade.sbatch``
submitted as a two-task array, its merge run, and the merged gradebook held against a single
run of the same class, row for row (answers alike compared across the whole class included)."""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from convlib.grading.roster import shard_of

from gradingkit import COPIED_WINDOW_SUM, EX1, GRADE, ROOT, course_notebook, needs_sandbox

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol")
pytestmark = pytest.mark.skipif(
    any(shutil.which(d) is None for d in DAEMONS) or os.geteuid() != 0,
    reason="needs root and Debian's slurm-wlm and munge (apt-get install slurm-wlm munge; .ci/run installs them)")

CONF = """ClusterName=convlib
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld}
SlurmdPort={slurmd}
AuthType=auth/munge
AuthInfo=socket={dir}/munge.socket
CredType=cred/munge
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName={host} CPUs=2 RealMemory=16000 State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)  # a poll of the condition, not a wait in its place


@pytest.fixture
def slurm(tmp_path_factory):
    """A single-node Slurm of its own: ``SLURM_CONF``'s environment for its commands."""
    folder = tmp_path_factory.mktemp("slurm")
    (folder / "state").mkdir()
    (folder / "spool").mkdir()
    key = folder / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    subprocess.run(["munged", "--force", f"--socket={folder}/munge.socket", f"--key-file={key}",
                    f"--log-file={folder}/munged.log", f"--pid-file={folder}/munged.pid",
                    f"--seed-file={folder}/munged.seed"], check=True, timeout=30)
    conf = folder / "slurm.conf"
    conf.write_text(CONF.format(host=socket.gethostname().split(".")[0], ctld=_free_port(), slurmd=_free_port(),
                                dir=folder))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    try:
        subprocess.run(["slurmctld", "-f", str(conf)], check=True, env=env, timeout=30)
        subprocess.run(["slurmd", "-f", str(conf)], check=True, env=env, timeout=30)
        _wait(lambda: "idle" in subprocess.run(["sinfo", "-h", "-o", "%t"], env=env, capture_output=True,
                                               text=True).stdout, 60, "the node to be idle")
        yield env
    finally:
        subprocess.run(["scontrol", "shutdown"], env=env, capture_output=True, timeout=30)
        subprocess.run(["munged", "--stop", f"--socket={folder}/munge.socket"], capture_output=True, timeout=30)
        for pid_file in ("slurmctld.pid", "slurmd.pid"):
            pid = (folder / pid_file).read_text().strip() if (folder / pid_file).exists() else ""
            if pid.isdigit():
                _wait(lambda: not Path(f"/proc/{pid}").exists(), 30, f"{pid_file} to stop")


def _recipe():
    """The README's two Slurm blocks: ``grade.sbatch`` and the merge, as written there."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    part = text[text.index("A **Slurm** job array"):text.index("A **Kubernetes**")]
    blocks = re.findall(r"```bash\n(.*?)```", part, re.S)
    assert len(blocks) == 2 and "#SBATCH" in blocks[0] and " merge " in blocks[1]
    return blocks


def _class(folder):
    """Six learners of exercise 1 as Canvas names them, spread over both shards, two of them (in
    different shards) with the same answer under other names."""
    names, i = {0: [], 1: []}, 0
    while len(names[0]) < 3 or len(names[1]) < 3:
        user = 10_000 + i
        shard = shard_of(f"learner:canvas:{user}", 2)
        if len(names[shard]) < 3:
            names[shard].append(user)
        i += 1
    for n, user in enumerate(names[0] + names[1]):
        nb = course_notebook("solutions" if n % 2 else "exercises", EX1)
        if user in (names[0][0], names[1][0]):
            cell = next(c for c in nb.cells if c.get("metadata", {}).get("convlib", {}).get("answer") == "window_sum")
            cell.source = COPIED_WINDOW_SUM
        path = folder / f"learner{user}_{user}_{900 + n}_{EX1}.ipynb"
        nbformat.write(nb, path)
        os.utime(path, (1_700_000_000, 1_700_000_000))
    return str(names[0][0]), str(names[1][0])


def _rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@needs_sandbox
def test_the_readme_slurm_recipe_merges_to_a_single_run(slurm, tmp_path):
    grading, merging = _recipe()
    course_class, results = tmp_path / "class", tmp_path / "results"
    course_class.mkdir()
    first, second = _class(course_class)
    (tmp_path / "grade.sbatch").write_text(grading)
    env = {**slurm, "COURSE": str(ROOT), "CLASS": str(course_class), "RESULTS": str(results)}
    submitted = subprocess.run(["sbatch", "--array=1-2", "--parsable", f"--chdir={tmp_path}", "grade.sbatch"],
                               env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert submitted.returncode == 0, submitted.stderr
    job = submitted.stdout.strip().split(";")[0]
    _wait(lambda: not subprocess.run(["squeue", "-h", "-j", job], env=env, capture_output=True, text=True).stdout.strip(),
          600, "the array to finish")
    logs = "\n".join(p.read_text() for p in sorted(tmp_path.glob("slurm-*.out")))
    assert sorted(p.name for p in results.glob("part*.csv")) == ["part1.csv", "part2.csv"], logs[-3000:]
    merged = subprocess.run(["bash", "-c", merging], env=env, capture_output=True, text=True, timeout=300)
    assert merged.returncode == 0, merged.stderr
    single = subprocess.run([*GRADE, str(course_class), "--out", str(tmp_path / "single.csv"), "--jobs", "2"],
                            capture_output=True, text=True, timeout=600)
    assert single.returncode == 0, single.stderr[-3000:]

    def comparable(row):  # hidden inputs are drawn fresh each run: which one fails first may differ
        return {**row, "detail": [part.split(":")[0] for part in row["detail"].split(" | ")]}

    whole, joined = _rows(tmp_path / "single.csv"), _rows(results / "grades.csv")
    assert len(joined) == 6 and [comparable(r) for r in joined] == [comparable(r) for r in whole]
    by_id = {r["lms_id"]: r["review"] for r in joined}  # the copy is seen across the two shards
    assert f"learner{second} (canvas {second})'s" in by_id[first] and f"learner{first} (canvas {first})'s" in by_id[second]
    index = _rows(results / "feedback" / "index.csv")
    assert len(index) == 6 and all((results / "feedback" / r["page"]).is_file() for r in index)
