"""Filters and image analysis (``pixelpipes.image.filters``) against OpenCV.

Every op is compared with the ``cv2`` function it follows on random images
(hypothesis draws the sizes, types, channels and parameters; the pixels come
from a seeded NumPy generator).  Tolerances are those the docstrings state:
uint8/uint16 Gaussian, median, Canny, connected components and the integer
Sobel are exact; other integer results within 1; float results within a
small fraction of the result's scale.  Border modes other than OpenCV's own
defaults are checked against OpenCV run on an image padded with
``cv2.copyMakeBorder``.
"""

import math

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pixelpipes as pp
from pixelpipes.data import load_photo
from pixelpipes.image.filters import MOMENT_NAMES

cv2.setNumThreads(1)

SETTINGS = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
DTYPES = (np.uint8, np.uint16, np.int16, np.float32)
BORDERS = {"constant": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE,
           "reflect": cv2.BORDER_REFLECT, "reflect_101": cv2.BORDER_REFLECT_101,
           "wrap": cv2.BORDER_WRAP}


# ------------------------------------------------------------------ helpers

def make_image(seed, dtype, h, w, channels):
    """A random image; ``channels`` None gives H x W."""
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels is None else (h, w, channels)
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return rng.integers(0, 256, shape).astype(dtype)
    if dtype == np.uint16:
        return rng.integers(0, 65536, shape).astype(dtype)
    if dtype == np.int16:
        return rng.integers(-4000, 4000, shape).astype(dtype)
    return rng.random(shape).astype(dtype)


def run(fn, image, optimize=False, seed=0, index=0):
    """``fn(image node)`` on a constant image.  ``optimize=True`` folds the
    op at compile time; ``False`` runs its kernel in the pipeline."""
    with pp.Graph() as graph:
        pp.Output(fn(pp.Constant(image)), "out")
    return graph.compile(seed=seed, optimize=optimize).run(index)["out"]


def rt(value):
    """``value`` as a node known only at run time."""
    return pp.SampleIndex() * 0 + value


def like(ref, out):
    """OpenCV drops a trailing channel axis of 1: reshape to ours."""
    return np.asarray(ref).reshape(out.shape)


def assert_close(out, ref, dtype, scale=None, int_tol=1, rel=1e-5):
    """Integers within ``int_tol``; floats within ``rel`` of ``scale`` (the
    size of the values involved, default the reference's largest)."""
    ref = like(ref, out)
    assert out.dtype == ref.dtype, (out.dtype, ref.dtype)
    assert out.shape == ref.shape
    d = np.abs(out.astype(np.float64) - ref.astype(np.float64))
    if np.dtype(out.dtype).kind in "iu":
        assert d.max(initial=0) <= int_tol, f"max difference {d.max()}"
    else:
        if scale is None:
            scale = max(np.abs(ref).max(initial=0), 1e-30)
        assert d.max(initial=0) <= rel * scale, f"max difference {d.max()} (scale {scale})"


def padded_ref(fn, image, pad, border, value=0.0):
    """``fn`` applied to ``image`` padded by ``pad`` pixels with ``border``,
    then cropped: the op with that border, computed by OpenCV."""
    py, px = (pad, pad) if np.isscalar(pad) else pad
    big = cv2.copyMakeBorder(image, py, py, px, px, BORDERS[border], value=[value] * 4)
    out = fn(big)
    out = out.reshape(big.shape[:2] + out.shape[2:])
    return out[py:py + image.shape[0], px:px + image.shape[1]]


images = st.builds(
    lambda seed, dtype, h, w, c: make_image(seed, dtype, h, w, c),
    st.integers(0, 2 ** 32 - 1), st.sampled_from(DTYPES), st.integers(1, 40),
    st.integers(1, 40), st.sampled_from([None, 1, 3, 4]))


def images_of(dtypes, channels=(None, 1, 3, 4), hmax=40):
    return st.builds(
        lambda seed, dtype, h, w, c: make_image(seed, dtype, h, w, c),
        st.integers(0, 2 ** 32 - 1), st.sampled_from(dtypes), st.integers(1, hmax),
        st.integers(1, hmax), st.sampled_from(channels))


def float_scale(image, weight_sum):
    return max(float(np.abs(image).max(initial=0)), 1e-6) * weight_sum


# ------------------------------------------------------------------ Gaussian

def gaussian_ksize(sigma, ksize, dtype):
    if ksize:
        return ksize
    return int(round(sigma * (3 if dtype == np.uint8 else 4) * 2 + 1)) | 1


@SETTINGS
@given(images, st.floats(0.3, 4.0), st.sampled_from([0, 0, 1, 3, 5, 7, 9, 11]),
       st.sampled_from(list(BORDERS)))
def test_gaussian_matches_cv2(image, sigma, ksize, border):
    out = run(lambda x: pp.GaussianBlur(x, sigma, ksize, border=border), image)
    if border == "wrap":
        k = gaussian_ksize(sigma, ksize, image.dtype)
        ref = padded_ref(lambda a: cv2.GaussianBlur(a, (k, k), sigma), image, k, border)
    else:
        ref = cv2.GaussianBlur(image, (ksize, ksize), sigma, borderType=BORDERS[border])
    # uint8 and uint16 use OpenCV's bit-exact fixed point
    tol = 0 if image.dtype in (np.uint8, np.uint16) else 1
    assert_close(out, ref, image.dtype, int_tol=tol)


@SETTINGS
@given(images_of(DTYPES), st.sampled_from([3, 5, 9]), st.floats(0, 3),
       st.floats(-100, 300))
