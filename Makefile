# The course's commands. On a fresh machine with Python 3.11+:
#   make lab    set up a local virtual environment, install the course, open the first lesson
#   make test   the same set-up, then every test (unit, doctests, nbval over every notebook,
#               grading, the browser test)
#   make check  the faster subset, for the edit-test loop: unit tests, doctests, the exercises'
#               checks; nothing that starts a grading sandbox, a Jupyter kernel or a browser (the
#               tests marked sandbox, kernel, browser), which a guard refuses to start while it runs
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
FIRST_LESSON := notebooks/01_image_and_kernel.ipynb
LAB_FLAGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup setup-test lab test check bench bench-grading bench-drag exercises figures notebooks clean help

help:
	@echo "make lab        set up and open the course in JupyterLab"
	@echo "make test       set up and run every test"
	@echo "make check      the faster subset of the tests: no grading sandbox, no kernel, no browser"
	@echo "make bench      speed of conv2d against its peers"
	@echo "make bench-grading  speed and memory of grading a class"
	@echo "make bench-drag  the slide widget's drag step in JupyterLab in Chromium, beside the older widgets"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make notebooks  re-execute lessons and solutions in place (refresh stored outputs)"
	@echo "make figures    regenerate the README's pictures in docs/img/"

# the course itself (what a learner needs)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

# and what the tests need on top
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

setup: $(STAMP)

setup-test: $(TEST_STAMP)

lab: setup
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/$(FIRST_LESSON) $(LAB_FLAGS)

# make check: two workers. make test: three (each file whole on one, its module fixtures and
# nbval's notebooks not split): its grading runs, kernels and browser wait a third of the time
# (a sandbox's kernel starting, a limit running out), which a third worker fills on two cores
TEST_WORKERS ?= 2
SUITE_WORKERS ?= 3

test: setup-test
	$(BIN)/python -m pytest -n $(SUITE_WORKERS) --dist loadfile

# left out of `make check`: the tests marked sandbox, kernel or browser (see tests/conftest.py),
# the files that are mostly such tests, and the tests that render an animation frame by frame
# (all of them run in `make test`). CONVLIB_CHECK_ONLY makes starting a sandbox, a kernel or a
# browser an error (tests/checkguard), in pytest and in every Python it starts.
CHECK_IGNORE := tests/test_browser.py tests/test_grade.py tests/test_gradebook.py
CHECK_SLOW := play_of_a_large_slide or inline_player_needs_no_network or gif_is_small or animation_has_one_frame \
	or slide_explorer_redraws

check: setup-test
	CONVLIB_CHECK_ONLY=1 $(BIN)/python -m pytest -q --numprocesses=$(TEST_WORKERS) tests convlib $(CHECK_IGNORE:%=--ignore=%) \
		-m "not (sandbox or kernel or browser)" -k "not ($(CHECK_SLOW))"

bench: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_conv2d.py

bench-grading: setup
	$(BIN)/python benchmarks/bench_grading.py

bench-drag: setup-test
	$(BIN)/python benchmarks/bench_drag.py

exercises: setup
	$(BIN)/python -m convlib.assign solutions exercises

notebooks: setup
	$(BIN)/python -m convlib.notebook notebooks solutions

figures: setup
	$(BIN)/python docs/make_figures.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
