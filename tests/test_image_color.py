"""Photometric operations against OpenCV and NumPy re-implementations of
torchvision's formulas.

Every operation runs three ways: folded at compile time (constant inputs,
``graph.compile()``), run by its kernel (``optimize=False``), and on inputs
known only at run time (picked from a constant list by ``pp.SampleIndex()``,
so that their static shapes are vaguer).
"""

import math
import os

import cv2
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pixelpipes as pp
from pixelpipes.data import load_photo

cv2.setNumThreads(1)

SETTINGS = settings(max_examples=30, deadline=None)
MODES = ["fold", "kernel", "dynamic"]
HERE = os.path.basename(__file__)
F = np.float32
U8, U16, I16, F32 = (np.dtype(t) for t in (np.uint8, np.uint16, np.int16, np.float32))
BOUND = {U8: 255, U16: 65535, I16: 32767, F32: 1.0}


# ---------------------------------------------------------------- helpers

def decoy_of(arr):
    return np.zeros(tuple(d + 1 for d in arr.shape), arr.dtype)


def make_input(value, mode):
    """A constant, or (``dynamic``) a value known only when the sample runs:
    ``value`` in sample 0 and a decoy of another shape in sample 1."""
    if mode == "dynamic":
        return pp.GetElement(pp.Constant([value, decoy_of(value)]), pp.SampleIndex())
    return pp.Constant(value)


def evaluate(build, mode="fold", *, index=0, seed=3, with_type=False):
    with pp.Graph() as graph:
        pp.Output(build(), "out")
    pipeline = graph.compile(seed=seed, optimize=(mode == "fold"))
    value = pipeline.run(index)["out"]
    if with_type:
        return value, pipeline.program.outputs[0].type
    return value


def run_op(op, image, *args, mode="kernel", **kwargs):
    return evaluate(lambda: op(make_input(image, mode), *args, **kwargs), mode)


def assert_close(got, want, *, atol=0, rtol=0.0):
    want = np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    else:
        diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
        assert diff.max(initial=0) <= atol, (diff.max(), np.argwhere(diff > atol)[:5])


def raises_graph(build, *words):
    with pytest.raises(pp.GraphError) as err:
        with pp.Graph() as graph:
            pp.Output(build(), "out")
        graph.compile()
    message = str(err.value)
    for w in words:
        assert w in message, message
    return message


def raises_execution(build, *words, index=0):
    with pytest.raises(pp.ExecutionError) as err:
        evaluate(build, "kernel", index=index)
    message = str(err.value)
    assert f"sample {index}" in message and HERE in message, message
    for w in words:
        assert w in message, message


def random_image(seed, dtype, h, w, c, *, low=None, high=None):
    """``c == 0`` means an H x W image."""
    rng = np.random.default_rng(seed)
    shape = (h, w) if c == 0 else (h, w, c)
    dtype = np.dtype(dtype)
    if dtype == F32:
        lo = 0.0 if low is None else low
        hi = 1.0 if high is None else high
        return rng.uniform(lo, hi, shape).astype(F32)
    info = np.iinfo(dtype)
    lo = info.min if low is None else low
    hi = info.max if high is None else high
    return rng.integers(lo, hi, shape, endpoint=True).astype(dtype)


@st.composite
def images(draw, dtypes=(U8, U16, I16, F32), channels=(0, 1, 3, 4), max_side=12, low=None,
           high=None):
    dtype = draw(st.sampled_from(dtypes))
    c = draw(st.sampled_from(channels))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    img = random_image(draw(st.integers(0, 2 ** 32 - 1)), dtype, h, w, c, low=low, high=high)
    if dtype == F32 and draw(st.booleans()) and img.size:
        img.flat[draw(st.integers(0, img.size - 1))] = draw(st.sampled_from([0.0, 1.0]))
    return img


def channels_last(img):
    return img[..., None] if img.ndim == 2 else img


def colour_split(img):
    """(colour part, alpha or None) of an image with 1, 3 or 4 channels."""
    x = channels_last(img)
    if x.shape[2] == 4:
        return x[..., :3], x[..., 3:]
    return x, None


def colour_join(colour, alpha, like):
    out = colour if alpha is None else np.concatenate([colour, alpha], axis=2)
    return out.reshape(like.shape)


# ---------------------------------------------------------------- torchvision in NumPy
#
# The formulas of torchvision.transforms.functional (tensor backend), written
# with float32 NumPy operations in the same order: _blend, rgb_to_grayscale,
# adjust_brightness/contrast/saturation/hue/gamma, invert, solarize, posterize,
# convert_image_dtype and normalize.  An RGBA image is treated as RGB plus an
# alpha channel that is left as it is (torchvision rejects 4 channels).

def tv_cast(x, dtype):
    """``.to(dtype)`` of float32 values in the type's range: truncation."""
    return x.astype(F32) if dtype == F32 else np.trunc(x).astype(dtype)


def tv_blend(img1, img2, ratio, dtype):
    x = F(ratio) * img1.astype(F32) + F(1.0 - ratio) * img2.astype(F32)
    return tv_cast(np.clip(x, F(0), F(BOUND[dtype])), dtype)


def tv_gray(rgb, dtype):
    r, g, b = (rgb[..., k].astype(F32) for k in range(3))
    return tv_cast(F(0.2989) * r + F(0.587) * g + F(0.114) * b, dtype)[..., None]


def tv_brightness(img, factor):
    colour, alpha = colour_split(img)
    out = tv_blend(colour, np.zeros_like(colour), factor, img.dtype)
    return colour_join(out, alpha, img)


def tv_contrast(img, factor):
    colour, alpha = colour_split(img)
    gray = tv_gray(colour, img.dtype) if colour.shape[2] == 3 else colour
    mean = F(np.mean(gray.astype(np.float64))) if gray.size else F(0)
    out = tv_blend(colour, np.full(colour.shape, mean, F32), factor, img.dtype)
    return colour_join(out, alpha, img)


def tv_saturation(img, factor):
    colour, alpha = colour_split(img)
    if colour.shape[2] == 1:
        return img.copy()
    out = tv_blend(colour, tv_gray(colour, img.dtype), factor, img.dtype)
    return colour_join(out, alpha, img)


def tv_to_float(img):
    return img.astype(F32) if img.dtype == F32 else img.astype(F32) / F(BOUND[img.dtype])


def tv_from_float(x, dtype):
    """convert_image_dtype from float; for uint16, 65535.999 is 65536 in
    float32 and torchvision wraps 1.0 to 0: pixelpipes saturates."""
    if dtype == F32:
        return x.astype(F32)
    return np.minimum(x * F(BOUND[dtype] + 1.0 - 1e-3), BOUND[dtype]).astype(dtype)