def test_gaussian_constant_border_value(image, ksize, sigma, value):
    out = run(lambda x: pp.GaussianBlur(x, sigma, ksize, border="constant",
                                        border_value=value), image)
    info = np.iinfo(image.dtype) if image.dtype.kind in "iu" else None
    v = value if info is None else float(np.clip(np.rint(value), info.min, info.max))
    ref = padded_ref(lambda a: cv2.GaussianBlur(a, (ksize, ksize), sigma), image, ksize, "constant",
                     value=v)
    assert_close(out, ref, image.dtype, int_tol=0 if image.dtype in (np.uint8, np.uint16) else 1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_folded_and_runtime_agree(dtype):
    image = make_image(3, dtype, 17, 23, 3)
    folded = run(lambda x: pp.GaussianBlur(x, 1.7), image, optimize=True)
    runtime = run(lambda x: pp.GaussianBlur(x, rt(1.7), rt(0)), image)
    np.testing.assert_array_equal(folded, runtime)
    assert_close(folded, cv2.GaussianBlur(image, (0, 0), 1.7), dtype,
                 int_tol=0 if dtype in (np.uint8, np.uint16) else 1)


def test_gaussian_edge_sizes():
    # 1x1 images and kernels larger than the image
    for dtype in DTYPES:
        one = make_image(1, dtype, 1, 1, None)
        for border in BORDERS:
            out = run(lambda x: pp.GaussianBlur(x, 0, 5, border=border), one)
            if border == "constant":
                assert_close(out, cv2.GaussianBlur(one, (5, 5), 0, borderType=0), dtype)
            else:
                np.testing.assert_array_equal(out, one)
        image = make_image(2, dtype, 3, 4, 1)
        out = run(lambda x: pp.GaussianBlur(x, 0, 15), image)
        assert_close(out, cv2.GaussianBlur(image, (15, 15), 0), dtype,
                     int_tol=0 if dtype in (np.uint8, np.uint16) else 1)
    # ksize 1 copies
    image = make_image(4, np.uint8, 9, 9, 3)
    np.testing.assert_array_equal(run(lambda x: pp.GaussianBlur(x, 3.0, 1), image), image)


def test_gaussian_errors():
    image = make_image(0, np.uint8, 8, 8, 3)
    with pytest.raises(pp.GraphError, match="odd"):
        run(lambda x: pp.GaussianBlur(x, 1.0, 4), image)
    with pytest.raises(pp.GraphError, match="sigma > 0"):
        run(lambda x: pp.GaussianBlur(x, 0.0), image)
    with pytest.raises(pp.GraphError, match="NaN"):
        run(lambda x: pp.GaussianBlur(x, float("nan")), image)
    with pytest.raises(pp.GraphError, match="border"):
        run(lambda x: pp.GaussianBlur(x, 1.0, border="mirror"), image)
    with pytest.raises(pp.GraphError, match="uint8, uint16, int16, float32"):
        run(lambda x: pp.GaussianBlur(x, 1.0), image.astype(np.float64))
    with pytest.raises(pp.GraphError, match="1 to 4 channels"):
        run(lambda x: pp.GaussianBlur(x, 1.0), np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(pp.ExecutionError, match="sigma is NaN"):
        run(lambda x: pp.GaussianBlur(x, rt(float("nan"))), image)
    with pytest.raises(pp.ExecutionError, match="ksize must be odd"):
        run(lambda x: pp.GaussianBlur(x, 1.0, rt(6)), image)
    with pytest.raises(pp.ExecutionError, match="sigma > 0"):
        run(lambda x: pp.GaussianBlur(x, rt(-1.0)), image)
    with pytest.raises(pp.ExecutionError, match="too large"):
        run(lambda x: pp.GaussianBlur(x, rt(1e6)), image)


# ------------------------------------------------------------------ box

@SETTINGS
@given(images, st.integers(1, 9), st.integers(1, 9), st.booleans(),
       st.sampled_from(list(BORDERS)))
def test_box_matches_cv2(image, kw, kh, normalize, border):
    out = run(lambda x: pp.BoxBlur(x, (kw, kh), normalize, border=border), image)
    if border == "wrap":
        ref = padded_ref(lambda a: cv2.boxFilter(a, -1, (kw, kh), normalize=normalize),
                         image, (kh, kw), border)
    else:
        ref = cv2.boxFilter(image, -1, (kw, kh), normalize=normalize,
                            borderType=BORDERS[border])
    assert_close(out, ref, image.dtype, scale=float_scale(image, 1 if normalize else kw * kh))


@SETTINGS
@given(images, st.integers(9, 70), st.integers(1, 40), st.booleans(),
       st.sampled_from(["constant", "replicate", "reflect", "reflect_101"]))
def test_box_wide_kernels_match_cv2(image, kw, kh, normalize, border):
    # wide rows are summed in passes of eight taps up to 16, by doubling above
    out = run(lambda x: pp.BoxBlur(x, (kw, kh), normalize, border=border), image)
    ref = cv2.boxFilter(image, -1, (kw, kh), normalize=normalize, borderType=BORDERS[border])
    assert_close(out, ref, image.dtype, scale=float_scale(image, 1 if normalize else kw * kh))


@SETTINGS
@given(images_of((np.uint8, np.int16, np.float32)), st.integers(1, 6))
def test_box_unnormalised_float_output(image, k):
    out = run(lambda x: pp.BoxBlur(x, k, False, dtype="float32"), image)
    ref = cv2.boxFilter(image, cv2.CV_32F, (k, k), normalize=False)
    assert_close(out, ref, np.float32, scale=float_scale(image, k * k))


def test_box_large_kernel_and_runtime():
    image = make_image(5, np.uint8, 6, 7, 3)
    out = run(lambda x: pp.BoxBlur(x, 25), image)
    assert_close(out, cv2.blur(image, (25, 25)), np.uint8)
    out = run(lambda x: pp.BoxBlur(x, (rt(3), rt(5))), image)
    np.testing.assert_array_equal(out, run(lambda x: pp.BoxBlur(x, (3, 5)), image,
                                           optimize=True))
    big = make_image(6, np.uint8, 64, 64, 1)
    assert_close(run(lambda x: pp.BoxBlur(x, 31), big), cv2.blur(big, (31, 31)), np.uint8)
    with pytest.raises(pp.GraphError, match=">= 1"):
        run(lambda x: pp.BoxBlur(x, 0), image)
    with pytest.raises(pp.ExecutionError, match="kernel width must be >= 1, got -3"):
        run(lambda x: pp.BoxBlur(x, (rt(-3), 3)), image)


# ------------------------------------------------------------------ median

def median_ref(image, k):
    """NumPy median with a replicated border (any channel count)."""
    r = k // 2
    a = image if image.ndim == 3 else image[..., None]
    p = np.pad(a, ((r, r), (r, r), (0, 0)), mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(p, (k, k), axis=(0, 1))
    return np.median(win, axis=(-2, -1)).astype(image.dtype).reshape(image.shape)


@SETTINGS
@given(images_of((np.uint8,), channels=(None, 1, 3, 4)),
       st.sampled_from([1, 3, 5, 7, 9, 11, 15, 21]))
def test_median_u8_matches_cv2(image, k):
    out = run(lambda x: pp.MedianBlur(x, k), image)
    np.testing.assert_array_equal(out, like(cv2.medianBlur(image, k), out))


@SETTINGS
@given(images_of((np.uint16, np.int16, np.float32), channels=(None, 1, 3, 4)),
       st.sampled_from([1, 3, 5]))
def test_median_other_types(image, k):
    out = run(lambda x: pp.MedianBlur(x, k), image)
    np.testing.assert_array_equal(out, median_ref(image, k))
    if image.dtype != np.int16 and (image.ndim == 2 or image.shape[2] in (1, 3, 4)):
        np.testing.assert_array_equal(out, like(cv2.medianBlur(image, k), out))


@SETTINGS
@given(images_of(DTYPES, channels=(2,), hmax=20), st.sampled_from([3, 5]))
def test_median_two_channels(image, k):
    np.testing.assert_array_equal(run(lambda x: pp.MedianBlur(x, k), image),
                                  median_ref(image, k))


def test_median_edges_and_errors():
    for k in (3, 9, 31):
        one = make_image(k, np.uint8, 1, 1, 3)
        np.testing.assert_array_equal(run(lambda x: pp.MedianBlur(x, k), one), one)
        tiny = make_image(k, np.uint8, 2, 5, None)
        np.testing.assert_array_equal(run(lambda x: pp.MedianBlur(x, k), tiny),
                                      cv2.medianBlur(tiny, k))
    image = make_image(1, np.float32, 8, 8, 1)
    with pytest.raises(pp.GraphError, match="ksize 1, 3 or 5"):
        run(lambda x: pp.MedianBlur(x, 7), image)
    with pytest.raises(pp.ExecutionError, match="ksize 1, 3 or 5"):
        run(lambda x: pp.MedianBlur(x, rt(7)), image)
    with pytest.raises(pp.GraphError, match="odd"):
        run(lambda x: pp.MedianBlur(x, 4), image)
    folded = run(lambda x: pp.MedianBlur(x, 5), image, optimize=True)
    np.testing.assert_array_equal(folded, run(lambda x: pp.MedianBlur(x, rt(5)), image))


# ------------------------------------------------------------------ bilateral

@SETTINGS
@given(images_of((np.uint8, np.float32), channels=(None, 1, 3)),
       st.sampled_from([-1, 0, 1, 3, 5, 7, 9]), st.floats(5, 150), st.floats(0.5, 8),
       st.sampled_from(["reflect_101", "replicate", "reflect", "constant"]))
def test_bilateral_matches_cv2(image, d, sigma_color, sigma_space, border):
    if image.dtype == np.float32:
        sigma_color /= 255
    out = run(lambda x: pp.BilateralFilter(x, d, sigma_color, sigma_space, border=border),
              image)
    ref = cv2.bilateralFilter(image, d, sigma_color, sigma_space, borderType=BORDERS[border])
    assert_close(out, ref, image.dtype, rel=1e-4)


def test_bilateral_uint8_photo_matches_cv2_for_any_thread_count():
    """The uint8 kernel runs 8 pixels at a time with the taps innermost, and
    the last pixels of a row one at a time with the same float operations."""
    photo = load_photo("astronaut")[100:164, 100:203].copy()      # width 103 = 12 * 8 + 7
    for image in (photo, photo[..., 1].copy()):
        for d, sc, ss in [(9, 75.0, 75.0), (5, 20.0, 2.0), (0, 40.0, 1.5)]:
            with pp.Graph() as graph:
                pp.Output(pp.BilateralFilter(pp.Constant(image), d, sc, ss), "out")
            pipe = graph.compile(seed=0, optimize=False)
            batches = [pipe.batch(np.zeros(4, np.int64), threads=t)["out"] for t in (1, 2)]
            assert np.array_equal(batches[0], batches[1])
            assert all(np.array_equal(b, batches[0][0]) for b in batches[0])
            ref = cv2.bilateralFilter(image, d, sc, ss)
            assert_close(batches[0][0], ref, np.uint8)


def test_bilateral_edges_and_errors():
    image = make_image(2, np.uint8, 12, 14, 3)
    # a sigma below 1e-6 copies, as OpenCV
    np.testing.assert_array_equal(run(lambda x: pp.BilateralFilter(x, 5, 0, 3), image), image)
    flat = np.full((6, 6), 0.5, np.float32)
    np.testing.assert_array_equal(run(lambda x: pp.BilateralFilter(x, 5, 0.1, 3), flat), flat)
    one = make_image(3, np.float32, 1, 1, 3)
    np.testing.assert_allclose(run(lambda x: pp.BilateralFilter(x, 5, 0.1, 3), one), one,
                               rtol=1e-6)
    with pytest.raises(pp.GraphError, match="1 or 3 channels"):
        run(lambda x: pp.BilateralFilter(x, 5, 10, 3), make_image(0, np.uint8, 5, 5, 4))
    with pytest.raises(pp.GraphError, match="uint8, float32"):
        run(lambda x: pp.BilateralFilter(x, 5, 10, 3), make_image(0, np.uint16, 5, 5, 1))
    with pytest.raises(pp.ExecutionError, match="sigma_color is NaN"):
        run(lambda x: pp.BilateralFilter(x, 5, rt(float("nan")), 3), image)
    with pytest.raises(pp.ExecutionError, match="diameter"):
        run(lambda x: pp.BilateralFilter(x, rt(2001), 10, 3), image)


# ------------------------------------------------------------------ convolve

@SETTINGS
@given(images, st.integers(1, 7), st.integers(1, 7), st.integers(0, 2 ** 32 - 1),
       st.sampled_from(list(BORDERS)), st.floats(-5, 5), st.booleans())
def test_convolve_matches_filter2d(image, kh, kw, seed, border, delta, anchored):
    rng = np.random.default_rng(seed)
    kernel = rng.normal(size=(kh, kw)).astype(np.float32)
    kernel[rng.random((kh, kw)) < 0.3] = 0
    anchor = (int(rng.integers(0, kw)), int(rng.integers(0, kh))) if anchored else None
    out = run(lambda x: pp.Convolve(x, kernel, anchor, delta=delta, border=border), image)
    cv_anchor = anchor if anchored else (-1, -1)
    if border == "wrap":
        ref = padded_ref(lambda a: cv2.filter2D(a, -1, kernel, anchor=cv_anchor, delta=delta),
                         image, (kh, kw), border)
    else:
        ref = cv2.filter2D(image, -1, kernel, anchor=cv_anchor, delta=delta,
                           borderType=BORDERS[border])
    assert_close(out, ref, image.dtype, scale=float_scale(image, np.abs(kernel).sum()) + 5)


@SETTINGS
@given(images_of((np.uint8, np.int16)), st.sampled_from(["float32", "int16"]))
def test_convolve_output_dtype(image, dtype):
    kernel = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], np.float64)
    out = run(lambda x: pp.Convolve(x, kernel, dtype=dtype), image)
    ref = cv2.filter2D(image, cv2.CV_32F if dtype == "float32" else cv2.CV_16S, kernel)
    assert_close(out, ref, np.dtype(dtype), scale=float_scale(image, 8))


def test_convolve_runtime_kernel_and_errors():
    image = make_image(7, np.uint8, 20, 30, 3)
    kernel = np.ones((3, 5), np.float32) / 30
    out = run(lambda x: pp.Convolve(x, pp.Constant(kernel) * (pp.SampleIndex() + 1)), image,
              index=1)
    assert_close(out, cv2.filter2D(image, -1, kernel * 2), np.uint8)
    big = np.random.default_rng(0).random((11, 13)).astype(np.float32) / 60
    assert_close(run(lambda x: pp.Convolve(x, big), image), cv2.filter2D(image, -1, big),
                 np.uint8)
    one = make_image(1, np.float32, 1, 1, None)
    out = run(lambda x: pp.Convolve(x, kernel * 30, border="constant"), one)
    assert_close(out, one, np.float32)
    with pytest.raises(pp.GraphError, match="2-D"):
        run(lambda x: pp.Convolve(x, np.ones(3)), image)
    with pytest.raises(pp.GraphError, match="outside the kernel"):
        run(lambda x: pp.Convolve(x, kernel, anchor=(5, 0)), image)
    with pytest.raises(pp.ExecutionError, match="NaN or infinite"):
        run(lambda x: pp.Convolve(x, pp.Constant(np.full((3, 3), np.nan)) * rt(1.0)), image)


# ------------------------------------------------------------------ motion blur, sharpen

def motion_kernel_ref(ksize, angle, direction=0.0):
    """albumentations' create_motion_kernel (allow_shifted=False), with the
    documented meaning of ``direction``, normalised."""
    kernel = np.zeros((ksize, ksize), dtype=np.float32)
    center = ksize // 2
    rad = np.deg2rad(angle)
    dx, dy = np.cos(rad), np.sin(rad)
    L = ksize // 2
    t0, t1 = -L, L
    if direction > 0:
        t0 = -L * (1 - direction)
    elif direction < 0:
        t1 = L * (1 + direction)
    t = np.linspace(t0, t1, ksize * 2)
    x = np.clip(np.round(center + dx * t), 0, ksize - 1).astype(int)
    y = np.clip(np.round(center + dy * t), 0, ksize - 1).astype(int)
    kernel[y, x] = 1
    return (kernel / kernel.sum()).astype(np.float32)


@SETTINGS
@given(images, st.sampled_from([1, 3, 5, 7, 9, 15]), st.floats(0, 360),
       st.sampled_from([0.0, 0.0, -1.0, -0.5, 0.4, 1.0]))
def test_motion_blur_matches_filter2d(image, ksize, angle, direction):
    kernel = motion_kernel_ref(ksize, angle, direction)
    out_k = run(lambda _: pp.MotionKernel(ksize, angle, direction), image)
    np.testing.assert_array_equal(out_k, kernel)
    out = run(lambda x: pp.MotionBlur(x, ksize, angle, direction), image)
    ref = cv2.filter2D(image, -1, kernel)
    assert_close(out, ref, image.dtype, scale=float_scale(image, 1))


def test_motion_blur_albumentations_kernel():
    # direction 0 reproduces albumentations exactly: a horizontal line
    k = run(lambda _: pp.MotionKernel(5, 0.0), np.zeros((1, 1), np.uint8))
    expected = np.zeros((5, 5), np.float32)
    expected[2] = 0.2
    np.testing.assert_array_equal(k, expected)
    k = run(lambda _: pp.MotionKernel(5, 90.0, 1.0), np.zeros((1, 1), np.uint8))
    assert k[:2, 2].sum() == 0 and k[2:, 2].sum() == pytest.approx(1)
    with pytest.raises(pp.GraphError, match="direction"):
        run(lambda x: pp.MotionBlur(x, 5, 0.0, 2.0), np.zeros((4, 4), np.uint8))
    with pytest.raises(pp.ExecutionError, match="odd"):
        run(lambda x: pp.MotionBlur(x, rt(4), 0.0), np.zeros((4, 4), np.uint8))


def test_random_motion_blur():
    image = make_image(8, np.uint8, 32, 32, 3)
    with pp.Graph() as graph:
        pp.Output(pp.RandomMotionBlur(pp.Constant(image), (3, 9)), "out")
    pipe = graph.compile(seed=5)
    a = [pipe.run(i)["out"] for i in range(6)]
    b = graph.compile(seed=5).batch(range(6), threads=2)["out"]
    np.testing.assert_array_equal(np.stack(a), b)
    assert len({x.tobytes() for x in a}) > 1
    # a degenerate range is an ordinary MotionBlur
    with pp.Graph() as graph:
        pp.Output(pp.RandomMotionBlur(pp.Constant(image), (5, 5), (30.0, 30.0)), "out")
    np.testing.assert_array_equal(graph.compile().run(0)["out"],
                                  run(lambda x: pp.MotionBlur(x, 5, 30.0), image))
    with pytest.raises(pp.GraphError, match="ksize"):
        pp.RandomMotionBlur(pp.Constant(image), (8, 4))


@SETTINGS
@given(images, st.floats(0, 1), st.floats(0, 2), st.sampled_from(list(BORDERS)))
def test_sharpen_matches_albumentations_kernel(image, alpha, lightness, border):
    ident = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32)
    effect = np.array([[-1, -1, -1], [-1, 8 + lightness, -1], [-1, -1, -1]], dtype=np.float32)
    kernel = ((1 - alpha) * ident + alpha * effect).astype(np.float32)
    out = run(lambda x: pp.Sharpen(x, alpha, lightness, border=border), image)
    if border == "wrap":
        ref = padded_ref(lambda a: cv2.filter2D(a, -1, kernel), image, 1, border)
    else:
        ref = cv2.filter2D(image, -1, kernel, borderType=BORDERS[border])
    assert_close(out, ref, image.dtype, scale=float_scale(image, np.abs(kernel).sum()))


