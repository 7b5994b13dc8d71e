"""The small CNN of lesson 7: each layer against an independent computation, every gradient
against a numerical slope, the trainer repeatable, bad input refused in the learner's terms."""

import numpy as np
import pytest

from convlib import cnn

RNG = np.random.default_rng(70)


def pool_loop(x, size, stride):
    """Max pooling of one (H, W, C) stack, written as plain loops."""
    height, width, channels = x.shape
    rows, cols = (height - size) // stride + 1, (width - size) // stride + 1
    out = np.empty((rows, cols, channels))
    for r in range(rows):
        for c in range(cols):
            for k in range(channels):
                best = -np.inf
                for i in range(size):
                    for j in range(size):
                        best = max(best, x[r * stride + i, c * stride + j, k])
                out[r, c, k] = best
    return out


# ----------------------------------------------------------------------------------- ReLU


def test_relu_keeps_positives_and_zeroes_the_rest():
    x = RNG.normal(size=(4, 5, 3))
    expected = np.array([v if v > 0 else 0.0 for v in x.ravel()]).reshape(x.shape)
    np.testing.assert_array_equal(cnn.relu(x), expected)
    assert cnn.relu([[-1, 2]]).dtype == float


def test_relu_backward_passes_the_gradient_only_where_the_input_was_positive():
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(cnn.relu_backward(x, [[7.0, 7.0, 7.0]]), [[0.0, 0.0, 7.0]])


# --------------------------------------------------------------------------------- pooling


@pytest.mark.parametrize("shape, size, stride", [((6, 6, 2), 2, 2), ((7, 9, 3), 2, 2), ((7, 7, 1), 3, 2),
                                                  ((5, 6, 4), 2, 1), ((8, 8, 1), 3, 3), ((4, 4, 2), 4, 1)])
def test_max_pool_matches_the_loop(shape, size, stride):
    x = RNG.normal(size=shape)
    np.testing.assert_array_equal(cnn.max_pool(x, size, stride), pool_loop(x, size, stride))


def test_max_pool_takes_one_map_a_stack_or_a_batch():
    batch = RNG.normal(size=(3, 6, 8, 2))
    pooled = cnn.max_pool(batch)
    assert pooled.shape == (3, 3, 4, 2)
    for n in range(3):
        np.testing.assert_array_equal(pooled[n], pool_loop(batch[n], 2, 2))
        np.testing.assert_array_equal(cnn.max_pool(batch[n, :, :, 1]), pool_loop(batch[n], 2, 2)[:, :, 1])


@pytest.mark.parametrize("shape, size, stride", [((2, 6, 6, 3), 2, 2), ((1, 7, 5, 2), 3, 2), ((2, 5, 5, 1), 2, 1)])
def test_max_pool_backward_matches_the_numerical_gradient(shape, size, stride):
    x = RNG.normal(size=shape)  # no two numbers equal: every window has one max
    weights = RNG.normal(size=cnn.max_pool(x, size, stride).shape)
    numeric = cnn.numerical_gradient(lambda: np.sum(cnn.max_pool(x, size, stride) * weights), x)
    np.testing.assert_allclose(cnn.max_pool_backward(x, weights, size, stride), numeric, atol=1e-8)


def test_max_pool_backward_sends_a_tied_window_to_its_first_max():
    x = np.array([[2.0, 2.0], [0.0, 2.0]])
    np.testing.assert_array_equal(cnn.max_pool_backward(x, [[1.0]]), [[1.0, 0.0], [0.0, 0.0]])


def test_max_pool_refuses_bad_input_in_the_learners_terms():
    with pytest.raises(ValueError, match=r"pooling window is 3x3 but x's maps are only 2x2"):
        cnn.max_pool(np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match=r"one map \(H, W\), a stack of maps \(H, W, C\) or a batch"):
        cnn.max_pool(np.ones((1, 2, 4, 4, 1)))
    with pytest.raises(TypeError, match="size must be a positive whole number; got 1.5"):
        cnn.max_pool(np.ones((4, 4)), 1.5)
    with pytest.raises(ValueError, match=r"d_out has shape \(3, 3\) but max_pool's output has shape \(2, 2\)"):
        cnn.max_pool_backward(np.ones((4, 4)), np.ones((3, 3)))


# ------------------------------------------------------------------------------ conv layer


