"""Resize and the axis-aligned geometry operations (``pixelpipes.image.geometry``).

References: ``cv2.resize`` and ``cv2.copyMakeBorder`` (OpenCV is only the
oracle here), NumPy slicing, ``np.flip``, ``np.rot90``, and NumPy
re-implementations of torchvision's CenterCrop, RandomCrop and
RandomResizedCrop parameter rules.  Statistical checks use fixed seeds and
bounds about six standard deviations out, so they are deterministic.
"""

import math

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import pixelpipes as pp

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

DTYPES = [np.uint8, np.uint16, np.int16, np.float32]
INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA, "lanczos": cv2.INTER_LANCZOS4,
}
BORDERS = {
    "constant": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE,
    "reflect": cv2.BORDER_REFLECT, "reflect_101": cv2.BORDER_REFLECT_101,
    "wrap": cv2.BORDER_WRAP,
}


# ------------------------------------------------------------------ helpers

def run(image, make, runtime=True, index=0, seed=1):
    """Output of ``make(image node)`` for sample ``index``.  ``runtime``
    compiles without optimisation so the kernel runs per sample instead of
    being folded into a constant at compile time."""
    with pp.Graph() as graph:
        pp.Output(make(pp.Constant(image)), "out")
    return graph.compile(seed=seed, optimize=not runtime).run(index)["out"]


def make_image(rng, dtype, h, w, channels):
    """Random image; ``channels=None`` gives an H x W image."""
    shape = (h, w) if channels is None else (h, w, channels)
    if np.dtype(dtype) == np.float32:
        return rng.random(shape, dtype=np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, int(info.max) + 1, size=shape).astype(dtype)


def like(ref, image):
    """OpenCV drops a trailing axis of 1 channel; put it back."""
    if image.ndim == 3 and ref.ndim == 2:
        return ref[..., None]
    return ref


def assert_close(out, ref):
    """uint8/uint16/int16 within 1, float32 within 1e-4 relative."""
    assert out.shape == ref.shape, (out.shape, ref.shape)
    assert out.dtype == ref.dtype
    if out.dtype == np.float32:
        np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
    else:
        diff = np.abs(out.astype(np.int64) - ref.astype(np.int64))
        assert diff.max(initial=0) <= 1, f"max difference {diff.max()}"


images = st.builds(
    lambda seed, dtype, h, w, c: make_image(np.random.default_rng(seed), dtype, h, w, c),
    st.integers(0, 2 ** 32 - 1), st.sampled_from(DTYPES), st.integers(1, 48),
    st.integers(1, 48), st.sampled_from([None, 1, 2, 3, 4]))


# ------------------------------------------------------------------ resize

@SETTINGS
@given(image=images, oh=st.integers(1, 80), ow=st.integers(1, 80),
       interpolation=st.sampled_from(sorted(INTERPOLATIONS)))