# ------------------------------------------------------------------ derivatives

SOBEL_CASES = [(1, 0, 3), (0, 1, 3), (1, 1, 3), (2, 0, 3), (0, 2, 5), (1, 2, 5), (3, 0, 7),
               (1, 0, 1), (0, 1, 1), (2, 0, 1), (1, 0, -1), (0, 1, -1)]


@SETTINGS
@given(images, st.sampled_from(SOBEL_CASES), st.sampled_from([None, "float32", "int16"]),
       st.sampled_from([1.0, 1.0, 0.5, 3.0]), st.sampled_from([0.0, 0.0, 7.0]),
       st.sampled_from(list(BORDERS)))
def test_sobel_matches_cv2(image, case, dtype, scale, delta, border):
    dx, dy, ksize = case
    out = run(lambda x: pp.Sobel(x, dx, dy, ksize, scale, delta, dtype=dtype, border=border),
              image)
    ddepth = {None: cv2.CV_16S if image.dtype == np.uint8 else cv2.CV_32F,
              "float32": cv2.CV_32F, "int16": cv2.CV_16S}[dtype]
    fn = lambda a: cv2.Sobel(a, ddepth, dx, dy, ksize=ksize, scale=scale, delta=delta)  # noqa: E731
    if border == "wrap":
        ref = padded_ref(fn, image, 4, border)
    else:
        ref = cv2.Sobel(image, ddepth, dx, dy, ksize=ksize, scale=scale, delta=delta,
                        borderType=BORDERS[border])
    exact = image.dtype == np.uint8 and scale == 1.0 and ddepth == cv2.CV_16S
    assert_close(out, ref, out.dtype, scale=float_scale(image, 4 ** 7 * scale) + delta,
                 int_tol=0 if exact else 1)