@pytest.mark.parametrize("padding", [0, 1])
def test_conv_backward_matches_the_numerical_gradient(padding):
    x = RNG.normal(size=(2, 5, 6, 2))
    w = RNG.normal(size=(3, 3, 3, 2))
    b = RNG.normal(size=3)
    weights = RNG.normal(size=cnn.conv_forward(x, w, b, padding).shape)

    def loss():
        return np.sum(cnn.conv_forward(x, w, b, padding) * weights)

    dx, dw, db = cnn.conv_backward(x, w, weights, padding)
    np.testing.assert_allclose(dx, cnn.numerical_gradient(loss, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dw, cnn.numerical_gradient(loss, w), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(db, cnn.numerical_gradient(loss, b), rtol=1e-6, atol=1e-7)


def test_conv_weight_gradient_is_lesson_5s_correlation_summed_over_the_batch():
    from convlib.exercises import learning

    images, kernel = RNG.normal(size=(3, 6, 7)), RNG.normal(size=(3, 3))
    targets = RNG.normal(size=(3, 4, 5))
    errors = np.stack([cnn.conv_forward(im[None, ..., None], kernel[None, ..., None], [0.0])[0, ..., 0] - t
                       for im, t in zip(images, targets)])
    _, dw, _ = cnn.conv_backward(images[..., None], kernel[None, ..., None], errors[..., None])
    # lesson 5's gradient of mean(e**2) is 2/M * correlation(image, e); here the weights of e are 1
    one_by_one = sum(learning.loss_gradient(kernel, im, t) * errors[0].size / 2 for im, t in zip(images, targets))
    np.testing.assert_allclose(dw[0, :, :, 0], one_by_one)


def test_conv_backward_refuses_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"d_out has shape \(1, 4, 4, 2\) but the layer's output has shape \(1, 3, 3, 2\)"):
        cnn.conv_backward(np.ones((1, 5, 5, 1)), np.ones((2, 3, 3, 1)), np.ones((1, 4, 4, 2)))
    with pytest.raises(ValueError, match=r"same C; got x \(1, 5, 5, 1\) and w \(2, 3, 3, 3\)"):
        cnn.conv_backward(np.ones((1, 5, 5, 1)), np.ones((2, 3, 3, 3)), np.ones((1, 3, 3, 2)))


# -------------------------------------------------------------------------------- the network


def test_cross_entropy_and_its_gradient():
    scores = RNG.normal(size=(4, 5))
    labels = np.array([0, 4, 2, 2])
    loss, d_scores = cnn.cross_entropy(scores, labels)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(4), labels])))
    np.testing.assert_allclose(d_scores, cnn.numerical_gradient(lambda: cnn.cross_entropy(scores, labels)[0], scores),
                               atol=1e-8)
    np.testing.assert_allclose(cnn.softmax([[1000.0, 1000.0]]), [[0.5, 0.5]])  # no overflow


def test_every_gradient_of_the_network_matches_the_numerical_one():
    params = cnn.init_params((6, 6, 2), n_filters=3, n_classes=4, seed=1, filter_std=0.5)
    images, labels = RNG.normal(size=(5, 6, 6, 2)), np.array([0, 1, 2, 3, 1])
    _, grads = cnn.loss_and_gradients(params, images, labels)
    for name, value in params.items():
        numeric = cnn.numerical_gradient(lambda: cnn.loss_and_gradients(params, images, labels)[0], value, step=1e-6)
        assert cnn.relative_error(grads[name], numeric) < 1e-6, name


def test_a_pooling_window_that_does_not_divide_the_image():
    params = cnn.init_params((7, 7, 1), n_filters=2, pool=3, seed=0)
    assert params["dense_w"].shape == (2 * 2 * 2, 10)
    scores, cache = cnn.forward(params, np.ones((1, 7, 7, 1)))
    assert cache["pool_size"] == 3 and cache["pool"].shape == (1, 2, 2, 2) and scores.shape == (1, 10)