def test_resize_matches_opencv(image, oh, ow, interpolation):
    ref = like(cv2.resize(image, (ow, oh), interpolation=INTERPOLATIONS[interpolation]), image)
    out = run(image, lambda x: pp.Resize(x, (oh, ow), interpolation))
    assert_close(out, ref)
    if interpolation == "nearest":
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("interpolation", sorted(INTERPOLATIONS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_resize_folded_and_runtime_agree(interpolation, dtype):
    image = make_image(np.random.default_rng(3), dtype, 31, 23, 3)
    folded = run(image, lambda x: pp.Resize(x, (17, 40), interpolation), runtime=False)
    runtime = run(image, lambda x: pp.Resize(x, (17, 40), interpolation), runtime=True)
    np.testing.assert_array_equal(folded, runtime)
    assert_close(runtime, cv2.resize(image, (40, 17),
                                      interpolation=INTERPOLATIONS[interpolation]))


@SETTINGS
@given(image=images, fy=st.integers(1, 6), fx=st.integers(1, 6),
       cut=st.tuples(st.integers(0, 5), st.integers(0, 5)))
def test_area_whole_factors(image, fy, fx, cut):
    """INTER_AREA by whole factors, including sizes that leave a partial
    block at the edge (OpenCV averages what the block holds)."""
    h, w = image.shape[:2]
    oh, ow = max(1, h // fy), max(1, w // fx)
    ref = like(cv2.resize(image, (ow, oh), interpolation=cv2.INTER_AREA), image)
    assert_close(run(image, lambda x: pp.Resize(x, (oh, ow), "area")), ref)
    # factors given directly: cv2 rounds the size, the last block is cut
    sy, sx = 1.0 / fy, 1.0 / fx
    if round(h * sy) >= 1 and round(w * sx) >= 1:
        ref = like(cv2.resize(image, None, fx=sx, fy=sy, interpolation=cv2.INTER_AREA), image)
        assert_close(run(image, lambda x: pp.Scale(x, (sy, sx), "area")), ref)


@SETTINGS
@given(image=images, fy=st.floats(0.05, 1.0), fx=st.floats(0.05, 1.0))
def test_area_fractional_downscale(image, fy, fx):
    h, w = image.shape[:2]
    oh, ow = max(1, int(h * fy)), max(1, int(w * fx))
    ref = like(cv2.resize(image, (ow, oh), interpolation=cv2.INTER_AREA), image)
    assert_close(run(image, lambda x: pp.Resize(x, (oh, ow), "area")), ref)


@SETTINGS
@given(image=images, fy=st.floats(0.1, 4.0), fx=st.floats(0.1, 4.0),
       interpolation=st.sampled_from(sorted(INTERPOLATIONS)))
def test_scale_matches_opencv_factors(image, fy, fx, interpolation):
    h, w = image.shape[:2]
    if round(h * fy) < 1 or round(w * fx) < 1:
        with pytest.raises(pp.PixelPipesError, match="empty"):
            run(image, lambda x: pp.Scale(x, (fy, fx), interpolation))
        return
    ref = like(cv2.resize(image, None, fx=fx, fy=fy,
                          interpolation=INTERPOLATIONS[interpolation]), image)
    assert_close(run(image, lambda x: pp.Scale(x, (fy, fx), interpolation)), ref)


def test_scale_size_rounds_half_to_even():
    image = np.zeros((5, 7), np.uint8)
    assert run(image, lambda x: pp.Scale(x, 0.5)).shape == (2, 4)
    assert cv2.resize(image, None, fx=0.5, fy=0.5).shape == (2, 4)
    with pp.Graph():
        assert pp.Scale(pp.Constant(image), 0.5) is not None


@pytest.mark.parametrize("interpolation", sorted(INTERPOLATIONS))
def test_resize_extremes(interpolation):
    code = INTERPOLATIONS[interpolation]
    one = np.array([[[7, 200, 13, 255]]], np.uint8)
    out = run(one, lambda x: pp.Resize(x, (3, 50), interpolation))
    np.testing.assert_array_equal(out, np.broadcast_to(one, (3, 50, 4)))
    tall = make_image(np.random.default_rng(5), np.uint8, 600, 2, None)
    assert_close(run(tall, lambda x: pp.Resize(x, (1, 1), interpolation)),
                 cv2.resize(tall, (1, 1), interpolation=code))
    assert_close(run(tall, lambda x: pp.Scale(x, (0.01, 40.0), interpolation)),
                 cv2.resize(tall, None, fx=40.0, fy=0.01, interpolation=code))


def test_resize_flat_images_stay_flat():
    for dtype, value in ((np.uint8, 255), (np.uint16, 65535), (np.int16, -32768),
                         (np.float32, 0.75)):
        image = np.full((9, 13, 3), value, dtype)
        for interpolation in INTERPOLATIONS:
            out = run(image, lambda x: pp.Resize(x, (20, 7), interpolation))
            assert_close(out, np.full((20, 7, 3), value, dtype))


def test_resize_per_sample_sizes():
    image = make_image(np.random.default_rng(2), np.uint8, 20, 30, 3)
    with pp.Graph() as graph:
        h = pp.RandomInteger(5, 40)
        w = pp.RandomInteger(5, 40)
        pp.Output(pp.Resize(pp.Constant(image), (h, w), "cubic"), "out")
        pp.Output(h, "h")
        pp.Output(w, "w")
    pipeline = graph.compile(seed=4)
    shapes = set()
    for i in range(6):
        s = pipeline.run(i)
        h, w = int(s["h"]), int(s["w"])
        shapes.add((h, w))
        assert_close(s["out"], cv2.resize(image, (w, h), interpolation=cv2.INTER_CUBIC))
    assert len(shapes) > 1


def test_resize_float_sizes_round():
    image = np.zeros((4, 4), np.uint8)
    out = run(image, lambda x: pp.Resize(x, (pp.SampleIndex() * 0 + 2.5, 3.5)))
    assert out.shape == (2, 4)


def test_resize_errors():
    image = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(pp.GraphError, match="must be > 0, got 0"):
        run(image, lambda x: pp.Resize(x, (0, 4)))
    with pytest.raises(pp.GraphError, match="must be > 0, got -3"):
        run(image, lambda x: pp.Resize(x, (4, -3)))
    with pytest.raises(pp.GraphError, match="finite"):
        run(image, lambda x: pp.Resize(x, (float("nan"), 4)))
    with pytest.raises(pp.GraphError, match="too large"):
        run(image, lambda x: pp.Resize(x, (2 ** 20, 2 ** 20)))
    with pytest.raises(pp.GraphError, match="factor"):
        run(image, lambda x: pp.Scale(x, float("nan")))
    with pytest.raises(pp.GraphError, match="factor"):
        run(image, lambda x: pp.Scale(x, -1.0))
    with pytest.raises(pp.GraphError, match="empty"):
        run(image, lambda x: pp.Scale(x, 0.01))
    with pytest.raises(pp.GraphError, match="unknown interpolation"):
        pp.Resize(pp.Constant(image), (2, 2), "bogus")
    with pytest.raises(pp.GraphError, match="pair"):
        pp.Resize(pp.Constant(image), 5)
    with pytest.raises(pp.GraphError, match="uint8, uint16, int16, float32"):
        run(np.zeros((4, 4), np.int32), lambda x: pp.Resize(x, (2, 2)))
    with pytest.raises(pp.GraphError, match="1 to 4 channels"):
        run(np.zeros((4, 4, 5), np.uint8), lambda x: pp.Resize(x, (2, 2)))


def test_resize_runtime_errors():
    """Bad sizes known only when the sample runs fail that sample clearly."""
    image = np.zeros((8, 8, 3), np.uint8)
    index = pp.SampleIndex
    with pytest.raises(pp.ExecutionError, match="output height must be > 0, got -5"):
        run(image, lambda x: pp.Resize(x, (index() - 5, 4)))
    with pytest.raises(pp.ExecutionError, match="finite"):
        run(image, lambda x: pp.Resize(x, (index() * 0.0 + float("nan"), 4)))
    with pytest.raises(pp.ExecutionError, match="2\\*\\*31"):
        run(image, lambda x: pp.Resize(x, (index() + 2 ** 20, 2 ** 20)))
    with pytest.raises(pp.ExecutionError, match="scale factors must be > 0"):
        run(image, lambda x: pp.Scale(x, index() - 1.0))
    with pytest.raises(pp.ExecutionError, match="finite"):
        run(image, lambda x: pp.Scale(x, index() * float("inf")))
    with pytest.raises(pp.ExecutionError, match="2\\*\\*31"):
        run(image, lambda x: pp.Scale(x, index() + 1e9))
    with pytest.raises(pp.ExecutionError, match="empty image"):
        run(image, lambda x: pp.Scale(x, index() + 1e-9))


def test_resized_crop_matches_crop_then_resize():
    rng = np.random.default_rng(8)
    for dtype in DTYPES:
        image = make_image(rng, dtype, 30, 41, 3)
        for interpolation, code in INTERPOLATIONS.items():
            x, y, w, h = 5, 3, 17, 22
            ref = cv2.resize(np.ascontiguousarray(image[y:y + h, x:x + w]), (13, 29),
                             interpolation=code)
            out = run(image, lambda z: pp.ResizedCrop(z, x, y, w, h, (29, 13), interpolation))
            assert_close(out, ref)
    # clipped like Crop
    image = make_image(rng, np.uint8, 10, 10, None)
    out = run(image, lambda z: pp.ResizedCrop(z, -3, 4, 8, 20, (12, 10)))
    assert_close(out, cv2.resize(image[4:, :5], (10, 12)))
    with pytest.raises(pp.PixelPipesError, match="lies outside"):
        run(image, lambda z: pp.ResizedCrop(z, 10, 0, 3, 3, (2, 2)))


@SETTINGS
@given(image=images, box=st.tuples(st.integers(0, 47), st.integers(0, 47), st.integers(1, 48),
                                   st.integers(1, 48)),
       oh=st.integers(1, 60), ow=st.integers(1, 60),
       interpolation=st.sampled_from(sorted(INTERPOLATIONS)))
def test_resized_crop_reads_the_window_in_place(image, box, oh, ow, interpolation):
    """ResizedCrop hands the resampling engine a window of the image (rows a
    full image row apart): bit-identical to resizing a copy of the crop, and
    close to cv2.resize of it."""
    x, y, w, h = box
    H, W = image.shape[:2]
    assume(x < W and y < H)
    crop = np.ascontiguousarray(image[y:y + h, x:x + w])
    out = run(image, lambda z: pp.ResizedCrop(z, x, y, w, h, (oh, ow), interpolation))
    copy = run(crop, lambda z: pp.Resize(z, (oh, ow), interpolation))
    np.testing.assert_array_equal(out, copy)
    ref = like(cv2.resize(crop, (ow, oh), interpolation=INTERPOLATIONS[interpolation]), crop)
    assert_close(out, ref)


# ------------------------------------------------------------------ crops and padding

@SETTINGS
@given(image=images, x=st.integers(-60, 60), y=st.integers(-60, 60),
       w=st.integers(1, 60), h=st.integers(1, 60), runtime=st.booleans())
def test_crop_is_clipped_slicing(image, x, y, w, h, runtime):
    H, W = image.shape[:2]
    ref = image[max(y, 0):max(y + h, 0), max(x, 0):max(x + w, 0)]
    if ref.size == 0:
        with pytest.raises(pp.PixelPipesError, match="lies outside"):
            run(image, lambda z: pp.Crop(z, x, y, w, h), runtime=runtime)
        return
    np.testing.assert_array_equal(run(image, lambda z: pp.Crop(z, x, y, w, h),
                                      runtime=runtime), ref)


def test_crop_errors():
    image = np.zeros((6, 6), np.uint8)
    with pytest.raises(pp.GraphError, match="crop width must be > 0, got -3"):
        run(image, lambda z: pp.Crop(z, 0, 0, -3, 2))
    with pytest.raises(pp.ExecutionError, match="crop height must be > 0, got 0"):
        run(image, lambda z: pp.Crop(z, 0, 0, 2, pp.SampleIndex()))
    with pytest.raises(pp.ExecutionError, match="lies outside"):
        run(image, lambda z: pp.Crop(z, pp.SampleIndex() + 6, 0, 2, 2))
    with pytest.raises(pp.ExecutionError, match="finite"):
        run(image, lambda z: pp.Crop(z, pp.SampleIndex() * float("nan"), 0, 2, 2))
    with pytest.raises(pp.GraphError, match="lies outside"):
        run(image, lambda z: pp.Crop(z, -5, 0, 5, 2))


@SETTINGS
@given(image=images, pads=st.tuples(*[st.integers(0, 70)] * 4),
       border=st.sampled_from(sorted(BORDERS)), value=st.integers(-10, 300),
       runtime=st.booleans())
def test_pad_matches_copymakeborder(image, pads, border, value, runtime):
    t, b, l, r = pads
    ref = like(cv2.copyMakeBorder(image, t, b, l, r, BORDERS[border], value=(value,) * 4),
               image)
    out = run(image, lambda z: pp.Pad(z, t, b, l, r, border, value), runtime=runtime)
    np.testing.assert_array_equal(out, ref)


def test_pad_per_channel_value_and_errors():
    image = np.zeros((2, 2, 3), np.uint8)
    out = run(image, lambda z: pp.Pad(z, 1, 0, 0, 0, "constant", (1, 2, 300)))
    np.testing.assert_array_equal(out[0, 0], [1, 2, 255])
    with pytest.raises(pp.GraphError, match="3 channels"):
        run(image, lambda z: pp.Pad(z, 1, 0, 0, 0, "constant", (1, 2)))
    with pytest.raises(pp.GraphError, match="must be >= 0"):
        run(image, lambda z: pp.Pad(z, -1, 0, 0, 0))
    with pytest.raises(pp.ExecutionError, match="padding must be >= 0"):
        run(image, lambda z: pp.Pad(z, pp.SampleIndex() - 1, 0, 0, 0))
    with pytest.raises(pp.GraphError, match="unknown border"):
        pp.Pad(pp.Constant(image), 1, 1, 1, 1, "mirror")
    with pytest.raises(pp.GraphError, match="finite"):
        pp.Pad(pp.Constant(image), 1, 1, 1, 1, "constant", float("nan"))


@SETTINGS
@given(image=images, x=st.integers(-80, 80), y=st.integers(-80, 80),
       w=st.integers(1, 50), h=st.integers(1, 50), border=st.sampled_from(sorted(BORDERS)),
       value=st.integers(0, 255), runtime=st.booleans())
def test_safe_crop_is_window_of_padded_image(image, x, y, w, h, border, value, runtime):
    P = 140
    big = like(cv2.copyMakeBorder(image, P, P, P, P, BORDERS[border], value=(value,) * 4),
               image)
    ref = big[y + P:y + P + h, x + P:x + P + w]
    out = run(image, lambda z: pp.SafeCrop(z, x, y, w, h, border, value), runtime=runtime)
    np.testing.assert_array_equal(out, ref)


def torchvision_center_crop(image, ch, cw):
    """torchvision.transforms.functional.center_crop, on a NumPy image."""
    H, W = image.shape[:2]
    if cw > W or ch > H:
        pl = (cw - W) // 2 if cw > W else 0
        pt = (ch - H) // 2 if ch > H else 0
        pr = (cw - W + 1) // 2 if cw > W else 0
        pb = (ch - H + 1) // 2 if ch > H else 0
        image = np.pad(image, ((pt, pb), (pl, pr)) + ((0, 0),) * (image.ndim - 2))
        H, W = image.shape[:2]
        if cw == W and ch == H:
            return image
    top = int(round((H - ch) / 2.0))
    left = int(round((W - cw) / 2.0))
    return image[top:top + ch, left:left + cw]


@SETTINGS
@given(image=images, ch=st.integers(1, 70), cw=st.integers(1, 70), runtime=st.booleans())
def test_center_crop_matches_torchvision(image, ch, cw, runtime):
    out = run(image, lambda z: pp.CenterCrop(z, ch, cw), runtime=runtime)
    np.testing.assert_array_equal(out, torchvision_center_crop(image, ch, cw))


# ------------------------------------------------------------------ random crops

def window_position(padded, window):
    """(top, left) of ``window`` inside ``padded`` (unique by construction)."""
    hits = np.argwhere(padded[..., 0] == window[0, 0, 0])
    for top, left in hits:
        h, w = window.shape[:2]
        if np.array_equal(padded[top:top + h, left:left + w], window):
            return int(top), int(left)
    raise AssertionError("the crop is not a window of the padded image")


def test_random_crop_positions_are_uniform_and_exact():
    image = (np.arange(7 * 9, dtype=np.uint16).reshape(7, 9, 1) + 1000)
    pad = (2, 1, 0, 3)          # left, top, right, bottom
    padded = cv2.copyMakeBorder(image, 1, 3, 2, 0, cv2.BORDER_REFLECT)[..., None]
    th, tw = 5, 6
    with pp.Graph() as graph:
        pp.Output(pp.RandomCrop(pp.Constant(image), th, tw, padding=pad, border="reflect"),
                  "out")
    pipeline = graph.compile(seed=3)
    n = 4000
    batch = pipeline.batch(range(n), threads=2)["out"]
    assert batch.shape == (n, th, tw, 1)
    counts = {}
    for crop in batch[:n]:
        pos = window_position(padded.astype(np.int64) + 0, crop.astype(np.int64))
        counts[pos] = counts.get(pos, 0) + 1
    ny, nx = padded.shape[0] - th + 1, padded.shape[1] - tw + 1
    assert set(counts) == {(i, j) for i in range(ny) for j in range(nx)}
    expected = n / (ny * nx)
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    df = ny * nx - 1
    assert chi2 < df + 6 * math.sqrt(2 * df)
    again = pipeline.batch(range(50), threads=1)["out"]
    np.testing.assert_array_equal(again, batch[:50])


def test_random_crop_pad_if_needed_and_errors():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4) + 1
    with pp.Graph() as graph:
        pp.Output(pp.RandomCrop(pp.Constant(image), 5, 6, pad_if_needed=True), "out")
    pipeline = graph.compile(seed=1)
    padded = np.pad(image, ((2, 2), (2, 2)))       # torchvision pads both sides
    seen = set()
    for i in range(60):
        out = pipeline.run(i)["out"]
        assert out.shape == (5, 6)
        found = [(t, l) for t in range(padded.shape[0] - 4) for l in range(padded.shape[1] - 5)
                 if np.array_equal(padded[t:t + 5, l:l + 6], out)]
        assert found
        seen.update(found)
    assert len(seen) > 3
    with pytest.raises(pp.GraphError, match="larger than the padded image"):
        run(image, lambda z: pp.RandomCrop(z, 5, 2))
    with pytest.raises(pp.ExecutionError, match="larger than the padded image"):
        run(image, lambda z: pp.RandomCrop(z, pp.SampleIndex() + 5, 2))
    with pytest.raises(pp.GraphError, match="padding"):
        pp.RandomCrop(pp.Constant(image), 2, 2, padding=-1)


def torchvision_rrc_params(rng, H, W, scale, ratio):
    """torchvision.transforms.RandomResizedCrop.get_params with NumPy draws."""
    area = H * W
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * rng.uniform(scale[0], scale[1])
        aspect_ratio = math.exp(rng.uniform(log_ratio[0], log_ratio[1]))
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= W and 0 < h <= H:
            i = int(rng.integers(0, H - h + 1))
            j = int(rng.integers(0, W - w + 1))
            return i, j, h, w
    in_ratio = float(W) / float(H)
    if in_ratio < min(ratio):
        w = W
        h = int(round(w / min(ratio)))
    elif in_ratio > max(ratio):
        h = H
        w = int(round(h * max(ratio)))
    else:
        w, h = W, H
    return (H - h) // 2, (W - w) // 2, h, w


def ks_statistic(a, b):
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return np.abs(fa - fb).max()


@pytest.mark.parametrize("H, W, scale, ratio", [
    (40, 60, (0.08, 1.0), (3 / 4, 4 / 3)),
    (30, 30, (0.5, 1.0), (0.5, 2.0)),
    (20, 90, (0.05, 0.9), (1.0, 1.0)),     # most attempts fail, 9% fall back
])
def test_random_resized_crop_box_distribution(H, W, scale, ratio):
    n = 20000
    image = np.zeros((H, W), np.uint8)
    with pp.Graph() as graph:
        pp.Output(pp.RandomResizedCropBox(pp.Constant(image), scale, ratio), "box")
    boxes = graph.compile(seed=11).batch(range(n), threads=2)["box"]
    rng = np.random.default_rng(0)
    ref = np.array([torchvision_rrc_params(rng, H, W, scale, ratio) for _ in range(n)])
    top, left, h, w = boxes.T
    assert (top >= 0).all() and (left >= 0).all() and (h > 0).all() and (w > 0).all()
    assert (top + h <= H).all() and (left + w <= W).all()
    # two-sample KS critical value at alpha ~ 1e-9: c = sqrt(-ln(alpha / 2) / 2)
    bound = 3.3 * math.sqrt(2.0 / n)
    for k, what in enumerate(("top", "left", "height", "width")):
        d = ks_statistic(boxes[:, k], ref[:, k])
        assert d < bound, f"{what}: KS {d:.4f} >= {bound:.4f}"
    d = ks_statistic(h * w, ref[:, 2] * ref[:, 3])
    assert d < bound


def test_random_resized_crop_box_fallback_is_exact():
    # no box can fit: every sample is torchvision's centred fallback
    image = np.zeros((10, 40), np.uint8)
    with pp.Graph() as graph:
        pp.Output(pp.RandomResizedCropBox(pp.Constant(image), (5.0, 6.0)), "box")
    boxes = graph.compile(seed=2).batch(range(20), threads=1)["box"]
    assert (boxes == [0, 13, 10, 13]).all()     # h = 10, w = round(10 * 4 / 3)
    image = np.zeros((40, 10), np.uint8)
    with pp.Graph() as graph:
        pp.Output(pp.RandomResizedCropBox(pp.Constant(image), (5.0, 6.0)), "box")
    box = graph.compile(seed=2).run(0)["box"]
    np.testing.assert_array_equal(box, [13, 0, 13, 10])     # h = round(10 / (3/4))


def test_random_resized_crop_box_then_resized_crop():
    """The composition RandomResizedCrop expands to, with the box visible."""
    image = make_image(np.random.default_rng(4), np.uint8, 50, 70, 3)
    with pp.Graph() as graph:
        img = pp.Constant(image)
        box = pp.RandomResizedCropBox(img)
        pp.Output(pp.ResizedCrop(img, box[1], box[0], box[3], box[2], (24, 32), "cubic"), "out")
        pp.Output(box, "box")
    batch = graph.compile(seed=5).batch(range(12), threads=2)
    for i in range(12):
        top, left, h, w = (int(v) for v in batch["box"][i])
        ref = cv2.resize(np.ascontiguousarray(image[top:top + h, left:left + w]), (32, 24),
                         interpolation=cv2.INTER_CUBIC)
        assert_close(batch["out"][i], ref)
    assert len({tuple(b) for b in batch["box"]}) > 6


def test_random_resized_crop_macro():
    """With the box size pinned (scale and ratio ranges of one value), every
    output is the resize of one window of that size; keys and seeds decide
    the position reproducibly."""
    image = make_image(np.random.default_rng(4), np.uint8, 30, 40, 3)
    h, w = 20, 25
    scale = (h * w / (30 * 40),) * 2
    ratio = (w / h,) * 2
    with pp.Graph() as graph:
        img = pp.Constant(image)
        pp.Output(pp.RandomResizedCrop(img, (12, 16), scale, ratio, "linear", key="k"), "out")
        pp.Output(pp.RandomResizedCrop(img, (12, 16), scale, ratio, "linear", key="k"), "same")
        pp.Output(pp.RandomResizedCrop(img, (12, 16), scale, ratio, "linear"), "other")
    pipeline = graph.compile(seed=5)
    batch = pipeline.batch(range(8), threads=2)
    windows = {(t, l): cv2.resize(np.ascontiguousarray(image[t:t + h, l:l + w]), (16, 12))
               for t in range(30 - h + 1) for l in range(40 - w + 1)}
    positions = set()
    for out in batch["out"]:
        hits = [pos for pos, ref in windows.items()
                if np.abs(ref.astype(int) - out.astype(int)).max() <= 1]
        assert hits
        positions.add(hits[0])
    assert len(positions) > 3
    np.testing.assert_array_equal(batch["out"], batch["same"])
    assert not np.array_equal(batch["out"], batch["other"])
    np.testing.assert_array_equal(pipeline.batch(range(8), threads=1)["out"], batch["out"])
    assert not np.array_equal(graph.compile(seed=6).batch(range(8))["out"], batch["out"])


def test_random_resized_crop_errors():
    image = np.zeros((8, 8), np.uint8)
    with pytest.raises(pp.GraphError, match="scale"):
        pp.RandomResizedCrop(pp.Constant(image), (4, 4), scale=(0.5, 0.1))
    with pytest.raises(pp.GraphError, match="ratio"):
        pp.RandomResizedCropBox(pp.Constant(image), ratio=(float("nan"), 1.0))
    with pytest.raises(pp.GraphError, match="must be > 0"):
        run(image, lambda z: pp.RandomResizedCrop(z, (0, 4)))


# ------------------------------------------------------------------ flips and turns

@SETTINGS
@given(image=images, horizontal=st.booleans(), vertical=st.booleans(), runtime=st.booleans())
def test_flip_matches_numpy(image, horizontal, vertical, runtime):
    ref = image
    if horizontal:
        ref = np.flip(ref, 1)
    if vertical:
        ref = np.flip(ref, 0)
    out = run(image, lambda z: pp.Flip(z, horizontal, vertical), runtime=runtime)
    np.testing.assert_array_equal(out, ref)
    if horizontal or vertical:
        code = -1 if horizontal and vertical else (1 if horizontal else 0)
        np.testing.assert_array_equal(out, like(cv2.flip(image, code), image))


def test_random_flip():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    with pp.Graph() as graph:
        img = pp.Constant(image)
        pp.Output(pp.RandomFlip(img, 0.5, key="f"), "a")
        pp.Output(pp.RandomFlip(img, 0.5, key="f"), "b")
        pp.Output(pp.RandomFlip(img, 1.0, horizontal=False, vertical=True), "always")
        pp.Output(pp.RandomFlip(img, 0.0), "never")
    batch = graph.compile(seed=1).batch(range(400), threads=2)
    flipped = np.array([np.array_equal(x, image[:, ::-1]) for x in batch["a"]])
    same = np.array([np.array_equal(x, image) for x in batch["a"]])
    assert (flipped | same).all()
    assert 120 < flipped.sum() < 280          # p = 0.5, about 6 sigma
    np.testing.assert_array_equal(batch["a"], batch["b"])
    assert all(np.array_equal(x, image[::-1]) for x in batch["always"])
    assert all(np.array_equal(x, image) for x in batch["never"])


@SETTINGS
@given(image=images, k=st.integers(-9, 9), runtime=st.booleans())
def test_rotate90_and_transpose_match_numpy(image, k, runtime):
    np.testing.assert_array_equal(run(image, lambda z: pp.Rotate90(z, k), runtime=runtime),
                                  np.rot90(image, k))
    np.testing.assert_array_equal(run(image, lambda z: pp.TransposeImage(z), runtime=runtime),
                                  np.swapaxes(image, 0, 1))


def test_rotate90_per_sample_k_and_large_images():
    image = make_image(np.random.default_rng(9), np.float32, 70, 45, 3)
    with pp.Graph() as graph:
        pp.Output(pp.Rotate90(pp.Constant(image), pp.SampleIndex() - 2), "out")
    pipeline = graph.compile()
    for i in range(5):
        np.testing.assert_array_equal(pipeline.run(i)["out"], np.rot90(image, i - 2))
    assert cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE).shape == (45, 70, 3)
    np.testing.assert_array_equal(run(image, lambda z: pp.Rotate90(z, 3)),
                                  cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE))
    with pytest.raises(pp.GraphError, match="integer"):
        run(image, lambda z: pp.Rotate90(z, 1.5))


