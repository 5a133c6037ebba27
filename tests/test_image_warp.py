"""Warps and deformations (pixelpipes/image/warp.py) against OpenCV 5 and
NumPy references.

Tolerances (see the module notes of pixelpipes.image.warp): integer images
within 1 of OpenCV, float32 within 1e-4.  int16 is compared with OpenCV's
float32 result, rounded, because OpenCV routes int16 nearest/linear through
an older fixed-point path.  Pixels where the two implementations legitimately
disagree are masked, each for a stated reason:

* reflect / reflect_101 / wrap: source coordinates more than one image size
  outside the image (OpenCV folds them only once);
* nearest: source coordinates within 1e-3 of a rounding tie (OpenCV computes
  coordinates in float32, pixelpipes in double).
"""

import math

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import pixelpipes as pp
from pixelpipes.data import load_photo

INTERP = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR,
          "cubic": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4, "area": cv2.INTER_AREA}
BORDER = {"constant": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE,
          "reflect": cv2.BORDER_REFLECT, "reflect_101": cv2.BORDER_REFLECT_101,
          "wrap": cv2.BORDER_WRAP}
DTYPES = [np.uint8, np.uint16, np.int16, np.float32]
FOLDING = ("reflect", "reflect_101", "wrap")
TAPS = {"nearest": 1, "linear": 2, "area": 2, "cubic": 4, "lanczos": 8}

SETTINGS = dict(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------- helpers

def run(make, optimize=True, index=0, seed=0):
    """Output "out" of a one-output graph built by ``make()``."""
    with pp.Graph() as graph:
        pp.Output(make(), "out")
    return graph.compile(seed=seed, optimize=optimize).run(index)["out"]


def runtime(value):
    """``value`` as a node computed at run time (not constant-folded)."""
    return pp.Conditional(pp.SampleIndex() >= 0, value, value)


def runtime_unshaped(value, other):
    """``value`` at run time, with a static shape that is the join of the
    shapes of ``value`` and ``other`` (so compile-time checks cannot see it)."""
    return pp.Conditional(pp.SampleIndex() >= 0, value, other)


def random_image(rng, h, w, channels, dtype):
    shape = (h, w) if channels == 0 else (h, w, channels)
    if dtype == np.float32:
        return rng.random(shape).astype(np.float32)
    if dtype == np.uint8:
        return rng.integers(0, 256, shape).astype(np.uint8)
    if dtype == np.uint16:
        return rng.integers(0, 65536, shape).astype(np.uint16)
    return rng.integers(-32768, 32768, shape).astype(np.int16)


def reference_input(image):
    """What OpenCV is given: int16 goes through float32 (see module doc)."""
    return image.astype(np.float32) if image.dtype == np.int16 else image


def finish_reference(ref, image):
    ref = ref.reshape(ref.shape[:2] + image.shape[2:])
    if image.dtype == np.int16:
        ref = np.clip(np.rint(ref), -32768, 32767)
    return ref


def assert_close(out, ref, dtype, mask=None):
    assert out.dtype == np.dtype(dtype)
    assert out.shape == ref.shape
    diff = np.abs(out.astype(np.float64) - ref.astype(np.float64))
    if diff.ndim == 3:
        diff = diff.max(axis=2)
    if mask is not None:
        diff = np.where(mask, diff, 0)
    tol = 1e-4 if dtype == np.float32 else 1.0
    where = np.unravel_index(diff.argmax(), diff.shape)
    assert diff.max() <= tol, f"max difference {diff.max()} at {where}"


def opencv_hangs(interpolation, border, h, w):
    """OpenCV 5.0 loops forever on cubic + reflect_101 when the source has
    one row or one column; those cases are not compared."""
    return interpolation == "cubic" and border == "reflect_101" and min(h, w) == 1


def source_coordinates(inv, h, w, perspective):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    sx = inv[0, 0] * x + inv[0, 1] * y + inv[0, 2]
    sy = inv[1, 0] * x + inv[1, 1] * y + inv[1, 2]
    if perspective:
        wz = inv[2, 0] * x + inv[2, 1] * y + inv[2, 2]
        sx, sy = sx / wz, sy / wz
    return sx, sy


def comparable(sx, sy, src_h, src_w, interpolation, border):
    """Pixels where OpenCV and pixelpipes are meant to agree (module doc)."""
    ok = np.isfinite(sx) & np.isfinite(sy)
    if border in FOLDING:
        k = TAPS[interpolation]
        ok &= (sx > -src_w + k) & (sx < 2 * src_w - k - 1)
        ok &= (sy > -src_h + k) & (sy < 2 * src_h - k - 1)
    if interpolation == "nearest":
        for v in (sx, sy):
            frac = v - np.floor(v)
            ok &= np.abs(frac - 0.5) > 1e-3
    return ok


matrices = st.tuples(
    st.floats(-40, 40),             # angle (degrees)
    st.floats(0.7, 1.4),            # scale
    st.floats(-0.2, 0.2),           # shear
    st.floats(-6, 6), st.floats(-6, 6),   # translation
)


def affine_matrix(params):
    angle, scale, shear, tx, ty = params
    a = math.radians(angle)
    m = np.array([[scale * math.cos(a), -scale * math.sin(a) + shear, tx],
                  [scale * math.sin(a), scale * math.cos(a), ty],
                  [0.0, 0.0, 1.0]])
    return m


# ---------------------------------------------------------------- Warp vs OpenCV

@settings(**SETTINGS)
@given(dtype=st.sampled_from(DTYPES), channels=st.sampled_from([0, 1, 3, 4]),
       interpolation=st.sampled_from(list(INTERP)), border=st.sampled_from(list(BORDER)),
       h=st.integers(1, 40), w=st.integers(1, 40), out_h=st.integers(1, 40),
       out_w=st.integers(1, 40), params=matrices, seed=st.integers(0, 2 ** 32 - 1))
def test_warp_affine_matches_opencv(dtype, channels, interpolation, border, h, w, out_h,
                                    out_w, params, seed):
    assume(not opencv_hangs(interpolation, border, h, w))
    rng = np.random.default_rng(seed)
    image = random_image(rng, h, w, channels, dtype)
    m = affine_matrix(params)
    value = 7 if dtype != np.float32 else 0.25
    out = run(lambda: pp.Warp(image, m, size=(out_h, out_w), interpolation=interpolation,
                              border=border, value=value))
    ref = cv2.warpAffine(reference_input(image), m[:2], (out_w, out_h),
                         flags=INTERP[interpolation], borderMode=BORDER[border],
                         borderValue=(value,) * 4)
    ref = finish_reference(ref, image)
    sx, sy = source_coordinates(np.linalg.inv(m), out_h, out_w, False)
    assert_close(out, ref, dtype, comparable(sx, sy, h, w, interpolation, border))


@settings(**SETTINGS)
@given(dtype=st.sampled_from(DTYPES), channels=st.sampled_from([0, 1, 3, 4]),
       interpolation=st.sampled_from(list(INTERP)), border=st.sampled_from(list(BORDER)),
       h=st.integers(1, 40), w=st.integers(1, 40), params=matrices,
       p=st.tuples(st.floats(-0.01, 0.01), st.floats(-0.01, 0.01)),
       seed=st.integers(0, 2 ** 32 - 1))
def test_warp_perspective_matches_opencv(dtype, channels, interpolation, border, h, w, params,
                                         p, seed):
    assume(not opencv_hangs(interpolation, border, h, w))
    rng = np.random.default_rng(seed)
    image = random_image(rng, h, w, channels, dtype)
    m = affine_matrix(params)
    m[2, :2] = p
    # perspective=True: with p = (0, 0) the default would take the affine path,
    # whose Lanczos coordinates are OpenCV's warpAffine ones, not warpPerspective's
    out = run(lambda: pp.Warp(image, m, interpolation=interpolation, border=border, value=3,
                              perspective=True))
    ref = cv2.warpPerspective(reference_input(image), m, (w, h), flags=INTERP[interpolation],
                              borderMode=BORDER[border], borderValue=(3,) * 4)
    ref = finish_reference(ref, image)
    sx, sy = source_coordinates(np.linalg.inv(m), h, w, True)
    assert_close(out, ref, dtype, comparable(sx, sy, h, w, interpolation, border))


@pytest.mark.parametrize("interpolation", ["nearest", "linear", "cubic", "lanczos"])
@pytest.mark.parametrize("perspective", [False, True])
def test_warp_photo_runtime_path(interpolation, perspective):
    """A real photo, run-time (not folded) inputs, all channels checked."""
    image = load_photo("astronaut")[::2, ::2].copy()
    h, w = image.shape[:2]
    m = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), 23, 1.2), [0, 0, 1]])
    if perspective:
        m[2, :2] = (3e-4, -2e-4)
    out = run(lambda: pp.Warp(runtime(image), runtime(m), interpolation=interpolation),
              optimize=False)
    warp = cv2.warpPerspective if perspective else cv2.warpAffine
    ref = warp(image, m if perspective else m[:2], (w, h), flags=INTERP[interpolation])
    sx, sy = source_coordinates(np.linalg.inv(m), h, w, perspective)
    assert_close(out, ref, np.uint8, comparable(sx, sy, h, w, interpolation, "constant"))


