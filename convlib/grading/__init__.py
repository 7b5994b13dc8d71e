"""Grading, as a pipeline of small steps: :mod:`.pipeline` runs them, ``convlib-grade`` (:mod:`convlib.grade`) is its command line.

==============  ==========================================================================
step            module
==============  ==========================================================================
read            :mod:`.read`: a file's bytes to a notebook, or the reason it is not one; each
                file read once, bounded (size, objects, strings, depth, cells) before parsing
identify        :mod:`.identify`: which exercise a notebook answers, whose it is;
                :mod:`.roster`: every file's learner, which copy counts, this shard's share;
                :mod:`.solutions`: the answer key's notebooks, each read once per run
canary          :mod:`.canary`: before anyone, each exercise's shipped solution (full marks)
                and untouched handout (zero) graded in the run's own sandboxes, or the run stops
assemble        :mod:`.assemble`: the graded copy (solution cells + the learner's answers)
                and the inputs the answers are called with (fresh hidden cases per run)
scan            :mod:`convlib.answers.policy`: calls an answer may not make, code that hides
                what it calls (read in a process bounded in memory and time)
execute         :mod:`.sandbox` (bubblewrap or a uid of its own), :mod:`.limits` (every limit,
                its default and option; the time limits ordered), :mod:`.cgroup` (each
                sandbox bounded as a whole), :mod:`.uids` (a uid no other sandbox uses),
                :mod:`.stage` (the sandbox's convlib), :mod:`.packages` (the standard
                library and packages it imports, readable by its uid), :mod:`.zygote` (warm forks),
                :mod:`.confine` (seccomp, inside), :mod:`.runner` (nbval, inside),
                :mod:`.record` (the checks, inside), :mod:`.environment` (the sandbox's
                environment variables, inside), :mod:`.exits` (exit codes, inside),
                :mod:`.capped` (a file read within a cap, never through a link: a
                submission, what a sandbox left)
observe         :mod:`.status`: what became of a submission, one :class:`~.status.Status`,
                decided from what the grader saw itself
judge           :mod:`.judge`: the answers against the references, in the grader's process;
                :mod:`.cause`: whose doing a dead kernel or a grader error is (learner, set-up)
report          :mod:`.report`: the gradebook CSV, written row by row, the summary, merge;
                :mod:`.learners` (per learner), :mod:`.canvas` (Canvas's gradebook import),
                :mod:`.moodle` (Moodle's grading worksheets), :mod:`.feedback` (pages to hand
                back, and their index), :mod:`.similarity` (answers alike, for review),
                :mod:`.gradescope` (results.json), :mod:`.autograder` (Gradescope's zip and
                what runs per upload), :mod:`.progress` (stderr); :mod:`.tables` (every file
                written atomically and privately), :mod:`.text` (learner text escaped and
                capped wherever it is shown)
==============  ==========================================================================

Only :mod:`.confine`, :mod:`.environment`, :mod:`.exits`, :mod:`.record`, :mod:`.runner`,
:mod:`.wire` and :mod:`.zygote` (and :mod:`convlib.answers`, which both the exercises and
grading import) ever run inside a sandbox; nothing in them knows an answer. This package's
``__init__`` imports nothing, so that importing one of them does not pull in the answer key.
"""