def test_static_shapes():
    image = pp.Constant(np.zeros((10, 20, 3), np.uint8))
    with pp.Graph() as graph:
        nodes = {
            "resize": pp.Resize(image, (5, 6)), "scale": pp.Scale(image, (0.5, 2.0)),
            "crop": pp.Crop(image, 15, -2, 10, 5), "safe": pp.SafeCrop(image, 15, -2, 10, 5),
            "pad": pp.Pad(image, 1, 2, 3, 4), "center": pp.CenterCrop(image, 4, 30),
            "rcrop": pp.RandomCrop(image, 4, 5), "rrc": pp.RandomResizedCrop(image, (7, 8)),
            "flip": pp.Flip(image), "t": pp.TransposeImage(image), "r1": pp.Rotate90(image, 1),
            "r2": pp.Rotate90(image, 2),
        }
        for label, node in nodes.items():
            pp.Output(node, label)
    pipeline = graph.compile()
    expected = {"resize": (5, 6), "scale": (5, 40), "crop": (3, 5), "safe": (5, 10),
                "pad": (13, 27), "center": (4, 30), "rcrop": (4, 5), "rrc": (7, 8),
                "flip": (10, 20), "t": (20, 10), "r1": (20, 10), "r2": (10, 20)}
    batch = pipeline.batch(range(3), threads=1)
    for label, hw in expected.items():
        assert isinstance(batch[label], np.ndarray), label     # fixed shape: stacked
        assert batch[label].shape == (3,) + hw + (3,), label