@settings(**SETTINGS)
@given(dtype=st.sampled_from(DTYPES), channels=st.sampled_from([0, 3]),
       interpolation=st.sampled_from(list(INTERP)), border=st.sampled_from(list(BORDER)),
       box=st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(2, 30),
                     st.integers(2, 30)),
       params=matrices, seed=st.integers(0, 2 ** 32 - 1))
def test_warp_of_a_crop_borders_at_the_crop(dtype, channels, interpolation, border, box,
                                            params, seed):
    """A warp of a crop samples the crop only: its border is the crop's edge,
    never the surrounding pixels of the full image."""
    x, y, w, h = box
    rng = np.random.default_rng(seed)
    image = random_image(rng, 40, 45, channels, dtype)
    crop = image[y:y + h, x:x + w]
    h, w = crop.shape[:2]
    assume(not opencv_hangs(interpolation, border, h, w))
    m = affine_matrix(params)
    out = run(lambda: pp.Warp(pp.Crop(runtime(image), x, y, w, h), m, size=(h, w),
                              interpolation=interpolation, border=border, value=5))
    ref = cv2.warpAffine(reference_input(np.ascontiguousarray(crop)), m[:2], (w, h),
                         flags=INTERP[interpolation], borderMode=BORDER[border],
                         borderValue=(5,) * 4)
    ref = finish_reference(ref, crop)
    sx, sy = source_coordinates(np.linalg.inv(m), h, w, False)
    assert_close(out, ref, dtype, comparable(sx, sy, h, w, interpolation, border))


def test_warp_folded_equals_runtime():
    rng = np.random.default_rng(5)
    image = random_image(rng, 23, 31, 3, np.uint8)
    m = affine_matrix((12, 1.1, 0.1, 2, -3))
    folded = run(lambda: pp.Warp(image, m, interpolation="cubic", border="reflect"))
    late = run(lambda: pp.Warp(runtime(image), runtime(m), interpolation="cubic",
                               border="reflect"), optimize=False)
    np.testing.assert_array_equal(folded, late)


def test_warp_per_channel_border_value():
    image = np.zeros((4, 5, 3), np.uint8)
    m = np.array([[1, 0, 10.0], [0, 1, 0], [0, 0, 1]])   # everything out of view
    out = run(lambda: pp.Warp(image, m, value=(1, 2, 300)))
    assert (out == np.array([1, 2, 255], np.uint8)).all()   # saturated
    out = run(lambda: pp.Warp(image.astype(np.float32), m, value=(0.5, -1, 2)))
    assert (out == np.array([0.5, -1, 2], np.float32)).all()


def test_warp_accepts_2x3_and_integer_matrices():
    rng = np.random.default_rng(1)
    image = random_image(rng, 10, 12, 0, np.uint8)
    a = run(lambda: pp.Warp(image, np.array([[1, 0, 2], [0, 1, 1]], np.int64)))
    b = run(lambda: pp.Warp(image, np.array([[1, 0, 2], [0, 1, 1], [0, 0, 1]], np.float32)))
    ref = cv2.warpAffine(image, np.array([[1, 0, 2], [0, 1, 1]], np.float64), (12, 10))
    np.testing.assert_array_equal(a, ref)
    np.testing.assert_array_equal(b, ref)


