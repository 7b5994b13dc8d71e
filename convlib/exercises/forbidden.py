"""What an answer may not call: the functions that would do a question's work for the learner.

Each question names one of these as its ``forbidden`` (see :class:`~.question.Question`).
"""

from ..answers.policy import CONVOLUTION

__all__ = ["CONVOLUTION", "CONVOLUTION_OR_SIZE", "CONVOLUTION_OR_SLIDE"]

# CONVOLUTION (the policy's list): whatever computes a convolution for you;
# with convlib's output size, where the size is the point
CONVOLUTION_OR_SIZE = CONVOLUTION + ("output_size",)
# with every function of convlib that computes a part of the slide: sizes, leftovers, padding
CONVOLUTION_OR_SLIDE = CONVOLUTION_OR_SIZE + ("leftover", "zero_pad")