def tv_rgb2hsv(x):
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    maxc, minc = x.max(-1), x.min(-1)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    crd = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (F(2) + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (F(4) + gc - rc)
    h = np.fmod(((hr + hg) + hb) / F(6) + F(1), F(1))
    return h.astype(F32), s.astype(F32), maxc


def tv_hsv2rgb(h, s, v):
    i = np.floor(h * F(6))
    f = (h * F(6) - i).astype(F32)
    i = i.astype(np.int32) % 6
    p = np.clip(v * (F(1) - s), 0, 1)
    q = np.clip(v * (F(1) - s * f), 0, 1)
    t = np.clip(v * (F(1) - s * (F(1) - f)), 0, 1)
    r = np.choose(i, [v, q, p, p, t, v])
    g = np.choose(i, [t, v, v, q, p, p])
    b = np.choose(i, [p, p, t, v, v, q])
    return np.stack([r, g, b], -1).astype(F32)


def tv_hue(img, shift):
    colour, alpha = colour_split(img)
    if colour.shape[2] == 1:
        return img.copy()
    h, s, v = tv_rgb2hsv(tv_to_float(colour))
    h = np.remainder(h + F(shift), F(1)).astype(F32)
    out = tv_from_float(tv_hsv2rgb(h, s, v), img.dtype)
    return colour_join(out, alpha, img)


def tv_gamma(img, gamma, gain=1.0):
    colour, alpha = colour_split(img)
    x = tv_to_float(colour)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.clip(F(gain) * x ** F(gamma), F(0), F(1))
    return colour_join(tv_from_float(out, img.dtype), alpha, img)


def tv_invert(img):
    colour, alpha = colour_split(img)
    if img.dtype == F32:
        out = F(1) - colour
    elif img.dtype == I16:
        out = np.minimum(32767 - colour.astype(np.int64), 32767).astype(I16)
    else:
        out = (BOUND[img.dtype] - colour.astype(np.int64)).astype(img.dtype)
    return colour_join(out, alpha, img)


def tv_solarize(img, threshold):
    inverted = tv_invert(img)
    return np.where(img.astype(F32) >= F(threshold), inverted, img)


def tv_posterize(img, bits):
    colour, alpha = colour_split(img)
    out = colour & np.uint8(-int(2 ** (8 - bits)) & 0xFF)
    return colour_join(out, alpha, img)


def tv_normalize(img, mean, std, scale=True):
    x = channels_last(img)
    mean = np.broadcast_to(np.asarray(mean, np.float64), (x.shape[2],)).astype(F32)
    std = np.broadcast_to(np.asarray(std, np.float64), (x.shape[2],)).astype(F32)
    xf = tv_to_float(x) if scale else x.astype(F32)
    return ((xf - mean) / std).reshape(img.shape)


# ---------------------------------------------------------------- ConvertColor

CV_CODES = {
    # code: (accepted dtypes, input channels)
    "RGB2BGR": ((U8, U16, I16, F32), (3, 4)), "BGR2RGB": ((U8, U16, I16, F32), (3,)),
    "RGBA2BGRA": ((U8, U16, F32), (4,)), "BGRA2RGBA": ((U8, F32), (4,)),
    "RGB2GRAY": ((U8, U16, F32), (3, 4)), "BGR2GRAY": ((U8, U16, F32), (3, 4)),
    "GRAY2RGB": ((U8, U16, I16, F32), (0, 1)), "GRAY2BGR": ((U8, F32), (0, 1)),
    "RGB2HSV": ((U8, F32), (3,)), "BGR2HSV": ((U8, F32), (3,)),
    "HSV2RGB": ((U8, F32), (3,)), "HSV2BGR": ((U8, F32), (3,)),
    "RGB2YCrCb": ((U8, U16, F32), (3,)), "BGR2YCrCb": ((U8, U16, F32), (3,)),
    "YCrCb2RGB": ((U8, U16, F32), (3,)), "YCrCb2BGR": ((U8, U16, F32), (3,)),
    "RGB2Lab": ((U8,), (3,)), "BGR2Lab": ((U8,), (3,)),
    "Lab2RGB": ((U8, F32), (3,)), "Lab2BGR": ((U8, F32), (3,)),
}


def cv_reference(img, code):
    c = channels_last(img).shape[2]
    cv_code = code
    if code in ("RGB2GRAY", "BGR2GRAY") and c == 4:
        cv_code = code.replace("2GRAY", "A2GRAY")
    src = img
    if img.dtype == I16:            # cv2 has no int16 colour code; a swap is a swap
        src = img.view(U16)
    out = cv2.cvtColor(src, getattr(cv2, "COLOR_" + cv_code))
    return out.view(I16) if img.dtype == I16 else out


@st.composite
def conversions(draw):
    code = draw(st.sampled_from(sorted(CV_CODES)))
    dtypes, chans = CV_CODES[code]
    img = draw(images(dtypes=dtypes, channels=chans))
    if code.startswith("HSV") and img.dtype == U8:
        img[..., 0] = img[..., 0] % 180
    if code.startswith("HSV") and img.dtype == F32:
        img[..., 0] *= 360
    if code.startswith("Lab") and img.dtype == F32:
        img = (img * F(200) - F(100)) * np.array([0.5, 1, 1], F32) + np.array([50, 0, 0], F32)
    return code, img


@SETTINGS
@given(case=conversions(), mode=st.sampled_from(MODES))
def test_convert_color_matches_cv2(case, mode):
    code, img = case
    got = run_op(pp.ConvertColor, img, code, mode=mode)
    want = cv_reference(img, code)
    if img.dtype == F32:
        atol = 1e-4 if code.startswith("Lab") else 1e-5
        assert_close(got, want, rtol=1e-5, atol=atol * (100 if "2Lab" in code else 1))
    else:
        # HSV2RGB differs by 1 where OpenCV's build fuses multiply-adds
        assert_close(got, want, atol=1 if code.startswith("HSV") else 0)


def test_convert_color_uint8_grid_is_bit_exact():
    """A 64-level grid of every colour axis (and the 256 grays)."""
    levels = np.concatenate([np.arange(0, 256, 4), [255]]).astype(np.uint8)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 1, 3)
    grid = np.concatenate([grid, np.repeat(np.arange(256, dtype=np.uint8), 3).reshape(-1, 1, 3)])
    # rows of 256 pixels: OpenCV's vectorised code covers whole rows (its
    # scalar code for the last pixels of a row rounds HSV2RGB differently)
    grid = np.concatenate([grid, grid[:(-len(grid)) % 256]]).reshape(-1, 256, 3)
    hsv = grid.copy()
    hsv[..., 0] = hsv[..., 0].astype(np.int64) * 180 // 256
    for code in ["RGB2GRAY", "BGR2GRAY", "RGB2HSV", "BGR2HSV", "RGB2YCrCb", "YCrCb2BGR",
                 "RGB2Lab", "BGR2Lab", "Lab2RGB", "Lab2BGR", "HSV2RGB"]:
        x = hsv if code.startswith("HSV") else grid
        got = run_op(pp.ConvertColor, x, code).astype(int)
        diff = np.abs(got - cv_reference(x, code).astype(int))
        assert diff.max() <= (1 if code.startswith("HSV") else 0), code
        if code.startswith("HSV"):
            assert (diff > 0).mean() < 0.002


def every_colour():
    """All 2**24 RGB colours, as a 4096 x 4096 image."""
    v = np.arange(2 ** 24, dtype=np.uint32)
    return np.stack([v >> 16, (v >> 8) & 255, v & 255], -1).astype(np.uint8).reshape(4096, 4096, 3)