def test_warp_perspective_flag():
    rng = np.random.default_rng(2)
    image = random_image(rng, 12, 14, 3, np.float32)
    m = np.array([[1, 0.1, 1], [0, 1, 0], [0, 0, 2.0]])   # w = 2: halves coordinates
    auto = run(lambda: pp.Warp(image, m))
    forced = run(lambda: pp.Warp(image, m, perspective=True))
    affine = run(lambda: pp.Warp(image, m, perspective=False))
    np.testing.assert_allclose(auto, cv2.warpPerspective(image, m, (14, 12)), atol=1e-4)
    np.testing.assert_array_equal(auto, forced)
    np.testing.assert_allclose(affine, cv2.warpAffine(image, m[:2], (14, 12)), atol=1e-4)
    eye = np.eye(3)
    np.testing.assert_allclose(run(lambda: pp.Warp(image, eye, perspective=True)), image,
                               atol=1e-6)


def test_warp_with_views_from_views_module():
    image = load_photo("chelsea")
    h, w = image.shape[:2]
    view = pp.ChainView(pp.TranslateView(w / 2, h / 2), pp.RotateView(0.3),
                        pp.TranslateView(-w / 2, -h / 2))
    out = run(lambda: pp.Warp(image, view))
    with pp.Graph() as g:
        pp.Output(view, "v")
    m = g.compile().run(0)["v"]
    ref = cv2.warpAffine(image, m[:2], (w, h))
    assert_close(out, ref, np.uint8)
    patch = run(lambda: pp.Warp(image, pp.RandomPatchView(image, (32, 48)), size=(32, 48)),
                index=3)
    assert patch.shape == (32, 48, 3)


# ---------------------------------------------------------------- specialised samplers
# The affine warp has paths specialised by channel count (one-channel uint8
# linear in groups of 8 or 4 pixels, 3- and 4-channel uint8 cubic in SSE2, a
# nearest gather moving 3-byte pixels as 4-byte words); the other channel
# counts run the general per-pixel samplers.  Channels never mix, so warping
# each channel alone must give the same bytes as warping them together
# (all specialised paths are uint8 ones, but the nearest gather).

@settings(**SETTINGS)
@given(channels=st.sampled_from([2, 3, 4]),
       interpolation=st.sampled_from(["nearest", "linear", "cubic", "lanczos"]),
       border=st.sampled_from(list(BORDER)), h=st.integers(1, 70), w=st.integers(1, 70),
       out_h=st.integers(1, 50), out_w=st.integers(1, 140), params=matrices,
       perspective=st.booleans(), crop=st.booleans(), seed=st.integers(0, 2 ** 32 - 1))
def test_uint8_channels_warp_independently(channels, interpolation, border, h, w, out_h,
                                           out_w, params, perspective, crop, seed):
    rng = np.random.default_rng(seed)
    full = random_image(rng, h + 4, w + 5, channels, np.uint8)
    image = np.ascontiguousarray(full[2:2 + h, 3:3 + w])
    m = affine_matrix(params)
    if perspective:
        m[2, :2] = rng.uniform(-0.005, 0.005, 2)
    values = (7, 9, 11, 13)[:channels]
    # a crop is a window whose rows are longer than its width (the 4-byte
    # moves may read past a window row)
    source = pp.Crop(runtime(full), 3, 2, w, h) if crop else image
    together = run(lambda: pp.Warp(source, m, size=(out_h, out_w),
                                   interpolation=interpolation, border=border, value=values,
                                   perspective=perspective))
    for c in range(channels):
        alone = run(lambda: pp.Warp(np.ascontiguousarray(image[..., c]), m,
                                    size=(out_h, out_w), interpolation=interpolation,
                                    border=border, value=values[c], perspective=perspective))
        np.testing.assert_array_equal(together[..., c], alone, err_msg=f"channel {c}")


@settings(**SETTINGS)
@given(interpolation=st.sampled_from(["nearest", "linear", "cubic"]),
       channels=st.sampled_from([0, 1, 3]), border=st.sampled_from(["constant", "replicate"]),
       h=st.integers(8, 90), w=st.integers(8, 90), out_h=st.integers(1, 60),
       out_w=st.integers(8, 200), params=matrices, seed=st.integers(0, 2 ** 32 - 1))
def test_uint8_affine_fast_paths_match_opencv(interpolation, channels, border, h, w, out_h,
                                              out_w, params, seed):
    """Rows long enough for the grouped and gathered paths, against OpenCV."""
    rng = np.random.default_rng(seed)
    image = random_image(rng, h, w, channels, np.uint8)
    m = affine_matrix(params)
    out = run(lambda: pp.Warp(image, m, size=(out_h, out_w), interpolation=interpolation,
                              border=border, value=7))
    ref = cv2.warpAffine(image, m[:2], (out_w, out_h), flags=INTERP[interpolation],
                         borderMode=BORDER[border], borderValue=(7,) * 4)
    sx, sy = source_coordinates(np.linalg.inv(m), out_h, out_w, False)
    assert_close(out, ref.reshape(out.shape), np.uint8,
                 comparable(sx, sy, h, w, interpolation, border))


def test_uint8_gray_linear_photo_matches_opencv():
    """The benchmark's one-channel case, whole: every pixel within 1."""
    image = cv2.cvtColor(load_photo("astronaut"), cv2.COLOR_RGB2GRAY)
    h, w = image.shape
    m = np.vstack([cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), 30, 1.1), [0, 0, 1]])
    out = run(lambda: pp.Warp(runtime(image), m, perspective=False), optimize=False)
    ref = cv2.warpAffine(image, m[:2], (w, h), flags=cv2.INTER_LINEAR)
    assert_close(out, ref, np.uint8)
    two = run(lambda: pp.Warp(runtime(np.dstack([image, image])), m, perspective=False),
              optimize=False)
    np.testing.assert_array_equal(out, two[..., 1])


# The 3- and 4-channel linear affine warps of uint8 and float32 take groups
# of 8 (uint8) or 4 (float32) pixels whose taps are all inside (AVX2, chosen
# at run time; elsewhere the general sampler, the same values), and fill
# groups far outside a constant border with the border value.

@settings(**SETTINGS)
@given(dtype=st.sampled_from([np.uint8, np.float32]), channels=st.sampled_from([3, 4]),
       border=st.sampled_from(list(BORDER)), h=st.integers(1, 70), w=st.integers(1, 70),
       out_h=st.integers(1, 40), out_w=st.integers(1, 160), params=matrices,
       crop=st.booleans(), seed=st.integers(0, 2 ** 32 - 1))
