"""The exercises' questions, one module per lesson.

=====================  ==============================================  =========================
module                 questions                                       notebook
=====================  ==============================================  =========================
``image_and_kernel``   ``window_sum``, ``feature_map``,                ``01_image_and_kernel``
                       ``feature_map_shape``
``slide``              ``output_length``, ``same_padding``,            ``02_the_slide``
                       ``strided_feature_map``,
                       ``dilated_same_padding``
``depth``              ``depth_conv``, ``layer_output_shape``,         ``03_depth``
                       ``layer_parameters``
``filter_effects``     ``vertical_edge_kernel``, ``box_blur``,         ``04_filter_effects``
                       ``to_convolution``
``learning``           ``mse_loss``, ``loss_gradient``,                ``05_learning_a_filter``
                       ``gradient_step``
``network``            ``parameter_counts``, ``receptive_field``,      ``06_a_network``
                       ``to_channels_first``
``small_cnn``          ``relu``, ``pool_output_size``,                 ``07_a_small_cnn``
                       ``max_pool``, ``filter_gradient``
=====================  ==============================================  =========================

Each question's reference (what it judges with) and worked answer (what ``solution()`` shows)
are the answer cells of ``solutions/NN_topic.ipynb``, read by :mod:`.answer_key`; a question
module writes only its cases, mistakes and hints.

In a notebook::

    from convlib.exercises import image_and_kernel as ex
    ex.q1.check(window_sum)   # feedback
    ex.q1.hint()              # the next hint
    ex.q1.solution()          # a worked answer
"""

from importlib import import_module

from .question import CORRECT, NOT_ATTEMPTED, WRONG, Case, Mistake, Question

MODULES = {
    "01_image_and_kernel": "image_and_kernel",
    "02_the_slide": "slide",
    "03_depth": "depth",
    "04_filter_effects": "filter_effects",
    "05_learning_a_filter": "learning",
    "06_a_network": "network",
    "07_a_small_cnn": "small_cnn",
}


def questions(exercise):
    """The questions of an exercise (``'01_image_and_kernel'``), in order: ``[q1, q2, ...]``."""
    module = import_module(f"{__name__}.{MODULES[exercise]}")
    return [getattr(module, f"q{i}") for i in range(1, 100) if hasattr(module, f"q{i}")]


def hidden_case(name, seed, index):
    """The arguments of a hidden check that failed, as its message names them.

    >>> image, kernel, row, col = hidden_case("window_sum", 7, 3)
    >>> image.shape
    (6, 7)
    """
    for exercise in MODULES:
        for question in questions(exercise):
            if question.name == name:
                return question.hidden_case(int(seed), int(index))
    raise KeyError(f"no question named {name!r}")


__all__ = ["Question", "Case", "Mistake", "CORRECT", "WRONG", "NOT_ATTEMPTED", "MODULES", "questions", "hidden_case"]