def test_gray_and_lab_of_every_uint8_colour_are_bit_exact():
    """RGB2Gray (byte shuffles, 16 pixels a step) and RGB2Lab (tables of the
    XYZ products) on every colour, and on RGBA rows of every length mod 16."""
    img = every_colour()
    for code in ["RGB2GRAY", "BGR2GRAY", "RGB2Lab", "BGR2Lab"]:
        got = run_op(pp.ConvertColor, img, code)
        assert np.array_equal(got, cv_reference(img, code)), code
    rgba = np.concatenate([img[:64], img[64:128, :, :1]], axis=2).reshape(-1, 4)
    for w in (1, 15, 17, 18, 19, 33, 100):
        x = np.ascontiguousarray(rgba[:w * 40].reshape(40, w, 4))
        for code in ["RGBA2GRAY", "BGRA2GRAY"]:
            assert np.array_equal(run_op(pp.ConvertColor, x, code), cv_reference(x, code))


@SETTINGS
@given(h=st.integers(1, 4), w=st.integers(1, 70), cn=st.sampled_from([3, 4]),
       order=st.sampled_from(["RGB", "BGR"]), seed=st.integers(0, 2 ** 32 - 1))
def test_uint8_gray_rows_of_any_length_are_bit_exact(h, w, cn, order, seed):
    img = random_image(seed, U8, h, w, cn)
    code = order + ("A" if cn == 4 else "") + "2GRAY"
    assert np.array_equal(run_op(pp.ConvertColor, img, code), cv_reference(img, code))


def opencv_hsv2rgb_u8(hsv, bidx=2):
    """OpenCV 5's vectorised HSV2RGB_b in float32 NumPy operations (no
    multiply-add fusion), truncated to bytes: the result pixelpipes
    documents, the same on every path."""
    h, s, v = (hsv[..., k].astype(F) for k in range(3))
    sat = s * F(1 / 255)
    v = v * F(1 / 255)
    frac = h * (F(6) / F(180))
    frac = np.where(frac >= 6, frac - F(6), frac)
    fs = np.floor(frac)
    sector = fs.astype(np.int32)
    frac = frac - fs
    ff = np.where(sector & 1, frac, F(1) - frac)
    one = [F(1)] * 6
    # OpenCV's sector table: the channel takes v, v (1 - s), v (1 - s f) or
    # v (1 - s (1 - f)): coefficient 0, 1 or ff of s
    table = {"b": [one[0], one[0], ff, 0, 0, ff], "g": [ff, 0, 0, ff, one[0], one[0]],
             "r": [0, ff, one[0], one[0], ff, 0]}
    out = []
    for name in ("b", "g", "r"):
        c = np.select([sector == k for k in range(6)],
                      [np.broadcast_to(np.asarray(x, F), sector.shape) for x in table[name]])
        out.append((v * (F(1) - sat * c) * F(255)).astype(np.int32).astype(np.uint8))
    b, g, r = out
    return np.stack([b, g, r] if bidx == 0 else [r, g, b], -1)


def test_hsv2rgb_of_every_uint8_colour_is_exact():
    """HSV2RGB/HSV2BGR (8 pixels per AVX2 step where the CPU has it, the
    scalar loop for the last 2 to 9 pixels of the image) on every byte
    triple, against the float32 formula; rows of every length mod 8 reach
    the scalar tail at every offset."""
    img = every_colour()
    for code, bidx in (("HSV2RGB", 2), ("HSV2BGR", 0)):
        got = run_op(pp.ConvertColor, img, code)
        for r0 in range(0, 4096, 512):
            assert np.array_equal(got[r0:r0 + 512], opencv_hsv2rgb_u8(img[r0:r0 + 512], bidx))
        for w in range(1, 26):
            x = np.ascontiguousarray(img[1000:1003, 7 * w:8 * w])
            assert np.array_equal(run_op(pp.ConvertColor, x, code), got[1000:1003, 7 * w:8 * w])


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), h=st.integers(1, 30), w=st.integers(1, 40))
def test_hsv2rgb_threads_agree(seed, h, w):
    rng = np.random.default_rng(seed)
    imgs = [random_image(int(rng.integers(2 ** 32)), U8, h, w, 3) for _ in range(6)]
    with pp.Graph() as graph:
        pp.Output(pp.ConvertColor(pp.GetElement(pp.Constant(imgs), pp.SampleIndex()),
                                  "HSV2RGB"), "o")
    pipeline = graph.compile(seed=1, optimize=False)
    one = pipeline.batch(range(6), threads=1)["o"]
    two = pipeline.batch(range(6), threads=2)["o"]
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one[3], opencv_hsv2rgb_u8(imgs[3]))