def test_photo_spot_check():
    from pixelpipes.data import load_photo

    photo = load_photo("astronaut")
    for interpolation, code in INTERPOLATIONS.items():
        out = run(photo, lambda z: pp.Resize(z, (200, 300), interpolation))
        assert_close(out, cv2.resize(photo, (300, 200), interpolation=code))
    np.testing.assert_array_equal(run(photo, lambda z: pp.Rotate90(z, 1)), np.rot90(photo))


def test_tiny_and_empty_images():
    one = np.array([[[1, 2, 3, 4]]], np.float32)
    for make in (lambda z: pp.Flip(z, True, True), pp.TransposeImage,
                 lambda z: pp.Rotate90(z, 1), lambda z: pp.Crop(z, 0, 0, 5, 5),
                 lambda z: pp.CenterCrop(z, 1, 1), lambda z: pp.Resize(z, (1, 1), "lanczos")):
        np.testing.assert_array_equal(run(one, make), one)
    np.testing.assert_array_equal(run(one, lambda z: pp.Pad(z, 1, 1, 1, 1, "reflect")),
                                  np.broadcast_to(one, (3, 3, 4)))
    np.testing.assert_array_equal(run(one, lambda z: pp.Pad(z, 2, 0, 0, 3, "wrap")),
                                  np.broadcast_to(one, (3, 4, 4)))
    empty = np.zeros((0, 5), np.uint8)
    assert run(empty, lambda z: pp.Flip(z)).shape == (0, 5)
    assert run(empty, pp.TransposeImage).shape == (5, 0)
    np.testing.assert_array_equal(run(empty, lambda z: pp.Pad(z, 1, 1, 0, 0, "constant", 7)),
                                  np.full((2, 5), 7, np.uint8))
    with pytest.raises(pp.PixelPipesError, match="empty"):
        run(empty, lambda z: pp.Resize(z, (3, 3)))
    with pytest.raises(pp.PixelPipesError, match="empty"):
        run(empty, lambda z: pp.Pad(z, 1, 1, 1, 1, "reflect"))
    with pytest.raises(pp.PixelPipesError, match="lies outside"):
        run(empty, lambda z: pp.Crop(z, 0, 0, 2, 2))


