"""Compiler fusion: fused chains compute what the unfused nodes compute.

Random pipelines of geometric operations on random images are compiled with
and without ``fuse_geometry`` and must agree (uint8 within 1, the other
types within 1e-4 relative -- the tolerance documented in
``pixelpipes/image/geometry_chain.py``), or fail alike.  The image comes
from a list chosen by the sample index, so nothing is folded at compile
time and the kernels run.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

import pixelpipes as pp
from pixelpipes.errors import ExecutionError

DTYPES = [np.uint8, np.uint16, np.int16, np.float32]
BORDERS = ["constant", "replicate", "reflect", "reflect_101", "wrap"]
INTERPS = ["nearest", "linear", "cubic", "lanczos"]


@st.composite
def images(draw):
    dtype = draw(st.sampled_from(DTYPES))
    h, w = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    cn = draw(st.sampled_from([None, 1, 3, 4]))
    shape = (h, w) if cn is None else (h, w, cn)
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    if dtype == np.float32:
        return rng.uniform(-2, 2, shape).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, int(info.max) + 1, shape).astype(dtype)


def _generic(draw, lo, hi):
    """A float that is not a round number (a sample position exactly half
    way between pixels may round either way; see the module docstring)."""
    return draw(st.floats(lo, hi)) + math.sqrt(2) * 1e-3


@st.composite
def steps(draw):
    """One geometric op as ``(name, function of a node)``."""
    kind = draw(st.sampled_from(["crop", "safecrop", "pad", "center", "resize", "scale",
                                 "resized_crop", "flip", "random_flip", "transpose",
                                 "rot90", "warp", "rotate"]))
    i = st.integers
    if kind == "crop":
        x, y, w, h = draw(i(-4, 10)), draw(i(-4, 10)), draw(i(1, 20)), draw(i(1, 20))
        return f"Crop{(x, y, w, h)}", lambda n: pp.Crop(n, x, y, w, h)
    if kind == "safecrop":
        x, y, w, h = draw(i(-6, 12)), draw(i(-6, 12)), draw(i(1, 20)), draw(i(1, 20))
        b, v = draw(st.sampled_from(BORDERS)), draw(i(0, 9))
        return f"SafeCrop{(x, y, w, h, b, v)}", lambda n: pp.SafeCrop(n, x, y, w, h, b, v)
    if kind == "pad":
        t, bo, le, ri = (draw(i(0, 5)) for _ in range(4))
        b = draw(st.sampled_from(BORDERS))
        return f"Pad{(t, bo, le, ri, b)}", lambda n: pp.Pad(n, t, bo, le, ri, b, 3)
    if kind == "center":
        h, w = draw(i(1, 16)), draw(i(1, 16))
        return f"CenterCrop{(h, w)}", lambda n: pp.CenterCrop(n, h, w)
    if kind == "resize":
        h, w, m = draw(i(1, 30)), draw(i(1, 30)), draw(st.sampled_from(INTERPS))
        return f"Resize{(h, w, m)}", lambda n: pp.Resize(n, (h, w), m)
    if kind == "scale":
        fy, fx = draw(st.floats(0.3, 2.5)), draw(st.floats(0.3, 2.5))
        m = draw(st.sampled_from(INTERPS))
        return f"Scale{(fy, fx, m)}", lambda n: pp.Scale(n, (fy, fx), m)
    if kind == "resized_crop":
        x, y, w, h = draw(i(0, 6)), draw(i(0, 6)), draw(i(1, 16)), draw(i(1, 16))
        oh, ow, m = draw(i(1, 24)), draw(i(1, 24)), draw(st.sampled_from(INTERPS))
        return (f"ResizedCrop{(x, y, w, h, oh, ow, m)}",
                lambda n: pp.ResizedCrop(n, x, y, w, h, (oh, ow), m))
    if kind == "flip":
        hv = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
        return f"Flip{hv}", lambda n: pp.Flip(n, *hv)
    if kind == "random_flip":
        hv = draw(st.sampled_from([(True, False), (False, True)]))
        return f"RandomFlip{hv}", lambda n: pp.RandomFlip(n, 0.5, *hv)
    if kind == "transpose":
        return kind, lambda n: pp.TransposeImage(n)
    if kind == "rot90":
        k = draw(i(-3, 5))
        return f"Rotate90({k})", lambda n: pp.Rotate90(n, k)
    m = draw(st.sampled_from(INTERPS))
    b, v = draw(st.sampled_from(BORDERS)), draw(i(0, 9))
    if kind == "rotate":
        angle = _generic(draw, -180, 180)
        expand = draw(st.booleans())
        return (f"Rotate{(angle, m, b, v, expand)}",
                lambda n: pp.Rotate(n, angle, m, b, v, expand=expand))
    a = np.eye(3)
    a[0, 0], a[1, 1] = _generic(draw, 0.5, 1.6), _generic(draw, 0.5, 1.6)
    a[0, 1], a[1, 0] = _generic(draw, -0.4, 0.4), _generic(draw, -0.4, 0.4)
    a[0, 2], a[1, 2] = _generic(draw, -5, 5), _generic(draw, -5, 5)
    if draw(st.booleans()):
        a[2, 0], a[2, 1] = _generic(draw, -0.01, 0.01), _generic(draw, -0.01, 0.01)
    size = draw(st.none() | st.tuples(i(1, 24), i(1, 24)))
    return (f"Warp({a.tolist()}, {size}, {m!r}, {b!r}, {v})",
            lambda n: pp.Warp(n, a, size, m, b, v))


def build(image, chain):
    with pp.Graph() as graph:
        node = pp.GetElement(pp.Constant([image, image.copy()]), pp.SampleIndex() % 2)
        for _, make in chain:
            node = make(node)
        pp.Output(node, "out")
    return graph


def run_all(pipeline, indices):
    out = []
    for i in indices:
        try:
            out.append(pipeline.run(i)["out"])
        except ExecutionError as exc:
            out.append(exc)
    return out


def assert_close(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    if a.dtype == np.float32:
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    else:
        assert np.abs(a.astype(np.int64) - b.astype(np.int64)).max(initial=0) <= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(images(), st.lists(steps(), min_size=1, max_size=5), st.integers(0, 2 ** 32 - 1))
def test_fused_geometry_equals_unfused(image, chain, seed):
    try:
        graph = build(image, chain)
        fused = graph.compile(seed=seed)
    except pp.GraphError:
        return          # an invalid chain for this image size (checked elsewhere)
    plain = graph.compile(seed=seed, optimize={"fuse_geometry": False})
    event("fused" if "geometry_chain" in fused.explain() else "not fused")
    for a, b in zip(run_all(fused, range(4)), run_all(plain, range(4))):
        if isinstance(b, Exception) or isinstance(a, Exception):
            assert isinstance(a, ExecutionError) and isinstance(b, ExecutionError), (a, b)
            continue
        assert_close(a, b)


# ---------------------------------------------------------------- what fuses

def _w1_graph():
    photo = np.arange(60 * 80 * 3, dtype=np.uint8).reshape(60, 80, 3)
    with pp.Graph() as graph:
        image = pp.GetElement(pp.Constant([photo, photo[::-1].copy()]), pp.SampleIndex() % 2)
        x = pp.RandomResizedCrop(image, (32, 32))
        x = pp.RandomFlip(x)
        pp.Output(x, "out")
    return graph


def test_explain_shows_the_fused_chain_and_switches_turn_it_off():
    graph = _w1_graph()
    fused = graph.compile(seed=1)
    text = fused.explain()
    assert "GeometryChain[ResizedCrop > RandomFlip]" in text
    kernels = [op.kernel for op in fused.program.code]
    assert "image_resized_crop" not in kernels and "image_flip" not in kernels
    assert "jump_if_false" not in kernels           # the random flip became data
    for optimize in (False, {"fuse_geometry": False}):
        plain = graph.compile(seed=1, optimize=optimize)
        kernels = [op.kernel for op in plain.program.code]
        assert "geometry_chain" not in kernels and "image_resized_crop" in kernels
        for i in range(6):
            assert np.array_equal(plain.run(i)["out"], fused.run(i)["out"])


def test_a_value_read_twice_ends_the_chain():
    photo = np.arange(20 * 30, dtype=np.uint8).reshape(20, 30)
    with pp.Graph() as graph:
        image = pp.GetElement(pp.Constant([photo, photo]), pp.SampleIndex() % 2)
        small = pp.Resize(image, (10, 15))
        pp.Output(pp.Flip(small), "a")
        pp.Output(small, "b")
    pipeline = graph.compile()
    kernels = [op.kernel for op in pipeline.program.code]
    assert "geometry_chain" not in kernels and kernels.count("image_resize") == 1
    out = pipeline.run(0)
    assert np.array_equal(out["a"], out["b"][:, ::-1])


def test_two_resamplers_stay_two_passes():
    photo = np.arange(20 * 30, dtype=np.uint8).reshape(20, 30)
    with pp.Graph() as graph:
        image = pp.GetElement(pp.Constant([photo, photo]), pp.SampleIndex() % 2)
        pp.Output(pp.Rotate(pp.Flip(pp.Resize(image, (10, 15))), 10.0), "out")
    kernels = [op.kernel for op in graph.compile().program.code]
    assert kernels.count("geometry_chain") == 1 and "warp_rotate" in kernels


def test_a_bad_parameter_in_a_fused_chain_names_the_chain_and_sample():
    photo = np.zeros((20, 30, 3), np.uint8)
    with pp.Graph() as graph:
        image = pp.GetElement(pp.Constant([photo, photo]), pp.SampleIndex() % 2)
        x = pp.Crop(image, 0, 0, 5 - pp.SampleIndex(), 10)
        pp.Output(pp.Flip(x), "out")
    pipeline = graph.compile()
    assert "geometry_chain" in [op.kernel for op in pipeline.program.code]
    with pytest.raises(ExecutionError, match=r"GeometryChain\[Crop > Flip\].*sample 5.*"
                                             r"crop width must be > 0, got 0"):
        pipeline.batch(range(2, 8))


def test_optimize_switches_are_checked():
    graph = _w1_graph()
    with pytest.raises(pp.GraphError, match="unknown optimize switches"):
        graph.compile(optimize={"fuse": False})
    with pytest.raises(pp.GraphError, match="must be True or False"):
        graph.compile(optimize={"fuse_pixels": 1})


# ---------------------------------------------------------------- GeometryView

EXACT = ["crop", "safecrop", "pad", "center", "flip", "random_flip", "transpose", "rot90"]


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 16), st.integers(2, 16), st.data())
def test_geometry_view_moves_points_with_the_pixels(h, w, data):
    """A single bright pixel goes where the view sends its coordinates."""
    chain = data.draw(st.lists(steps().filter(lambda s: s[0].split("(")[0].lower()
                                              .replace("safecrop", "safecrop") in
                                              ("crop", "safecrop", "pad", "centercrop",
                                               "flip", "randomflip", "transposeimage",
                                               "rotate90")
                                              or s[0] == "transpose"),
                               min_size=1, max_size=5))
    y, x = data.draw(st.integers(0, h - 1)), data.draw(st.integers(0, w - 1))
    image = np.zeros((h, w), np.uint8)
    image[y, x] = 1
    with pp.Graph() as graph:
        source = pp.GetElement(pp.Constant([image, image]), pp.SampleIndex() % 2)
        node = source
        for _, make in chain:
            node = make(node)
        pp.Output(node, "out")
        pp.Output(pp.TransformPoints(pp.Constant([[float(x), float(y)]]),
                                     pp.GeometryView(node, source)), "p")
    try:
        pipeline = graph.compile(seed=data.draw(st.integers(0, 99)))
    except pp.GraphError:
        return
    for i in range(3):
        try:
            out = pipeline.run(i)
        except ExecutionError:
            continue
        px, py = out["p"][0]
        ys, xs = np.nonzero(out["out"] == 1)
        inside = 0 <= px < out["out"].shape[1] and 0 <= py < out["out"].shape[0]
        if inside:
            assert (int(round(py)), int(round(px))) in set(zip(ys.tolist(), xs.tolist()))
        else:   # cropped away, or only border copies of it are left
            assert all(not (yy == py and xx == px) for yy, xx in zip(ys, xs))


def test_geometry_view_of_resize_warp_and_rotate_matches_the_matrices():
    import cv2

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (40, 60, 3)).astype(np.uint8)
    affine = np.array([[0.9, 0.2, 3.0], [-0.1, 1.1, -2.0], [0, 0, 1]])
    with pp.Graph() as graph:
        source = pp.GetElement(pp.Constant([image, image]), pp.SampleIndex() % 2)
        a = pp.Flip(pp.Crop(pp.Resize(source, (20, 90)), 5, 2, 50, 10), horizontal=True)
        b = pp.Rotate(pp.Crop(source, 10, 5, 30, 20), 30.0, expand=True)
        c = pp.Warp(pp.TransposeImage(source), affine, (30, 30))
        for name, node in (("a", a), ("b", b), ("c", c)):
            pp.Output(pp.GeometryView(node, source), name)
    out = graph.compile().run(0)
    resize = np.array([[90 / 60, 0, 0.5 * 90 / 60 - 0.5], [0, 0.5, -0.25], [0, 0, 1]])
    crop = np.array([[1, 0, -5], [0, 1, -2], [0, 0, 1]])
    flip = np.array([[-1, 0, 49], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_allclose(out["a"], flip @ crop @ resize, atol=1e-12)
    rot = np.vstack([cv2.getRotationMatrix2D((14.5, 9.5), 30.0, 1.0), [0, 0, 1]])
    cos, sin = np.cos(np.radians(30)), np.sin(np.radians(30))
    nw, nh = np.ceil(cos * 30 + sin * 20 - 1e-6), np.ceil(sin * 30 + cos * 20 - 1e-6)
    rot[0, 2] += (nw - 30) / 2
    rot[1, 2] += (nh - 20) / 2
    crop = np.array([[1, 0, -10], [0, 1, -5], [0, 0, 1]])
    np.testing.assert_allclose(out["b"], rot @ crop, atol=1e-9)
    transpose = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(out["c"], affine @ transpose, atol=1e-12)


def test_geometry_view_needs_a_chain_from_its_source():
    image = np.zeros((10, 10), np.uint8)
    with pp.Graph() as graph:
        source = pp.GetElement(pp.Constant([image, image]), pp.SampleIndex() % 2)
        blurred = pp.GaussianBlur(source, 1.0)
        pp.Output(pp.GeometryView(pp.Flip(blurred), source), "v")
    with pytest.raises(pp.GraphError, match="not made from the source"):
        graph.compile()


def test_geometry_view_of_a_folded_chain_is_its_constant_view():
    image = np.zeros((40, 60), np.uint8)
    with pp.Graph() as graph:
        source = pp.Constant(image)                 # the whole chain folds
        out = pp.Flip(pp.Crop(source, 10, 5, 30, 20), horizontal=True)
        pp.Output(pp.GeometryView(out, source), "v")
        pp.Output(pp.GeometryView(out), "w")
    pipeline = graph.compile()
    want = np.array([[-1, 0, 29 + 10], [0, 1, -5], [0, 0, 1]], float)
    np.testing.assert_array_equal(pipeline.run(0)["v"], want)
    np.testing.assert_array_equal(pipeline.run(0)["w"], want)
    assert pipeline.program.code == []              # a constant