@SETTINGS
@given(images, st.sampled_from([1, 3, 5, 7]), st.sampled_from([1.0, 0.25]),
       st.sampled_from(list(BORDERS)))
def test_laplacian_matches_cv2(image, ksize, scale, border):
    out = run(lambda x: pp.Laplacian(x, ksize, scale, border=border), image)
    ddepth = cv2.CV_16S if image.dtype == np.uint8 else cv2.CV_32F
    if border == "wrap":
        ref = padded_ref(lambda a: cv2.Laplacian(a, ddepth, ksize=ksize, scale=scale),
                         image, 4, border)
    else:
        ref = cv2.Laplacian(image, ddepth, ksize=ksize, scale=scale, borderType=BORDERS[border])
    exact = image.dtype == np.uint8 and scale == 1.0
    assert_close(out, ref, out.dtype, scale=float_scale(image, 4 ** 7 * scale),
                 int_tol=0 if exact else 1)


def test_derivative_errors_and_paths():
    image = make_image(9, np.uint8, 10, 12, 1)
    with pytest.raises(pp.GraphError, match="ksize"):
        pp.Sobel(image, 1, 0, 4)
    with pytest.raises(pp.GraphError, match="orders"):
        pp.Sobel(image, 0, 0)
    with pytest.raises(pp.GraphError, match="< 3"):
        pp.Sobel(image, 3, 0, 3)
    with pytest.raises(pp.GraphError, match="Scharr"):
        pp.Sobel(image, 1, 1, -1)
    with pytest.raises(pp.GraphError, match="1, 3, 5 or 7"):
        pp.Laplacian(image, 9)
    with pytest.raises(pp.ExecutionError, match="scale is NaN"):
        run(lambda x: pp.Sobel(x, 1, 0, 3, rt(float("nan"))), image)
    folded = run(lambda x: pp.Sobel(x, 1, 1, 5), image, optimize=True)
    np.testing.assert_array_equal(folded, run(lambda x: pp.Sobel(x, 1, 1, 5, rt(1.0)), image))
    assert folded.dtype == np.int16