def test_training_is_repeatable_lowers_the_loss_and_leaves_the_start_alone():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 64)
    images = rng.normal(0, 0.3, (64, 6, 6, 1))
    images[labels == 1, :, :3] += 1.0  # class 1: a bright left half
    start = cnn.init_params((6, 6, 1), n_filters=2, n_classes=2, seed=0)
    kept = {name: value.copy() for name, value in start.items()}
    trained, history = cnn.train(start, images, labels, epochs=5, batch_size=16, learning_rate=0.2, seed=4,
                                 test=(images, labels))
    again, history_again = cnn.train(start, images, labels, epochs=5, batch_size=16, learning_rate=0.2, seed=4,
                                      test=(images, labels))
    assert history == history_again and all(np.array_equal(trained[k], again[k]) for k in trained)
    assert all(np.array_equal(start[k], kept[k]) for k in start)
    assert history["loss"][-1] < history["loss"][0] / 2
    assert history["test accuracy"][-1] == history["train accuracy"][-1] == cnn.accuracy(trained, images, labels) == 1.0


def test_the_network_refuses_bad_input_in_the_learners_terms():
    params = cnn.init_params((8, 8, 1), n_filters=2)
    with pytest.raises(ValueError, match=r"images must be a batch \(N, H, W, C\); got shape \(8, 8, 1\); for one image write images\[None\]"):
        cnn.forward(params, np.ones((8, 8, 1)))
    with pytest.raises(ValueError, match="do not fit a dense layer of 32 inputs"):
        cnn.forward(params, np.ones((1, 9, 12, 1)))
    with pytest.raises(ValueError, match="labels must be whole class numbers from 0 to 9; got values from 0 to 10"):
        cnn.cross_entropy(np.zeros((2, 10)), [0, 10])
    with pytest.raises(ValueError, match=r"one class number per image: shape \(2,\)"):
        cnn.accuracy(params, np.ones((2, 8, 8, 1)), [1, 2, 3])
    with pytest.raises(ValueError, match="f must be odd"):
        cnn.init_params((8, 8, 1), f=4)
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        cnn.train(params, np.ones((2, 8, 8, 1)), [0, 1], learning_rate=-1)
    with pytest.raises(TypeError, match="array must be a float ndarray"):
        cnn.numerical_gradient(lambda: 0.0, np.arange(3))


def test_numerical_gradient_measures_a_known_slope_and_puts_the_numbers_back():
    a = RNG.normal(size=(2, 3))
    kept = a.copy()
    np.testing.assert_allclose(cnn.numerical_gradient(lambda: np.sum(np.sin(a)), a), np.cos(a), atol=1e-8)
    np.testing.assert_array_equal(a, kept)
    assert cnn.relative_error(np.ones(3), np.ones(3)) == 0.0
    assert cnn.relative_error([1.0, 0.0], [0.0, 0.0]) == 1.0


# ------------------------------------------------------------------- exercise 7's feedback