def test_linear_affine_groups_warp_channels_independently(dtype, channels, border, h, w,
                                                          out_h, out_w, params, crop, seed):
    rng = np.random.default_rng(seed)
    full = random_image(rng, h + 4, w + 5, channels, dtype)
    image = np.ascontiguousarray(full[2:2 + h, 3:3 + w])
    m = affine_matrix(params)
    values = (7, 9, 11, 13)[:channels] if dtype == np.uint8 else (0.25, -1.5, 3.0, 0.5)[:channels]
    # a crop's rows are longer than its width: the 8-byte and 4-float loads
    # must stay inside each window row all the same
    source = pp.Crop(runtime(full), 3, 2, w, h) if crop else image
    together = run(lambda: pp.Warp(source, m, size=(out_h, out_w), interpolation="linear",
                                   border=border, value=values, perspective=False))
    for c in range(channels):
        alone = run(lambda: pp.Warp(np.ascontiguousarray(image[..., c]), m,
                                    size=(out_h, out_w), interpolation="linear",
                                    border=border, value=values[c], perspective=False))
        np.testing.assert_array_equal(together[..., c], alone, err_msg=f"channel {c}")


@settings(**SETTINGS)
@given(dtype=st.sampled_from([np.uint8, np.float32]), channels=st.sampled_from([3, 4]),
       border=st.sampled_from(["constant", "replicate", "reflect_101"]),
       h=st.integers(8, 90), w=st.integers(8, 90), out_h=st.integers(1, 40),
       out_w=st.integers(8, 200), params=matrices, seed=st.integers(0, 2 ** 32 - 1))
def test_linear_affine_groups_match_opencv(dtype, channels, border, h, w, out_h, out_w,
                                           params, seed):
    rng = np.random.default_rng(seed)
    image = random_image(rng, h, w, channels, dtype)
    m = affine_matrix(params)
    value = 7 if dtype == np.uint8 else 0.25
    out = run(lambda: pp.Warp(image, m, size=(out_h, out_w), interpolation="linear",
                              border=border, value=value, perspective=False))
    ref = cv2.warpAffine(image, m[:2], (out_w, out_h), flags=cv2.INTER_LINEAR,
                         borderMode=BORDER[border], borderValue=(value,) * 4)
    sx, sy = source_coordinates(np.linalg.inv(m), out_h, out_w, False)
    assert_close(out, ref.reshape(out.shape), dtype,
                 comparable(sx, sy, h, w, "linear", border))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("channels", [3, 4])
def test_linear_affine_photo_matches_opencv_and_threads(dtype, channels):
    """A whole photo (long inside runs, wide constant margins): every pixel
    within the tolerance of OpenCV, and the same for 1 and 2 threads."""
    image = load_photo("astronaut")[::2, ::2]
    if channels == 4:
        image = np.dstack([image, image[..., :1]])
    image = np.ascontiguousarray(image if dtype == np.uint8 else image / np.float32(255))
    h, w = image.shape[:2]
    m = np.vstack([cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), 30, 1.1), [0, 0, 1]])
    m[:2, 2] += (10, -5)
    out = run(lambda: pp.Warp(runtime(image), m, perspective=False), optimize=False)
    ref = cv2.warpAffine(image, m[:2], (w, h), flags=cv2.INTER_LINEAR)
    assert_close(out, ref, dtype)
    with pp.Graph() as g:
        angle = pp.RandomUniform(-60, 60)
        pp.Output(pp.Rotate(image, angle, "linear"), "r")
        pp.Output(pp.Rotate(image, angle, "linear", border="replicate"), "e")
    p = g.compile(seed=5)
    one, two = p.batch(range(4), threads=1), p.batch(range(4), threads=2)
    for k in ("r", "e"):
        np.testing.assert_array_equal(one[k], two[k])


# ---------------------------------------------------------------- edge cases

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("interpolation", ["nearest", "linear", "cubic", "lanczos"])
def test_identity_and_integer_translation_are_exact(dtype, interpolation):
    rng = np.random.default_rng(3)
    image = random_image(rng, 9, 11, 4, dtype)
    np.testing.assert_array_equal(run(lambda: pp.Warp(image, np.eye(3),
                                                       interpolation=interpolation)), image)
    m = np.array([[1, 0, 2.0], [0, 1, -1], [0, 0, 1]])
    out = run(lambda: pp.Warp(image, m, interpolation=interpolation, border="replicate"))
    ref = cv2.warpAffine(reference_input(image), m[:2], (11, 9), flags=INTERP[interpolation],
                         borderMode=cv2.BORDER_REPLICATE)
    np.testing.assert_array_equal(out, finish_reference(ref, image))


@pytest.mark.parametrize("border", list(BORDER))
@pytest.mark.parametrize("interpolation", ["nearest", "linear", "cubic", "lanczos"])
def test_one_pixel_image(border, interpolation):
    image = np.array([[[10, 20, 30]]], np.uint8)
    m = np.array([[2.0, 0.3, 0.4], [0.1, 1.5, -0.2], [0, 0, 1]])
    out = run(lambda: pp.Warp(image, m, size=(3, 4), interpolation=interpolation,
                              border=border, value=5))
    if opencv_hangs(interpolation, border, 1, 1):
        assert (out == image).all()
        return
    ref = cv2.warpAffine(image, m[:2], (4, 3), flags=INTERP[interpolation],
                         borderMode=BORDER[border], borderValue=(5, 5, 5, 5))
    sx, sy = source_coordinates(np.linalg.inv(m), 3, 4, False)
    assert_close(out, ref.reshape(out.shape), np.uint8,
                 comparable(sx, sy, 1, 1, interpolation, border) | (border == "replicate"))
    if border != "constant":
        assert (out == image).all()


def test_single_channel_layouts_and_far_outside():
    rng = np.random.default_rng(4)
    gray = random_image(rng, 8, 8, 0, np.uint8)
    m = np.array([[1, 0, 0.5], [0, 1, 0.25], [0, 0, 1]])
    a = run(lambda: pp.Warp(gray, m))
    b = run(lambda: pp.Warp(gray[..., None], m))
    assert a.shape == (8, 8) and b.shape == (8, 8, 1)
    np.testing.assert_array_equal(a, b[..., 0])
    # wholly outside: all border value; far outside with folding borders works
    far = np.array([[1, 0, 1e9], [0, 1, -1e12], [0, 0, 1]])
    assert (run(lambda: pp.Warp(gray, far, value=9)) == 9).all()
    for border in FOLDING + ("replicate",):
        out = run(lambda: pp.Warp(gray, far, border=border, interpolation="cubic"))
        assert out.shape == (8, 8)


