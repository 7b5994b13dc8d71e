"""The lessons' data and named kernels."""

import numpy as np
import pytest
import scipy.ndimage

from convlib import conv2d, data, kernels


def test_binary_image_and_kernel_are_fresh_copies():
    image = data.binary_image()
    image[0, 0] = 7
    assert data.binary_image()[0, 0] == 1
    assert set(np.unique(data.binary_image())) == {0, 1}
    assert data.x_kernel().tolist() == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]


def test_photo_comes_from_installed_files():
    gray = data.photo()
    colour = data.photo(gray=False)
    assert gray.shape == (600, 512) and gray.dtype == np.uint8
    assert colour.shape == (600, 512, 3)
    assert 40 < gray.mean() < 200 and gray.std() > 20  # a real photo, not a blank
    small = data.small_photo()
    assert small.shape == (32, 32, 3) and small.dtype == np.uint8
    assert small.std() > 10


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_photo_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="size must be a positive whole number"):
        data.photo(size=size)


def test_kernel_table_matches_the_lesson():
    expected = {
        "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "mixed second derivative": [[1, 0, -1], [0, 0, 0], [-1, 0, 1]],
        "edge detection (Laplacian)": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        "edge detection (all directions)": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
        "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "box blur": (np.ones((3, 3)) / 9).tolist(),
        "Gaussian blur": (np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16).tolist(),
    }
    assert list(kernels.KERNELS) == list(expected)
    for name, values in expected.items():
        np.testing.assert_allclose(kernels.kernel(name), values)
        assert kernels.describe(name)


def test_kernel_lookup():
    assert kernels.kernel("SHARPEN")[1, 1] == 5
    k = kernels.kernel("identity")
    k[1, 1] = 9
    assert kernels.KERNELS["identity"][1, 1] == 1  # a copy
    with pytest.raises(KeyError, match="no kernel named 'blurry'; the names are: identity"):
        kernels.kernel("blurry")


def test_filters_behave_as_named_on_the_photo():
    photo = data.photo(size=128).astype(float)
    same = lambda k: conv2d(photo, kernels.kernel(k), padding="same")  # noqa: E731
    np.testing.assert_array_equal(same("identity"), photo)
    # blurs smooth: neighbouring pixels differ less; sharpen makes them differ more
    roughness = lambda im: np.abs(np.diff(im[5:-5, 5:-5], axis=1)).mean()  # noqa: E731
    assert roughness(same("box blur")) < roughness(photo)
    assert roughness(same("Gaussian blur")) < roughness(photo)
    assert roughness(same("sharpen")) > roughness(photo)
    # edge detectors give zero on flat areas
    flat = np.full((10, 10), 77.0)
    for name in ("mixed second derivative", "edge detection (Laplacian)", "edge detection (all directions)"):
        np.testing.assert_allclose(conv2d(flat, kernels.kernel(name)), 0)
    # the Gaussian blur agrees with an independent implementation
    expected = scipy.ndimage.correlate(photo, kernels.kernel("Gaussian blur"), mode="constant")
    np.testing.assert_allclose(same("Gaussian blur"), expected)


def test_the_mixed_second_derivative_answers_corners_diagonal_lines_and_saddles_not_straight_edges():
    """What its description says, on images where the answer is known: d2f/dx dy is 0 for a
    function of x alone or of y alone (a straight vertical or horizontal edge, a ramp), 1 for
    f = x * y (a saddle; the kernel is 4 times the central-difference estimate)."""
    mixed = kernels.kernel("mixed second derivative")
    assert "corners" in kernels.describe("mixed second derivative") and "diagonal lines" in kernels.describe(
        "mixed second derivative") and "saddles" in kernels.describe("mixed second derivative")
    assert not kernels.canonical_name("mixed second derivative").startswith("edge detection")
    rng = np.random.default_rng(5)
    for profile in (rng.integers(0, 256, 12), np.r_[np.zeros(6), np.full(6, 200.0)]):
        np.testing.assert_allclose(conv2d(np.tile(profile, (12, 1)), mixed), 0)        # changes along x only
        np.testing.assert_allclose(conv2d(np.tile(profile, (12, 1)).T, mixed), 0)      # along y only
    y, x = np.mgrid[-5:6, -5:6].astype(float)
    np.testing.assert_allclose(conv2d(x * y, mixed), 4.0)                              # a saddle
    np.testing.assert_allclose(conv2d(3 * x + 2 * y, mixed), 0)                        # a ramp
    square = np.zeros((10, 10))
    square[3:7, 3:7] = 1
    answer = np.abs(conv2d(square, mixed, padding=1))
    assert answer[2:4, 2:4].min() == 1 and answer[4:6, :].max() == 0 and answer[:, 4:6].max() == 0  # corners only
    line = np.eye(10)
    assert np.abs(conv2d(line, mixed)).max() == 2 and np.all(np.diag(conv2d(line, mixed)) == 2)
