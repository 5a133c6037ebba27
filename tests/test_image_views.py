"""Views, points, rectangles and masks against NumPy and OpenCV.

Most checks run three ways: with constant inputs folded at compile time
("fold"), with the same constants run by the kernels (``optimize=False``,
"kernel"), and with inputs known only at run time (picked from a constant
list by ``pp.SampleIndex()``, "dynamic").
"""

import doctest
import math

import cv2
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import pixelpipes as pp
import pixelpipes.image.views

SETTINGS = settings(max_examples=30, deadline=None)
MODES = ["fold", "kernel", "dynamic"]

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
angles = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
factors = st.floats(0.05, 20, allow_nan=False, allow_infinity=False)


# ---------------------------------------------------------------- helpers

def dynamic(value, decoy):
    """``value`` in sample 0, ``decoy`` in sample 1: known only at run time."""
    return pp.GetElement(pp.Constant([value, decoy]), pp.SampleIndex())


def decoy_of(value):
    arr = np.asarray(value)
    if arr.ndim == 0:
        return arr.dtype.type(0) if arr.dtype.kind != "f" else 0.5
    return np.zeros(tuple(d + 1 for d in arr.shape), arr.dtype)


def make(value, mode):
    """An input node for ``value`` (number or array) in ``mode``."""
    if isinstance(value, pp.Node):
        return value
    if mode == "dynamic":
        if isinstance(value, (int, float)):
            value = np.float64(value) if isinstance(value, float) else np.int64(value)
        return dynamic(np.asarray(value), decoy_of(value))
    return pp.Constant(value)


def evaluate(build, mode="fold", index=0):
    with pp.Graph() as graph:
        pp.Output(build(), "out")
    return graph.compile(seed=5, optimize=(mode == "fold")).run(index)["out"]


def affine3(m2x3):
    return np.vstack([m2x3, [0.0, 0.0, 1.0]])


def T(x, y):
    return np.array([[1, 0, x], [0, 1, y], [0, 0, 1]], np.float64)


def R(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]], np.float64)


def S(sx, sy):
    return np.diag([sx, sy, 1.0])


def Sh(kx, ky):
    return np.array([[1, kx, 0], [ky, 1, 0], [0, 0, 1]], np.float64)


def random_perspective(rng, w=64, h=48, jitter=8.0):
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    dst = (src + rng.uniform(-jitter, jitter, src.shape)).astype(np.float32)
    return cv2.getPerspectiveTransform(src, dst)


# ---------------------------------------------------------------- views

@pytest.mark.parametrize("mode", MODES)
def test_identity(mode):
    out = evaluate(lambda: pp.IdentityView(), mode)
    assert out.dtype == np.float64 and out.shape == (3, 3)
    assert np.array_equal(out, np.eye(3))


@SETTINGS
@given(finite, finite)
def test_translate(x, y):
    for mode in MODES:
        out = evaluate(lambda: pp.TranslateView(make(x, mode), make(y, mode)), mode)
        assert np.array_equal(out, T(x, y))


@SETTINGS
@given(angles, st.floats(0, 100), st.floats(0, 100), st.floats(0.1, 4))
def test_rotate_matches_get_rotation_matrix(angle, cx, cy, scale):
    # OpenCV takes the centre as float32: give both sides that centre (a
    # float64 one differs by up to ~1e-5 after scaling, beyond the tolerance)
    cx, cy = float(np.float32(cx)), float(np.float32(cy))
    expected = affine3(cv2.getRotationMatrix2D((cx, cy), math.degrees(angle), scale))
    for mode in MODES:
        out = evaluate(lambda: pp.ChainView(
            pp.TranslateView(cx, cy), pp.RotateView(make(angle, mode)),
            pp.ScaleView(scale), pp.TranslateView(-cx, -cy)), mode)
        assert np.allclose(out, expected, rtol=1e-6, atol=1e-6)
        assert np.allclose(evaluate(lambda: pp.RotateView(make(angle, mode)), mode), R(angle),
                           rtol=0, atol=1e-15)


def test_rotate_is_counter_clockwise_on_screen():
    # The point to the right of the origin goes up (negative y) for +90 degrees.
    p = evaluate(lambda: pp.TransformPoints(pp.MakePoint(1, 0), pp.RotateView(math.pi / 2)))
    assert np.allclose(p, [0, -1], atol=1e-7)


@SETTINGS
@given(factors, factors)
def test_scale_and_shear(sx, sy):
    for mode in MODES:
        assert np.array_equal(evaluate(lambda: pp.ScaleView(make(sx, mode), make(sy, mode)), mode),
                              S(sx, sy))
        assert np.array_equal(evaluate(lambda: pp.ScaleView(make(sx, mode)), mode), S(sx, sx))
        assert np.array_equal(evaluate(lambda: pp.ShearView(make(sx, mode), make(sy, mode)),
                                       mode), Sh(sx, sy))