def test_extreme_scales():
    rng = np.random.default_rng(6)
    image = random_image(rng, 16, 16, 3, np.uint8)
    tiny = np.array([[1e-6, 0, 0], [0, 1e-6, 0], [0, 0, 1]])
    huge = np.array([[1e6, 0, 0], [0, 1e6, 0], [0, 0, 1]])
    for m in (tiny, huge):
        for interpolation in ("nearest", "linear", "lanczos"):
            out = run(lambda: pp.Warp(image, m, interpolation=interpolation, value=1))
            ref = cv2.warpAffine(image, m[:2], (16, 16), flags=INTERP[interpolation],
                                 borderValue=(1, 1, 1, 1))
            assert_close(out, ref, np.uint8)


def test_perspective_horizon_is_border():
    """Output pixels on the line w = 0 (and beyond it) are border pixels."""
    image = np.full((10, 10), 200, np.uint8)
    m = np.array([[1, 0, 0], [0, 1, 0], [0.1, 0, 1.0]])
    inv = np.linalg.inv(m)
    out = run(lambda: pp.Warp(image, m, perspective=True, value=0))
    sx, sy = source_coordinates(inv, 10, 10, True)
    inside = (sx >= 0) & (sx <= 9) & (sy >= 0) & (sy <= 9)
    assert (out[inside] == 200).all()
    assert (out[~np.isfinite(sx) | (sx < -1) | (sx > 10)] == 0).all()


def test_singular_and_bad_matrices_fail_clearly():
    image = np.zeros((5, 5), np.uint8)
    singular = np.array([[1, 2, 0], [2, 4, 0], [0, 0, 1.0]])
    with pytest.raises(pp.GraphError, match="singular"):
        run(lambda: pp.Warp(image, singular))
    with pytest.raises(pp.ExecutionError, match="singular"):
        run(lambda: pp.Warp(image, runtime(singular)), optimize=False)
    zero_persp = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0.0]])
    with pytest.raises(pp.ExecutionError, match="singular"):
        run(lambda: pp.Warp(image, runtime(zero_persp)), optimize=False)
    nan = np.eye(3)
    nan[0, 1] = np.nan
    with pytest.raises(pp.GraphError, match="NaN"):
        run(lambda: pp.Warp(image, nan))
    with pytest.raises(pp.ExecutionError, match="NaN"):
        run(lambda: pp.Warp(image, runtime(nan)), optimize=False)
    with pytest.raises(pp.GraphError, match="3 x 3"):
        run(lambda: pp.Warp(image, np.eye(4)))
    with pytest.raises(pp.ExecutionError, match="3 x 3"):
        run(lambda: pp.Warp(image, runtime_unshaped(np.eye(4), np.eye(3))), optimize=False)


def test_bad_sizes_and_types_fail_clearly():
    image = np.zeros((5, 5, 3), np.uint8)
    with pytest.raises(pp.GraphError, match="width must be > 0, got -3"):
        run(lambda: pp.Warp(image, np.eye(3), size=(4, -3)))
    with pytest.raises(pp.ExecutionError, match="height must be > 0"):
        run(lambda: pp.Warp(image, np.eye(3), size=(runtime(0), 4)), optimize=False)
    with pytest.raises(pp.ExecutionError, match="too large"):
        run(lambda: pp.Warp(image, np.eye(3), size=(runtime(2 ** 20), runtime(2 ** 20))),
            optimize=False)
    with pytest.raises(pp.ExecutionError, match="finite"):
        run(lambda: pp.Warp(image, np.eye(3), size=(runtime(math.nan), 4)), optimize=False)
    with pytest.raises(pp.GraphError, match="uint8, uint16, int16, float32"):
        run(lambda: pp.Warp(np.zeros((4, 4), np.int32), np.eye(3)))
    with pytest.raises(pp.GraphError, match="1 to 4 channels"):
        run(lambda: pp.Warp(np.zeros((4, 4, 5), np.uint8), np.eye(3)))
    with pytest.raises(pp.GraphError, match="empty|cannot warp"):
        run(lambda: pp.Warp(np.zeros((0, 4), np.uint8), np.eye(3)))
    with pytest.raises(pp.GraphError, match="unknown interpolation"):
        pp.Warp(image, np.eye(3), interpolation="bogus")
    with pytest.raises(pp.GraphError, match="unknown border"):
        pp.Warp(image, np.eye(3), border="mirror")
    with pytest.raises(pp.GraphError, match="finite"):
        pp.Warp(image, np.eye(3), value=math.nan)
    with pytest.raises(pp.GraphError, match="2 numbers for an image of 3 channels"):
        run(lambda: pp.Warp(image, np.eye(3), value=(1, 2)))


def test_area_is_linear():
    rng = np.random.default_rng(8)
    image = random_image(rng, 20, 20, 3, np.uint8)
    m = affine_matrix((10, 0.6, 0, 1, 2))
    np.testing.assert_array_equal(run(lambda: pp.Warp(image, m, interpolation="area")),
                                  run(lambda: pp.Warp(image, m, interpolation="linear")))


# ---------------------------------------------------------------- Rotate

@settings(**SETTINGS)
@given(dtype=st.sampled_from(DTYPES), channels=st.sampled_from([0, 3, 4]),
       interpolation=st.sampled_from(["nearest", "linear", "cubic", "lanczos"]),
       border=st.sampled_from(["constant", "replicate", "reflect_101"]),
       h=st.integers(1, 40), w=st.integers(1, 40), angle=st.floats(-360, 360),
       expand=st.booleans(), seed=st.integers(0, 2 ** 32 - 1))
def test_rotate_matches_opencv(dtype, channels, interpolation, border, h, w, angle, expand,
                               seed):
    assume(not opencv_hangs(interpolation, border, h, w))
    rng = np.random.default_rng(seed)
    image = random_image(rng, h, w, channels, dtype)
    out = run(lambda: pp.Rotate(image, angle, interpolation, border, 2, expand=expand))
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    a, b = abs(m[0, 0]), abs(m[0, 1])
    if expand:
        ow = max(1, math.ceil(a * w + b * h - 1e-6))
        oh = max(1, math.ceil(b * w + a * h - 1e-6))
        m[0, 2] += (ow - w) / 2
        m[1, 2] += (oh - h) / 2
    else:
        oh, ow = h, w
    ref = cv2.warpAffine(reference_input(image), m, (ow, oh), flags=INTERP[interpolation],
                         borderMode=BORDER[border], borderValue=(2,) * 4)
    ref = finish_reference(ref, image)
    inv = np.linalg.inv(np.vstack([m, [0, 0, 1]]))
    sx, sy = source_coordinates(inv, oh, ow, False)
    assert_close(out, ref, dtype, comparable(sx, sy, h, w, interpolation, border))


