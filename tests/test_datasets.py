"""Playground generators, features, gates, curves and CSV points."""

import math

import numpy as np
import pytest

from engine import datasets
from engine.datasets import csvfile, curves, features, gates, playground
from engine.errors import DataError

# ---------------------------------------------------------------- Playground sets


@pytest.mark.parametrize("name", playground.NAMES)
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_shapes_ranges_and_labels(name, noise):
    xy, y = playground.generate(name, noise=noise, seed=3)
    n = 1200 if name in playground.REGRESSION else 500
    assert xy.shape == (n, 2) and y.shape == (n,)
    assert xy.dtype == np.float32 and y.dtype == np.float32
    assert np.abs(xy).max() <= 6.0
    if name in playground.CLASSIFICATION:
        assert set(np.unique(y)) == {-1.0, 1.0}
    elif name in playground.REGRESSION:
        assert y.min() >= -1.0 and y.max() <= 1.0 and y.std() > 0.1
    else:
        assert np.array_equal(np.bincount(y.astype(int)), [167, 166, 167])


@pytest.mark.parametrize("name", playground.NAMES)
def test_seeded_determinism(name):
    a = playground.generate(name, noise=0.2, seed=7)
    b = playground.generate(name, noise=0.2, seed=7)
    c = playground.generate(name, noise=0.2, seed=8)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_circle_without_noise_labels_by_radius():
    xy, y = playground.generate("circle", noise=0.0, seed=1)
    r = np.hypot(xy[:, 0], xy[:, 1])
    assert np.array_equal(y == 1, r < 2.5)
    assert np.all((r <= 2.5) | ((r >= 3.5) & (r <= 5.0 + 1e-5)))
    assert (y == 1).sum() == 250


def test_circle_noise_flips_labels_near_the_boundary_only():
    clean_xy, clean_y = playground.generate("circle", noise=0.0, seed=2)
    noisy_xy, noisy_y = playground.generate("circle", noise=0.1, seed=2)
    assert np.array_equal(clean_xy, noisy_xy)  # noise never moves a circle point
    flipped = clean_y != noisy_y
    assert flipped.any()
    # noise 0.1 shifts the labelled point by at most 0.5 per axis, so only points
    # within 0.5 * sqrt(2) of the r = 2.5 boundary can flip
    r = np.hypot(clean_xy[:, 0], clean_xy[:, 1])
    assert np.all(np.abs(r[flipped] - 2.5) <= 0.5 * math.sqrt(2))
    lots = playground.generate("circle", noise=0.5, seed=2)[1] != clean_y
    assert lots.sum() > flipped.sum()


def test_xor_without_noise_labels_by_quadrant_with_padding():
    xy, y = playground.generate("xor", noise=0.0, seed=4)
    assert np.array_equal(y == 1, xy[:, 0] * xy[:, 1] >= 0)
    assert np.abs(xy).min() >= 0.3 - 1e-6 and np.abs(xy).max() <= 5.3 + 1e-5


def test_xor_noise_flips_near_axes_only():
    clean_xy, clean_y = playground.generate("xor", noise=0.0, seed=4)
    noisy_xy, noisy_y = playground.generate("xor", noise=0.1, seed=4)
    assert np.array_equal(clean_xy, noisy_xy)
    flipped = clean_y != noisy_y
    assert flipped.any()
    # noise 0.1 moves the labelled point by at most 0.5 per axis
    assert np.abs(clean_xy[flipped]).min(axis=1).max() <= 0.5


def test_gauss_variance_follows_the_playground_scale():
    # variance = 0.5 + noise / 0.5 * 3.5 : 0.5 at noise 0, 2.25 at 0.25, 4 at 0.5
    for noise, variance in [(0.0, 0.5), (0.25, 2.25)]:
        xy, y = playground.generate("gauss", noise=noise, seed=5, n=20000)
        pos = xy[y == 1]
        assert np.allclose(pos.mean(axis=0), [2, 2], atol=0.05)
        assert np.allclose(xy[y == -1].mean(axis=0), [-2, -2], atol=0.05)
        assert np.allclose(pos.var(axis=0), variance, rtol=0.05)
    wide = playground.generate("gauss", noise=0.5, seed=5, n=20000)[0]
    # per axis: the clouds' own variance (~4, a little less after clipping to the plane) plus 4 for their offset
    assert 7.0 < wide.var(axis=0).min() and wide.var(axis=0).max() < 8.1