@SETTINGS
@given(finite, finite, angles, factors, factors, st.floats(-2, 2), st.floats(-2, 2))
def test_affine_composition_order(tx, ty, a, sx, sy, kx, ky):
    expected = T(tx, ty) @ R(a) @ Sh(kx, ky) @ S(sx, sy)
    for mode in MODES:
        out = evaluate(lambda: pp.AffineView(
            translate=(make(tx, mode), ty), rotate=make(a, mode), scale=(sx, make(sy, mode)),
            shear=(kx, ky)), mode)
        assert np.allclose(out, expected, rtol=1e-12, atol=1e-9)
    # The same view from cv2.getAffineTransform on three mapped points.
    src = np.array([[0, 0], [10, 0], [0, 10]], np.float64)
    dst = (expected[:2, :2] @ src.T).T + expected[:2, 2]
    cv = cv2.getAffineTransform(src.astype(np.float32), dst.astype(np.float32))
    assert np.allclose(out[:2], cv, rtol=1e-3, atol=1e-2 * (1 + np.abs(expected).max()))


def test_affine_uniform_scale_and_defaults():
    out = evaluate(lambda: pp.AffineView(scale=2.0))
    assert np.array_equal(out, S(2, 2))
    assert np.array_equal(evaluate(lambda: pp.AffineView()), np.eye(3))


@SETTINGS
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 5))
def test_chain_is_matrix_product_last_applied_first(seed, n):
    rng = np.random.default_rng(seed)
    views = [random_perspective(rng) if k % 2 else affine3(cv2.getRotationMatrix2D(
        tuple(rng.uniform(0, 50, 2)), rng.uniform(-180, 180), rng.uniform(0.5, 2)))
        for k in range(n)]
    expected = np.linalg.multi_dot(views + [np.eye(3)])
    for mode in MODES:
        out = evaluate(lambda: pp.ChainView(*[make(v, mode) for v in views]), mode)
        assert np.allclose(out, expected, rtol=1e-10, atol=1e-10)
    assert np.allclose(evaluate(lambda: pp.ChainView(views)), expected, rtol=1e-10, atol=1e-10)
    # Applying the chain = applying the views from the last to the first.
    pts = rng.uniform(0, 60, (5, 2)).astype(np.float32)
    step = pts
    for v in reversed(views):
        step = evaluate(lambda: pp.TransformPoints(step, v))
    chained = evaluate(lambda: pp.TransformPoints(pts, pp.ChainView(*views)))
    assert np.allclose(chained, step, rtol=1e-4, atol=1e-3)


def test_chain_accepts_float32_views():
    v = np.array([[2, 0, 1], [0, 3, 2], [0, 0, 1]], np.float32)
    out = evaluate(lambda: pp.ChainView(v, pp.TranslateView(1, 1)))
    assert out.dtype == np.float64
    assert np.array_equal(out, v.astype(np.float64) @ T(1, 1))


@SETTINGS
@given(st.integers(0, 2 ** 32 - 1))
def test_invert(seed):
    v = random_perspective(np.random.default_rng(seed))
    for mode in MODES:
        out = evaluate(lambda: pp.InvertView(make(v, mode)), mode)
        assert np.allclose(out, np.linalg.inv(v), rtol=1e-9, atol=1e-12)
        assert np.allclose(out @ v, np.eye(3), atol=1e-9)


def test_invert_singular_fails():
    with pytest.raises(pp.GraphError, match="singular"):
        evaluate(lambda: pp.InvertView(pp.ScaleView(0.0, 1.0)))
    with pytest.raises(pp.ExecutionError, match="singular"):
        evaluate(lambda: pp.InvertView(pp.ScaleView(1.0, 0.0)), "kernel")
    with pytest.raises(pp.ExecutionError, match="singular"):
        evaluate(lambda: pp.InvertView(make(np.ones((3, 3)), "dynamic")), "dynamic")
    # A badly conditioned but regular view still inverts.
    out = evaluate(lambda: pp.InvertView(pp.ScaleView(1e-6)))
    assert np.allclose(out, S(1e6, 1e6))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(1, 1), (5, 8), (6, 7, 3), (10, 4, 1)])
def test_center_view_of_image(mode, shape):
    image = np.zeros(shape, np.uint8)
    out = evaluate(lambda: pp.CenterView(make(image, mode)), mode)
    assert np.array_equal(out, T(-(shape[1] - 1) / 2, -(shape[0] - 1) / 2))


@pytest.mark.parametrize("mode", MODES)
def test_center_view_of_rectangle(mode):
    rect = np.array([2, 3, 10, 7], np.float32)
    out = evaluate(lambda: pp.CenterView(make(rect, mode)), mode)
    assert np.array_equal(out, T(-5.5, -4.5))
    # The whole-image rectangle has the image's centre.
    whole = evaluate(lambda: pp.CenterView(pp.MakeRectangle(0, 0, 8, 5)))
    assert np.array_equal(whole, evaluate(lambda: pp.CenterView(np.zeros((5, 8)))))


def test_center_view_folds_for_known_shapes():
    with pp.Graph() as graph:
        image = pp.RandomUniform(0, 1, shape=(9, 5))   # not constant, known shape
        pp.Output(pp.CenterView(image), "c")
    pipeline = graph.compile()
    assert np.array_equal(pipeline.run(0)["c"], T(-2, -4))
    assert all(op.kernel != "view_center" for op in pipeline.program.code)