@pytest.mark.parametrize("interpolation", ["nearest", "linear", "cubic", "lanczos"])
def test_rotate_quarter_turns_expand(interpolation):
    rng = np.random.default_rng(9)
    image = random_image(rng, 7, 12, 3, np.uint8)
    for k in (1, 2, 3, -1):
        out = run(lambda: pp.Rotate(image, 90 * k, interpolation, expand=True))
        np.testing.assert_array_equal(out, np.rot90(image, k))


def test_rotate_runtime_angle_and_errors():
    image = load_photo("astronaut")[::4, ::4].copy()
    angle = pp.RandomUniform(-30, 30)
    with pp.Graph() as g:
        pp.Output(pp.Rotate(image, angle, expand=True), "out")
        pp.Output(angle, "angle")
    p = g.compile(seed=4)
    for i in range(3):
        s = p.run(i)
        h, w = image.shape[:2]
        m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), float(s["angle"]), 1.0)
        a, b = abs(m[0, 0]), abs(m[0, 1])
        ow, oh = math.ceil(a * w + b * h - 1e-6), math.ceil(b * w + a * h - 1e-6)
        m[:, 2] += ((ow - w) / 2, (oh - h) / 2)
        assert_close(s["out"], cv2.warpAffine(image, m, (ow, oh)), np.uint8)
    with pytest.raises(pp.GraphError, match="finite"):
        run(lambda: pp.Rotate(image, math.inf))
    with pytest.raises(pp.ExecutionError, match="finite"):
        run(lambda: pp.Rotate(image, runtime(math.nan)), optimize=False)


# ---------------------------------------------------------------- RemapImage

@settings(**SETTINGS)
@given(dtype=st.sampled_from(DTYPES), channels=st.sampled_from([0, 1, 3, 4]),
       interpolation=st.sampled_from(list(INTERP)), border=st.sampled_from(list(BORDER)),
       h=st.integers(1, 32), w=st.integers(1, 32), mh=st.integers(1, 32), mw=st.integers(1, 32),
       layout=st.sampled_from(["separate", "interleaved", "relative"]),
       seed=st.integers(0, 2 ** 32 - 1))
def test_remap_matches_opencv(dtype, channels, interpolation, border, h, w, mh, mw, layout,
                              seed):
    assume(not opencv_hangs(interpolation, border, h, w))
    rng = np.random.default_rng(seed)
    image = random_image(rng, h, w, channels, dtype)
    y, x = np.mgrid[0:mh, 0:mw].astype(np.float32)
    map_x = (x * w / mw + rng.uniform(-2, 2, (mh, mw))).astype(np.float32)
    map_y = (y * h / mh + rng.uniform(-2, 2, (mh, mw))).astype(np.float32)
    kw = dict(interpolation=interpolation, border=border, value=4)
    flags = INTERP[interpolation]
    if layout == "separate":
        out = run(lambda: pp.RemapImage(image, map_x, map_y, **kw))
    elif layout == "interleaved":
        out = run(lambda: pp.RemapImage(image, np.dstack([map_x, map_y]), **kw))
    else:
        dx, dy = (map_x - x).astype(np.float32), (map_y - y).astype(np.float32)
        out = run(lambda: pp.RemapImage(image, dx, dy, relative=True, **kw))
        map_x, map_y = x + dx, y + dy          # what a relative map means, in float32
    ref = cv2.remap(reference_input(image), map_x, map_y, flags, borderMode=BORDER[border],
                    borderValue=(4,) * 4)
    ref = finish_reference(ref, image)
    sx, sy = map_x.astype(np.float64), map_y.astype(np.float64)
    assert_close(out, ref, dtype, comparable(sx, sy, h, w, interpolation, border))


def test_remap_relative_flag_matches_opencv():
    rng = np.random.default_rng(10)
    image = random_image(rng, 20, 24, 3, np.float32)
    dx = rng.uniform(-3, 3, (18, 22)).astype(np.float32)
    dy = rng.uniform(-3, 3, (18, 22)).astype(np.float32)
    out = run(lambda: pp.RemapImage(image, dx, dy, relative=True, interpolation="cubic"))
    ref = cv2.remap(image, dx, dy, cv2.INTER_CUBIC | cv2.WARP_RELATIVE_MAP)
    np.testing.assert_allclose(out, ref, atol=1e-4)


def test_remap_runtime_float64_maps_and_errors():
    rng = np.random.default_rng(11)
    image = random_image(rng, 16, 16, 3, np.uint16)
    y, x = np.mgrid[0:10, 0:12].astype(np.float64)
    mx, my = x * 1.3 + 0.2, y * 1.1 - 0.4
    out = run(lambda: pp.RemapImage(runtime(image), runtime(mx), runtime(my)), optimize=False)
    ref = cv2.remap(image, mx.astype(np.float32), my.astype(np.float32), cv2.INTER_LINEAR)
    assert_close(out, ref, np.uint16)
    nanmap = mx.copy()
    nanmap[0, 0] = np.nan
    out = run(lambda: pp.RemapImage(image, nanmap, my, value=7))
    assert (out[0, 0] == 7).all()
    with pytest.raises(pp.GraphError, match="float32 or float64"):
        run(lambda: pp.RemapImage(image, mx.astype(np.int32), my.astype(np.int32)))
    with pytest.raises(pp.GraphError, match="different shapes"):
        run(lambda: pp.RemapImage(image, mx, my[:5]))
    with pytest.raises(pp.GraphError, match="H x W x 2"):
        run(lambda: pp.RemapImage(image, mx))
    with pytest.raises(pp.ExecutionError, match="same shape"):
        run(lambda: pp.RemapImage(image, runtime(mx), runtime_unshaped(my[:5], my)),
            optimize=False)
    with pytest.raises(pp.GraphError, match="empty"):
        run(lambda: pp.RemapImage(image, np.zeros((0, 3), np.float32),
                                  np.zeros((0, 3), np.float32)))


# ---------------------------------------------------------------- elastic