def test_spiral_points_lie_on_their_arms():
    xy, y = playground.generate("spiral", noise=0.0, seed=6)
    r = np.hypot(xy[:, 0], xy[:, 1])
    t = 1.75 * 2 * np.pi * r / 5 + np.where(y == 1, 0.0, np.pi)
    assert np.allclose(xy, np.stack([r * np.sin(t), r * np.cos(t)], axis=1), atol=1e-4)
    assert (y == 1).sum() == 250 and r.max() < 5


def test_spiral_noise_moves_points_by_at_most_noise():
    clean_xy, clean_y = playground.generate("spiral", noise=0.0, seed=6)
    noisy_xy, noisy_y = playground.generate("spiral", noise=0.3, seed=6)
    assert np.array_equal(clean_y, noisy_y)
    shift = np.abs(noisy_xy - clean_xy)
    assert shift.max() <= 0.3 + 1e-5 and shift.max() > 0.25


def test_spiral3_has_three_arms_a_third_turn_apart():
    xy, y = playground.generate("spiral3", noise=0.0, seed=1, n=300)
    r = np.hypot(xy[:, 0], xy[:, 1])
    t = 1.75 * 2 * np.pi * r / 5 + y * 2 * np.pi / 3
    assert np.allclose(xy, np.stack([r * np.sin(t), r * np.cos(t)], axis=1), atol=1e-4)


def test_plane_without_noise_is_scaled_sum():
    xy, y = playground.generate("plane", noise=0.0, seed=2)
    assert np.allclose(y, np.clip((xy[:, 0] + xy[:, 1]) / 10, -1, 1), atol=1e-6)


def _bumps_reference(x, y):
    """The Playground's regressGaussian label, written as its loop."""
    label = 0.0
    for cx, cy, sign in [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]:
        new = sign * min(max(1 - math.hypot(x - cx, y - cy) / 2, 0), 1)
        if abs(new) > abs(label):
            label = new
    return label


def test_gaussian_regression_matches_reference_loop():
    xy, y = playground.generate("gaussian", noise=0.0, seed=9, n=300)
    expected = [_bumps_reference(float(a), float(b)) for a, b in xy]
    assert np.allclose(y, expected, atol=1e-5)
    assert y.max() > 0.8 and y.min() < -0.8


def test_regression_noise_perturbs_values_not_points():
    clean_xy, clean_y = playground.generate("plane", noise=0.0, seed=2)
    noisy_xy, noisy_y = playground.generate("plane", noise=0.5, seed=2)
    assert np.array_equal(clean_xy, noisy_xy)
    assert 0.05 < np.abs(clean_y - noisy_y).mean() < 0.6


def test_bad_requests():
    with pytest.raises(DataError, match="circle, xor"):
        playground.generate("moons")
    with pytest.raises(DataError, match="noise"):
        playground.generate("xor", noise=0.6)
    with pytest.raises(DataError, match="noise"):
        playground.generate("xor", noise=-0.1)
    assert playground.kind("REG-PLANE") == "regression"
    assert playground.kind("spiral3") == "multiclass" and playground.kind("xor") == "classification"