@SETTINGS
@given(st.integers(-20, 20), st.integers(-20, 20), st.integers(1, 40), st.integers(1, 40),
       st.integers(1, 50), st.integers(1, 50))
def test_focus_view_maps_pixel_centres_like_resize(x0, y0, rw, rh, oh, ow):
    rect = np.array([x0, y0, x0 + rw, y0 + rh], np.float32)
    for mode in MODES:
        v = evaluate(lambda: pp.FocusView(make(rect, mode), (make(oh, mode), ow)), mode)
        inv = np.linalg.inv(v)
        j = np.arange(ow)
        i = np.arange(oh)
        # cv2.resize: x_src = (x_dst + 0.5) * scale - 0.5, offset by the crop origin.
        assert np.allclose(inv[0, 0] * j + inv[0, 2], x0 + (j + 0.5) * rw / ow - 0.5)
        assert np.allclose(inv[1, 1] * i + inv[1, 2], y0 + (i + 0.5) * rh / oh - 0.5)


def test_focus_view_warp_equals_crop_and_resize():
    from pixelpipes.data import load_photo

    image = load_photo("astronaut")[:128, :160]
    x0, y0, x1, y1 = 30, 20, 110, 80
    out_h, out_w = 45, 37
    v = evaluate(lambda: pp.FocusView(pp.MakeRectangle(x0, y0, x1, y1), (out_h, out_w)))
    warped = cv2.warpAffine(image, v[:2], (out_w, out_h), flags=cv2.INTER_LINEAR)
    resized = cv2.resize(image[y0:y1, x0:x1], (out_w, out_h), interpolation=cv2.INTER_LINEAR)
    inner = (slice(2, -2), slice(2, -2))   # resize replicates the crop's edge
    diff = np.abs(warped[inner].astype(int) - resized[inner].astype(int))
    assert diff.max() <= 1


def test_focus_view_errors():
    with pytest.raises(pp.GraphError, match="x1 > x0"):
        evaluate(lambda: pp.FocusView(np.array([5, 0, 5, 4], np.float32), (4, 4)))
    with pytest.raises(pp.GraphError, match="must be > 0"):
        evaluate(lambda: pp.FocusView(pp.MakeRectangle(0, 0, 4, 4), (0, 4)))
    with pytest.raises(pp.ExecutionError, match="must be > 0"):
        evaluate(lambda: pp.FocusView(pp.MakeRectangle(0, 0, 4, 4),
                                      (make(-3, "dynamic"), 4)), "dynamic")
    with pytest.raises(pp.ExecutionError, match="non-finite"):
        evaluate(lambda: pp.FocusView(make(np.array([0, 0, np.nan, 4], np.float32), "dynamic"),
                                      (4, 4)), "dynamic")


def test_perspective_view_transforms_points_like_cv2():
    rng = np.random.default_rng(7)
    for _ in range(5):
        v = random_perspective(rng)
        pts = rng.uniform(-10, 80, (20, 2)).astype(np.float32)
        ref = cv2.perspectiveTransform(pts[None], v)[0]
        for mode in MODES:
            out = evaluate(lambda: pp.TransformPoints(make(pts, mode), make(v, mode)), mode)
            assert out.dtype == np.float32 and out.shape == pts.shape
            assert np.allclose(out, ref, rtol=1e-5, atol=1e-4)


def test_affine_view_transforms_points_like_cv2_transform():
    rng = np.random.default_rng(8)
    pts = rng.uniform(-10, 80, (50, 2)).astype(np.float32)
    v = affine3(cv2.getRotationMatrix2D((20.0, 30.0), 37.0, 1.3))
    ref = cv2.transform(pts[None], v[:2])[0]
    for mode in MODES:
        out = evaluate(lambda: pp.TransformPoints(make(pts, mode), make(v, mode)), mode)
        assert np.allclose(out, ref, rtol=1e-5, atol=1e-4)
        # int16 points take the generic path.
        out16 = evaluate(lambda: pp.TransformPoints(make(pts.astype(np.int16), mode), v), mode)
        ref16 = cv2.transform(pts.astype(np.int16).astype(np.float32)[None], v[:2])[0]
        assert out16.dtype == np.float32 and np.allclose(out16, ref16, rtol=1e-5, atol=1e-4)
    bad = pts.copy()
    bad[7, 1] = np.nan
    with pytest.raises(pp.ExecutionError, match="point 7 has a non-finite"):
        evaluate(lambda: pp.TransformPoints(make(bad, "dynamic"), v), "dynamic")
    with pytest.raises(pp.ExecutionError, match="float32 range"):
        evaluate(lambda: pp.TransformPoints(make(pts, "dynamic"), pp.ScaleView(1e300)), "dynamic")