def test_elastic_field_distribution_and_determinism():
    image = np.zeros((64, 80, 3), np.uint8)
    with pp.Graph() as g:
        pp.Output(pp.ElasticField(image, 2.0, 0.0), "u")
        pp.Output(pp.ElasticField(image, 3.0, 0.0, "normal"), "n")
    p = g.compile(seed=1)
    a, b, c = p.run(0), p.run(0), p.run(1)
    u, n = a["u"], a["n"]
    assert u.shape == (64, 80, 2) and u.dtype == np.float32
    np.testing.assert_array_equal(u, b["u"])
    assert not np.array_equal(u, c["u"])
    assert u.min() >= -2 and u.max() < 2 and abs(u.mean()) < 0.05
    assert abs(u.std() - 2 / math.sqrt(3)) < 0.05          # uniform on [-2, 2)
    assert abs(n.std() - 3) < 0.1 and abs(n.mean()) < 0.1
    assert not np.array_equal(u / 2, n / 3)


@pytest.mark.parametrize("sigma", [0.7, 3.0, 12.5])
def test_elastic_field_is_gaussian_smoothed_noise(sigma):
    """Same key -> same noise; the smoothing is a separable Gaussian with
    taps out to ceil(3 sigma) and reflect-101 borders."""
    image = np.zeros((30, 41), np.float32)
    with pp.Graph() as g:
        pp.Output(pp.ElasticField(image, 1.0, 0.0, key="k"), "raw")
        pp.Output(pp.ElasticField(image, 2.5, sigma, key="k"), "smooth")
    s = g.compile(seed=3).run(7)
    r = math.ceil(3 * sigma)
    k = np.exp(-np.arange(-r, r + 1) ** 2 / (2 * sigma ** 2))
    k /= k.sum()
    for c in range(2):
        ref = cv2.sepFilter2D(s["raw"][..., c], cv2.CV_64F, k, k,
                              borderType=cv2.BORDER_REFLECT_101) * 2.5
        np.testing.assert_allclose(s["smooth"][..., c], ref, atol=2e-5)


def test_elastic_deformation_remap_step_and_identity():
    image = load_photo("chelsea")[::3, ::3].copy()
    h, w = image.shape[:2]
    with pp.Graph() as g:
        field = pp.ElasticField(image, 8.0, 4.0, key="f")
        pp.Output(pp.ElasticDeformation(image, 8.0, 4.0, key="f"), "out")
        pp.Output(field, "field")
        pp.Output(pp.RemapImage(image, field, relative=True, border="reflect_101"), "manual")
        pp.Output(pp.ElasticDeformation(image, 0.0, 4.0), "identity")
        pp.Output(pp.ElasticDeformation(image, 8.0, 4.0, interpolation="cubic"), "cubic")
    p = g.compile(seed=5)
    s = p.run(2)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    map_x = x + s["field"][..., 0]
    map_y = y + s["field"][..., 1]
    ref = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    assert_close(s["manual"], ref, np.uint8)
    np.testing.assert_array_equal(s["identity"], image)
    np.testing.assert_array_equal(s["cubic"], p.run(2)["cubic"])       # deterministic
    assert not np.array_equal(s["cubic"], p.run(3)["cubic"])
    assert np.abs(s["out"].astype(int) - image).mean() > 1              # it does deform


def test_elastic_errors():
    image = np.zeros((8, 8), np.uint8)
    with pytest.raises(pp.GraphError, match="sigma"):
        run(lambda: pp.ElasticField(image, 1.0, -1.0))
    with pytest.raises(pp.ExecutionError, match="sigma"):
        run(lambda: pp.ElasticField(image, 1.0, runtime(5000.0)), optimize=False)
    with pytest.raises(pp.ExecutionError, match="alpha must be finite"):
        run(lambda: pp.ElasticField(image, runtime(math.nan), 1.0), optimize=False)
    with pytest.raises(pp.GraphError, match="distribution"):
        pp.ElasticDeformation(image, distribution="cauchy")


# ---------------------------------------------------------------- grid distortion

def grid_axis_reference(steps, size):
    steps = np.asarray(steps, np.float64)
    n = len(steps)
    if size == 1:
        return np.zeros(1)
    span = size - 1
    c = np.arange(n + 1) * span / n
    p = np.concatenate([[0], np.cumsum(steps)]) / steps.sum() * span
    return np.interp(np.arange(size), c, p)


@settings(**SETTINGS)
@given(h=st.integers(1, 40), w=st.integers(1, 40),
       xs=st.lists(st.floats(0.1, 2.0), min_size=1, max_size=7),
       ys=st.lists(st.floats(0.1, 2.0), min_size=1, max_size=7))
def test_grid_distortion_map(h, w, xs, ys):
    image = np.zeros((h, w, 3), np.uint8)
    out = run(lambda: pp.GridDistortionMap(image, np.array(xs), np.array(ys)))
    assert out.shape == (h, w, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out[..., 0], np.broadcast_to(grid_axis_reference(xs, w), (h, w)),
                               atol=1e-4)
    np.testing.assert_allclose(out[..., 1],
                               np.broadcast_to(grid_axis_reference(ys, h)[:, None], (h, w)),
                               atol=1e-4)
    assert out[0, 0, 0] == 0 and out[0, -1, 0] == w - 1 and out[-1, 0, 1] == h - 1


def test_grid_distortion_identity_determinism_and_errors():
    image = load_photo("coffee")[::4, ::4].copy()
    h, w = image.shape[:2]
    ident = run(lambda: pp.GridDistortionMap(image, np.ones(5), np.ones(3)))
    y, x = np.mgrid[0:h, 0:w]
    np.testing.assert_array_equal(ident[..., 0], x)
    np.testing.assert_array_equal(ident[..., 1], y)
    with pp.Graph() as g:
        pp.Output(pp.GridDistortion(image, 5, 0.0), "identity")
        pp.Output(pp.GridDistortion(image, 6, 0.4, interpolation="cubic"), "out")
    p = g.compile(seed=2)
    s = p.run(0)
    np.testing.assert_array_equal(s["identity"], image)
    np.testing.assert_array_equal(s["out"], p.run(0)["out"])
    assert not np.array_equal(s["out"], p.run(1)["out"])
    with pytest.raises(pp.ExecutionError, match=">= 0"):
        run(lambda: pp.GridDistortionMap(image, runtime(np.array([1.0, -1.0])), np.ones(2)),
            optimize=False)
    with pytest.raises(pp.GraphError, match="must not all be 0"):
        run(lambda: pp.GridDistortionMap(image, np.zeros(3), np.ones(2)))
    with pytest.raises(pp.GraphError, match="num_steps"):
        pp.GridDistortion(image, 0)
    with pytest.raises(pp.GraphError, match="distort_limit"):
        pp.GridDistortion(image, 4, (-2, 0.5))