def test_threads_agree():
    image = make_image(np.random.default_rng(12), np.uint8, 37, 29, 3)
    with pp.Graph() as graph:
        img = pp.Constant(image)
        size = (pp.RandomInteger(10, 60), pp.RandomInteger(10, 60))
        pp.Output(pp.Resize(img, size, "lanczos"), "resize")
        pp.Output(pp.RandomResizedCrop(img, (16, 16), interpolation="area"), "rrc")
        pp.Output(pp.RandomCrop(img, 20, 20, padding=4, border="wrap"), "crop")
        pp.Output(pp.RandomFlip(pp.Rotate90(img, pp.RandomInteger(0, 4))), "turn")
    pipeline = graph.compile(seed=9)
    one = pipeline.batch(range(40), threads=1)
    two = pipeline.batch(range(40), threads=2)
    for label in ("rrc", "crop"):
        np.testing.assert_array_equal(one[label], two[label])
    for label in ("resize", "turn"):
        for a, b in zip(one[label], two[label]):
            np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ SIMD paths
#
# Kernels with a dedicated vector path are checked against the general path
# they shortcut (bit for bit) and against OpenCV, on sizes that reach every
# block and ragged edge of the vector loops.

@SETTINGS
@given(seed=st.integers(0, 2 ** 32 - 1), h=st.integers(1, 90), w=st.integers(1, 90),
       fy=st.floats(0.5, 2.0), fx=st.floats(0.5, 2.0), runtime=st.booleans())
