"""convlib: the helpers of a course on the convolution layer.

=================  ==========================================================
module             what it holds
=================  ==========================================================
``conv``           ``conv2d`` (fast), ``conv2d_loop`` (to read), output sizes
``data``           the lessons' images and kernels, photos shipped offline
``kernels``        the named filters of the filter-effects table
``cnn``            lesson 7's small CNN: ReLU, max pooling, layers forward and backward
``digits``         scikit-learn's digits from its file, moved on a canvas
``plot``           annotated grids, the sliding window, volumes, tables
``animate``        the slide as frames, an inline player, a GIF
``widgets``        sliders and the kernel editor
``alternatives``   text alternatives of the figures (``describe``), the described <img>
``exercises``      the questions of each lesson: check(), hint(), solution()
``assign``         solutions/ -> exercises/
``grade``          grading submissions: the command and its pipeline
``grading``        the pipeline's steps, the sandbox, what runs inside it
``notebook``       executing notebooks, finding their answer and check cells
=================  ==========================================================
"""

from .alternatives import describe
from .conv import conv2d, conv2d_loop, leftover, output_size, zero_pad

__all__ = ["conv2d", "conv2d_loop", "output_size", "leftover", "zero_pad", "describe"]
__version__ = "1.0.0"
