"""What both the exercises and grading need, so that imports run one way (exercises, then grading).

==============  ==========================================================================
module          holds
==============  ==========================================================================
policy          :mod:`.policy`: the names an answer may not call (``CONVOLUTION``), the scan
                that finds them and code that hides what it calls, and its bounded process
calls           :mod:`.calls`: calling a learner's function within its time limits
blocks          :mod:`.blocks`: the ``### BEGIN SOLUTION`` markers, and an exercise made from
                a solution notebook by stubbing them out
==============  ==========================================================================

Nothing here knows an answer: the sandbox's copy of ``convlib`` carries this package whole.
This ``__init__`` imports nothing.
"""
