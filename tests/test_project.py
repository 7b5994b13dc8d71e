"""The project's own files: dependencies in step, the two commands, CI calling the test command."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _requirement(text):
    """'numpy>=2.0' -> ('numpy', '>=2.0'); conda's 'numpy>=2.0' reads the same."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", text)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = dict(_requirement(r) for r in project["dependencies"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    pip_section = []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip_section += item.get("pip", [])
        else:
            name, spec = _requirement(item)
            conda[name] = spec
    conda.pop("pip", None)
    assert conda.pop("python", "").startswith("=3.")
    assert conda == runtime, "environment.yml and pyproject.toml name different dependencies"
    assert "-e ." in pip_section, "environment.yml must install the course itself"


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == "make test"
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme


def test_makefile_test_target_installs_then_runs_pytest():
    makefile = (ROOT / "Makefile").read_text()
    target = re.search(r"^test: (.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert target and "setup-test" in target.group(1)
    assert re.search(r"^\$\(TEST_STAMP\): \$\(STAMP\)\n\t.*pip install .*'\.\[test\]'", makefile, re.M)
    assert "pytest" in target.group(2)