@pytest.mark.parametrize("ratio, n_train", [(0.5, 250), (0.7, 350), (0.1, 50), (0.9, 450)])
def test_split_sizes_and_partition(ratio, n_train):
    xy, y = playground.generate("spiral", noise=0.1, seed=0)
    x_tr, y_tr, x_te, y_te = datasets.split(xy, y, ratio, seed=1)
    assert len(x_tr) == len(y_tr) == n_train and len(x_te) == len(y_te) == 500 - n_train
    both = np.concatenate([np.column_stack([x_tr, y_tr]), np.column_stack([x_te, y_te])])
    original = np.column_stack([xy, y])
    assert np.array_equal(both[np.lexsort(both.T)], original[np.lexsort(original.T)])
    again = datasets.split(xy, y, ratio, seed=1)
    other = datasets.split(xy, y, ratio, seed=2)
    assert np.array_equal(again[0], x_tr) and not np.array_equal(other[0], x_tr)


@pytest.mark.parametrize("ratio", [0.05, 0.95, 0.0, 1.0])
def test_split_rejects_ratio_out_of_range(ratio):
    xy, y = playground.generate("xor")
    with pytest.raises(DataError, match="0.1 to 0.9"):
        datasets.split(xy, y, ratio, seed=0)


# ---------------------------------------------------------------- features


def test_feature_values():
    xy = np.array([[1.0, 2.0], [-0.5, 3.0]], dtype=np.float32)
    out = features.apply(xy, features.NAMES)
    a, b = xy[:, 0], xy[:, 1]
    expected = np.stack([a, b, a**2, b**2, a * b, np.sin(a), np.sin(b)], axis=1)
    assert out.dtype == np.float32 and out.shape == (2, 7)
    assert np.allclose(out, expected)
    assert np.array_equal(features.apply(xy, "x1x2, x1"), np.stack([a * b, a], axis=1))


def test_feature_parse_aliases_order_and_errors():
    assert features.parse("X1, x2 x1sq,x2^2 ; x1x2 sinx1 sin(x2)") == features.NAMES
    assert features.parse(["x1 * x2", "x1*x2", "x"]) == ("x1*x2", "x1")
    with pytest.raises(DataError, match=r"unknown feature 'cos\(x1\)'.*x1\^2.*sin\(x2\)"):
        features.parse("x1, cos(x1)")
    with pytest.raises(DataError, match="no features"):
        features.parse(" , ")


def test_grid_rows_run_top_down():
    xy, shape = features.grid(4, extent=(-6, 6, -2, 2))
    assert shape == (4, 4) and xy.shape == (16, 2) and xy.dtype == np.float32
    gx, gy = xy[:, 0].reshape(shape), xy[:, 1].reshape(shape)
    assert np.allclose(gx[0], [-4.5, -1.5, 1.5, 4.5]) and np.all(gx == gx[0])
    assert np.allclose(gy[:, 0], [1.5, 0.5, -0.5, -1.5]) and np.all(gy.T == gy[:, 0])
    xy, shape = features.grid((3, 5))
    assert shape == (3, 5) and xy.shape == (15, 2)
    assert xy[:, 1].max() < 6 and xy[0, 1] == xy[:, 1].max() and xy[0, 0] == xy[:, 0].min()


# ---------------------------------------------------------------- gates


@pytest.mark.parametrize(
    "name, outputs, separable",
    [
        ("AND", [0, 0, 0, 1], True),
        ("or", [0, 1, 1, 1], True),
        ("Nand", [1, 1, 1, 0], True),
        ("NOR", [1, 0, 0, 0], True),
        ("xor", [0, 1, 1, 0], False),
        ("XNOR", [1, 0, 0, 1], False),
    ],
)
def test_truth_tables(name, outputs, separable):
    x, y = gates.truth_table(name)
    assert x.dtype == y.dtype == np.float32 and x.shape == (4, 2) and y.shape == (4,)
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == outputs
    assert gates.linearly_separable(name) is separable


def test_unknown_gate():
    assert set(gates.NAMES) >= {"AND", "OR", "NAND", "NOR", "XOR"}
    with pytest.raises(DataError, match="AND, OR"):
        gates.truth_table("IMPLIES")


# ---------------------------------------------------------------- curves