# ------------------------------------------------------------------ Canny

canny_images = st.builds(
    lambda seed, h, w, smooth: (lambda a: cv2.GaussianBlur(a, (5, 5), 0) if smooth else a)(
        make_image(seed, np.uint8, h, w, None)),
    st.integers(0, 2 ** 32 - 1), st.integers(1, 48), st.integers(1, 48), st.booleans())


@SETTINGS
@given(canny_images, st.floats(0, 300), st.floats(0, 600), st.sampled_from([3, 5, 7]),
       st.booleans())
def test_canny_matches_cv2(image, t1, t2, aperture, l2):
    if aperture == 7:
        t1, t2 = t1 * 20, t2 * 20
    out = run(lambda x: pp.Canny(x, t1, t2, aperture, l2), image)
    ref = cv2.Canny(image, t1, t2, apertureSize=aperture, L2gradient=l2)
    assert (out != ref).mean() == 0


def test_canny_photo_and_errors():
    from pixelpipes.data import load_photo

    gray = cv2.cvtColor(load_photo("astronaut"), cv2.COLOR_RGB2GRAY)
    out = run(lambda x: pp.Canny(x, 50, 150), gray)
    np.testing.assert_array_equal(out, cv2.Canny(gray, 50, 150))
    out = run(lambda x: pp.Canny(x, rt(40), rt(120)), gray[..., None])
    np.testing.assert_array_equal(out[..., 0], cv2.Canny(gray, 40, 120))
    with pytest.raises(pp.GraphError, match="uint8"):
        run(lambda x: pp.Canny(x, 10, 20), gray.astype(np.float32))
    with pytest.raises(pp.GraphError, match="one channel"):
        run(lambda x: pp.Canny(x, 10, 20), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(pp.GraphError, match="aperture"):
        pp.Canny(gray, 10, 20, 4)
    with pytest.raises(pp.ExecutionError, match="threshold1 is NaN"):
        run(lambda x: pp.Canny(x, rt(float("nan")), 20), gray)


# ------------------------------------------------------------------ distance transform

masks = st.builds(
    lambda seed, dtype, h, w, p: (make_image(seed, np.uint8, h, w, None) < 256 * p)
    .astype(dtype),
    st.integers(0, 2 ** 32 - 1), st.sampled_from(DTYPES), st.integers(1, 48),
    st.integers(1, 48), st.floats(0.3, 0.98))

DT_METRICS = {"l2": cv2.DIST_L2, "l1": cv2.DIST_L1, "linf": cv2.DIST_C}


@SETTINGS
@given(masks, st.sampled_from([("l2", 0), ("l2", 3), ("l2", 5), ("l1", 3), ("linf", 3)]))
def test_distance_transform_matches_cv2(mask, case):
    metric, size = case
    binary = (mask != 0).astype(np.uint8)
    out = run(lambda x: pp.DistanceTransform(x, metric, size), mask)
    if binary.all():
        assert np.isinf(out).all()
        return
    ref = cv2.distanceTransform(binary, DT_METRICS[metric], size)
    assert out.dtype == np.float32 and out.shape == binary.shape
    np.testing.assert_allclose(out, ref, atol=1e-3, rtol=0)


def test_distance_transform_exact_and_edges():
    mask = np.ones((30, 40), np.uint8)
    mask[7, 11] = 0
    mask[25, 2] = 0
    out = run(lambda x: pp.DistanceTransform(x, "l2", 0), mask)
    yy, xx = np.mgrid[:30, :40]
    ref = np.minimum(np.hypot(yy - 7, xx - 11), np.hypot(yy - 25, xx - 2))
    np.testing.assert_allclose(out, ref, atol=1e-5)
    zeros = np.zeros((5, 6), np.uint8)
    for metric in ("l2", "l1", "linf"):
        np.testing.assert_array_equal(run(lambda x: pp.DistanceTransform(x, metric), zeros), 0)
        assert np.isinf(run(lambda x: pp.DistanceTransform(x, metric), zeros + 1)).all()
    assert run(lambda x: pp.DistanceTransform(x), np.ones((1, 1, 1), np.uint8))[0, 0] == np.inf
    with pytest.raises(pp.GraphError, match="metric"):
        pp.DistanceTransform(mask, "l3")
    with pytest.raises(pp.GraphError, match="mask_size"):
        pp.DistanceTransform(mask, "l2", 7)
    with pytest.raises(pp.GraphError, match="one channel"):
        run(lambda x: pp.DistanceTransform(x), np.zeros((3, 3, 3), np.uint8))


# ------------------------------------------------------------------ connected components

@SETTINGS
@given(masks, st.sampled_from([4, 8]))
def test_connected_components_match_cv2(mask, connectivity):
    binary = (mask != 0).astype(np.uint8)
    out = run(lambda x: pp.ConnectedComponents(x, connectivity), mask)
    n, ref = cv2.connectedComponents(binary, connectivity=connectivity, ltype=cv2.CV_32S)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, ref)
    assert out.max(initial=0) == n - 1