def test_gray_linear_resize_matches_three_channel_path(seed, h, w, fy, fx, runtime):
    # One channel goes through the pshufb group passes (8 outputs per window
    # load, when their taps fit in 16 elements: scales down to about 0.55);
    # three equal channels through the per-pixel passes.  Both compute the
    # same integers, rows first or columns first.
    image = make_image(np.random.default_rng(seed), np.uint8, h, w, None)
    oh, ow = max(1, round(h * fy)), max(1, round(w * fx))
    out = run(image, lambda x: pp.Resize(x, (oh, ow), "linear"), runtime=runtime)
    rgb = run(np.dstack([image] * 3), lambda x: pp.Resize(x, (oh, ow), "linear"),
              runtime=runtime)
    for c in range(3):
        np.testing.assert_array_equal(out, rgb[..., c])
    assert_close(out, cv2.resize(image, (ow, oh), interpolation=cv2.INTER_LINEAR))


@SETTINGS
@given(seed=st.integers(0, 2 ** 32 - 1), h=st.integers(8, 120), w=st.integers(8, 120),
       channels=st.sampled_from([3, 4]), fy=st.floats(0.3, 1.0), fx=st.floats(0.3, 1.0),
       interpolation=st.sampled_from(["linear", "cubic"]))
def test_shrinking_colour_resize_matches_per_channel(seed, h, w, channels, fy, fx,
                                                     interpolation):
    # Shrinking 3- and 4-channel uint8 images combines rows first (cubic:
    # int32 sums, pmaddwd) and then filters two pixels per AVX2 vector; one
    # channel at a time takes the scalar horizontal loop: the same float
    # operations, so the same bits.
    image = make_image(np.random.default_rng(seed), np.uint8, h, w, channels)
    oh, ow = max(1, round(h * fy)), max(1, round(w * fx))
    out = run(image, lambda x: pp.Resize(x, (oh, ow), interpolation))
    for c in range(channels):
        alone = run(np.ascontiguousarray(image[..., c]),
                    lambda x: pp.Resize(x, (oh, ow), interpolation))
        np.testing.assert_array_equal(out[..., c], alone)
    ref = cv2.resize(image, (ow, oh), interpolation=INTERPOLATIONS[interpolation])
    assert_close(out, ref)