def _answers(tmp_path, source):
    """Answers written to a file, as a notebook's cells are: their source can be read back."""
    import importlib.util

    path = tmp_path / "answers_small_cnn.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("answers_small_cnn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exercise_7_recognises_the_mistakes_learners_write(tmp_path):
    from convlib.exercises import small_cnn

    answers = _answers(tmp_path, '''
import numpy as np
from convlib import cnn as layers

def relu_wrong_side(x):
    return np.where(x < 0, x, 0)

def relu_library(x):
    return layers.relu(x)

def pool_size_no_stride(n, size, stride):
    return n - size + 1

def pool_channels_first(x, size, stride):
    channels, height, width = x.shape
    out = np.zeros((channels, (height - size) // stride + 1, (width - size) // stride + 1), dtype=x.dtype)
    for r in range(out.shape[1]):
        for c in range(out.shape[2]):
            out[:, r, c] = x[:, r * stride:r * stride + size, c * stride:c * stride + size].max(axis=(1, 2))
    return out

def pool_stride_forgotten(x, size, stride):
    height, width, channels = x.shape
    out = np.zeros((height - size + 1, width - size + 1, channels), dtype=x.dtype)
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = x[r:r + size, c:c + size].max(axis=(0, 1))
    return out

def pool_one_max(x, size, stride):
    height, width, channels = x.shape
    out = np.zeros(((height - size) // stride + 1, (width - size) // stride + 1, channels), dtype=x.dtype)
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = np.max(x[r * stride:r * stride + size, c * stride:c * stride + size])
    return out

def pool_library(x, size, stride):
    from convlib.cnn import max_pool as pool
    return pool(x, size, stride)

def gradient_mean(images, d_maps):
    from convlib import conv2d
    grads = [sum(conv2d(im, d[:, :, k]) for im, d in zip(images, d_maps)) for k in range(d_maps.shape[3])]
    return np.array(grads) / len(images)

def gradient_swapped(images, d_maps):
    from convlib import conv2d
    return np.array([sum(conv2d(d[:, :, k], im) for im, d in zip(images, d_maps)) for k in range(d_maps.shape[3])])

def relu_np_max(x):
    return np.max(x, 0)

def gradient_descent_sign(images, d_maps):
    from convlib import conv2d
    grad = np.zeros((d_maps.shape[3], images.shape[1] - d_maps.shape[1] + 1, images.shape[2] - d_maps.shape[2] + 1))
    for k in range(d_maps.shape[3]):
        for n in range(len(images)):
            grad[k] -= conv2d(images[n], d_maps[n, :, :, k])
    return grad

def pool_mean(x, size, stride):
    height, width, channels = x.shape
    out = np.zeros(((height - size) // stride + 1, (width - size) // stride + 1, channels))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = x[r * stride:r * stride + size, c * stride:c * stride + size].mean(axis=(0, 1))
    return out
''')
    cases = [
        (small_cnn.q1, answers.relu_wrong_side, "wrong side of 0"),
        (small_cnn.q1, answers.relu_library, "uses `relu`"),
        (small_cnn.q2, answers.pool_size_no_stride, "the stride was forgotten"),
        (small_cnn.q3, answers.pool_channels_first, "you pooled over the wrong axes"),
        (small_cnn.q3, answers.pool_stride_forgotten, "the stride was forgotten"),
        (small_cnn.q3, answers.pool_one_max, "every channel got the same number"),
        (small_cnn.q3, answers.pool_library, "uses `max_pool`"),
        (small_cnn.q4, answers.gradient_mean, "you divided by the number of images"),
        (small_cnn.q4, answers.gradient_swapped, "the image goes first"),
        (small_cnn.q1, answers.relu_np_max, "np.max(x, 0) is the largest number along axis 0"),
        (small_cnn.q4, answers.gradient_descent_sign, "your gradient has the wrong sign"),
        (small_cnn.q3, answers.pool_mean, "lesson 7 compares it with max pooling"),
    ]
    for question, answer, words in cases:
        outcome, message = question.evaluate(answer)
        assert outcome == "wrong" and words in message, (answer.__name__, message)


def test_exercise_7_references_agree_with_the_lessons_network():
    from convlib.exercises import small_cnn

    reference = {name: small_cnn.key[name].function for name in ("relu", "pool_output_size", "max_pool",
                                                                  "filter_gradient")}
    x = RNG.normal(size=(7, 9, 3))
    np.testing.assert_array_equal(reference["relu"](x), cnn.relu(x))
    for size, stride in [(2, 2), (3, 2), (2, 1)]:
        np.testing.assert_array_equal(reference["max_pool"](x, size, stride), pool_loop(x, size, stride))
        assert reference["max_pool"](x, size, stride).shape[:2] == tuple(
            reference["pool_output_size"](n, size, stride) for n in x.shape[:2])
    images, d_maps = RNG.normal(size=(3, 6, 7)), RNG.normal(size=(3, 4, 4, 2))
    _, dw, _ = cnn.conv_backward(images[..., None], np.zeros((2, 3, 4, 1)), d_maps)
    np.testing.assert_allclose(reference["filter_gradient"](images, d_maps), dw[..., 0])


# ------------------------------------------------- the network's own computation of the layers


