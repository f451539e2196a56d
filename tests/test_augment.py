"""engine.augment: random shifts move every pixel exactly, fill with zeros, and are seeded."""

import numpy as np
import pytest

from engine.augment import random_shift, shift_images


def _reference_shift(img, dy, dx):
    """One image moved by a loop over its pixels: the definition the vectorised version must match."""
    h, w = img.shape[-2:]
    out = np.zeros_like(img)
    for r in range(h):
        for c in range(w):
            if 0 <= r - dy < h and 0 <= c - dx < w:
                out[..., r, c] = img[..., r - dy, c - dx]
    return out


def test_shift_images_moves_each_pixel_exactly():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 256, size=(12, 7, 9), dtype=np.uint8)  # no zeros: a lost or wrapped pixel shows
    shifts = rng.integers(-2, 3, size=(12, 2))
    out = shift_images(x, shifts)
    assert out.dtype == np.uint8 and out.shape == x.shape
    for i in range(len(x)):
        np.testing.assert_array_equal(out[i], _reference_shift(x[i], *shifts[i]))


def test_shift_images_with_a_channel_axis():
    rng = np.random.default_rng(1)
    x = rng.random((5, 3, 6, 6)).astype(np.float32) + 1
    shifts = np.array([[1, 0], [0, -1], [-2, 2], [0, 0], [2, 1]])
    out = shift_images(x, shifts)
    for i in range(len(x)):
        np.testing.assert_array_equal(out[i], _reference_shift(x[i], *shifts[i]))


def test_one_pixel_shift_by_hand():
    x = np.arange(1, 10, dtype=np.uint8).reshape(1, 3, 3)
    np.testing.assert_array_equal(shift_images(x, [[1, -1]])[0], [[0, 0, 0], [2, 3, 0], [5, 6, 0]])


def test_random_shift_is_seeded_bounded_and_keeps_the_ink():
    x = np.zeros((200, 28, 28), dtype=np.uint8)
    x[:, 10:18, 10:18] = 200  # ink away from the border: a shift of <= 2 keeps all of it
    a = random_shift(x, 2, np.random.default_rng(5))
    b = random_shift(x, 2, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, random_shift(x, 2, np.random.default_rng(6)))
    assert (a.reshape(200, -1).sum(axis=1) == x[0].sum()).all()
    rows = np.argmax(a.any(axis=2), axis=1) - 10  # each image's vertical shift
    cols = np.argmax(a.any(axis=1), axis=1) - 10
    assert set(rows) == set(cols) == {-2, -1, 0, 1, 2}  # every offset in -2..2 is drawn, none beyond


def test_random_shift_zero_is_the_identity_and_negative_is_refused():
    x = np.ones((3, 4, 4), dtype=np.uint8)
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    assert random_shift(x, 0, rng) is x
    assert rng.bit_generator.state == state  # nothing drawn
    with pytest.raises(ValueError):
        random_shift(x, -1, rng)