# (dtype, channels) of 1-, 2-, 3- and 4-byte pixels
PIXEL_KINDS = [(np.uint8, None), (np.uint16, 1), (np.uint8, 3), (np.uint8, 4),
               (np.float32, None)]


@pytest.mark.parametrize("dtype,channels", PIXEL_KINDS)
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), h=st.integers(1, 150), w=st.integers(1, 150))
def test_turns_and_flips_of_larger_images(dtype, channels, seed, h, w):
    # 3- and 4-byte pixels turn in 4 x 4 SSSE3 blocks within 16 x 64 tiles,
    # 1-, 2- and 4-byte pixels flip 16 bytes at a time: sizes past several
    # tiles, with ragged edges.
    image = make_image(np.random.default_rng(seed), dtype, h, w, channels)
    for k in range(4):
        np.testing.assert_array_equal(run(image, lambda z: pp.Rotate90(z, k)),
                                      np.rot90(image, k))
    np.testing.assert_array_equal(run(image, pp.TransposeImage), np.swapaxes(image, 0, 1))
    np.testing.assert_array_equal(run(image, lambda z: pp.Flip(z, True, False)),
                                  image[:, ::-1])
    np.testing.assert_array_equal(run(image, lambda z: pp.Flip(z, False, True)),
                                  image[::-1])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), h=st.integers(1, 60), w=st.integers(1, 200),
       x=st.integers(-20, 120), y=st.integers(-5, 40), cw=st.integers(1, 200),
       ch=st.integers(1, 40), channels=st.sampled_from([None, 3, 4]))