def test_view_semantics_match_cv2_warp():
    """A warp by V (cv2.warpPerspective's convention, no inverse flag) moves
    the pixel at p to TransformPoints(p, V)."""
    rng = np.random.default_rng(3)
    for _ in range(5):
        v = evaluate(lambda: pp.ChainView(pp.TranslateView(40, 30), pp.RotateView(
            rng.uniform(-3, 3)), pp.ScaleView(rng.uniform(0.8, 1.5)), pp.TranslateView(-20, -15)))
        image = np.zeros((30, 40), np.float32)
        p = (int(rng.integers(5, 35)), int(rng.integers(5, 25)))
        image[p[1], p[0]] = 1.0
        warped = cv2.warpPerspective(image, v, (100, 80), flags=cv2.INTER_LINEAR)
        ys, xs = np.nonzero(warped)
        centroid = np.array([np.average(xs, weights=warped[ys, xs]),
                             np.average(ys, weights=warped[ys, xs])])
        q = evaluate(lambda: pp.TransformPoints(pp.MakePoint(*p), v))
        assert np.allclose(q, centroid, atol=0.3)


def test_view_parameter_errors():
    with pytest.raises(pp.GraphError, match="finite"):
        pp.RotateView(float("nan"))
    with pytest.raises(pp.GraphError, match="must be a number"):
        pp.TranslateView("a", 1)
    with pytest.raises(pp.GraphError, match="finite"):
        evaluate(lambda: pp.RotateView(pp.Constant(np.float64(np.inf))))
    with pytest.raises(pp.ExecutionError, match="rotation angle must be finite"):
        evaluate(lambda: pp.RotateView(make(np.float64(np.nan), "dynamic")), "dynamic")
    with pytest.raises(pp.ExecutionError, match="scale y must be finite"):
        evaluate(lambda: pp.AffineView(scale=(1, make(np.float64(np.nan), "dynamic"))),
                 "dynamic")
    with pytest.raises(pp.GraphError, match="3 x 3"):
        evaluate(lambda: pp.ChainView(np.eye(2)))
    with pytest.raises(pp.GraphError, match="at least one view"):
        pp.ChainView()
    with pytest.raises(pp.GraphError, match="scalar"):
        evaluate(lambda: pp.TranslateView(np.zeros(2), 1))
    with pytest.raises(pp.ExecutionError, match="3 x 3"):
        evaluate(lambda: pp.InvertView(make(np.eye(4), "dynamic")), "dynamic")
    with pytest.raises(pp.ExecutionError, match="non-finite"):
        nan_view = np.eye(3)
        nan_view[0, 1] = np.nan
        evaluate(lambda: pp.ChainView(make(nan_view, "dynamic")), "dynamic")


# ---------------------------------------------------------------- random patch view

def patch_of(view, out_h, out_w):
    """(x0, y0, width, height) of the source patch a view maps onto the output."""
    inv = np.linalg.inv(view)
    x0, y0 = inv[0, 2] + inv[0, 0] * -0.5 + 0.5, inv[1, 2] + inv[1, 1] * -0.5 + 0.5
    return x0, y0, inv[0, 0] * out_w, inv[1, 1] * out_h


@SETTINGS
@given(st.integers(1, 80), st.integers(1, 80), st.integers(1, 40), st.integers(1, 40),
       st.floats(0.1, 3), st.floats(0, 2), st.floats(-5, 20))
def test_random_patch_stays_within_bounds(h, w, oh, ow, lo, extra, pad):
    hi = lo + extra
    with pp.Graph() as graph:
        image = pp.Constant(np.zeros((h, w, 3), np.uint8))
        pp.Output(pp.RandomPatchView(image, (oh, ow), scale=(lo, hi), padding=pad), "v")
    pipeline = graph.compile(seed=11)
    views = pipeline.batch(range(20))["v"]
    scales = []
    for v in views:
        assert v[0, 1] == 0 and v[1, 0] == 0 and np.array_equal(v[2], [0, 0, 1])
        x0, y0, pw, ph = patch_of(v, oh, ow)
        s = pw / ow
        scales.append(s)
        assert lo - 1e-9 <= s <= hi + 1e-9
        assert math.isclose(ph, s * oh, rel_tol=1e-9)
        for start, size, extent in ((x0, pw, w), (y0, ph, h)):
            a, b = -pad, extent - size + pad
            assert min(a, b) - 1e-6 <= start <= max(a, b) + 1e-6
    if extra > 0.1:
        assert len(set(np.round(scales, 9))) > 1


def test_random_patch_is_deterministic_per_sample():
    image = np.zeros((60, 90), np.uint8)

    def build(seed):
        with pp.Graph() as graph:
            pp.Output(pp.RandomPatchView(pp.Constant(image), (16, 24), scale=(0.5, 2),
                                         key="patch"), "v")
        return graph.compile(seed=seed)

    a, b = build(4), build(4)
    for i in range(5):
        assert np.array_equal(a.run(i)["v"], b.run(i)["v"])
    batch = a.batch(range(5), threads=2)["v"]
    for i in range(5):
        assert np.array_equal(batch[i], a.run(i)["v"])
    assert not np.array_equal(a.run(0)["v"], a.run(1)["v"])
    assert not np.array_equal(a.run(0)["v"], build(5).run(0)["v"])
    # An image whose shape is only known at run time (the same key: the same draws).
    with pp.Graph() as graph:
        pp.Output(pp.RandomPatchView(dynamic(image, np.zeros((5, 5), np.uint8)), (16, 24),
                                     scale=(0.5, 2), key="patch"), "v")
    dyn = graph.compile(seed=4)
    assert np.array_equal(dyn.run(0)["v"], a.run(0)["v"])
    x0, y0, pw, ph = patch_of(dyn.run(1)["v"], 16, 24)
    assert 5 - pw <= x0 <= 0 and 5 - ph <= y0 <= 0     # a patch larger than the 5 x 5 image