@settings(max_examples=15, deadline=None, database=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 120), st.integers(1, 150),
       st.sampled_from([4, 8]), st.floats(0.5, 4))
def test_connected_components_of_blobs(seed, h, w, connectivity, sigma):
    # blobs of any non-zero uint8 value: long runs, holes, merges from below
    rng = np.random.default_rng(seed)
    field = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), sigma)
    mask = np.where(field > np.median(field), rng.integers(1, 256, (h, w)), 0).astype(np.uint8)
    out = run(lambda x: pp.ConnectedComponents(x, connectivity), mask)
    n, ref = cv2.connectedComponents((mask != 0).astype(np.uint8), connectivity=connectivity,
                                     ltype=cv2.CV_32S)
    np.testing.assert_array_equal(out, ref)


def test_connected_components_edges():
    for connectivity in (4, 8):
        np.testing.assert_array_equal(
            run(lambda x: pp.ConnectedComponents(x, connectivity), np.zeros((4, 5), np.uint8)), 0)
        np.testing.assert_array_equal(
            run(lambda x: pp.ConnectedComponents(x, connectivity), np.ones((4, 5), np.float32)), 1)
        np.testing.assert_array_equal(
            run(lambda x: pp.ConnectedComponents(x, connectivity), np.ones((1, 1), np.uint8)), 1)
    # a spiral and a checkerboard: long merge chains, many components
    check = (np.indices((31, 33)).sum(0) % 2).astype(np.uint8)
    for connectivity in (4, 8):
        out = run(lambda x: pp.ConnectedComponents(x, connectivity), check)
        np.testing.assert_array_equal(
            out, cv2.connectedComponents(check, connectivity=connectivity)[1])
    with pytest.raises(pp.GraphError, match="connectivity"):
        pp.ConnectedComponents(check, 6)