def average_pool_loop(x, size, stride):
    """Average pooling of one (H, W, C) stack, written as plain loops."""
    height, width, channels = x.shape
    out = np.zeros(((height - size) // stride + 1, (width - size) // stride + 1, channels))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            for k in range(channels):
                out[r, c, k] = sum(x[r * stride + i, c * stride + j, k] for i in range(size) for j in range(size)) / size**2
    return out


@pytest.mark.parametrize("shape, size, stride", [((6, 6, 2), 2, 2), ((7, 5, 3), 3, 2), ((5, 6, 1), 2, 1)])
def test_average_pool_matches_the_loop(shape, size, stride):
    x = RNG.normal(size=shape)
    np.testing.assert_allclose(cnn.average_pool(x, size, stride), average_pool_loop(x, size, stride))


@pytest.mark.parametrize("shape, f, pool", [((3, 8, 8, 1), 3, 2), ((2, 6, 9, 2), 5, 3), ((2, 12, 12, 1), 3, 4)])
def test_the_network_computes_its_layers_as_the_layer_functions_do(shape, f, pool):
    params = cnn.init_params(shape[1:], n_filters=4, f=f, pool=pool, seed=2, filter_std=0.5)
    params["conv_b"] = RNG.normal(0, 0.1, 4)
    x = RNG.normal(size=shape)
    labels = RNG.integers(0, 10, shape[0])
    scores, cache = cnn.forward(params, x)
    conv = cnn.conv_forward(x, params["conv_w"], params["conv_b"], padding=f // 2)
    np.testing.assert_allclose(cache["conv"], conv, atol=1e-12)
    np.testing.assert_array_equal(cache["pool"], cnn.max_pool(cnn.relu(conv), pool))
    # the weight gradient, layer by layer with the public backward functions
    _, d_scores = cnn.cross_entropy(scores, labels)
    d_pooled = (d_scores @ params["dense_w"].T).reshape(cache["pool"].shape)
    d_conv = cnn.relu_backward(conv, cnn.max_pool_backward(cnn.relu(conv), d_pooled, pool))
    _, dw, db = cnn.conv_backward(x, params["conv_w"], d_conv, padding=f // 2)
    _, grads = cnn.loss_and_gradients(params, x, labels)
    np.testing.assert_allclose(grads["conv_w"], dw, atol=1e-12)
    np.testing.assert_allclose(grads["conv_b"], db, atol=1e-12)


def test_the_network_sends_a_tied_window_s_gradient_to_its_first_max():
    params = {"conv_w": np.zeros((1, 3, 3, 1)), "conv_b": np.ones(1), "dense_w": np.ones((16, 2)),
              "dense_b": np.zeros(2)}
    params["conv_w"][0, 1, 1, 0] = 1.0  # the map is the image plus 1: every window of a blank image ties
    params["dense_w"][:, 1] = -1.0
    _, grads = cnn.loss_and_gradients(params, np.zeros((1, 8, 8, 1)), [0])
    loop = cnn.relu_backward(np.ones((1, 8, 8, 1)), cnn.max_pool_backward(
        np.ones((1, 8, 8, 1)), (cnn.cross_entropy([[16.0, -16.0]], [0])[1] @ params["dense_w"].T).reshape(1, 4, 4, 1)))
    assert np.count_nonzero(loop) == 16  # one number per 2x2 window
    assert grads["conv_b"][0] == pytest.approx(loop.sum())


def test_frozen_numbers_keep_their_start_and_the_rest_trains_as_plain_gradient_descent():
    rng = np.random.default_rng(5)
    images, labels = rng.normal(size=(40, 6, 6, 1)), rng.integers(0, 3, 40)
    start = cnn.init_params((6, 6, 1), n_filters=2, n_classes=3, seed=1)
    trained, _ = cnn.train(start, images, labels, epochs=3, batch_size=8, learning_rate=0.3, seed=2,
                           frozen=("conv_w", "conv_b"))
    assert np.array_equal(trained["conv_w"], start["conv_w"]) and np.array_equal(trained["conv_b"], start["conv_b"])
    # the same steps, written out: the dense layer alone on the pooled maps of the fixed filters
    dense = {"dense_w": start["dense_w"].copy(), "dense_b": start["dense_b"].copy()}
    order_rng = np.random.default_rng(2)
    for _ in range(3):
        order = order_rng.permutation(40)
        for s in range(0, 40, 8):
            batch = order[s:s + 8]
            _, grads = cnn.loss_and_gradients(start | dense, images[batch], labels[batch])
            dense = {name: dense[name] - 0.3 * grads[name] for name in dense}
    np.testing.assert_allclose(trained["dense_w"], dense["dense_w"], atol=1e-12)
    with pytest.raises(ValueError, match="frozen names the numbers to keep"):
        cnn.train(start, images, labels, frozen="conv_w")
    untracked, history = cnn.train(start, images, labels, epochs=3, batch_size=8, learning_rate=0.3, seed=2,
                                   frozen=("conv_w", "conv_b"), track=False, test=(images, labels))
    assert list(history) == ["loss"] and len(history["loss"]) == 3
    np.testing.assert_array_equal(untracked["dense_w"], trained["dense_w"])

