"""The project's own files: dependencies in step, the Python we claim, the commands, CI calling the test command."""

import ast
import re
import shlex
import sys
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


# Language and library features newer than Python 3.10, with the version that brought each:
# the project may use one only when it claims that version.
FEATURES = [
    (r"^\s*(?:import tomllib|from tomllib import)", (3, 11), "tomllib"),
    (r"""["']-P["']""", (3, 11), "python -P (the script's folder kept off sys.path)"),
    (r"\bexcept\*|\bExceptionGroup\b|\bTaskGroup\b", (3, 11), "exception groups"),
    (r"\bfrom typing import\b.*\bSelf\b|\btyping\.Self\b", (3, 11), "typing.Self"),
    (r"\bitertools\.batched\b|\bfrom itertools import\b.*\bbatched\b", (3, 12), "itertools.batched"),
    (r"^\s*type \w+(?:\[.*\])? = ", (3, 12), "the type statement"),
    (r"^\s*(?:def|class) \w+\[", (3, 12), "generic functions and classes"),
    (r"\bfrom typing import\b.*\boverride\b|\btyping\.override\b", (3, 12), "typing.override"),
    (r"\bcopy\.replace\b|\bwarnings\.deprecated\b|\bfrom warnings import\b.*\bdeprecated\b", (3, 13),
     "copy.replace, warnings.deprecated"),
]


def _claimed_python():
    """(3, 11) from requires-python = ">=3.11"."""
    claim = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    match = re.fullmatch(r">=\s*3\.(\d+)", claim.strip())
    assert match, f"requires-python should be a plain minimum, >=3.X; it is {claim!r}"
    return 3, int(match.group(1))


def test_the_python_we_claim_is_what_we_run_on_and_what_the_code_needs():
    minimum = _claimed_python()
    assert sys.version_info[:2] >= minimum, f"running on {sys.version_info[:2]}, the course claims {minimum}+"
    sources = [p for folder in ("convlib", "tests", "benchmarks", "docs") for p in (ROOT / folder).rglob("*.py")
               if p.resolve() != Path(__file__).resolve()]  # this table names them all
    used = {}
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for pattern, version, feature in FEATURES:
            if re.search(pattern, text, re.M):
                used.setdefault((version, feature), path.relative_to(ROOT))
    newer = {f"{feature} ({path})": version for (version, feature), path in used.items() if version > minimum}
    assert not newer, f"these need a Python newer than the {minimum} claimed: {newer}"
    # the claim is the lowest Python that runs the course: something in it needs that version
    assert max(version for version, _ in used) == minimum, sorted(used)


def test_readme_environment_and_images_state_the_python_we_claim():
    major, minor = _claimed_python()
    readme = (ROOT / "README.md").read_text()
    start = readme.split("## Start", 1)[1].split("\n## ", 1)[0]
    assert f"Python {major}.{minor} or newer" in start
    assert re.findall(r"Python 3\.\d+", readme) == [f"Python {major}.{minor}"], "one Python version in the README"
    assert f"Python {major}.{minor}+" in (ROOT / "Makefile").read_text().splitlines()[0]
    # conda and the grader's image run the oldest Python claimed, so that CI on them tests the claim
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert f"python={major}.{minor}" in env["dependencies"]
    assert re.search(rf"^FROM python:{major}\.{minor}\b", (ROOT / "Dockerfile").read_text(), re.M)


def test_make_check_runs_no_browser_no_sandbox_and_no_notebook():
    """The fast subset collects only Python files (no nbval), never the browser or grading runs."""
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    target = re.search(r"^check: (.*)\n\t(.*)\n", makefile, re.M)
    assert target and "setup-test" in target.group(1)
    variables = dict(re.findall(r"^(\w+) := (.*)$", makefile, re.M))
    recipe = re.sub(r"\$\((\w+):%=--ignore=%\)",
                    lambda m: " ".join(f"--ignore={p}" for p in variables[m.group(1)].split()), target.group(2))
    args = shlex.split(recipe)
    before, args = args[:args.index("pytest")], args[args.index("pytest") + 1:]
    paths = [a for i, a in enumerate(args) if not a.startswith("-") and args[i - 1] not in ("-k", "-m")]
    assert paths == ["tests", "convlib"]
    for ignored in ("tests/test_browser.py", "tests/test_grade.py", "tests/test_gradebook.py"):
        assert f"--ignore={ignored}" in args
    # and by marker, with the guard on that refuses to start a sandbox, a kernel or a browser
    assert args[args.index("-m") + 1] == "not (sandbox or kernel or browser)"
    assert "CONVLIB_CHECK_ONLY=1" in before
    readme = (ROOT / "README.md").read_text()
    assert "make check" in readme.split("## Start", 1)[1].split("\n## ", 1)[0]
    assert "make check" in readme.split("## Tests", 1)[1].split("\n## ", 1)[0]


def _imported_modules(path, package):
    """Every module ``path`` imports, relative imports resolved against ``package``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = package.split(".") + ([] if path.name == "__init__.py" else [path.stem])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return found


def test_imports_run_one_way_exercises_below_grading_and_the_authoring_command():
    """No module of the exercises imports grading or the authoring command, and grading's
    graded copy does not import the authoring command either: what they share is convlib.answers."""
    def reaches(module, names):
        return any(module == n or module.startswith(n + ".") for n in names)

    exercises = sorted((ROOT / "convlib" / "exercises").glob("*.py"))
    assert len(exercises) > 5
    for path in exercises:
        wrong = [m for m in _imported_modules(path, "convlib.exercises")
                 if reaches(m, ("convlib.grading", "convlib.grade", "convlib.assign"))]
        assert not wrong, f"{path.name} imports {wrong}"
    for path in sorted((ROOT / "convlib" / "answers").glob("*.py")):
        wrong = [m for m in _imported_modules(path, "convlib.answers")
                 if reaches(m, ("convlib.grading", "convlib.grade", "convlib.assign", "convlib.exercises"))]
        assert not wrong, f"{path.name} imports {wrong}"
    assemble = _imported_modules(ROOT / "convlib" / "grading" / "assemble.py", "convlib.grading")
    assert not [m for m in assemble if reaches(m, ("convlib.assign",))]


def test_the_import_check_sees_relative_imports(tmp_path):
    """The check above would see an exercise that imported grading, however it is spelled."""
    path = tmp_path / "question.py"
    path.write_text("from ..grading.policy import scan\nimport convlib.grading.record\n", encoding="utf-8")
    assert {"convlib.grading.policy", "convlib.grading.record"} <= set(_imported_modules(path, "convlib.exercises"))