# ------------------------------------------------------------------ moments

def moments_ref(image, binary=False):
    a = image.astype(np.float64)
    if binary:
        a = (a != 0).astype(np.float64)
    y, x = np.mgrid[:a.shape[0], :a.shape[1]].astype(np.float64)
    m = {f"m{p}{q}": (a * x ** p * y ** q).sum() for p, q in
         ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (3, 0), (2, 1), (1, 2), (0, 3))}
    cx = m["m10"] / m["m00"] if m["m00"] else 0.0
    cy = m["m01"] / m["m00"] if m["m00"] else 0.0
    for p, q in ((2, 0), (1, 1), (0, 2), (3, 0), (2, 1), (1, 2), (0, 3)):
        m[f"mu{p}{q}"] = (a * (x - cx) ** p * (y - cy) ** q).sum()
        # OpenCV: 1 / m00**2, times 1 / sqrt(|m00|) for the third order
        norm = m["m00"] ** 2 * (math.sqrt(abs(m["m00"])) if p + q == 3 else 1.0)
        m[f"nu{p}{q}"] = m[f"mu{p}{q}"] / norm if m["m00"] else 0.0
    return m


@SETTINGS
@given(images_of(DTYPES, channels=(None, 1)), st.booleans())
def test_moments(image, binary):
    out = run(lambda x: pp.Moments(x, binary), image)
    assert out.shape == (24,) and out.dtype == np.float64
    ref = moments_ref(image.reshape(image.shape[:2]), binary)
    h, w = image.shape[:2]
    for k, (name, value) in enumerate(zip(MOMENT_NAMES, out)):
        order = int(name[-2]) + int(name[-1])
        # central moments cancel: compare on the scale of the raw sums
        scale = np.abs(image.astype(np.float64)).sum() * max(h, w) ** order + 1e-300
        if name.startswith("nu"):
            scale = abs(ref[name]) + 1e-6
        assert abs(value - ref[name]) <= 1e-9 * scale, (name, value, ref[name])
    if image.dtype == np.uint8:
        cv = cv2.moments(image.reshape(image.shape[:2]), binary)
        np.testing.assert_allclose(out, [cv[k] for k in MOMENT_NAMES], rtol=1e-9,
                                   atol=1e-9 * max(abs(cv["m00"]), 1))


@settings(max_examples=10, deadline=None, database=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 30), st.integers(33, 700), st.booleans())
def test_moments_of_wide_uint8_rows(seed, h, w, binary):
    # uint8 rows are summed in blocks of 32 pixels, then moved to x = 0
    image = make_image(seed, np.uint8, h, w, None)
    out = run(lambda x: pp.Moments(x, binary), image)
    ref = moments_ref(image, binary)
    for name, value in zip(MOMENT_NAMES, out):
        if name[1].isdigit():          # the raw moments: sums of exact products
            assert value == pytest.approx(ref[name], rel=1e-12), name


def test_moments_empty_and_errors():
    out = run(lambda x: pp.Moments(x), np.zeros((5, 6), np.uint8))
    np.testing.assert_array_equal(out, 0)
    with pytest.raises(pp.GraphError, match="one channel"):
        run(lambda x: pp.Moments(x), np.zeros((5, 6, 3), np.uint8))