# ---------------------------------------------------------------- piecewise affine

def piecewise_reference(jitter, h, w):
    rows, cols = jitter.shape[:2]
    off = jitter * np.array([w, h])
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    gx = x * (cols - 1) / (w - 1) if w > 1 else np.zeros_like(x)
    gy = y * (rows - 1) / (h - 1) if h > 1 else np.zeros_like(y)
    j = np.minimum(gx.astype(int), cols - 2)
    i = np.minimum(gy.astype(int), rows - 2)
    u, v = (gx - j)[..., None], (gy - i)[..., None]
    tl, tr, bl, br = off[i, j], off[i, j + 1], off[i + 1, j], off[i + 1, j + 1]
    upper = tl + u * (tr - tl) + v * (br - tr)
    lower = tl + v * (bl - tl) + u * (br - bl)
    o = np.where(u >= v, upper, lower)
    return np.dstack([x + o[..., 0], y + o[..., 1]])


@settings(**SETTINGS)
@given(h=st.integers(1, 40), w=st.integers(1, 40), rows=st.integers(2, 6),
       cols=st.integers(2, 6), seed=st.integers(0, 2 ** 32 - 1))
def test_piecewise_affine_map(h, w, rows, cols, seed):
    rng = np.random.default_rng(seed)
    jitter = rng.normal(0, 0.05, (rows, cols, 2))
    image = np.zeros((h, w), np.float32)
    out = run(lambda: pp.PiecewiseAffineMap(image, jitter))
    np.testing.assert_allclose(out, piecewise_reference(jitter, h, w), atol=1e-4)


def test_piecewise_affine_is_affine_per_triangle():
    """The map of each triangle is the affine map through its corners:
    a single-cell grid with one jittered corner is checked against
    cv2.warpAffine on the upper triangle."""
    rng = np.random.default_rng(12)
    image = random_image(rng, 33, 33, 3, np.uint8)
    jitter = np.zeros((2, 2, 2))
    jitter[0, 1] = (0.1, 0.05)          # top-right corner
    grid = run(lambda: pp.PiecewiseAffineMap(image, jitter))
    src = np.float32([[0, 0], [32 + 3.3, 0 + 1.65], [32, 32]])   # TL, TR, BR moved
    dst = np.float32([[0, 0], [32, 0], [32, 32]])
    a = cv2.getAffineTransform(dst, src)                        # dst -> src
    y, x = np.mgrid[0:33, 0:33]
    upper = x >= y
    np.testing.assert_allclose(grid[..., 0][upper], (a[0, 0] * x + a[0, 1] * y + a[0, 2])[upper],
                               atol=1e-4)
    out = run(lambda: pp.RemapImage(image, grid))
    ref = cv2.remap(image, grid[..., 0].copy(), grid[..., 1].copy(), cv2.INTER_LINEAR)
    assert_close(out, ref, np.uint8)


def test_piecewise_affine_identity_determinism_and_errors():
    image = load_photo("astronaut")[::4, ::4].copy()
    with pp.Graph() as g:
        pp.Output(pp.PiecewiseAffine(image, (4, 4), 0.0), "identity")
        pp.Output(pp.PiecewiseAffine(image, (5, 3), (0.01, 0.03)), "out")
    p = g.compile(seed=3)
    s = p.run(1)
    np.testing.assert_array_equal(s["identity"], image)
    np.testing.assert_array_equal(s["out"], p.run(1)["out"])
    assert not np.array_equal(s["out"], p.run(2)["out"])
    assert np.abs(s["out"].astype(int) - image).mean() > 0.5
    with pytest.raises(pp.GraphError, match="2 to 1024"):
        pp.PiecewiseAffine(image, (1, 4))
    with pytest.raises(pp.GraphError, match="scale"):
        pp.PiecewiseAffine(image, (4, 4), -0.1)
    with pytest.raises(pp.GraphError, match="rows x cols x 2"):
        run(lambda: pp.PiecewiseAffineMap(image, np.zeros((3, 3))))
    with pytest.raises(pp.ExecutionError, match="NaN"):
        run(lambda: pp.PiecewiseAffineMap(image, runtime(np.full((3, 3, 2), np.nan))),
            optimize=False)


# ---------------------------------------------------------------- threads

def test_batches_equal_for_any_thread_count():
    image = load_photo("astronaut")[::4, ::4].copy()
    with pp.Graph() as g:
        pp.Output(pp.ElasticDeformation(image, 10.0, 5.0), "e")
        pp.Output(pp.Rotate(image, pp.RandomUniform(-45, 45), "cubic"), "r")
        pp.Output(pp.GridDistortion(image), "g")
        pp.Output(pp.PiecewiseAffine(image), "p")
    p = g.compile(seed=9)
    one = p.batch(range(6), threads=1)
    many = p.batch(range(6), threads=4)
    for k in ("e", "r", "g", "p"):
        np.testing.assert_array_equal(one[k], many[k])
        np.testing.assert_array_equal(one[k][4], p.run(4)[k])


def test_maps_folded_equal_runtime():
    rng = np.random.default_rng(13)
    image = random_image(rng, 17, 23, 3, np.uint8)
    xs, ys = rng.uniform(0.5, 1.5, 4), rng.uniform(0.5, 1.5, 3)
    jitter = rng.normal(0, 0.04, (3, 5, 2))
    folded = run(lambda: pp.GridDistortionMap(image, xs, ys))
    late = run(lambda: pp.GridDistortionMap(runtime(image), runtime(xs), runtime(ys)),
               optimize=False)
    np.testing.assert_array_equal(folded, late)
    folded = run(lambda: pp.PiecewiseAffineMap(image, jitter))
    late = run(lambda: pp.PiecewiseAffineMap(runtime(image), runtime(jitter)), optimize=False)
    np.testing.assert_array_equal(folded, late)
    with pytest.raises(pp.ExecutionError, match="too large"):
        run(lambda: pp.GridDistortionMap(image, runtime(np.full(3, 1e308)), ys),
            optimize=False)