def exact_lab(rgb):
    """CIE L*a*b* (D65, sRGB) in float64."""
    x = np.clip(rgb.astype(np.float64), 0, 1)
    lin = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                  [0.019334, 0.119193, 0.950227]])
    xyz = lin @ m.T / np.array([0.950456, 1.0, 1.088754])
    e = 216 / 24389
    f = np.where(xyz > e, np.cbrt(xyz), xyz * 841 / 108 + 16 / 116)
    L = np.where(xyz[..., 1] > e, 116 * f[..., 1] - 16, 24389 / 27 * xyz[..., 1])
    return np.stack([L, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


@SETTINGS
@given(img=images(dtypes=(F32,), channels=(3,)), mode=st.sampled_from(MODES))
def test_float_lab_is_exact_cie_lab_and_inverts(img, mode):
    lab = run_op(pp.ConvertColor, img, "RGB2Lab", mode=mode)
    np.testing.assert_allclose(lab, exact_lab(img), rtol=1e-5, atol=2e-4)
    # OpenCV interpolates in a table: within 0.6 of the exact values
    np.testing.assert_allclose(lab, cv2.cvtColor(img, cv2.COLOR_RGB2Lab), atol=0.6)
    back = run_op(pp.ConvertColor, lab, "Lab2RGB", mode=mode)
    np.testing.assert_allclose(back, img, atol=1e-4)


def test_convert_color_shapes_and_names():
    img = random_image(1, U8, 5, 7, 3)
    assert run_op(pp.ConvertColor, img, "RGB2GRAY").shape == (5, 7)
    assert run_op(pp.ConvertColor, img[..., :1], "GRAY2RGB").shape == (5, 7, 3)
    assert run_op(pp.ConvertColor, img[..., 0], "GRAY2RGB").shape == (5, 7, 3)
    rgba = random_image(2, U8, 5, 7, 4)
    assert np.array_equal(run_op(pp.ConvertColor, rgba, "RGBA2BGRA"),
                          cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    assert np.array_equal(run_op(pp.ConvertColor, rgba, "RGB2BGR"),      # alpha dropped
                          cv2.cvtColor(rgba, cv2.COLOR_RGB2BGR))
    for name in ["color_rgb2hsv", "rgb2hsv", "COLOR_RGB2HSV", "RGB_2_HSV"]:
        assert np.array_equal(run_op(pp.ConvertColor, img, name),
                              cv2.cvtColor(img, cv2.COLOR_RGB2HSV))
    _, t = evaluate(lambda: pp.ConvertColor(pp.Constant(img), "RGB2GRAY"), "kernel",
                    with_type=True)
    assert t == "uint8 tensor[5, 7]"
    one = np.array([[[10, 200, 30]]], np.uint8)             # 1 x 1
    assert np.array_equal(run_op(pp.ConvertColor, one, "RGB2Lab"),
                          cv2.cvtColor(one, cv2.COLOR_RGB2Lab))


def test_convert_color_rejects_wrong_channels_and_types():
    raises_graph(lambda: pp.ConvertColor(np.zeros((4, 4, 4), np.uint8), "RGB2HSV"),
                 "ConvertColor", HERE, "RGB2HSV conversion needs 3 channels, got 4")
    raises_graph(lambda: pp.ConvertColor(np.zeros((4, 4), np.uint8), "RGB2GRAY"),
                 "needs 3 or 4 channels, got 1")
    raises_graph(lambda: pp.ConvertColor(np.zeros((4, 4, 3), np.uint8), "GRAY2RGB"),
                 "needs 1 channel, got 3")
    raises_graph(lambda: pp.ConvertColor(np.zeros((4, 4, 3), np.int16), "RGB2Lab"),
                 "must be of uint8, float32")
    raises_graph(lambda: pp.ConvertColor(np.zeros((4, 4, 3), np.float64), "RGB2BGR"),
                 "must be of")
    with pytest.raises(pp.GraphError, match="unknown colour conversion 'RGB2XYZ'"):
        pp.ConvertColor(np.zeros((2, 2, 3), np.uint8), "RGB2XYZ")
    # channel counts only known at run time are checked by the kernel
    raises_execution(lambda: pp.ConvertColor(
        pp.GetElement(pp.Constant([np.zeros((2, 2, 4), np.uint8), np.zeros((2, 2, 3), np.uint8)]),
                      pp.SampleIndex()), "RGB2HSV"),
        "ConvertColor", "needs 3 channels, got 4")


# ---------------------------------------------------------------- torchvision adjustments

@SETTINGS
@given(img=images(channels=(0, 1, 3, 4)), factor=st.floats(0, 3), mode=st.sampled_from(MODES))
def test_brightness_is_torchvision(img, factor, mode):
    assert_close(run_op(pp.Brightness, img, factor, mode=mode), tv_brightness(img, factor))


@SETTINGS
@given(img=images(channels=(0, 1, 3, 4)), factor=st.floats(0, 3), mode=st.sampled_from(MODES))
def test_contrast_is_torchvision(img, factor, mode):
    want = tv_contrast(img, factor)
    got = run_op(pp.Contrast, img, factor, mode=mode)
    assert_close(got, want, atol=1 if img.dtype != F32 else 1e-6, rtol=1e-6)


@SETTINGS
@given(img=images(channels=(0, 1, 3, 4)), factor=st.floats(0, 3), mode=st.sampled_from(MODES))
def test_saturation_is_torchvision(img, factor, mode):
    assert_close(run_op(pp.Saturation, img, factor, mode=mode), tv_saturation(img, factor))


@SETTINGS
@given(img=images(dtypes=(U8, U16, F32), channels=(0, 1, 3, 4)), shift=st.floats(-0.5, 0.5),
       mode=st.sampled_from(MODES))
def test_hue_is_torchvision(img, shift, mode):
    got = run_op(pp.Hue, img, shift, mode=mode)
    assert_close(got, tv_hue(img, shift), atol=1 if img.dtype != F32 else 1e-5)


@SETTINGS
@given(img=images(dtypes=(U8, U16, F32), channels=(3, 4), max_side=40),
       shift=st.floats(-0.5, 0.5))
def test_hue_of_images_larger_than_a_chunk_is_torchvision(img, shift):
    """Hue runs in chunks of 256 pixels, two loops each: images up to 1600."""
    got = run_op(pp.Hue, img, shift)
    assert_close(got, tv_hue(img, shift), atol=1 if img.dtype != F32 else 1e-5)


def hue_three_quotients(rgb, shift):
    """The float32 operations of the hue kernel as they were before it
    computed only the term of the maximum's case: all three quotients
    (maxc - x) / crd and torchvision's sum of the three cases times their
    masks; then the kernel's own HSV -> RGB (NaN reaches all channels)."""
    with np.errstate(all="ignore"):
        r, g, b = (rgb[..., k] for k in range(3))
        maxc = np.where(r < g, g, r)
        maxc = np.where(maxc < b, b, maxc)
        minc = np.where(r > g, g, r)
        minc = np.where(minc > b, b, minc)
        eq = maxc == minc
        cr = maxc - minc
        sat = cr / np.where(eq, F(1), maxc)
        crd = np.where(eq, F(1), cr)
        rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
        m_r = (maxc == r).astype(F32)
        m_g = ((maxc == g) & (maxc != r)).astype(F32)
        m_b = ((maxc != g) & (maxc != r)).astype(F32)
        h = m_r * (bc - gc) + m_g * (F(2) + rc - bc) + m_b * (F(4) + gc - rc)
        h = h / F(6) + F(1)
        h = h - np.floor(h)
        h = h + F(shift)
        h = h - np.floor(h)
        f6 = h * F(6)
        fr = np.floor(f6)
        i = np.where(np.isfinite(fr), fr, F(-2 ** 31)).astype(np.int64)   # cvttss2si
        fr = f6 - fr
        i = np.where(i >= 6, i - 6, i)
        v = maxc
        p = v * (F(1) - sat)
        q = v * (F(1) - sat * fr)
        t = v * (F(1) - sat * (F(1) - fr))
        p, q, t = (np.where(x < 0, F(0), np.where(x > 1, F(1), x)) for x in (p, q, t))
        odd = (i & 1).astype(F32)
        qt = odd * q + (F(1) - odd) * t

        def pick(sv, sqt, sp):
            return (np.isin(i, sv).astype(F32) * v + np.isin(i, sqt).astype(F32) * qt
                    + np.isin(i, sp).astype(F32) * p)
        return np.stack([pick([0, 5], [1, 4], [2, 3]), pick([1, 2], [0, 3], [4, 5]),
                         pick([3, 4], [2, 5], [0, 1])], -1)


@SETTINGS
@given(seed=st.integers(0, 2 ** 32 - 1), shift=st.floats(-0.5, 0.5))
def test_float_hue_keeps_the_three_quotient_results(seed, shift):
    """Only the maximum's case term is computed (two divisions, not three):
    the same floats, NaNs included, for every mix of special values."""
    vals = np.array([0, 1, 0.25, 0.5, 2, -1, -0.0, 1e-30, np.inf, -np.inf, np.nan], F32)
    grid = np.stack(np.meshgrid(vals, vals, vals, indexing="ij"), -1).reshape(11, 121, 3)
    rng = np.random.default_rng(seed)
    rand = rng.random((11, 121, 3), dtype=F32)
    rand[rng.random((11, 121)) < 0.2] = F(0.5)                  # grays and ties
    img = np.concatenate([grid, rand, rng.integers(0, 4, (11, 121, 3)).astype(F32) / F(3)])
    got = run_op(pp.Hue, img, shift)
    want = hue_three_quotients(img, F(shift))
    np.testing.assert_array_equal(got, want)


def test_hue_and_saturation_on_a_photo():
    photo = load_photo("astronaut")[::4, ::4].copy()
    for shift in (-0.5, -0.2, 0.0, 0.3, 0.5):
        got = run_op(pp.Hue, photo, shift)
        diff = np.abs(got.astype(int) - tv_hue(photo, shift).astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01
    assert np.array_equal(run_op(pp.Saturation, photo, 0.3), tv_saturation(photo, 0.3))
    assert np.array_equal(run_op(pp.Hue, photo, 0.0), tv_hue(photo, 0.0))


def test_adjustments_check_their_factors():
    img = np.zeros((3, 3, 3), np.uint8)
    raises_graph(lambda: pp.Brightness(img, -0.5), "Brightness", HERE,
                 "brightness factor must be in [0.0, inf], got -0.5")
    raises_graph(lambda: pp.Contrast(img, float("nan")), "contrast factor is NaN")
    raises_graph(lambda: pp.Hue(img, 0.6), "hue shift must be in [-0.5, 0.5]")
    raises_graph(lambda: pp.Saturation(np.zeros((3, 3, 2), np.uint8), 1.0),
                 "Saturation needs 1, 3 or 4 channels, got 2")
    raises_graph(lambda: pp.Hue(np.zeros((3, 3, 3), np.int16), 0.1), "must be of uint8")
    raises_graph(lambda: pp.Brightness(img, np.ones(2)), "must be a scalar")
    # parameters known only at run time are checked when the sample runs
    factor = pp.GetElement(pp.Constant(np.array([-1.0, 1.0])), pp.SampleIndex())
    raises_execution(lambda: pp.Brightness(img, factor), "Brightness",
                     "brightness factor must be >= 0, got -1")
    nan = pp.GetElement(pp.Constant(np.array([np.nan, 1.0])), pp.SampleIndex())
    raises_execution(lambda: pp.Saturation(img, nan), "saturation factor is NaN")
    big = pp.GetElement(pp.Constant(np.array([0.7, 0.1])), pp.SampleIndex())
    raises_execution(lambda: pp.Hue(img, big), "hue shift must be in [-0.5, 0.5], got 0.7")


def test_per_sample_factor():
    img = random_image(5, U8, 4, 4, 3)
    factors = np.array([0.0, 0.5, 1.0, 2.0])
    with pp.Graph() as graph:
        pp.Output(pp.Brightness(img, pp.GetElement(pp.Constant(factors), pp.SampleIndex())), "o")
    pipeline = graph.compile()
    for k, factor in enumerate(factors):
        assert np.array_equal(pipeline.run(k)["o"], tv_brightness(img, factor))
    batch = pipeline.batch(range(4), threads=2)["o"]
    assert np.array_equal(batch[3], tv_brightness(img, 2.0))


# ---------------------------------------------------------------- ColorJitter

def jitter_samples(img, n, **kwargs):
    with pp.Graph() as graph:
        pp.Output(pp.ColorJitter(pp.Constant(img), **kwargs), "o")
    pipeline = graph.compile(seed=11)
    return pipeline, [pipeline.run(k)["o"] for k in range(n)]


def test_color_jitter_factor_ranges():
    img = np.full((1, 1, 3), 100, np.uint8)
    _, outs = jitter_samples(img, 200, brightness=0.5)
    values = np.array([o[0, 0, 0] for o in outs])
    assert values.min() >= 50 and values.max() <= 150
    assert values.min() < 60 and values.max() > 140       # the whole range is drawn
    _, outs = jitter_samples(img, 20, brightness=(1.2, 1.2))
    assert all(np.array_equal(o, tv_brightness(img, 1.2)) for o in outs)
    _, outs = jitter_samples(img, 5)                       # nothing to do
    assert all(np.array_equal(o, img) for o in outs)


def test_color_jitter_applies_the_adjustments_in_a_random_order():
    img = random_image(4, U8, 6, 6, 3)
    b, c, s, h = 1.6, 0.4, 1.8, 0.2
    fns = [lambda x: tv_brightness(x, b), lambda x: tv_contrast(x, c),
           lambda x: tv_saturation(x, s), lambda x: tv_hue(x, h)]
    import itertools

    orders = {}
    for perm in itertools.permutations(range(4)):
        x = img
        for k in perm:
            x = fns[k](x)
        orders[perm] = x
    pipeline, outs = jitter_samples(img, 60, brightness=(b, b), contrast=(c, c),
                                    saturation=(s, s), hue=(h, h))
    seen = set()
    for out in outs:
        matches = [p for p, want in orders.items()
                   if np.abs(out.astype(int) - want.astype(int)).max() <= 1]
        assert matches, "not a composition of the four adjustments"
        seen.add(min(matches))
    assert len(seen) >= 8
    again = pipeline.batch(range(60), threads=2)["o"]
    assert all(np.array_equal(a, o) for a, o in zip(again, outs))     # deterministic


def test_color_jitter_checks_its_ranges():
    img = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(pp.GraphError, match="brightness must be a non-negative number"):
        pp.ColorJitter(img, brightness=-0.1)
    with pytest.raises(pp.GraphError, match=r"hue range must satisfy -0.5 <= min"):
        pp.ColorJitter(img, hue=0.6)
    with pytest.raises(pp.GraphError, match="contrast range"):
        pp.ColorJitter(img, contrast=(1.5, 0.5))
    with pytest.raises(pp.GraphError, match="saturation must be a number"):
        pp.ColorJitter(img, saturation="a lot")
    raises_graph(lambda: pp.ColorJitter(np.zeros((2, 2, 3), np.int16), hue=0.1), "must be of")


# ---------------------------------------------------------------- point operations

@SETTINGS
@given(img=images(dtypes=(U8, U16, F32)), gamma=st.floats(0, 4), gain=st.floats(0, 2),
       mode=st.sampled_from(MODES))
def test_gamma_is_torchvision(img, gamma, gain, mode):
    got = run_op(pp.Gamma, img, gamma, gain, mode=mode)
    assert_close(got, tv_gamma(img, gamma, gain), atol=1 if img.dtype != F32 else 1e-6,
                 rtol=1e-5)


def test_gamma_uint16_table_and_direct_paths_agree():
    big = random_image(3, U16, 200, 200, 4)             # > 131072 values: a table
    assert_close(run_op(pp.Gamma, big, 0.6), tv_gamma(big, 0.6), atol=1)
    assert np.array_equal(run_op(pp.Gamma, big[:10, :10].copy(), 0.6),
                          run_op(pp.Gamma, big, 0.6)[:10, :10])


@SETTINGS
@given(img=images(), mode=st.sampled_from(MODES))
def test_invert(img, mode):
    got = run_op(pp.Invert, img, mode=mode)
    assert_close(got, tv_invert(img))
    if img.dtype in (U8, U16) and channels_last(img).shape[2] != 4:
        assert np.array_equal(got, cv2.bitwise_not(img).reshape(img.shape))


@SETTINGS
@given(img=images(), threshold=st.floats(-10, 300), mode=st.sampled_from(MODES))
def test_solarize_is_torchvision(img, threshold, mode):
    if img.dtype == F32:
        threshold /= 255
    assert_close(run_op(pp.Solarize, img, threshold, mode=mode), tv_solarize(img, threshold))


@SETTINGS
@given(img=images(dtypes=(U8,)), bits=st.integers(0, 8), mode=st.sampled_from(MODES))
def test_posterize_is_torchvision(img, bits, mode):
    assert_close(run_op(pp.Posterize, img, bits, mode=mode), tv_posterize(img, bits))


def test_point_operations_check_their_parameters():
    img = np.zeros((2, 2, 3), np.uint8)
    raises_graph(lambda: pp.Posterize(img, 9), "bits must be in [0, 8]")
    raises_graph(lambda: pp.Posterize(img, 2.5), "bits must be an integer")
    raises_graph(lambda: pp.Posterize(img.astype(np.float32), 2), "must be of uint8")
    raises_graph(lambda: pp.Gamma(img, -1.0), "gamma must be in [0.0, inf]")
    raises_graph(lambda: pp.Invert(np.zeros((2, 2, 2), np.uint8)), "Invert needs")
    bits = pp.GetElement(pp.Constant(np.array([9, 1])), pp.SampleIndex())
    raises_execution(lambda: pp.Posterize(img, bits), "Posterize", "bits must be in [0, 8], got 9")
    g = pp.GetElement(pp.Constant(np.array([-2.0, 1.0])), pp.SampleIndex())
    raises_execution(lambda: pp.Gamma(img, g), "gamma must be >= 0, got -2")


THRESHOLD_TYPES = {"binary": cv2.THRESH_BINARY, "binary_inv": cv2.THRESH_BINARY_INV,
                   "trunc": cv2.THRESH_TRUNC, "tozero": cv2.THRESH_TOZERO,
                   "tozero_inv": cv2.THRESH_TOZERO_INV}


@SETTINGS
@given(img=images(channels=(0, 1, 2, 3, 4)), kind=st.sampled_from(sorted(THRESHOLD_TYPES)),
       thresh=st.floats(-70000, 70000), maxval=st.floats(-70000, 70000),
       mode=st.sampled_from(MODES), small=st.booleans())
def test_threshold_matches_cv2(img, kind, thresh, maxval, mode, small):
    if small or img.dtype == F32:
        thresh, maxval = thresh / 300, maxval / 300     # within the values' range
    if img.dtype == F32:
        thresh, maxval = thresh / 255, maxval / 255
    got = run_op(pp.Threshold, img, thresh, maxval, kind, mode=mode)
    _, want = cv2.threshold(img, thresh, maxval, THRESHOLD_TYPES[kind])
    assert_close(got, want.reshape(img.shape))


def test_threshold_errors():
    with pytest.raises(pp.GraphError, match="unknown threshold type 'otsu'"):
        pp.Threshold(np.zeros((2, 2), np.uint8), 1, 2, "otsu")
    raises_graph(lambda: pp.Threshold(np.zeros((2, 2), np.uint8), float("nan"), 1),
                 "thresh is NaN")


@SETTINGS
@given(img=images(dtypes=(U8,), channels=(0, 1, 2, 3, 4), max_side=40),
       mode=st.sampled_from(MODES), flat=st.booleans())
def test_equalize_histogram_matches_cv2_per_channel(img, mode, flat):
    if flat:
        img = (img // 64 + 100).astype(np.uint8)        # few levels, narrow range
    got = run_op(pp.EqualizeHistogram, img, mode=mode)
    x = channels_last(img)
    want = np.stack([cv2.equalizeHist(np.ascontiguousarray(x[..., k]))
                     for k in range(x.shape[2])], -1).reshape(img.shape)
    assert_close(got, want)


def test_equalize_histogram_of_constant_and_photo():
    const = np.full((5, 6), 77, np.uint8)
    assert np.array_equal(run_op(pp.EqualizeHistogram, const), cv2.equalizeHist(const))
    gray = cv2.cvtColor(load_photo("astronaut"), cv2.COLOR_RGB2GRAY)
    assert np.array_equal(run_op(pp.EqualizeHistogram, gray), cv2.equalizeHist(gray))


@SETTINGS
@given(img=images(dtypes=(U8,), channels=(0, 1, 3), max_side=64),
       clip=st.sampled_from([0.0, 1.0, 2.5, 40.0]),
       grid=st.tuples(st.integers(1, 9), st.integers(1, 9)), mode=st.sampled_from(MODES))
def test_clahe_matches_cv2(img, clip, grid, mode):
    got = run_op(pp.CLAHE, img, clip, grid, mode=mode)
    clahe = cv2.createCLAHE(clip, grid)
    x = channels_last(img)
    want = np.stack([clahe.apply(np.ascontiguousarray(x[..., k])) for k in range(x.shape[2])],
                    -1).reshape(img.shape)
    assert_close(got, want, atol=1)


def test_clahe_on_a_photo_and_errors():
    gray = cv2.cvtColor(load_photo("astronaut"), cv2.COLOR_RGB2GRAY)[:301, :250].copy()
    for clip, grid in [(2.0, (8, 8)), (40.0, (3, 5)), (4.0, (16, 16))]:
        got = run_op(pp.CLAHE, gray, clip, grid)
        diff = np.abs(got.astype(int) - cv2.createCLAHE(clip, grid).apply(gray).astype(int))
        assert diff.max() <= 1 and (diff > 0).mean() < 0.001
    with pytest.raises(pp.GraphError, match="tile_grid must be two integers"):
        pp.CLAHE(gray, 2.0, (8,))
    with pytest.raises(pp.GraphError, match="at most 65536 tiles"):
        pp.CLAHE(gray, 2.0, (0, 8))
    raises_graph(lambda: pp.CLAHE(gray.astype(np.uint16), 2.0), "must be of uint8")


# ---------------------------------------------------------------- normalisation, depth

@st.composite
def normalize_cases(draw):
    img = draw(images(channels=(0, 1, 3, 4)))
    c = channels_last(img).shape[2]
    n = draw(st.sampled_from([1, c]))
    mean = draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n))
    std = draw(st.lists(st.floats(0.05, 3), min_size=n, max_size=n))
    return img, mean, std


@SETTINGS
@given(case=normalize_cases(), scale=st.booleans(), mode=st.sampled_from(MODES),
       as_node=st.booleans())
def test_normalize_is_torchvision(case, scale, mode, as_node):
    img, mean, std = case
    m = pp.Constant(np.array(mean)) if as_node else (mean[0] if len(mean) == 1 else mean)
    got = evaluate(lambda: pp.Normalize(make_input(img, mode), m, std, scale=scale), mode)
    want = tv_normalize(img, mean, std, scale)
    exact = img.dtype == U8
    np.testing.assert_allclose(got, want, rtol=0 if exact else 2e-6,
                               atol=0 if exact else 1e-6 * np.abs(want).max(initial=1))
    assert got.dtype == F32 and got.shape == img.shape


def test_normalize_errors():
    img = np.zeros((2, 2, 3), np.uint8)
    raises_graph(lambda: pp.Normalize(img, [0.5, 0.5], 0.2), "mean has 2 values for an image of 3")
    raises_graph(lambda: pp.Normalize(img, 0.5, [0.2, 0.0, 0.1]), "std must not be zero")
    raises_graph(lambda: pp.Normalize(img, float("nan"), 1), "mean is NaN")
    dyn = pp.GetElement(pp.Constant([np.zeros((2, 2, 4), np.uint8), img]), pp.SampleIndex())
    raises_execution(lambda: pp.Normalize(dyn, [0.5, 0.5, 0.5], 0.2), "Normalize",
                     "mean has 3 values for an image of 4 channels")


@SETTINGS
@given(img=images(channels=(0, 1, 2, 3, 4), low=None), low=st.floats(-2, 2),
       high=st.floats(-2, 300), dtype=st.sampled_from([None, "float32", "uint8", "uint16"]),
       mode=st.sampled_from(MODES))
def test_normalize_min_max_matches_cv2(img, low, high, dtype, mode):
    got = evaluate(lambda: pp.NormalizeMinMax(make_input(img, mode), low, high, dtype), mode)
    rtype = -1 if dtype is None else {"float32": cv2.CV_32F, "uint8": cv2.CV_8U,
                                      "uint16": cv2.CV_16U}[dtype]
    src = img if img.dtype != I16 or dtype is not None else img
    want = cv2.normalize(src, None, low, high, cv2.NORM_MINMAX, rtype).reshape(img.shape)
    if want.dtype.kind == "f":
        span = max(abs(low), abs(high), 1)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * span)
        assert got.dtype == want.dtype
    else:
        assert_close(got, want, atol=1)


def test_normalize_min_max_constant_image_and_default():
    const = np.full((3, 3), 9, np.uint8)
    assert np.array_equal(run_op(pp.NormalizeMinMax, const), np.zeros((3, 3), np.float32))
    img = random_image(7, U8, 6, 6, 3)
    got = run_op(pp.NormalizeMinMax, img)
    assert got.dtype == F32 and got.min() == 0 and got.max() == 1


def convert_depth_reference(img, dtype):
    dtype = np.dtype(dtype)
    x = img.astype(np.float64) * (BOUND[dtype] / BOUND[img.dtype])
    if dtype == F32:
        return x.astype(F32)
    info = np.iinfo(dtype)
    return np.clip(np.rint(np.nan_to_num(x)), info.min, info.max).astype(dtype)


@SETTINGS
@given(img=images(channels=(0, 1, 2, 3, 4)), dtype=st.sampled_from([U8, U16, I16, F32]),
       mode=st.sampled_from(MODES))
def test_convert_depth(img, dtype, mode):
    if img.dtype == F32:
        img = (img * F(1.4) - F(0.2)).astype(F32)       # out of range values saturate
    got = run_op(pp.ConvertDepth, img, dtype, mode=mode)
    want = convert_depth_reference(img, dtype)
    if dtype == F32:
        np.testing.assert_allclose(got, want, rtol=1e-6)
        assert got.dtype == F32
    else:
        assert_close(got, want, atol=1)
        if img.dtype == U8 or img.dtype == dtype:
            assert np.array_equal(got, want)


def test_convert_depth_known_values():
    u8 = np.array([[0, 1, 128, 255]], np.uint8)
    assert np.array_equal(run_op(pp.ConvertDepth, u8, np.uint16), u8.astype(np.uint16) * 257)
    assert np.array_equal(run_op(pp.ConvertDepth, u8, np.float32), u8.astype(F32) / F(255))
    u16 = np.array([[0, 128, 129, 385, 65535]], np.uint16)
    assert run_op(pp.ConvertDepth, u16, np.uint8).tolist() == [[0, 0, 1, 1, 255]]
    f = np.array([[-0.5, 0.0, 0.5, 1.0, 2.0, np.nan]], F32)
    assert run_op(pp.ConvertDepth, f, np.uint8).tolist() == [[0, 0, 128, 255, 255, 0]]
    with pytest.raises(pp.GraphError, match="image element type"):
        pp.ConvertDepth(u8, np.float64)


@SETTINGS
@given(img=images(channels=(0, 1, 2, 3, 4)), alpha=st.floats(-0.5, 1.5),
       mode=st.sampled_from(MODES), seed=st.integers(0, 1000))
def test_blend_matches_cv2_add_weighted(img, alpha, mode, seed):
    other = random_image(seed, img.dtype, *img.shape[:2], 0 if img.ndim == 2 else img.shape[2])
    got = evaluate(lambda: pp.Blend(make_input(img, mode), other, alpha), mode)
    if img.dtype == I16:        # cv2.addWeighted: float arithmetic, rounded
        want = np.clip(np.rint(img.astype(np.float64) * (1 - alpha)
                               + other.astype(np.float64) * alpha), -32768, 32767).astype(I16)
    else:
        want = cv2.addWeighted(img, 1 - alpha, other, alpha, 0).reshape(img.shape)
    if img.dtype == F32:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    else:
        assert_close(got, want, atol=1)


def test_blend_errors():
    a = np.zeros((2, 3, 3), np.uint8)
    raises_graph(lambda: pp.Blend(a, np.zeros((3, 2, 3), np.uint8), 0.5), "one shape")
    raises_graph(lambda: pp.Blend(a, a.astype(np.uint16), 0.5), "one type")
    raises_graph(lambda: pp.Blend(a, a, float("inf")), "alpha must be finite")
    dyn = pp.GetElement(pp.Constant([np.zeros((3, 3, 3), np.uint8), a]), pp.SampleIndex())
    raises_execution(lambda: pp.Blend(dyn, a, 0.5), "Blend", "one shape")


# ---------------------------------------------------------------- channels and layout

@SETTINGS
@given(img=images(channels=(0, 1, 2, 3, 4)), data=st.data(), mode=st.sampled_from(MODES))
def test_select_channels_is_numpy_indexing(img, data, mode):
    c = channels_last(img).shape[2]
    if data.draw(st.booleans()):
        channels = data.draw(st.integers(-c, c - 1))
    else:
        channels = data.draw(st.lists(st.integers(-c, c - 1), min_size=1, max_size=4))
    got = evaluate(lambda: pp.SelectChannels(make_input(img, mode), channels), mode)
    assert np.array_equal(got, channels_last(img)[..., channels])
    as_node = evaluate(lambda: pp.SelectChannels(make_input(img, mode),
                                                 pp.Constant(np.array(channels))), "kernel")
    assert np.array_equal(as_node, got)


def test_select_channels_errors():
    img = np.zeros((2, 2, 3), np.uint8)
    raises_graph(lambda: pp.SelectChannels(img, [0, 3]), "out of range for an image of 3")
    raises_graph(lambda: pp.SelectChannels(img, [0] * 5), "select 1 to 4 channels, got 5")
    with pytest.raises(pp.GraphError, match="channels must be an int"):
        pp.SelectChannels(img, [])
    raises_graph(lambda: pp.SelectChannels(img, pp.Constant(np.array([0.5]))), "integers")
    k = pp.GetElement(pp.Constant(np.array([5, 0])), pp.SampleIndex())
    raises_execution(lambda: pp.SelectChannels(img, k), "SelectChannels",
                     "channel 5 out of range for an image of 3 channels")


@pytest.mark.parametrize("channels", [0, 1, 2, 3, 4])
def test_channel_shuffle_is_a_uniform_permutation(channels):
    img = random_image(channels, U8, 3, 4, channels)
    # the channel count is only known at run time
    source = pp.GetElement(pp.Constant([img, np.zeros((3, 4), np.uint8)]), pp.SampleIndex() * 0)
    with pp.Graph() as graph:
        pp.Output(pp.ChannelShuffle(source), "o")
    pipeline = graph.compile(seed=5)
    x = channels_last(img)
    c = x.shape[2]
    counts = {}
    for k in range(240):
        out = channels_last(pipeline.run(k)["o"])
        perm = tuple(int(np.flatnonzero((x == out[..., [j]]).all((0, 1)))[0]) for j in range(c))
        assert np.array_equal(out, x[..., list(perm)]) and sorted(perm) == list(range(c))
        counts[perm] = counts.get(perm, 0) + 1
    assert len(counts) == math.factorial(c)
    assert min(counts.values()) > 240 / math.factorial(c) / 3
    assert np.array_equal(pipeline.batch(range(8), threads=2)["o"][5], pipeline.run(5)["o"])


@SETTINGS
@given(n=st.integers(1, 4), dtype=st.sampled_from([U8, U16, I16, F32]),
       h=st.integers(1, 9), w=st.integers(1, 9), mode=st.sampled_from(MODES),
       data=st.data())
def test_merge_channels_is_np_stack(n, dtype, h, w, mode, data):
    planes = [random_image(data.draw(st.integers(0, 99)), dtype, h, w,
                           data.draw(st.sampled_from([0, 1]))) for _ in range(n)]
    got = evaluate(lambda: pp.MergeChannels(*[make_input(p, mode) for p in planes]), mode)
    assert np.array_equal(got, np.stack([p.reshape(h, w) for p in planes], -1))


def test_merge_channels_errors():
    a = np.zeros((2, 3), np.uint8)
    raises_graph(lambda: pp.MergeChannels(a, np.zeros((2, 4), np.uint8)), "one size")
    raises_graph(lambda: pp.MergeChannels(a, a.astype(np.float32)), "one type")
    raises_graph(lambda: pp.MergeChannels(a, np.zeros((2, 3, 3), np.uint8)), "one channel")
    with pytest.raises(pp.GraphError, match="1 to 4 images"):
        pp.MergeChannels(a, a, a, a, a)
    dyn = pp.GetElement(pp.Constant([np.zeros((3, 3), np.uint8), a]), pp.SampleIndex())
    raises_execution(lambda: pp.MergeChannels(a, dyn), "MergeChannels", "merged image 1 is 3 x 3")


@SETTINGS
@given(img=images(channels=(0, 1, 2, 3, 4)), mode=st.sampled_from(MODES))
def test_to_chw_is_a_transpose(img, mode):
    got, t = evaluate(lambda: pp.ToCHW(make_input(img, mode)), mode, with_type=True)
    assert np.array_equal(got, np.ascontiguousarray(channels_last(img).transpose(2, 0, 1)))
    if mode == "kernel":
        c = channels_last(img).shape[2]
        assert t == f"{img.dtype.name} tensor[{c}, {img.shape[0]}, {img.shape[1]}]"


# ---------------------------------------------------------------- across the module

ALL_OPS = [
    lambda x: pp.Brightness(x, 1.3), lambda x: pp.Contrast(x, 0.7),
    lambda x: pp.Saturation(x, 1.5), lambda x: pp.Invert(x),
    lambda x: pp.Solarize(x, 100), lambda x: pp.Threshold(x, 90, 200),
    lambda x: pp.NormalizeMinMax(x), lambda x: pp.ConvertDepth(x, np.float32),
    lambda x: pp.Blend(x, x, 0.25), lambda x: pp.ToCHW(x),
    lambda x: pp.SelectChannels(x, 0), lambda x: pp.Normalize(x, 0.5, 0.25),
]


@pytest.mark.parametrize("op", range(len(ALL_OPS)))
def test_edge_sizes_and_layouts(op):
    """1 x 1, H x W and H x W x 1 images, empty images, and the same results
    folded, by the kernel, at run time and on two threads."""
    make = ALL_OPS[op]
    gray = random_image(op, U8, 5, 4, 0)
    for img in [gray, gray[..., None], gray[:1, :1].copy(), np.zeros((0, 3), np.uint8),
                np.zeros((2, 0, 1), np.uint8)]:
        results = [evaluate(lambda: make(make_input(img, m)), m) for m in MODES]
        assert all(np.array_equal(r, results[0], equal_nan=True) for r in results)
    a = evaluate(lambda: make(make_input(gray, "kernel")), "kernel")
    b = evaluate(lambda: make(make_input(gray[..., None], "kernel")), "kernel")
    assert np.array_equal(a.reshape(-1), b.reshape(-1))
    with pp.Graph() as graph:
        pp.Output(make(pp.GetElement(pp.Constant([gray, gray]), pp.SampleIndex() % 2)), "o")
    pipeline = graph.compile()
    batch = pipeline.batch([0, 1, 2, 3], threads=2)["o"]
    assert all(np.array_equal(batch[k], pipeline.run(k)["o"], equal_nan=True) for k in range(4))


def test_docstring_examples():
    import doctest

    import pixelpipes.image.color as color

    result = doctest.testmod(color, extraglobs={"pp": pp, "np": np})
    assert result.attempted >= 6 and result.failed == 0


def test_float_nan_and_out_of_range_values():
    x = np.array([[np.nan, -0.5, 0.25, 1.5]], np.float32)
    assert np.array_equal(run_op(pp.Brightness, x, 2.0), tv_brightness(x, 2.0), equal_nan=True)
    assert np.isnan(run_op(pp.Gamma, x, 2.0)[0, 0])
    assert run_op(pp.ConvertDepth, x, np.uint8).tolist() == [[0, 0, 64, 255]]
    got = run_op(pp.NormalizeMinMax, x, 0.0, 10.0)
    assert np.isnan(got[0, 0]) and np.allclose(got[0, 1:], [0, 3.75, 10])


def test_rejects_non_images():
    raises_graph(lambda: pp.Brightness(np.zeros(5, np.uint8), 1.0), "H x W or H x W x C")
    raises_graph(lambda: pp.Invert(np.zeros((2, 2, 5), np.uint8)), "1 to 4 channels")
    raises_graph(lambda: pp.ToCHW(np.zeros((2, 2), np.int32)), "must be of")
    raises_graph(lambda: pp.Contrast("text", 1.0), "image tensor")