# ------------------------------------------------------------------ bounding box

@SETTINGS
@given(images_of(DTYPES), st.floats(0, 0.2))
def test_mask_bounding_box(image, density):
    rng = np.random.default_rng(image.size)
    mask = image * (rng.random(image.shape) < density).astype(image.dtype)
    out = run(lambda x: pp.MaskBoundingBox(x), mask)
    assert out.dtype == np.float32 and out.shape == (4,)
    any_c = mask != 0 if mask.ndim == 2 else (mask != 0).any(axis=2)
    ys, xs = np.nonzero(any_c)
    if len(ys) == 0:
        np.testing.assert_array_equal(out, 0)
    else:
        np.testing.assert_array_equal(out, [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        if mask.dtype == np.uint8 and mask.ndim == 2:
            x, y, w, h = cv2.boundingRect(mask)
            np.testing.assert_array_equal(out, [x, y, x + w, y + h])


@SETTINGS
@given(st.sampled_from(DTYPES), st.sampled_from([None, 1, 2, 3, 4]), st.integers(1, 90),
       st.integers(1, 90), st.integers(0, 2**31), st.integers(0, 4))
def test_mask_bounding_box_of_blobs(dtype, channels, h, w, seed, nblobs):
    # a few rectangles in one channel over a background of -0.0 (zero) or
    # 0: rows far from the box and the columns outside it get tested apart
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels is None else (h, w, channels)
    mask = np.zeros(shape, dtype)
    if dtype == np.float32:
        mask[...] = -0.0
    for _ in range(nblobs):
        y, x = rng.integers(0, h), rng.integers(0, w)
        dy, dx = rng.integers(1, h - y + 1), rng.integers(1, w - x + 1)
        c = rng.integers(0, channels or 1)
        mask[y:y + dy, x:x + dx, ...].reshape(dy, dx, -1)[..., c] = 1
    any_c = mask != 0 if mask.ndim == 2 else (mask != 0).any(axis=2)
    ys, xs = np.nonzero(any_c)
    want = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] if len(ys) else [0, 0, 0, 0]
    np.testing.assert_array_equal(run(lambda x: pp.MaskBoundingBox(x), mask), want)


def test_mask_bounding_box_edges():
    m = np.zeros((6, 7), np.float32)
    m[2, 3] = -0.0
    np.testing.assert_array_equal(run(lambda x: pp.MaskBoundingBox(x), m), 0)
    m[4, 5] = np.nan
    np.testing.assert_array_equal(run(lambda x: pp.MaskBoundingBox(x), m), [5, 4, 6, 5])
    np.testing.assert_array_equal(run(lambda x: pp.MaskBoundingBox(x), np.ones((1, 1), np.uint8)),
                                  [0, 0, 1, 1])


# ------------------------------------------------------------------ threads

def test_threads_do_not_change_results():
    image = make_image(11, np.uint8, 40, 50, 3)
    with pp.Graph() as graph:
        x = pp.Constant(image)
        sigma = pp.RandomUniform(0.5, 3.0)
        pp.Output(pp.GaussianBlur(x, sigma), "g")
        pp.Output(pp.MedianBlur(x, 9), "m")
        pp.Output(pp.RandomMotionBlur(x), "mb")
        pp.Output(pp.Canny(pp.Constant(image[..., 0]), 30, 90), "c")
    pipe = graph.compile(seed=3, optimize=False)
    one = pipe.batch(range(8), threads=1)
    two = pipe.batch(range(8), threads=2)
    for key in ("g", "m", "mb", "c"):
        np.testing.assert_array_equal(one[key], two[key])


def test_docstring_examples():
    import doctest

    from pixelpipes.image import filters

    result = doctest.testmod(filters, extraglobs={"pp": pp, "np": np})
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("shape", [(0, 5, 3), (4, 0), (0, 0)])
def test_empty_images(shape):
    image = np.zeros(shape, np.uint8)
    ops = [lambda x: pp.GaussianBlur(x, 1.0), lambda x: pp.BoxBlur(x, 3),
           lambda x: pp.MedianBlur(x, 9), lambda x: pp.BilateralFilter(x, 5, 10, 3),
           lambda x: pp.Convolve(x, np.ones((3, 3))), lambda x: pp.Sharpen(x, 0.5),
           lambda x: pp.MotionBlur(x, 5, 10.0), lambda x: pp.Laplacian(x, 3)]
    for fn in ops:
        for optimize in (False, True):
            assert run(fn, image, optimize=optimize).shape == shape
    mask = image.reshape(shape[:2])
    for fn in (lambda x: pp.Canny(x, 1, 2), pp.DistanceTransform, pp.ConnectedComponents):
        assert run(fn, mask).shape == shape[:2]
    np.testing.assert_array_equal(run(pp.Moments, mask), 0)
    np.testing.assert_array_equal(run(pp.MaskBoundingBox, mask), 0)


@pytest.mark.parametrize("ksize", [(1, 1), (2, 1), (2, 2), (4, 4), (16, 16)])
def test_box_with_power_of_two_area_matches_cv2(ksize):
    # the area's reciprocal is exact here; a 1x1 box once added 1 (255 -> 0)
    image = (np.arange(20 * 24 * 3) * 37 % 256).astype(np.uint8).reshape(20, 24, 3)
    out = run(lambda x: pp.BoxBlur(x, ksize, True), image)
    ref = cv2.boxFilter(image, -1, ksize, normalize=True, borderType=cv2.BORDER_REFLECT_101)
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1
    if ksize == (1, 1):
        np.testing.assert_array_equal(out, image)
