"""Every image op, single-threaded, against OpenCV and albumentations.

    python benchmarks/bench_ops.py [--ops resize,warp] [--repeats 7] [--batch 32]
                                   [--quick] [--markdown] [--list]

One row per case of the table ``CASES`` below: an op with realistic
parameters on a shipped photo (``astronaut`` 512 x 512 x 3, ``hubble`` 872 x
1000 x 3, or a gray / float32 / mask version of one).  Each side makes a
batch of samples from an input that alternates between two equal copies of
the photo:

* pixelpipes: a pipeline ``RandomChoice([img, img.copy()]) -> op -> Output``
  run with ``batch(range(n), threads=1)``.  The input is chosen per sample,
  so the op is not folded into a constant at compile time.  A baseline
  pipeline that only chooses the image (and outputs one row of it) is timed
  in the same run and subtracted: what is left is the op's kernel, the
  executor's per-node cost and the copy of the op's output into the batch
  array (which the executor always makes).  When an op leaves its output
  shape unknown at compile time, ``batch()`` returns a list of separately
  allocated arrays; such a row (``+``) measures the op with the shape pinned
  by ``pp.Reshape`` (a view), and the list path is timed too and printed
  below the table.
* cv2 (``cv2.setNumThreads(1)``): ``out[i] = cv2_fn(imgs[i % 2])`` into
  the side's own batch array, reused from call to call as pixelpipes reuses
  its batch memory (see ``ref_batch``) -- the same output copy the executor
  makes, so neither side is spared it.  A loop that copies one row is subtracted
  likewise.  Where OpenCV has no single function for the op, the cv2 side is
  the short cv2/NumPy composite a user would write; its cell carries a
  footnote number ``[n]`` and the footnote says what it is.
* albumentations: the equivalent transform with fixed parameters and
  ``p=1``, called as ``t(image=img)["image"]`` in the same loop (its Python
  overhead per call is part of its time; the loop baseline is subtracted).

Times are CPU seconds of the calling thread (``time.thread_time``; every
side runs on it) per sample, best of ``--repeats`` batches measured
interleaved (pp, baselines, cv2, albu, pp, ...), so a busy machine inflates
them less than wall time; the wall-clock ratio is printed too.  Ratios are
``other / pixelpipes``: above 1 means pixelpipes is faster.  Target (issue
3): cv2/pp >= 0.5 for every op, >= 1.0 for the common ones (resize, warp,
flip, crop, colour ops, blur: the cases with ``common=True``, starred in the
table) -- flagged ``<0.5x`` and ``common<1x``.  Minor page faults per sample
are counted too and reported where pixelpipes has many more than cv2 (fresh
memory per sample is a cost the kernels do not show).

Before timing, every deterministic case checks pixelpipes' output against
cv2 (or a NumPy transcription of the op's documented formula) within the
op's documented tolerance; random ops are only checked for shape and type.
An op that does not exist (yet) is reported as ``missing``; a case that
fails to build or run as ``error``; neither stops the run.  Exit status 1 if
a correctness check failed.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")   # no network look-up on import

import cv2
import numpy as np

import pixelpipes as pp
from pixelpipes.data import load_photo

try:
    import albumentations as A
except ImportError:  # pragma: no cover - optional (pip install .[bench])
    A = None

# ---------------------------------------------------------------------------
# inputs

_PHOTOS: Dict[str, np.ndarray] = {}


def photo(name: str) -> np.ndarray:
    if name not in _PHOTOS:
        _PHOTOS[name] = load_photo({"hubble": "hubble_deep_field"}.get(name, name))
    return _PHOTOS[name]


def mirrored() -> np.ndarray:
    """The astronaut mirrored left-right: the second image of Blend."""
    if "mirrored" not in _PHOTOS:
        _PHOTOS["mirrored"] = np.ascontiguousarray(photo("astronaut")[:, ::-1])
    return _PHOTOS["mirrored"]


def rgb(im):
    return im


def gray(im):
    return cv2.cvtColor(im, cv2.COLOR_RGB2GRAY)


def f32(im):
    return (im.astype(np.float32) * np.float32(1 / 255)).astype(np.float32)


def gray_f32(im):
    return f32(gray(im))


def hsv(im):
    return cv2.cvtColor(im, cv2.COLOR_RGB2HSV)


def mask(im):
    """A binary uint8 mask (0 / 255) with many objects: gray > 100."""
    return np.where(gray(im) > 100, 255, 0).astype(np.uint8)


def describe_input(x: np.ndarray) -> str:
    dt = {"uint8": "u8", "float32": "f32", "uint16": "u16", "int16": "i16"}.get(x.dtype.name,
                                                                          x.dtype.name)
    shape = "x".join(map(str, x.shape if x.ndim == 3 else x.shape + (1,)))
    return f"{shape} {dt}"


# ---------------------------------------------------------------------------
# the case table


@dataclass
class Tol:
    """Allowed difference: ``|got - want| <= atol + rtol * |want|``; with
    ``of_max`` the atol is relative to ``max |want|`` (the "within 1e-5 of the
    image's largest magnitude" of the filters)."""

    atol: float = 0.0
    rtol: float = 0.0
    of_max: bool = False

    def label(self) -> str:
        """``=`` exact; ``<=1``; ``<=1e-4+1e-4r`` (absolute + relative);
        ``<=1e-5max`` (relative to the largest magnitude)."""
        def num(x):
            return f"{x:g}" if x >= 0.01 else f"{x:.0e}".replace("e-0", "e-")
        if self.atol == 0 and self.rtol == 0:
            return "="
        parts = []
        if self.atol:
            parts.append(num(self.atol) + ("max" if self.of_max else ""))
        if self.rtol:
            parts.append(num(self.rtol) + "r")
        return "<=" + "+".join(parts)


RANDOM = None      # check: a random op, compared for shape and type only
DEFAULT = "default"  # check: the helper's usual tolerance for the input type


@dataclass
class Case:
    op: str                      # op family: --ops matches it (substring) or the group
    group: str                   # module: geometry, warp, color, filters, noise
    params: str                  # the op's parameters, for the table
    pp: Callable                 # node -> node (the input node is the chosen image)
    needs: Tuple[str, ...]       # pixelpipes names the case uses ("missing" if absent)
    cv2: Optional[Callable] = None        # image -> array
    albu: Optional[Callable] = None       # () -> albumentations transform
    check: Optional[Tol] = RANDOM
    ref: Optional[Callable] = None        # image -> expected (default: cv2)
    photo: str = "astronaut"
    prep: Callable = rgb
    uses_input: bool = True     # False for ops that make an image from nothing
    common: bool = False
    cv2_note: str = ""          # set when the cv2 side is not one OpenCV function
    albu_note: str = ""


def P(name, *args, **kwargs):
    """``lambda x: pp.<name>(x, *args, **kwargs)``, resolved when the case runs."""
    def build(x):
        return getattr(pp, name)(x, *args, **kwargs)
    build.needs = (name,)
    return build


def lut_fn(table):
    table = np.asarray(table, np.uint8).reshape(1, 256)
    return lambda im: cv2.LUT(im, table)


# --- NumPy transcriptions of the documented (torchvision) formulas ---------

_F = np.float32


def _tv_gray(im):
    """torchvision rgb_to_grayscale of a uint8 image: float sum, truncated."""
    x = im.astype(_F)
    return (_F(0.2989) * x[..., 0] + _F(0.587) * x[..., 1] + _F(0.114) * x[..., 2]).astype(np.uint8)


def ref_brightness(f):
    return lambda im: np.clip(_F(f) * im.astype(_F), 0, 255).astype(np.uint8)


def ref_contrast(f):
    def ref(im):
        mean = _F(_tv_gray(im).astype(_F).mean())
        out = _F(f) * im.astype(_F) + (_F(1) - _F(f)) * mean
        return np.clip(out, 0, 255).astype(np.uint8)
    return ref


def ref_saturation(f):
    def ref(im):
        g = _tv_gray(im).astype(_F)[..., None]
        return np.clip(_F(f) * im.astype(_F) + (_F(1) - _F(f)) * g, 0, 255).astype(np.uint8)
    return ref


def ref_hue(shift):
    """torchvision adjust_hue (its _rgb2hsv / _hsv2rgb) for uint8 RGB."""
    def ref(im):
        x = im.astype(_F) / _F(255)
        r, g, b = x[..., 0], x[..., 1], x[..., 2]
        maxc, minc = x.max(-1), x.min(-1)
        eqc = maxc == minc
        cr = maxc - minc
        ones = np.ones_like(maxc)
        s = cr / np.where(eqc, ones, maxc)
        crd = np.where(eqc, ones, cr)
        rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
        h = ((maxc == r) * (bc - gc) + ((maxc == g) & (maxc != r)) * (_F(2) + rc - bc)
             + ((maxc != g) & (maxc != r)) * (_F(4) + gc - rc))
        h = np.fmod(h / _F(6) + _F(1), _F(1))
        h = np.mod(h + _F(shift), _F(1))
        v = maxc
        i = np.floor(h * _F(6))
        f = h * _F(6) - i
        i = i.astype(np.int32) % 6
        p = np.clip(v * (_F(1) - s), 0, 1)
        q = np.clip(v * (_F(1) - s * f), 0, 1)
        t = np.clip(v * (_F(1) - s * (_F(1) - f)), 0, 1)
        sel = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
        out = np.zeros_like(x)
        for k, (cr_, cg, cb) in enumerate(sel):
            m = i == k
            out[..., 0][m], out[..., 1][m], out[..., 2][m] = cr_[m], cg[m], cb[m]
        return (out * _F(256 - 0.001)).astype(np.uint8)
    return ref


def gamma_table(gamma, gain=1.0):
    x = (np.arange(256, dtype=_F) / _F(255)).astype(np.float64)
    v = np.clip(_F(gain) * (x ** gamma).astype(_F), 0, 1)
    return (v * _F(256 - 0.001)).astype(np.uint8)


SOLARIZE_TABLE = np.where(np.arange(256) >= 128, 255 - np.arange(256), np.arange(256))
POSTERIZE_TABLE = np.arange(256) & 0xF0
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
NORM_LUT = ((np.arange(256, dtype=_F)[:, None] / _F(255) - np.array(MEAN, _F))
            / np.array(STD, _F)).astype(_F).reshape(1, 256, 3)
FLOAT_LUT = (np.arange(256, dtype=_F) / _F(255)).reshape(1, 256)
MOMENT_NAMES = ("m00 m10 m01 m20 m11 m02 m30 m21 m12 m03 mu20 mu11 mu02 mu30 mu21 mu12 "
                "mu03 nu20 nu11 nu02 nu30 nu21 nu12 nu03").split()


# --- cv2 composites -------------------------------------------------------

_rng = np.random.default_rng(0)


def cv2_contrast(f):
    def run(im):
        m = cv2.mean(cv2.cvtColor(im, cv2.COLOR_RGB2GRAY))[0]
        return cv2.addWeighted(im, f, im, 0.0, (1 - f) * m)
    return run


def cv2_saturation(f):
    def run(im):
        g = cv2.cvtColor(cv2.cvtColor(im, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        return cv2.addWeighted(im, f, g, 1 - f, 0.0)
    return run


def cv2_hue(shift):
    lut = ((np.arange(256) + round(shift * 180)) % 180).astype(np.uint8).reshape(1, 256)

    def run(im):
        h, s, v = cv2.split(cv2.cvtColor(im, cv2.COLOR_RGB2HSV))
        return cv2.cvtColor(cv2.merge((cv2.LUT(h, lut), s, v)), cv2.COLOR_HSV2RGB)
    return run


def cv2_color_jitter(b, c, s, h):
    def run(im):
        ops = [lambda x: cv2.convertScaleAbs(x, alpha=random.uniform(1 - b, 1 + b)),
               lambda x: cv2_contrast(random.uniform(1 - c, 1 + c))(x),
               lambda x: cv2_saturation(random.uniform(1 - s, 1 + s))(x),
               lambda x: cv2_hue(random.uniform(-h, h))(x)]
        random.shuffle(ops)
        for op in ops:
            im = op(im)
        return im
    return run


def cv2_random_crop(h, w):
    def run(im):
        y = int(_rng.integers(0, im.shape[0] - h + 1))
        x = int(_rng.integers(0, im.shape[1] - w + 1))
        return im[y:y + h, x:x + w]
    return run


def cv2_random_resized_crop(size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    """torchvision's box rule, then cv2.resize of the box (a view)."""
    def run(im):
        H, W = im.shape[:2]
        area = H * W
        for _ in range(10):
            a = area * random.uniform(*scale)
            r = math.exp(random.uniform(math.log(ratio[0]), math.log(ratio[1])))
            w, h = int(round(math.sqrt(a * r))), int(round(math.sqrt(a / r)))
            if 0 < w <= W and 0 < h <= H:
                y, x = random.randint(0, H - h), random.randint(0, W - w)
                break
        else:
            h, w, y, x = H, W, 0, 0
        return cv2.resize(im[y:y + h, x:x + w], (size[1], size[0]),
                          interpolation=cv2.INTER_LINEAR)
    return run


def cv2_elastic(alpha, sigma):
    """Simard's elastic deformation as albumentations does it with OpenCV:
    uniform noise fields, Gaussian-smoothed, scaled, added to the grid, remap."""
    cache = {}

    def run(im):
        H, W = im.shape[:2]
        if (H, W) not in cache:
            gx, gy = np.meshgrid(np.arange(W, dtype=_F), np.arange(H, dtype=_F))
            cache[H, W] = (gx, gy)
        gx, gy = cache[H, W]
        dx, dy = np.empty((H, W), _F), np.empty((H, W), _F)
        cv2.randu(dx, -1.0, 1.0)
        cv2.randu(dy, -1.0, 1.0)
        dx = cv2.GaussianBlur(dx, (0, 0), sigma)
        dy = cv2.GaussianBlur(dy, (0, 0), sigma)
        mx = cv2.scaleAdd(dx, alpha, gx)
        my = cv2.scaleAdd(dy, alpha, gy)
        return cv2.remap(im, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    return run


def cv2_grid_distortion(steps, limit):
    """Per-axis cell stretches (edges kept), the maps built with NumPy, remap."""
    def axis(n):
        k = 1 + _rng.uniform(-limit, limit, steps)
        edges = np.concatenate([[0.0], np.cumsum(k)])
        edges *= (n - 1) / edges[-1]
        return np.interp(np.arange(n), np.linspace(0, n - 1, steps + 1), edges).astype(_F)

    def run(im):
        H, W = im.shape[:2]
        mx = np.tile(axis(W), (H, 1))
        my = np.tile(axis(H)[:, None], (1, W))
        return cv2.remap(im, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    return run


def cv2_add_gauss_noise(std):
    def run(im):
        n = np.empty(im.shape, _F)
        cv2.randn(n, 0.0, std)
        return cv2.add(im, n, dtype=cv2.CV_8U)
    return run


def cv2_coarse_dropout(holes=(1, 2), frac=(0.1, 0.2)):
    def run(im):
        out = im.copy()
        H, W = im.shape[:2]
        for _ in range(int(_rng.integers(holes[0], holes[1] + 1))):
            h = int(H * _rng.uniform(*frac))
            w = int(W * _rng.uniform(*frac))
            y, x = int(_rng.integers(0, H - h + 1)), int(_rng.integers(0, W - w + 1))
            out[y:y + h, x:x + w] = 0
        return out
    return run


def cv2_gauss_image(shape):
    def run(im):
        n = np.empty(shape, _F)
        cv2.randn(n, 0.0, 1.0)
        return n
    return run


# --- matrices and maps ------------------------------------------------------


def affine3(w, h, angle=30.0, scale=1.1, tx=10.0, ty=-5.0):
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, scale)
    m[:, 2] += (tx, ty)
    return np.vstack([m, [0, 0, 1]])


def homography(w, h):
    src = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    dst = np.float32([[0.05 * w, 0.08 * h], [0.9 * w, 0.02 * h], [0.97 * w, 0.95 * h],
                      [0.02 * w, 0.88 * h]])
    return cv2.getPerspectiveTransform(src, dst)


def wave_maps(w, h):
    gx, gy = np.meshgrid(np.arange(w, dtype=_F), np.arange(h, dtype=_F))
    mx = gx + _F(6) * np.sin(gy * _F(2 * np.pi / 64))
    my = gy + _F(4) * np.cos(gx * _F(2 * np.pi / 48))
    return mx.astype(_F), my.astype(_F)


A512, A1000 = affine3(512, 512), affine3(1000, 872)
H512 = homography(512, 512)
MX, MY = wave_maps(512, 512)
ROT30 = cv2.getRotationMatrix2D((255.5, 255.5), 30, 1.0)
ROT30_HUBBLE = cv2.getRotationMatrix2D((499.5, 435.5), 30, 1.0)
KERNEL5 = (np.random.default_rng(1).uniform(-1, 1, (5, 5)) / 12).astype(_F)
KERNEL5[2, 2] += 1


def sharpen_kernel(alpha, lightness=1.0):
    ident = np.zeros((3, 3), _F)
    ident[1, 1] = 1
    eff = np.array([[-1, -1, -1], [-1, 8 + lightness, -1], [-1, -1, -1]], _F)
    return ((1 - alpha) * ident + alpha * eff).astype(_F)


SHARPEN = sharpen_kernel(0.5)


def motion_kernel(ksize, angle):
    """pixelpipes' own MotionKernel, so that both sides use the same taps."""
    with pp.Graph() as g:
        pp.Output(pp.MotionKernel(ksize, angle), "k")
    return g.compile().run(0)["k"]


_MOTION: Dict[tuple, np.ndarray] = {}


def cv2_motion(ksize, angle):
    def run(im):
        if (ksize, angle) not in _MOTION:
            _MOTION[ksize, angle] = motion_kernel(ksize, angle)
        return cv2.filter2D(im, -1, _MOTION[ksize, angle])
    return run


_CLAHE = cv2.createCLAHE(clipLimit=4.0, tileGridSize=(8, 8))
INTER = {"linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA, "cubic": cv2.INTER_CUBIC,
         "nearest": cv2.INTER_NEAREST, "lanczos": cv2.INTER_LANCZOS4}


def resize_case(size, interp, photo_="astronaut", prep=rgb, albu=True):
    h, w = size
    return Case("resize", "geometry", f"-> {h}x{w} {interp}", P("Resize", size, interp),
                ("Resize",),
                cv2=lambda im: cv2.resize(im, (w, h), interpolation=INTER[interp]),
                albu=(lambda: A.Resize(h, w, interpolation=INTER[interp], p=1)) if albu else None,
                check=Tol(1e-4, 1e-4) if prep in (f32, gray_f32) else
                (Tol() if interp == "nearest" else Tol(1)),
                photo=photo_, prep=prep, common=True)


def warp_case(op, params, build, needs, cv2fn, albu=None, photo_="astronaut", prep=rgb,
              check=DEFAULT, common=None, **kw):
    if check is DEFAULT:
        check = Tol(1e-4, 1e-4) if prep in (f32, gray_f32) else Tol(1)
    if common is None:   # "warp" of the issue: Warp and Rotate, not the distortions
        common = op in ("warp", "rotate")
    return Case(op, "warp", params, build, needs, cv2=cv2fn, albu=albu, check=check,
                photo=photo_, prep=prep, common=common, **kw)


def affine_albu():
    return A.Affine(rotate=(30, 30), scale=(1.1, 1.1), translate_px={"x": (10, 10), "y": (-5, -5)},
                    interpolation=cv2.INTER_LINEAR, border_mode=cv2.BORDER_CONSTANT, fill=0, p=1)


def rotate_albu():
    return A.Rotate(limit=(30, 30), interpolation=cv2.INTER_LINEAR,
                    border_mode=cv2.BORDER_CONSTANT, fill=0, p=1)


def cvt_case(code, prep=rgb, albu=None, check=DEFAULT, common=True):
    cv_code = getattr(cv2, f"COLOR_{code}")
    if check is DEFAULT:
        check = Tol(1e-5, 1e-5) if prep in (f32,) else Tol(1)
    return Case("cvt_color", "color", code, P("ConvertColor", code), ("ConvertColor",),
                cv2=lambda im: cv2.cvtColor(im, cv_code), albu=albu, check=check,
                prep=prep, common=common)


LUT_NOTE = "cv2.LUT with the op's 256-entry table (OpenCV has no function for it)"

CASES: List[Case] = [
    # --- geometry -----------------------------------------------------------
    resize_case((256, 256), "linear"),
    resize_case((384, 384), "linear"),
    resize_case((768, 768), "linear"),
    resize_case((384, 384), "linear", prep=gray),
    resize_case((384, 384), "linear", prep=f32),
    resize_case((384, 384), "nearest"),
    resize_case((224, 224), "area", "hubble"),
    resize_case((436, 500), "cubic", "hubble"),
    resize_case((384, 384), "lanczos"),
    Case("resize", "geometry", "Scale 0.6 linear", P("Scale", 0.6), ("Scale",),
         cv2=lambda im: cv2.resize(im, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_LINEAR),
         check=Tol(1), photo="hubble", common=True),
    Case("resized_crop", "geometry", "box 320x320 at (64,64) -> 224x224 linear",
         P("ResizedCrop", 64, 64, 320, 320, (224, 224)), ("ResizedCrop",),
         cv2=lambda im: cv2.resize(im[64:384, 64:384], (224, 224)), check=Tol(1), common=True,
         cv2_note="cv2.resize of the NumPy view of the box"),
    Case("crop", "geometry", "256x256 at (100,80)", P("Crop", 100, 80, 256, 256), ("Crop",),
         cv2=lambda im: im[80:336, 100:356],
         albu=lambda: A.Crop(x_min=100, y_min=80, x_max=356, y_max=336, p=1),
         check=Tol(), common=True,
         cv2_note="a NumPy view of the box (the batch copy is the only work)"),
    Case("crop", "geometry", "256x256 at (100,80)", P("Crop", 100, 80, 256, 256), ("Crop",),
         cv2=lambda im: im[80:336, 100:356], check=Tol(), prep=gray, common=True,
         cv2_note="a NumPy view of the box (the batch copy is the only work)"),
    Case("safe_crop", "geometry", "256x256 at (-32,-32) reflect_101",
         P("SafeCrop", -32, -32, 256, 256, border="reflect_101"), ("SafeCrop",),
         cv2=lambda im: cv2.copyMakeBorder(im[:224, :224], 32, 0, 32, 0, cv2.BORDER_REFLECT_101),
         check=Tol(), common=True,
         cv2_note="cv2.copyMakeBorder of the part inside the image"),
    Case("center_crop", "geometry", "224x224", P("CenterCrop", 224, 224), ("CenterCrop",),
         cv2=lambda im: im[144:368, 144:368], albu=lambda: A.CenterCrop(224, 224, p=1),
         check=Tol(), common=True,
         cv2_note="a NumPy view of the box (the batch copy is the only work)"),
    Case("random_crop", "geometry", "256x256", P("RandomCrop", 256, 256), ("RandomCrop",),
         cv2=cv2_random_crop(256, 256), albu=lambda: A.RandomCrop(256, 256, p=1),
         common=True, cv2_note="a NumPy view at a random position"),
    Case("random_resized_crop", "geometry", "-> 224x224 linear, torchvision defaults",
         P("RandomResizedCrop", (224, 224)), ("RandomResizedCrop",),
         cv2=cv2_random_resized_crop((224, 224)),
         albu=lambda: A.RandomResizedCrop(size=(224, 224), p=1), common=True,
         cv2_note="torchvision's box rule in Python, cv2.resize of the view"),
    Case("pad", "geometry", "32 each side reflect_101",
         P("Pad", 32, 32, 32, 32, border="reflect_101"), ("Pad",),
         cv2=lambda im: cv2.copyMakeBorder(im, 32, 32, 32, 32, cv2.BORDER_REFLECT_101),
         albu=lambda: A.Pad(padding=32, border_mode=cv2.BORDER_REFLECT_101, p=1),
         check=Tol()),
    Case("pad", "geometry", "32 each side constant 0", P("Pad", 32, 32, 32, 32), ("Pad",),
         cv2=lambda im: cv2.copyMakeBorder(im, 32, 32, 32, 32, cv2.BORDER_CONSTANT, value=0),
         albu=lambda: A.Pad(padding=32, border_mode=cv2.BORDER_CONSTANT, fill=0, p=1),
         check=Tol()),
    Case("flip", "geometry", "horizontal", P("Flip", horizontal=True), ("Flip",),
         cv2=lambda im: cv2.flip(im, 1), albu=lambda: A.HorizontalFlip(p=1), check=Tol(),
         common=True),
    Case("flip", "geometry", "vertical", P("Flip", horizontal=False, vertical=True), ("Flip",),
         cv2=lambda im: cv2.flip(im, 0), albu=lambda: A.VerticalFlip(p=1), check=Tol(),
         common=True),
    Case("flip", "geometry", "horizontal + vertical",
         P("Flip", horizontal=True, vertical=True), ("Flip",),
         cv2=lambda im: cv2.flip(im, -1), check=Tol(), common=True),
    Case("flip", "geometry", "horizontal", P("Flip", horizontal=True), ("Flip",),
         cv2=lambda im: cv2.flip(im, 1), albu=lambda: A.HorizontalFlip(p=1), check=Tol(),
         prep=gray, common=True),
    Case("flip", "geometry", "horizontal", P("Flip", horizontal=True), ("Flip",),
         cv2=lambda im: cv2.flip(im, 1), albu=lambda: A.HorizontalFlip(p=1), check=Tol(),
         prep=f32, common=True),
    Case("transpose", "geometry", "", P("TransposeImage"), ("TransposeImage",),
         cv2=cv2.transpose, albu=lambda: A.Transpose(p=1), check=Tol()),
    Case("rot90", "geometry", "k=1 (counter-clockwise)", P("Rotate90", 1), ("Rotate90",),
         cv2=lambda im: cv2.rotate(im, cv2.ROTATE_90_COUNTERCLOCKWISE), check=Tol()),
    # --- warp -----------------------------------------------------------------
    warp_case("warp", "affine rot30 x1.1 +(10,-5) linear constant",
              P("Warp", A512, perspective=False), ("Warp",),
              lambda im: cv2.warpAffine(im, A512[:2], (512, 512), flags=cv2.INTER_LINEAR),
              albu=affine_albu),
    warp_case("warp", "affine rot30 x1.1 +(10,-5) linear constant",
              P("Warp", A1000, perspective=False), ("Warp",),
              lambda im: cv2.warpAffine(im, A1000[:2], (1000, 872), flags=cv2.INTER_LINEAR),
              albu=affine_albu, photo_="hubble"),
    warp_case("warp", "affine, linear constant", P("Warp", A512, perspective=False), ("Warp",),
              lambda im: cv2.warpAffine(im, A512[:2], (512, 512), flags=cv2.INTER_LINEAR),
              albu=affine_albu, prep=gray),
    warp_case("warp", "affine, linear constant", P("Warp", A512, perspective=False), ("Warp",),
              lambda im: cv2.warpAffine(im, A512[:2], (512, 512), flags=cv2.INTER_LINEAR),
              albu=affine_albu, prep=f32),
    warp_case("warp", "affine, nearest constant",
              P("Warp", A512, interpolation="nearest", perspective=False), ("Warp",),
              lambda im: cv2.warpAffine(im, A512[:2], (512, 512), flags=cv2.INTER_NEAREST)),
    warp_case("warp", "affine, cubic constant",
              P("Warp", A512, interpolation="cubic", perspective=False), ("Warp",),
              lambda im: cv2.warpAffine(im, A512[:2], (512, 512), flags=cv2.INTER_CUBIC)),
    warp_case("warp", "affine, linear reflect_101",
              P("Warp", A512, border="reflect_101", perspective=False), ("Warp",),
              lambda im: cv2.warpAffine(im, A512[:2], (512, 512), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_REFLECT_101)),
    warp_case("warp", "perspective, linear constant", P("Warp", H512), ("Warp",),
              lambda im: cv2.warpPerspective(im, H512, (512, 512), flags=cv2.INTER_LINEAR)),
    warp_case("rotate", "30 deg, linear constant", P("Rotate", 30.0), ("Rotate",),
              lambda im: cv2.warpAffine(im, ROT30, (512, 512), flags=cv2.INTER_LINEAR),
              albu=rotate_albu),
    warp_case("rotate", "30 deg, linear constant", P("Rotate", 30.0), ("Rotate",),
              lambda im: cv2.warpAffine(im, ROT30_HUBBLE, (1000, 872), flags=cv2.INTER_LINEAR),
              albu=rotate_albu, photo_="hubble"),
    warp_case("remap", "float32 maps (x, y), linear constant", P("RemapImage", MX, MY),
              ("RemapImage",),
              lambda im: cv2.remap(im, MX, MY, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)),
    warp_case("elastic", "alpha 120 sigma 6, linear reflect_101",
              P("ElasticDeformation", 120.0, 6.0), ("ElasticDeformation",),
              cv2_elastic(120.0, 6.0), albu=lambda: A.ElasticTransform(alpha=120, sigma=6, p=1),
              check=RANDOM,
              cv2_note="cv2.randu noise fields, cv2.GaussianBlur, cv2.scaleAdd, cv2.remap"),
    warp_case("grid_distortion", "5 steps, limit 0.3, linear reflect_101",
              P("GridDistortion", 5, 0.3), ("GridDistortion",), cv2_grid_distortion(5, 0.3),
              albu=lambda: A.GridDistortion(num_steps=5, distort_limit=0.3, p=1), check=RANDOM,
              cv2_note="random per-axis stretches, maps built with np.interp / np.tile, "
                       "cv2.remap"),
    warp_case("piecewise_affine", "grid 4x4, scale 0.03-0.05, linear constant",
              P("PiecewiseAffine", (4, 4), (0.03, 0.05)), ("PiecewiseAffine",), None,
              check=RANDOM,
              albu_note="not timed: albumentations' PiecewiseAffine takes ~15 s per 512x512 "
                        "image"),
    # --- color ----------------------------------------------------------------
    cvt_case("RGB2GRAY", albu=lambda: A.ToGray(num_output_channels=1,
                                              method="weighted_average", p=1)),
    cvt_case("RGB2BGR"),
    cvt_case("GRAY2RGB", prep=gray),
    cvt_case("RGB2HSV"),
    cvt_case("HSV2RGB", prep=hsv),
    cvt_case("RGB2YCrCb"),
    cvt_case("RGB2Lab"),
    cvt_case("RGB2HSV", prep=f32),
    Case("brightness", "color", "factor 1.2", P("Brightness", 1.2), ("Brightness",),
         cv2=lambda im: cv2.convertScaleAbs(im, alpha=1.2), ref=ref_brightness(1.2),
         albu=lambda: A.ColorJitter(brightness=(1.2, 1.2), contrast=(1, 1), saturation=(1, 1),
                                    hue=(0, 0), p=1),
         check=Tol(1), common=True, cv2_note="cv2.convertScaleAbs(alpha=1.2)"),
    Case("contrast", "color", "factor 1.3", P("Contrast", 1.3), ("Contrast",),
         cv2=cv2_contrast(1.3), ref=ref_contrast(1.3),
         albu=lambda: A.ColorJitter(brightness=(1, 1), contrast=(1.3, 1.3), saturation=(1, 1),
                                    hue=(0, 0), p=1),
         check=Tol(1), common=True,
         cv2_note="cv2.mean of cv2.cvtColor gray, cv2.addWeighted"),
    Case("saturation", "color", "factor 1.3", P("Saturation", 1.3), ("Saturation",),
         cv2=cv2_saturation(1.3), ref=ref_saturation(1.3),
         albu=lambda: A.ColorJitter(brightness=(1, 1), contrast=(1, 1), saturation=(1.3, 1.3),
                                    hue=(0, 0), p=1),
         check=Tol(1), common=True, cv2_note="cv2.cvtColor to gray and back, cv2.addWeighted"),
    Case("hue", "color", "shift 0.1", P("Hue", 0.1), ("Hue",),
         cv2=cv2_hue(0.1), ref=ref_hue(0.1),
         albu=lambda: A.ColorJitter(brightness=(1, 1), contrast=(1, 1), saturation=(1, 1),
                                    hue=(0.1, 0.1), p=1),
         check=Tol(1), common=True,
         cv2_note="cv2.cvtColor RGB2HSV, cv2.LUT on H, cv2.cvtColor HSV2RGB (uint8 HSV)"),
    Case("color_jitter", "color", "0.4, 0.4, 0.4, 0.1 (random order)",
         P("ColorJitter", 0.4, 0.4, 0.4, 0.1), ("ColorJitter",),
         cv2=cv2_color_jitter(0.4, 0.4, 0.4, 0.1),
         albu=lambda: A.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, p=1),
         common=True, cv2_note="the four cv2 composites of the rows above, random order"),
    Case("gamma", "color", "gamma 0.8", P("Gamma", 0.8), ("Gamma",),
         cv2=lut_fn(gamma_table(0.8)), ref=lut_fn(gamma_table(0.8)),
         albu=lambda: A.RandomGamma(gamma_limit=(80, 80), p=1), check=Tol(1), common=True,
         cv2_note=LUT_NOTE),
    Case("normalize", "color", "ImageNet mean/std -> float32",
         P("Normalize", list(MEAN), list(STD)), ("Normalize",),
         cv2=lambda im: cv2.LUT(im, NORM_LUT),
         albu=lambda: A.Normalize(mean=MEAN, std=STD, max_pixel_value=255.0, p=1),
         check=Tol(1e-5, 1e-5), common=True,
         cv2_note="cv2.LUT with a 256 x 3 float32 table (as albucore does for uint8)"),
    Case("normalize_minmax", "color", "-> [0, 1] float32", P("NormalizeMinMax"),
         ("NormalizeMinMax",),
         cv2=lambda im: cv2.normalize(im, None, 0, 1, cv2.NORM_MINMAX, cv2.CV_32F),
         albu=lambda: A.Normalize(normalization="min_max", p=1), check=Tol(1e-5, 1e-5),
         albu_note="A.Normalize(normalization='min_max') returns float64"),
    Case("convert_depth", "color", "uint8 -> float32", P("ConvertDepth", np.float32),
         ("ConvertDepth",), cv2=lambda im: cv2.LUT(im, FLOAT_LUT),
         albu=lambda: A.ToFloat(max_value=255, p=1), check=Tol(1e-7, 1e-6),
         cv2_note="cv2.LUT with a float32 table x / 255"),
    Case("invert", "color", "", P("Invert"), ("Invert",), cv2=cv2.bitwise_not,
         albu=lambda: A.InvertImg(p=1), check=Tol()),
    Case("solarize", "color", "threshold 128", P("Solarize", 128), ("Solarize",),
         cv2=lut_fn(SOLARIZE_TABLE), albu=lambda: A.Solarize(threshold_range=(0.5, 0.5), p=1),
         check=Tol(), cv2_note=LUT_NOTE),
    Case("posterize", "color", "4 bits", P("Posterize", 4), ("Posterize",),
         cv2=lut_fn(POSTERIZE_TABLE), albu=lambda: A.Posterize(num_bits=(4, 4), p=1),
         check=Tol(), cv2_note=LUT_NOTE),
    Case("threshold", "color", "127, 255 binary", P("Threshold", 127, 255), ("Threshold",),
         cv2=lambda im: cv2.threshold(im, 127, 255, cv2.THRESH_BINARY)[1], check=Tol()),
    Case("equalize_hist", "color", "", P("EqualizeHistogram"), ("EqualizeHistogram",),
         cv2=cv2.equalizeHist, albu=lambda: A.Equalize(mode="cv", by_channels=True, p=1),
         check=Tol(), prep=gray),
    Case("equalize_hist", "color", "each channel", P("EqualizeHistogram"),
         ("EqualizeHistogram",),
         cv2=lambda im: cv2.merge([cv2.equalizeHist(c) for c in cv2.split(im)]),
         albu=lambda: A.Equalize(mode="cv", by_channels=True, p=1), check=Tol(),
         cv2_note="cv2.split, cv2.equalizeHist per channel, cv2.merge"),
    Case("clahe", "color", "clip 4, 8x8 tiles", P("CLAHE", 4.0, (8, 8)), ("CLAHE",),
         cv2=_CLAHE.apply, albu=lambda: A.CLAHE(clip_limit=(4, 4), tile_grid_size=(8, 8), p=1),
         check=Tol(1), prep=gray),
    Case("blend", "color", "alpha 0.3 with the mirrored photo",
         lambda x: pp.Blend(x, mirrored(), 0.3), ("Blend",),
         cv2=lambda im: cv2.addWeighted(im, 0.7, mirrored(), 0.3, 0.0), check=Tol(1)),
    Case("channel_shuffle", "color", "random permutation", P("ChannelShuffle"),
         ("ChannelShuffle",), cv2=lambda im: cv2.merge([cv2.split(im)[k] for k in (2, 0, 1)]),
         albu=lambda: A.ChannelShuffle(p=1), cv2_note="cv2.split, cv2.merge in another order"),
    Case("select_channels", "color", "channel 0", P("SelectChannels", 0), ("SelectChannels",),
         cv2=lambda im: cv2.extractChannel(im, 0), check=Tol()),
    Case("merge_channels", "color", "3 x gray", lambda x: pp.MergeChannels(x, x, x),
         ("MergeChannels",), cv2=lambda im: cv2.merge((im, im, im)), check=Tol(), prep=gray),
    Case("to_chw", "color", "HWC -> CHW", P("ToCHW"), ("ToCHW",),
         cv2=lambda im: im.transpose(2, 0, 1), check=Tol(),
         cv2_note="NumPy transpose view (the batch copy does the work)"),
    # --- filters --------------------------------------------------------------
    Case("gaussian_blur", "filters", "sigma 1.5, 5x5", P("GaussianBlur", 1.5, 5),
         ("GaussianBlur",), cv2=lambda im: cv2.GaussianBlur(im, (5, 5), 1.5),
         albu=lambda: A.GaussianBlur(blur_limit=(5, 5), sigma_limit=(1.5, 1.5), p=1),
         check=Tol(), common=True),
    Case("gaussian_blur", "filters", "sigma 1.5, 5x5", P("GaussianBlur", 1.5, 5),
         ("GaussianBlur",), cv2=lambda im: cv2.GaussianBlur(im, (5, 5), 1.5),
         albu=lambda: A.GaussianBlur(blur_limit=(5, 5), sigma_limit=(1.5, 1.5), p=1),
         check=Tol(), prep=gray, common=True),
    Case("gaussian_blur", "filters", "sigma 3, 19x19", P("GaussianBlur", 3.0),
         ("GaussianBlur",), cv2=lambda im: cv2.GaussianBlur(im, (0, 0), 3.0),
         albu=lambda: A.GaussianBlur(blur_limit=(19, 19), sigma_limit=(3, 3), p=1),
         check=Tol(), common=True),
    Case("gaussian_blur", "filters", "sigma 1.5, 5x5", P("GaussianBlur", 1.5, 5),
         ("GaussianBlur",), cv2=lambda im: cv2.GaussianBlur(im, (5, 5), 1.5),
         albu=lambda: A.GaussianBlur(blur_limit=(5, 5), sigma_limit=(1.5, 1.5), p=1),
         check=Tol(1e-5, of_max=True), prep=f32, common=True),
    Case("box_blur", "filters", "5x5", P("BoxBlur", 5), ("BoxBlur",),
         cv2=lambda im: cv2.blur(im, (5, 5)), albu=lambda: A.Blur(blur_limit=(5, 5), p=1),
         check=Tol(1), common=True),
    Case("box_blur", "filters", "15x15", P("BoxBlur", 15), ("BoxBlur",),
         cv2=lambda im: cv2.blur(im, (15, 15)), albu=lambda: A.Blur(blur_limit=(15, 15), p=1),
         check=Tol(1), common=True),
    Case("median_blur", "filters", "3x3", P("MedianBlur", 3), ("MedianBlur",),
         cv2=lambda im: cv2.medianBlur(im, 3), albu=lambda: A.MedianBlur(blur_limit=(3, 3), p=1),
         check=Tol(), common=True),
    Case("median_blur", "filters", "5x5", P("MedianBlur", 5), ("MedianBlur",),
         cv2=lambda im: cv2.medianBlur(im, 5), albu=lambda: A.MedianBlur(blur_limit=(5, 5), p=1),
         check=Tol(), common=True),
    Case("median_blur", "filters", "9x9", P("MedianBlur", 9), ("MedianBlur",),
         cv2=lambda im: cv2.medianBlur(im, 9), albu=lambda: A.MedianBlur(blur_limit=(9, 9), p=1),
         check=Tol(), prep=gray, common=True),
    Case("motion_blur", "filters", "9 px at 30 deg", P("MotionBlur", 9, 30.0),
         ("MotionBlur", "MotionKernel"), cv2=cv2_motion(9, 30.0), check=Tol(1),
         cv2_note="cv2.filter2D with pixelpipes' MotionKernel"),
    Case("bilateral", "filters", "d 9, sigmas 75, 75", P("BilateralFilter", 9, 75.0, 75.0),
         ("BilateralFilter",), cv2=lambda im: cv2.bilateralFilter(im, 9, 75, 75), check=Tol(1)),
    Case("sharpen", "filters", "alpha 0.5, lightness 1", P("Sharpen", 0.5), ("Sharpen",),
         cv2=lambda im: cv2.filter2D(im, -1, SHARPEN),
         albu=lambda: A.Sharpen(alpha=(0.5, 0.5), lightness=(1, 1), method="kernel", p=1),
         check=Tol(1), cv2_note="cv2.filter2D with albumentations' kernel"),
    Case("convolve", "filters", "5x5 float kernel", P("Convolve", KERNEL5), ("Convolve",),
         cv2=lambda im: cv2.filter2D(im, -1, KERNEL5), check=Tol(1)),
    Case("sobel", "filters", "dx=1, 3x3 -> int16", P("Sobel", 1, 0, 3), ("Sobel",),
         cv2=lambda im: cv2.Sobel(im, cv2.CV_16S, 1, 0, ksize=3), check=Tol()),
    Case("laplacian", "filters", "3x3 -> int16", P("Laplacian", 3), ("Laplacian",),
         cv2=lambda im: cv2.Laplacian(im, cv2.CV_16S, ksize=3), check=Tol()),
    Case("canny", "filters", "100, 200", P("Canny", 100, 200), ("Canny",),
         cv2=lambda im: cv2.Canny(im, 100, 200), check=Tol(), prep=gray),
    Case("distance_transform", "filters", "l2 precise", P("DistanceTransform"),
         ("DistanceTransform",),
         cv2=lambda im: cv2.distanceTransform(im, cv2.DIST_L2, cv2.DIST_MASK_PRECISE),
         check=Tol(1e-3), prep=mask),
    Case("connected_components", "filters", "8-connected", P("ConnectedComponents"),
         ("ConnectedComponents",), cv2=lambda im: cv2.connectedComponents(im, connectivity=8)[1],
         check=Tol(), prep=mask),
    Case("moments", "filters", "24 moments", P("Moments"), ("Moments",),
         cv2=lambda im: np.array([v for v in cv2.moments(im).values()]),
         ref=lambda im: np.array([cv2.moments(im)[k] for k in MOMENT_NAMES]),
         check=Tol(0, 1e-7), prep=gray),
    Case("mask_bounding_box", "filters", "", P("MaskBoundingBox"), ("MaskBoundingBox",),
         cv2=cv2.boundingRect,
         ref=lambda im: (lambda r: np.float32([r[0], r[1], r[0] + r[2], r[1] + r[3]]))(
             cv2.boundingRect(im)),
         check=Tol(), prep=lambda im: np.pad(mask(im)[106:406, 56:456], ((106, 106), (56, 56)))),
    # --- noise ----------------------------------------------------------------
    Case("add_gaussian_noise", "noise", "std 10, per channel", P("AddGaussianNoise", 10.0),
         ("AddGaussianNoise",), cv2=cv2_add_gauss_noise(10.0),
         albu=lambda: A.GaussNoise(std_range=(10 / 255, 10 / 255), mean_range=(0, 0),
                                   per_channel=True, p=1),
         cv2_note="cv2.randn into a float32 image, cv2.add saturating to uint8"),
    Case("salt_and_pepper", "noise", "amount 0.05", P("SaltAndPepper", 0.05),
         ("SaltAndPepper",), albu=lambda: A.SaltAndPepper(amount=(0.05, 0.05), p=1)),
    Case("pixel_dropout", "noise", "p 0.01", P("PixelDropout", 0.01), ("PixelDropout",),
         albu=lambda: A.PixelDropout(dropout_prob=0.01, per_channel=False, drop_value=0, p=1)),
    Case("coarse_dropout", "noise", "1-2 holes of 0.1-0.2 x size",
         P("CoarseDropout", (1, 2), (0.1, 0.2), (0.1, 0.2)), ("CoarseDropout",),
         cv2=cv2_coarse_dropout(),
         albu=lambda: A.CoarseDropout(num_holes_range=(1, 2), hole_height_range=(0.1, 0.2),
                                      hole_width_range=(0.1, 0.2), fill=0, p=1),
         cv2_note="NumPy copy of the image, holes set by slicing"),
    Case("gaussian_noise_image", "noise", "512x512x3 float32 N(0, 1)",
         lambda x: pp.GaussianNoiseImage((512, 512, 3)), ("GaussianNoiseImage",),
         cv2=cv2_gauss_image((512, 512, 3)), cv2_note="cv2.randn into a new float32 image",
         uses_input=False),
]


# ---------------------------------------------------------------------------
# measurement


def needs_of(case: Case) -> Tuple[str, ...]:
    return tuple(case.needs) or getattr(case.pp, "needs", ())


def compile_pp(build, inputs):
    with pp.Graph() as graph:
        x = pp.RandomChoice(list(inputs))
        pp.Output(build(x), "out")
    return graph.compile(seed=0)


def ref_batch(fn, inputs, out):
    """``out[i] = fn(input i % 2)``: ``out`` is the side's own batch array,
    the same one on every call (as pixelpipes' batches reuse the memory of
    the batch before).  A fresh ``np.empty`` per call favoured whichever
    side ran after another that had just freed a block of that size: glibc
    hands the block back, still in the cache from the other side's writes
    (crops measured 0.65-0.8x interleaved with albumentations, 1.0-1.2x
    without it)."""
    for i in range(out.shape[0]):
        out[i] = fn(inputs[i & 1])
    return out


def ref_baseline(inputs, n):
    row = inputs[0][0]
    out = np.empty((n,) + row.shape, row.dtype)
    for i in range(n):
        out[i] = inputs[i & 1][0]
    return out


try:
    import resource
    _RUSAGE_THREAD = resource.RUSAGE_THREAD            # Linux

    def _faults() -> int:
        return resource.getrusage(_RUSAGE_THREAD).ru_minflt
except (ImportError, AttributeError):  # pragma: no cover - not Linux
    def _faults() -> int:
        return 0


def timed(fn) -> Tuple[float, float, int]:
    """CPU seconds of this thread, wall seconds, minor page faults of ``fn()``."""
    f0 = _faults()
    w0, c0 = time.perf_counter(), time.thread_time()
    fn()
    c1, w1 = time.thread_time(), time.perf_counter()
    return c1 - c0, w1 - w0, _faults() - f0


def fixed_output(pipe) -> bool:
    """Does ``batch()`` stack the output into one array (static dtype and shape)?"""
    o = pipe.program.outputs[0]
    return (o.dtype is not None and o.shape is not None
            and all(isinstance(d, (int, np.integer)) and d >= 0 for d in o.shape))


def squeeze(a):
    a = np.asarray(a)
    return a[..., 0] if a.ndim == 3 and a.shape[-1] == 1 else a


def compare(got, want, tol: Tol) -> Tuple[bool, str]:
    got, want = squeeze(got), squeeze(want)
    if got.shape != want.shape:
        return False, f"shape {got.shape} != {want.shape}"
    g, w = got.astype(np.float64), want.astype(np.float64)
    both_nan = np.isnan(g) & np.isnan(w)
    diff = np.where(both_nan, 0, np.abs(g - w))
    atol = tol.atol * (np.abs(w).max() if tol.of_max else 1)
    ok = bool(np.all(diff <= atol + tol.rtol * np.abs(w)))
    md = float(diff.max()) if diff.size else 0.0
    shown = "0" if md == 0 else (f"{md:.0f}" if md >= 1 and md == int(md) else f"{md:.2g}")
    return ok, shown


@dataclass
class Result:
    case: Case
    input: str = ""
    status: str = "ok"                       # ok, missing, error
    message: str = ""
    check: str = ""
    check_ok: bool = True
    n: int = 0
    pinned: bool = False     # output shape not inferred: measured through pp.Reshape
    albu_error: str = ""     # the albumentations transform could not be made or run
    cpu: Dict[str, float] = field(default_factory=dict)    # per sample, baseline removed
    wall: Dict[str, float] = field(default_factory=dict)
    faults: Dict[str, float] = field(default_factory=dict)  # minor page faults per sample


def run_case(case: Case, args) -> Result:
    src = photo(case.photo)
    inp = np.ascontiguousarray(case.prep(src))
    res = Result(case, input=f"{case.photo} {describe_input(inp)}" if case.uses_input else "-")
    missing = [n for n in needs_of(case) if not hasattr(pp, n)]
    if missing:
        res.status, res.message = "missing", "pp." + ", pp.".join(missing)
        return res
    inputs = (inp, inp.copy())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe = compile_pp(case.pp, inputs)
            base = compile_pp(lambda x: x[0], inputs)
            got = pipe.run(0)["out"]
            listed = None
            if not fixed_output(pipe):
                # The op's infer() left the shape open, so batch() would return
                # a list of separately allocated arrays.  Pin the shape with a
                # Reshape (a view) so that pixelpipes copies into one batch
                # array as the cv2 side does; time the list path as well.
                pinned = compile_pp(lambda x: pp.Reshape(case.pp(x), got.shape), inputs)
                if fixed_output(pinned):
                    pinned.batch(np.arange(2), threads=1)   # a sample may differ in shape
                    listed, pipe, res.pinned = pipe, pinned, True
    except Exception as exc:  # noqa: BLE001 - reported, the run goes on
        res.status = "error"
        res.message = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
        if args.verbose:
            traceback.print_exc()
        return res

    # correctness first
    cv2_out = case.cv2(inp) if case.cv2 is not None else None
    if case.check is not None:
        want = (case.ref or case.cv2)(inp)
        res.check_ok, diff = compare(got, want, case.check)
        res.check = (case.check.label() if res.check_ok else f"FAIL max {diff}")
    else:
        res.check = "random"
        if cv2_out is not None:
            c = np.asarray(cv2_out)
            if squeeze(got).shape != squeeze(c).shape or got.dtype != c.dtype:
                res.check_ok = False
                res.check = f"FAIL {got.dtype}{got.shape} vs {c.dtype}{c.shape}"

    albu = None
    if case.albu is not None and A is not None and not args.no_albu:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = case.albu()
                t(image=inp)
            albu = lambda im, t=t: t(image=im)["image"]   # noqa: E731
        except Exception as exc:  # noqa: BLE001 - e.g. albumentations 1.x lacks the API
            res.albu_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:120]

    # calibrate the batch size on one warm call of each side
    per = [timed(lambda: pipe.run(0))[1]]
    if listed is not None:
        per.append(timed(lambda: listed.run(0))[1])
    fns = {}
    if cv2_out is not None:
        c = np.asarray(cv2_out)
        fns["cv2"] = (case.cv2, c.shape, c.dtype)
    if albu is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = np.asarray(albu(inp))
        fns["albu"] = (albu, a.shape, a.dtype)
    for fn, _, _ in fns.values():
        per.append(timed(lambda: fn(inp))[1])
    n = int(min(args.batch, max(2, args.budget / max(per))))
    n -= n % 2
    res.n = n
    idx = np.arange(n, dtype=np.int64)

    runs = {"pp": lambda: pipe.batch(idx, threads=1),
            "pp_base": lambda: base.batch(idx, threads=1),
            "ref_base": lambda: ref_baseline(inputs, n)}
    if listed is not None:
        runs["pp_list"] = lambda: listed.batch(idx, threads=1)
    for k, (fn, shape, dtype) in fns.items():
        runs[k] = (lambda fn=fn, out=np.empty((n,) + shape, dtype):
                   ref_batch(fn, inputs, out))
    best_c = {k: math.inf for k in runs}
    best_w = {k: math.inf for k in runs}
    best_f = {k: math.inf for k in runs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in runs.values():          # warm-up: first-call costs, caches
            fn()
        for _ in range(args.repeats):     # interleaved, best of each
            for k, fn in runs.items():
                c, w, f = timed(fn)
                best_c[k], best_w[k] = min(best_c[k], c), min(best_w[k], w)
                best_f[k] = min(best_f[k], f)
    for k in runs:
        if k.endswith("_base"):
            continue
        b = "pp_base" if k.startswith("pp") else "ref_base"
        res.cpu[k] = max(best_c[k] - best_c[b], 1e-9) / n
        res.wall[k] = max(best_w[k] - best_w[b], 1e-9) / n
        res.faults[k] = best_f[k] / n
    res.cpu["pp_base"], res.cpu["ref_base"] = best_c["pp_base"] / n, best_c["ref_base"] / n
    return res


# ---------------------------------------------------------------------------
# report


def machine() -> Dict[str, str]:
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    flags = ""
    try:
        with open("/proc/cpuinfo") as fh:
            text = fh.read()
        flags = " ".join(f for f in ("avx512f", "avx2", "sse4_2", "neon") if f" {f}" in text)
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": model, "flags": flags, "cores": str(cores)}


def loadavg() -> str:
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "?"


def ms(x: Optional[float], star: str = "") -> str:
    return "-" if x is None else f"{x * 1e3:.3f}{star}"


def ratio(a: Optional[float], b: Optional[float]) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def flag_of(r: Result) -> str:
    if r.status != "ok" or "cv2" not in r.cpu:
        return ""
    q = round(r.cpu["cv2"] / r.cpu["pp"], 2)    # as printed, so the flag matches the cell
    if q < 0.5:
        return "<0.5x"
    if r.case.common and q < 1.0:
        return "common<1x"
    return ""


def table(results: List[Result], markdown: bool) -> Tuple[str, List[str]]:
    head = ["op", "input", "params", "pp ms", "cv2 ms", "albu ms", "cv2/pp", "albu/pp",
            "cv2/pp wall", "check", "flag"]
    rows, notes = [], []
    for r in results:
        c = r.case
        name = c.op + (" *" if c.common else "")
        if r.status != "ok":
            msg = r.message if len(r.message) <= 60 else r.message[:57] + "..."
            rows.append([name, r.input, c.params, r.status, "", "", "", "", "", msg, ""])
            continue
        stars = {}
        for side, note in (("cv2", c.cv2_note), ("albu", c.albu_note)):
            if note:
                notes.append(note)
                stars[side] = f"[{len(notes)}]"
        if r.albu_error:
            notes.append(f"albumentations failed: {r.albu_error}")
            albu_cell = f"n/a[{len(notes)}]"
        elif c.albu is None or A is None or "albu" not in r.cpu:
            albu_cell = "-" + stars.get("albu", "")
        else:
            albu_cell = ms(r.cpu.get("albu"), stars.get("albu", ""))
        rows.append([name, r.input, c.params, ms(r.cpu["pp"], "+" if r.pinned else ""),
                     ms(r.cpu.get("cv2"), stars.get("cv2", "")) if c.cv2 else "-",
                     albu_cell,
                     ratio(r.cpu.get("cv2"), r.cpu["pp"]), ratio(r.cpu.get("albu"), r.cpu["pp"]),
                     ratio(r.wall.get("cv2"), r.wall["pp"]), r.check, flag_of(r)])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(x.replace("|", "/") for x in row) + " |" for row in rows]
    else:
        widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
        right = {3, 4, 5, 6, 7, 8}
        fmt = lambda row: "  ".join(  # noqa: E731
            (str(x).rjust(w) if i in right else str(x).ljust(w))
            for i, (x, w) in enumerate(zip(row, widths))).rstrip()
        lines = [fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]
    return "\n".join(lines), notes


def select(cases: List[Case], ops: Optional[str]) -> List[Case]:
    if not ops:
        return list(cases)
    keys = [k.strip().lower() for k in ops.split(",") if k.strip()]
    return [c for c in cases if any(k == c.group or k in c.op for k in keys)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", help="comma-separated op families or groups "
                        "(substring match on the op column, or geometry/warp/color/"
                        "filters/noise)")
    parser.add_argument("--repeats", type=int, default=7, help="batches per side; best kept")
    parser.add_argument("--batch", type=int, default=32, help="samples per batch (fewer for "
                        "slow ops, see --budget)")
    parser.add_argument("--budget", type=float, default=0.25,
                        help="seconds a batch of the slowest side may take")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 repeats, batches of 8 (numbers are rough)")
    parser.add_argument("--no-albu", action="store_true", help="skip albumentations")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print tracebacks of failing cases and progress")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.batch, args.budget = 2, 8, 0.05

    cases = select(CASES, args.ops)
    if args.list:
        for c in cases:
            inp = describe_input(c.prep(photo(c.photo))) if c.uses_input else "-"
            print(f"{c.group:9s} {c.op:22s} {c.photo:10s} {inp:14s} {c.params}"
                  + ("   (common)" if c.common else ""))
        return 0
    if not cases:
        parser.error(f"no case matches --ops {args.ops!r}")

    cv2.setNumThreads(1)
    limits = None
    try:
        from threadpoolctl import threadpool_limits
        limits = threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass

    m = machine()
    info = pp.build_info()
    print(f"machine   : {m['cpu']} ({m['flags']}), {m['cores']} cores, "
          f"load average {loadavg()} at start")
    print(f"versions  : pixelpipes {pp.__version__} (OpenMP {'on' if info['openmp'] else 'off'}), "
          f"OpenCV {cv2.__version__} (IPP {'on' if cv2.ipp.useIPP() else 'off'}), "
          f"albumentations {A.__version__ if A else 'not installed'}, "
          f"NumPy {np.__version__}, Python {platform.python_version()}")
    print(f"method    : 1 thread each; CPU time of the calling thread per sample, best of "
          f"{args.repeats} interleaved batches of up to {args.batch}; baselines subtracted")
    if A is None and not args.no_albu:
        print("            (albumentations missing: pip install -e .[bench])")
    sys.stdout.flush()

    results = []
    for k, case in enumerate(cases):
        if args.verbose:
            print(f"[{k + 1}/{len(cases)}] {case.op} {case.params}", file=sys.stderr, flush=True)
        try:
            results.append(run_case(case, args))
        except Exception as exc:  # noqa: BLE001 - a broken reference must not stop the run
            r = Result(case, status="error",
                       message=f"{type(exc).__name__}: {exc}".splitlines()[0][:160])
            if args.verbose:
                traceback.print_exc()
            results.append(r)
    end_load = loadavg()
    if limits is not None:
        limits.restore_original_limits()

    ok = [r for r in results if r.status == "ok"]
    if ok:
        pb = min(r.cpu["pp_base"] for r in ok) * 1e6
        rb = min(r.cpu["ref_base"] for r in ok) * 1e6
        print(f"baselines : pixelpipes choose-the-image pipeline {pb:.1f} us/sample, "
              f"cv2/albu loop {rb:.1f} us/sample (subtracted from each side)")
    print(f"load      : {end_load} at end\n")
    text, notes = table(results, args.markdown)
    print(text)
    print("\n* common op (target cv2/pp >= 1.0); every op: target cv2/pp >= 0.5.  "
          "Ratios > 1: pixelpipes faster.")
    for i, note in enumerate(notes, 1):
        print(f"[{i}] {note}")
    pinned = [r for r in results if r.status == "ok" and r.pinned]
    if pinned:
        print("\n+ The op's output shape is not known at compile time, so batch() returns a list "
              "of separately\n  allocated arrays instead of one stacked array.  The row above "
              "measures the op with its\n  shape pinned by pp.Reshape (a view), so that both "
              "sides copy into one batch array.\n  As batch() returns it today (list):")
        for r in pinned:
            q = r.cpu["cv2"] / r.cpu["pp_list"] if "cv2" in r.cpu else None
            print(f"    {r.case.op:22s} {r.case.params:34s} {r.cpu['pp_list'] * 1e3:8.3f} ms"
                  + (f"  cv2/pp {q:.2f}x" if q is not None else "")
                  + f"  ({r.faults.get('pp_list', 0):.0f} page faults per sample)")
    faulty = [r for r in results if r.status == "ok"
              and r.faults.get("pp", 0) > max(r.faults.get("cv2", 0), r.faults.get("albu", 0)) + 64]
    if faulty:
        print("\nMinor page faults per sample (pixelpipes vs cv2), where pixelpipes has many more:")
        for r in faulty:
            print(f"    {r.case.op:22s} {r.case.params:34s} {r.faults['pp']:8.0f} vs "
                  f"{r.faults.get('cv2', float('nan')):.0f}")

    below = [r for r in results if flag_of(r)]
    missing = [r for r in results if r.status == "missing"]
    errors = [r for r in results if r.status == "error"]
    wrong = [r for r in results if r.status == "ok" and not r.check_ok]
    print(f"\n{len(ok)} measured, {len(below)} below target, {len(wrong)} failed checks, "
          f"{len(missing)} missing, {len(errors)} errors")
    for r in below:
        print(f"  below target: {r.case.op} {r.input} {r.case.params}: cv2/pp "
              f"{r.cpu['cv2'] / r.cpu['pp']:.2f}x ({flag_of(r)})")
    for r in wrong:
        print(f"  check failed: {r.case.op} {r.input} {r.case.params}: {r.check}")
    for r in missing + errors:
        print(f"  {r.status}: {r.case.op} {r.case.params}: {r.message}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