def test_random_patch_scale_one_is_a_translation_inside_the_image():
    with pp.Graph() as graph:
        pp.Output(pp.RandomPatchView(pp.Constant(np.zeros((50, 70, 3), np.uint8)), (20, 30)), "v")
    pipeline = graph.compile(seed=2)
    for i in range(20):
        v = pipeline.run(i)["v"]
        assert np.allclose(v[:2, :2], np.eye(2))
        assert -40 <= v[0, 2] <= 0 and -30 <= v[1, 2] <= 0


def test_random_patch_errors():
    image = pp.Constant(np.zeros((10, 10), np.uint8))
    with pytest.raises(pp.GraphError, match="0 < low <= high"):
        pp.RandomPatchView(image, (4, 4), scale=(2, 1))
    with pytest.raises(pp.GraphError, match="must be > 0"):
        evaluate(lambda: pp.RandomPatchView(image, (0, 4)))
    with pytest.raises(pp.ExecutionError, match="0 < low <= high"):
        evaluate(lambda: pp.RandomPatchView(image, (4, 4), scale=(make(-1.0, "dynamic"), 1)),
                 "dynamic")
    with pytest.raises(pp.GraphError, match="image"):
        evaluate(lambda: pp.RandomPatchView(pp.Constant(np.zeros(4)), (4, 4)))


# ---------------------------------------------------------------- points and rectangles

def test_make_point_and_points():
    assert np.array_equal(evaluate(lambda: pp.MakePoint(1, 2.5)), np.float32([1, 2.5]))
    expected = np.float32([[0, 0], [3, 4], [1, 2]])
    for build in (
            lambda: pp.MakePoints([(0, 0), (3, 4), (1, 2)]),
            lambda: pp.MakePoints(np.array([[0, 0], [3, 4], [1, 2]], np.int16)),
            lambda: pp.MakePoints(pp.Constant(np.array([[0, 0], [3, 4], [1, 2]], np.float64))),
            lambda: pp.MakePoints([(0, pp.Constant(0.0)), (pp.SampleIndex() + 3, 4),
                                   pp.MakePoint(1, 2)]),
            lambda: pp.MakePoints(pp.Constant([np.float32([0, 0]), np.float32([3, 4]),
                                               np.float32([1, 2])])),
            lambda: pp.MakePoints([pp.Constant(np.float32([[0, 0], [3, 4]])), (1, 2)])):
        for mode in ("fold", "kernel"):
            out = evaluate(build, mode)
            assert out.dtype == np.float32 and np.array_equal(out, expected)
    empty = evaluate(lambda: pp.MakePoints([]))
    assert empty.shape == (0, 2) and empty.dtype == np.float32