@pytest.mark.parametrize("name", curves.NAMES)
def test_curves_shapes_and_clean_values(name):
    x, y = curves.generate(name, n=300, noise=0.0, seed=1)
    assert x.shape == y.shape == (300, 1) and x.dtype == y.dtype == np.float32
    lo, hi = curves.x_range(name)
    assert lo <= x.min() and x.max() <= hi and np.all(np.diff(x[:, 0]) >= 0)
    assert np.allclose(y, curves.true_curve(name, x), atol=1e-5)


def test_curve_formulas_and_noise():
    x = np.array([0.5, 2.0, -1.0])
    assert np.allclose(curves.true_curve("xsinx", x), x * np.sin(x), atol=1e-6)
    assert np.allclose(curves.true_curve("sine", x), np.sin(x), atol=1e-6)
    assert np.allclose(curves.true_curve("poly", x), x**3 - 3 * x, atol=1e-5)
    x, y = curves.generate("sine", n=4000, noise=0.2, seed=3)
    assert abs((y - np.sin(x)).std() - 0.2) < 0.02  # sine's amplitude is 1
    a, b = curves.generate("line", seed=5), curves.generate("line", seed=5)
    assert np.array_equal(a[1], b[1]) and not np.array_equal(a[1], curves.generate("line", seed=6)[1])
    with pytest.raises(DataError, match="xsinx"):
        curves.generate("cosh")
    with pytest.raises(DataError, match="noise"):
        curves.generate("sine", noise=-1)


# ---------------------------------------------------------------- CSV


def _csv(tmp_path, text, name="points.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_two_columns_with_header_and_comments(tmp_path):
    path = _csv(tmp_path, "x,y\n# a comment\n\n0.5, 1\n-2,3.25  # trailing note\n1e-1,-4\n")
    x, y = csvfile.load_points(path)
    assert x.dtype == y.dtype == np.float32 and x.shape == (3, 1) and y.shape == (3,)
    assert np.allclose(x[:, 0], [0.5, -2, 0.1]) and np.allclose(y, [1, 3.25, -4])


def test_csv_three_columns_any_separator(tmp_path):
    path = _csv(tmp_path, "1;2;1\n3 4 -1\n5\t6\t1\n")
    x, y = datasets.load_points(path)
    assert x.tolist() == [[1, 2], [3, 4], [5, 6]] and y.tolist() == [1, -1, 1]


@pytest.mark.parametrize(
    "text, message",
    [
        ("x,y\n1,2\n3,4\n5,6\n6,7\n7,8\nabc,1\n", "points.csv:7: expected 2 or 3 numbers, got 'abc'"),
        ("1,2\n3,4,5\n", "points.csv:2: expected 2 numbers like line 1, got 3"),
        ("x1,x2,label\n1,2\n", "points.csv:2: expected 3 numbers like line 1, got 2"),
        ("1,2,3,4\n", "points.csv:1: expected 2 or 3 numbers, got 4"),
        ("7\n", "points.csv:1: expected 2 or 3 numbers, got 1"),
        ("1,2\n\n1,nan\n", "points.csv:3: numbers must be finite"),
        ("a,b,c,d\n1,2\n", "points.csv:1: header has 4 columns"),
        ("", "points.csv: no data rows"),
        ("x,y\n# nothing\n", "points.csv: no data rows"),
    ],
)
def test_csv_errors_name_file_and_line(tmp_path, text, message):
    with pytest.raises(DataError) as err:
        csvfile.load_points(_csv(tmp_path, text))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_csv_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="missing.csv: no such file"):
        csvfile.load_points(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="is a directory"):
        csvfile.load_points(tmp_path)
    (tmp_path / "bin.csv").write_bytes(b"\x89PNG\xff\xfe\x00")
    with pytest.raises(DataError, match="bin.csv: not a text file"):
        csvfile.load_points(tmp_path / "bin.csv")


def test_importing_datasets_leaves_mnist_lazy():
    import subprocess
    import sys

    code = "import sys, engine.datasets as d; assert 'engine.datasets.mnist' not in sys.modules; d.mnist.load_subset"
    subprocess.run([sys.executable, "-c", code], check=True)