def test_crops_of_long_rows(seed, h, w, x, y, cw, ch, channels):
    # Rows of 32 bytes and more are copied 32 bytes at a time, the last
    # block overlapping the one before it.
    image = make_image(np.random.default_rng(seed), np.uint8, h, w, channels)
    assume(x < w and y < h and x + cw > 0 and y + ch > 0)
    np.testing.assert_array_equal(run(image, lambda z: pp.Crop(z, x, y, cw, ch)),
                                  image[max(y, 0):y + ch, max(x, 0):x + cw])
    padded = cv2.copyMakeBorder(image, 40, 40, 200, 200, cv2.BORDER_CONSTANT, value=0)
    padded = like(padded, image)
    np.testing.assert_array_equal(run(image, lambda z: pp.SafeCrop(z, x, y, cw, ch)),
                                  padded[y + 40:y + 40 + ch, x + 200:x + 200 + cw])


def test_simd_paths_agree_across_threads():
    rng = np.random.default_rng(21)
    gray = make_image(rng, np.uint8, 97, 131, None)
    rgb = make_image(rng, np.uint8, 90, 110, 3)
    with pp.Graph() as graph:
        size = (pp.RandomInteger(20, 140), pp.RandomInteger(20, 140))
        pp.Output(pp.Resize(pp.Constant(gray), size, "linear"), "gray")
        pp.Output(pp.Resize(pp.Constant(rgb), size, "cubic"), "cubic")
        pp.Output(pp.Rotate90(pp.Constant(rgb), pp.RandomInteger(0, 4)), "turn")
    pipeline = graph.compile(seed=4)
    one = pipeline.batch(range(24), threads=1)
    two = pipeline.batch(range(24), threads=2)
    for label in ("gray", "cubic", "turn"):
        for a, b in zip(one[label], two[label]):
            np.testing.assert_array_equal(a, b)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), h=st.integers(1, 40), w=st.integers(1, 140),
       channels=st.sampled_from([None, 1, 2, 3, 4]),
       interpolation=st.sampled_from(["linear", "area"]), by_factor=st.booleans())
def test_uint8_halving_is_rounded_block_mean(seed, h, w, channels, interpolation, by_factor):
    # An exact 2x uint8 shrink (linear or area) is the 2 x 2 mean rounded
    # half up; 1-, 3- and 4-channel rows take pshufb/pmaddubsw blocks of 32
    # or 48 bytes, the ragged ends (and 2 channels) the scalar loop.
    image = make_image(np.random.default_rng(seed), np.uint8, 2 * h, 2 * w + by_factor,
                       channels)
    if by_factor:       # odd width: a last column of one pixel pair per row
        out = run(image, lambda x: pp.Scale(x, 0.5, interpolation))
        ref = cv2.resize(image, None, fx=0.5, fy=0.5,
                         interpolation=INTERPOLATIONS[interpolation])
        assert_close(out, like(ref, image))
        out = out[:, :w]
    else:
        out = run(image, lambda x: pp.Resize(x, (h, w), interpolation))
        ref = like(cv2.resize(image, (w, h), interpolation=INTERPOLATIONS[interpolation]), image)
        if channels == 2:       # OpenCV's scalar 2-channel loop rounds otherwise
            assert_close(out, ref)
        else:
            np.testing.assert_array_equal(out, ref)
    blocks = image[:, :2 * w].reshape(h, 2, w, 2, -1).astype(np.int32).sum(axis=(1, 3))
    np.testing.assert_array_equal(out.reshape(h, w, -1), (blocks + 2) >> 2)


def test_uint8_halving_threads_agree():
    rng = np.random.default_rng(5)
    images = {c: make_image(rng, np.uint8, 64, 122, c) for c in (None, 3, 4)}
    with pp.Graph() as graph:
        for c, image in images.items():
            pp.Output(pp.Resize(pp.Constant(image), (32, 61), "linear"), f"c{c}")
    pipeline = graph.compile(seed=2, optimize=False)
    one = pipeline.batch(range(4), threads=1)
    two = pipeline.batch(range(4), threads=2)
    for c in images:
        np.testing.assert_array_equal(one[f"c{c}"], two[f"c{c}"])