def test_plain_sequences_of_coordinates():
    x = pp.Cast(pp.SampleIndex(), np.float64) + 1.0           # a run-time scalar
    view = pp.TranslateView(10, 20)
    out = evaluate(lambda: pp.TransformPoints((x, 2.0), view))
    assert out.shape == (2,) and np.array_equal(out, [11, 22])
    out = evaluate(lambda: pp.TransformPoints([pp.MakePoint(x, 0), pp.MakePoint(0, x)], view))
    assert np.array_equal(out, [[11, 20], [10, 21]])
    out = evaluate(lambda: pp.TransformPoints([(1, 2), (3, 4)], view))
    assert np.array_equal(out, [[11, 22], [13, 24]])
    out = evaluate(lambda: pp.RectangleCorners((0, 0, x, 1)))
    assert np.array_equal(out, [[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    out = evaluate(lambda: pp.TransformRectangle([(0, 0, 1, 1), (0, 0, x, 2)], view))
    assert np.array_equal(out, [[10, 20, 11, 21], [10, 20, 11, 22]])
    mask = evaluate(lambda: pp.PolygonMask([(0, 0), (x * 3, 0), (0, 3)], (4, 4)))
    assert np.array_equal(mask, fill_poly([(0, 0), (3, 0), (0, 3)], 4, 4))


def test_make_rectangles():
    assert np.array_equal(evaluate(lambda: pp.MakeRectangle(1, 2, 3, 4)), np.float32([1, 2, 3, 4]))
    rects = np.array([[0, 0, 2, 2], [1, 1, 5, 3]], np.float32)
    for mode in MODES:
        out = evaluate(lambda: pp.MakeRectangles(make(rects, mode)), mode)
        assert np.array_equal(out, rects)
    out = evaluate(lambda: pp.MakeRectangles([(0, 0, 2, 2), pp.MakeRectangle(1, 1, 5, 3)]))
    assert np.array_equal(out, rects)


def test_make_errors():
    with pytest.raises(pp.GraphError, match="x1 >= x0"):
        evaluate(lambda: pp.MakeRectangle(3, 0, 1, 1))
    with pytest.raises(pp.ExecutionError, match="x1 >= x0"):
        evaluate(lambda: pp.MakeRectangle(make(3.0, "dynamic"), 0, 1, 1), "dynamic")
    with pytest.raises(pp.GraphError, match="N x 2"):
        pp.MakePoints(np.zeros((3, 3)))
    with pytest.raises(pp.GraphError, match="rows of 2"):
        evaluate(lambda: pp.MakePoints(pp.Constant(np.zeros((3, 3)))))
    with pytest.raises(pp.ExecutionError, match="not a finite"):
        evaluate(lambda: pp.MakePoint(make(np.float64(np.nan), "dynamic"), 1), "dynamic")
    with pytest.raises(pp.ExecutionError, match="last"):
        evaluate(lambda: pp.MakePoints(make(np.zeros((2, 2)), "dynamic")), "dynamic",
                 index=1)   # the decoy is 3 x 3


@SETTINGS
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 30))
def test_points_bounds_and_center(seed, n):
    pts = np.random.default_rng(seed).uniform(-50, 50, (n, 2)).astype(np.float32)
    for mode in MODES:
        b = evaluate(lambda: pp.PointsBounds(make(pts, mode)), mode)
        assert b.dtype == np.float32 and b.shape == (4,)
        assert np.allclose(b, np.concatenate([pts.min(0), pts.max(0)]) + 0.5, atol=1e-5)
        c = evaluate(lambda: pp.PointsCenter(make(pts, mode)), mode)
        assert np.allclose(c, pts.astype(np.float64).mean(0), atol=1e-5)


def test_points_bounds_errors():
    with pytest.raises(pp.GraphError, match="empty"):
        evaluate(lambda: pp.PointsBounds(np.zeros((0, 2), np.float32)))
    with pytest.raises(pp.ExecutionError, match="empty"):
        evaluate(lambda: pp.PointsCenter(make(np.zeros((0, 2), np.float32), "dynamic")),
                 "dynamic")
    with pytest.raises(pp.ExecutionError, match="non-finite"):
        evaluate(lambda: pp.PointsBounds(make(np.float32([[0, np.nan]]), "dynamic")), "dynamic")


@pytest.mark.parametrize("mode", MODES)
def test_rectangle_corners_round_trip(mode):
    rect = np.float32([2, 3, 10, 7])
    corners = evaluate(lambda: pp.RectangleCorners(make(rect, mode)), mode)
    assert np.array_equal(corners, np.float32([[1.5, 2.5], [9.5, 2.5], [9.5, 6.5], [1.5, 6.5]]))
    assert np.array_equal(evaluate(lambda: pp.PointsBounds(pp.RectangleCorners(rect))), rect)
    many = np.float32([[0, 0, 1, 1], [2, 3, 10, 7]])
    out = evaluate(lambda: pp.RectangleCorners(make(many, mode)), mode)
    assert out.shape == (2, 4, 2) and np.array_equal(out[1], corners)


def test_transform_points_single_point_and_failures():
    out = evaluate(lambda: pp.TransformPoints(pp.MakePoint(1, 2), pp.TranslateView(3, 4)))
    assert out.shape == (2,) and np.array_equal(out, [4, 6])
    horizon = np.array([[1, 0, 0], [0, 1, 0], [1, 0, -2]], np.float64)   # w = x - 2
    with pytest.raises(pp.GraphError, match="infinity"):
        evaluate(lambda: pp.TransformPoints(np.float32([[0, 0], [2, 5]]), horizon))
    with pytest.raises(pp.ExecutionError, match="infinity"):
        evaluate(lambda: pp.TransformPoints(make(np.float32([[2, 5]]), "dynamic"), horizon),
                 "dynamic")
    with pytest.raises(pp.GraphError, match="N x 2"):
        evaluate(lambda: pp.TransformPoints(np.zeros((3, 3), np.float32), np.eye(3)))


@SETTINGS
@given(st.integers(1, 60), st.integers(1, 60), st.integers(-5, 30), st.integers(-5, 30),
       st.integers(1, 30), st.integers(1, 30))
def test_transform_rectangle_follows_flips_and_rotations(w, h, x0, y0, rw, rh):
    rect = np.float32([x0, y0, x0 + rw, y0 + rh])
    flip_h = pp.ChainView(pp.TranslateView(w - 1, 0), pp.ScaleView(-1, 1))
    out = evaluate(lambda: pp.TransformRectangle(rect, flip_h))
    assert np.allclose(out, [w - (x0 + rw), y0, w - x0, y0 + rh])
    # Rotating the image by 90 degrees counter-clockwise (np.rot90): pixel
    # (x, y) goes to (y, w - 1 - x).
    rot = np.array([[0, 1, 0], [-1, 0, w - 1], [0, 0, 1]], np.float64)
    out = evaluate(lambda: pp.TransformRectangle(rect, rot))
    assert np.allclose(out, [y0, w - (x0 + rw), y0 + rh, w - x0])
    image = np.zeros((h, w), np.uint8)
    image[max(y0, 0):max(y0 + rh, 0), max(x0, 0):max(x0 + rw, 0)] = 1
    rotated = np.rot90(image)
    ys, xs = np.nonzero(rotated)
    if len(xs):
        x_lo, y_lo = max(out[0], 0), max(out[1], 0)
        assert xs.min() >= x_lo and xs.max() < out[2] and ys.min() >= y_lo and ys.max() < out[3]


@SETTINGS
@given(st.integers(0, 2 ** 32 - 1))
def test_transform_rectangle_is_bounds_of_transformed_corners(seed):
    rng = np.random.default_rng(seed)
    v = random_perspective(rng, jitter=3)
    rects = np.sort(rng.uniform(0, 40, (3, 2, 2)), axis=1).reshape(3, 4)[:, [0, 2, 1, 3]]
    rects = rects.astype(np.float32)
    for mode in MODES:
        out = evaluate(lambda: pp.TransformRectangle(make(rects, mode), make(v, mode)), mode)
        for k in range(3):
            corners = evaluate(lambda: pp.RectangleCorners(rects[k]))
            ref = cv2.perspectiveTransform(corners[None].astype(np.float64), v)[0]
            assert np.allclose(out[k], np.concatenate([ref.min(0), ref.max(0)]) + 0.5,
                               rtol=1e-5, atol=1e-4)


def test_transform_rectangle_across_infinity_fails():
    horizon = np.array([[1, 0, 0], [0, 1, 0], [1, 0, -2]], np.float64)
    with pytest.raises(pp.GraphError, match="infinity"):
        evaluate(lambda: pp.TransformRectangle(pp.MakeRectangle(0, 0, 6, 2), horizon))


# ---------------------------------------------------------------- masks

def fill_poly(pts, h, w, value=255):
    ref = np.zeros((h, w), np.uint8)
    cv2.fillPoly(ref, [np.asarray(pts, np.int32)], value)
    return ref


polygons = st.integers(3, 9).flatmap(lambda n: st.lists(
    st.tuples(st.integers(-20, 60), st.integers(-20, 60)), min_size=n, max_size=n))


@SETTINGS
@given(polygons, st.integers(1, 48), st.integers(1, 48), st.integers(1, 255))
def test_polygon_mask_matches_fill_poly_integer_vertices(pts, h, w, value):
    ref = fill_poly(pts, h, w, value)
    for mode in MODES:
        out = evaluate(lambda: pp.PolygonMask(make(np.array(pts, np.float32), mode), (h, w),
                                              value=value), mode)
        assert out.dtype == np.uint8 and out.shape == (h, w)
        assert np.array_equal(out, ref), f"{(out != ref).sum()} pixels differ"


def test_polygon_mask_self_intersecting_uses_even_odd():
    star = [(20, 2), (31, 36), (2, 14), (38, 14), (9, 36)]   # a pentagram
    out = evaluate(lambda: pp.PolygonMask(star, (40, 40)))
    assert np.array_equal(out, fill_poly(star, 40, 40))
    assert out[20, 20] == 0 and out[14, 20] == 255   # the centre is a hole


@SETTINGS
@given(st.integers(0, 2 ** 32 - 1), st.integers(3, 10), st.booleans())
def test_polygon_mask_subpixel_vertices(seed, n, outside):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(4, 40, 2)
    lo, hi = (-0.5, 1.5) if outside else (0.1, 0.9)
    pts = np.stack([rng.uniform(lo * w, hi * w, n), rng.uniform(lo * h, hi * h, n)], 1)
    pts = np.round(pts * 256) / 256        # exactly representable with shift=8
    ref = np.zeros((h, w), np.uint8)
    cv2.fillPoly(ref, [(pts * 256).astype(np.int32)], 255, shift=8)
    out = evaluate(lambda: pp.PolygonMask(pts.astype(np.float32), (h, w)))
    assert np.array_equal(out, ref)
    rounded = fill_poly(np.floor(pts + 0.5), h, w)
    assert np.array_equal(out, rounded)


def test_polygon_mask_random_polygons_mismatches_only_on_edges():
    """Against OpenCV on many random polygons, counting mismatching pixels;
    any mismatch must lie on the polygon outline (there are none today)."""
    rng = np.random.default_rng(0)
    mismatches = 0
    for _ in range(200):
        h, w = rng.integers(2, 50, 2)
        n = rng.integers(1, 12)
        pts = np.stack([rng.integers(-w, 2 * w, n), rng.integers(-h, 2 * h, n)], 1)
        ref = fill_poly(pts, h, w)
        out = evaluate(lambda: pp.PolygonMask(pts.astype(np.float32), (h, w)))
        bad = out != ref
        if bad.any():
            outline = np.zeros((h, w), np.uint8)
            cv2.polylines(outline, [pts.astype(np.int32)], True, 255)
            assert outline[bad].all()
            mismatches += int(bad.sum())
    assert mismatches == 0


def test_polygon_mask_degenerate():
    assert not evaluate(lambda: pp.PolygonMask(np.zeros((0, 2), np.float32), (3, 4))).any()
    one = evaluate(lambda: pp.PolygonMask(np.float32([[2, 1]]), (3, 4)))
    assert one.sum() == 255 and one[1, 2] == 255
    line = evaluate(lambda: pp.PolygonMask(np.float32([[0, 0], [3, 2]]), (3, 4)))
    assert np.array_equal(line, fill_poly([[0, 0], [3, 2]], 3, 4))
    assert np.array_equal(evaluate(lambda: pp.PolygonMask([(0, 0), (0, 0), (0, 0)], (1, 1))),
                          [[255]])
    far = [(-1e6, -1e6), (1e6, -1e6), (1e6, 1e6), (-1e6, 1e6)]
    assert evaluate(lambda: pp.PolygonMask(far, (5, 6))).all()


def test_polygon_mask_errors():
    tri = np.float32([[0, 0], [4, 0], [0, 4]])
    with pytest.raises(pp.GraphError, match="must be > 0"):
        evaluate(lambda: pp.PolygonMask(tri, (0, 5)))
    with pytest.raises(pp.GraphError, match="too large"):
        evaluate(lambda: pp.PolygonMask(tri, (2 ** 16, 2 ** 16)))
    with pytest.raises(pp.ExecutionError, match="must be > 0"):
        evaluate(lambda: pp.PolygonMask(tri, (make(-3, "dynamic"), 5)), "dynamic")
    with pytest.raises(pp.ExecutionError, match="too large"):
        evaluate(lambda: pp.PolygonMask(tri, (make(2 ** 20, "dynamic"), 2 ** 20)), "dynamic")
    with pytest.raises(pp.ExecutionError, match="vertices must be finite"):
        evaluate(lambda: pp.PolygonMask(make(np.float32([[0, np.nan], [1, 1], [2, 0]]),
                                             "dynamic"), (4, 4)), "dynamic")
    with pytest.raises(pp.ExecutionError, match="within"):
        evaluate(lambda: pp.PolygonMask(make(np.float32([[0, 3e9], [1, 1], [2, 0]]),
                                             "dynamic"), (4, 4)), "dynamic")
    with pytest.raises(pp.GraphError, match="value"):
        pp.PolygonMask(tri, (4, 4), value=256)
    with pytest.raises(pp.GraphError, match="size"):
        pp.PolygonMask(tri)


@SETTINGS
@given(st.lists(st.tuples(st.floats(-15, 45), st.floats(-15, 45)), max_size=8),
       st.integers(0, 12), st.integers(1, 40), st.integers(1, 40))
def test_points_mask_matches_cv2_circle(pts, radius, h, w):
    ref = np.zeros((h, w), np.uint8)
    for x, y in pts:
        cv2.circle(ref, (int(np.floor(x + 0.5)), int(np.floor(y + 0.5))), radius, 255,
                   thickness=-1)
    arr = np.array(pts, np.float32).reshape(-1, 2)
    for mode in MODES:
        out = evaluate(lambda: pp.PointsMask(make(arr, mode), (h, w),
                                             radius=make(radius, mode)), mode)
        assert out.dtype == np.uint8 and out.shape == (h, w)
        assert np.array_equal(out, ref)


def test_points_mask_single_pixels_and_outside_points():
    pts = np.float32([[0, 0], [2.4, 1.5], [-1, 2], [4, 0], [3.6, 2.49], [3.4, 2.49]])
    out = evaluate(lambda: pp.PointsMask(pts, (3, 4), value=7))
    expected = np.zeros((3, 4), np.uint8)
    # (2.4, 1.5) rounds to (2, 2), (3.6, 2.49) to (4, 2): outside, (3.4, 2.49) to (3, 2).
    expected[0, 0] = expected[2, 2] = expected[2, 3] = 7
    assert np.array_equal(out, expected)
    single = evaluate(lambda: pp.PointsMask(pp.MakePoint(1, 1), (2, 2)))
    assert np.array_equal(single, [[0, 0], [0, 255]])


def test_points_mask_errors():
    with pytest.raises(pp.GraphError, match="radius"):
        evaluate(lambda: pp.PointsMask(np.float32([[0, 0]]), (4, 4), radius=1.5))
    with pytest.raises(pp.ExecutionError, match="radius"):
        evaluate(lambda: pp.PointsMask(np.float32([[0, 0]]), (4, 4),
                                       radius=make(-1, "dynamic")), "dynamic")
    with pytest.raises(pp.ExecutionError, match="non-finite"):
        evaluate(lambda: pp.PointsMask(make(np.float32([[np.inf, 0]]), "dynamic"), (4, 4)),
                 "dynamic")


def test_masks_from_views_compose():
    """A rectangle's corners, rotated about the image centre, drawn as a
    polygon: the same as OpenCV drawing the rotated corners."""
    view = pp.ChainView(pp.TranslateView(31.5, 23.5), pp.RotateView(0.4),
                        pp.CenterView(np.zeros((48, 64))))
    corners = pp.TransformPoints(pp.RectangleCorners(pp.MakeRectangle(12, 10, 52, 38)), view)
    out = evaluate(lambda: pp.PolygonMask(corners, (48, 64)))
    pts = cv2.transform(np.float64([[[11.5, 9.5], [51.5, 9.5], [51.5, 37.5], [11.5, 37.5]]]),
                        cv2.getRotationMatrix2D((31.5, 23.5), math.degrees(0.4), 1))[0]
    assert np.array_equal(out, fill_poly(np.floor(pts + 0.5), 48, 64))


def test_docstring_examples():
    result = doctest.testmod(pixelpipes.image.views, extraglobs={"pp": pp, "np": np})
    assert result.attempted > 0 and result.failed == 0
