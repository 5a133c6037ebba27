"""The fused per-pixel kernel (``PixelChain``) against the single nodes.

A chain built by ``make_chain`` from the stages of random single nodes must
give the same bytes as those nodes run one after the other (compiled with
``fuse_pixels`` off, so the reference really is the single kernels), on
random images of every type and channel count, with images larger than one
block of the kernel so that the passes and the contrast means are
exercised.  The image is picked by the sample index from a list, so nothing
is folded at compile time and the kernels run.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pixelpipes as pp
from pixelpipes.errors import ExecutionError, GraphError
from pixelpipes.image.pixel_chain import (
    STAGE_CODES, PixelChain, Stage, chain_stages, make_chain,
)

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
U8, U16, I16, F32 = (np.dtype(t) for t in (np.uint8, np.uint16, np.int16, np.float32))
NO_FUSION = {"fuse_pixels": False}
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def random_image(rng, dtype, h, w, cn, special=False):
    shape = (h, w) if cn is None else (h, w, cn)
    if dtype == F32:
        img = rng.uniform(-0.25, 1.25, shape).astype(np.float32)
        if special:                 # exact 0 and 1, NaN
            flat = img.reshape(-1)
            k = rng.integers(0, flat.size, 3)
            flat[k] = [0.0, 1.0, np.nan]
        return img
    info = np.iinfo(dtype)
    return rng.integers(info.min, int(info.max) + 1, shape).astype(dtype)


@st.composite
def images(draw, dtypes=(U8, U16, I16, F32), channels=(None, 1, 3, 4)):
    dtype = draw(st.sampled_from(dtypes))
    cn = draw(st.sampled_from(channels))
    # up to 27 x 23 = 621 pixels: more than two blocks of 256
    h, w = draw(st.integers(1, 27)), draw(st.integers(1, 23))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    return random_image(rng, dtype, h, w, cn, special=draw(st.booleans()))


def colour(cn):
    return cn in (None, 1, 3, 4)


@st.composite
def chains(draw, dtype, cn):
    """1 to 6 single-node builders valid in sequence for an image of
    ``dtype`` and ``cn`` channels (None: H x W)."""
    steps = []
    n = draw(st.integers(1, 6))
    for k in range(n):
        options = ["brightness", "contrast", "saturation", "invert", "solarize",
                   "normalize", "convert_depth"]
        if dtype in (U8, U16, F32):
            options += ["hue", "gamma"]
        if dtype == U8:
            options.append("posterize")
        if k == n - 1:
            options.append("to_chw")
        kind = draw(st.sampled_from(options))
        factor = draw(st.floats(0, 2.5))
        if kind == "brightness":
            steps.append(lambda x, f=factor: pp.Brightness(x, f))
        elif kind == "contrast":
            steps.append(lambda x, f=factor: pp.Contrast(x, f))
        elif kind == "saturation":
            steps.append(lambda x, f=factor: pp.Saturation(x, f))
        elif kind == "hue":
            shift = draw(st.floats(-0.5, 0.5))
            steps.append(lambda x, s=shift: pp.Hue(x, s))
        elif kind == "gamma":
            gamma, gain = draw(st.floats(0, 3)), draw(st.floats(0, 1.5))
            steps.append(lambda x, g=gamma, a=gain: pp.Gamma(x, g, a))
        elif kind == "invert":
            steps.append(pp.Invert)
        elif kind == "solarize":
            top = 1.0 if dtype == F32 else float(np.iinfo(dtype).max)
            t = draw(st.floats(-0.2 * top, 1.2 * top))
            steps.append(lambda x, t=t: pp.Solarize(x, t))
        elif kind == "posterize":
            bits = draw(st.integers(0, 8))
            steps.append(lambda x, b=bits: pp.Posterize(x, b))
        elif kind == "normalize":
            c = 1 if cn is None else cn
            per = draw(st.booleans())
            m = draw(st.lists(st.floats(-1, 1), min_size=c, max_size=c)) if per \
                else draw(st.floats(-1, 1))
            s = draw(st.lists(st.floats(0.05, 3), min_size=c, max_size=c)) if per \
                else draw(st.floats(0.05, 3))
            scale = draw(st.booleans())
            steps.append(lambda x, m=m, s=s, sc=scale: pp.Normalize(x, m, s, scale=sc))
            dtype = F32
        elif kind == "convert_depth":
            dtype = draw(st.sampled_from([U8, U16, I16, F32]))
            steps.append(lambda x, d=dtype: pp.ConvertDepth(x, d))
        else:
            steps.append(pp.ToCHW)
    return steps


def dynamic(images):
    """A node that is ``images[i % len(images)]`` in sample ``i``."""
    return pp.GetElement(pp.Constant(list(images)), pp.SampleIndex() % len(images))


def fused_from(image, nodes):
    """make_chain of the stages of ``nodes``, a chain of single nodes whose
    first one reads ``image``."""
    parts = []
    for node in nodes:
        stages = chain_stages(node)
        assert stages is not None, node
        parts += [(s, [node.inputs[k] for k in s.inputs]) for s in stages]
    return make_chain(image, parts)


def run_both(build, imgs, n=None):
    """(single nodes, PixelChain) outputs and output types, for samples
    0..n-1; ``build(x)`` returns the list of single nodes applied to x."""
    results = []
    for fuse in (False, True):
        with pp.Graph() as graph:
            x = dynamic(imgs)
            nodes = build(x)
            pp.Output(fused_from(x, nodes) if fuse else nodes[-1], "y")
        pipe = graph.compile(seed=5, optimize=NO_FUSION)
        outs = []
        for i in range(n or len(imgs)):
            try:
                outs.append(pipe.run(i)["y"])
            except ExecutionError as exc:
                outs.append(("error", str(exc).split(": ")[-1]))
        results.append((outs, pipe.program.outputs[0].type))
    return results


def same_bytes(a, b):
    """The same bits, except that NaNs may differ in sign and payload (x86
    keeps the payload of the first operand, and compilers order the operands
    of ``+`` and ``*`` freely)."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return a == b
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        if not np.array_equal(nan, np.isnan(b)):
            return False
        a, b = np.where(nan, 0, a), np.where(nan, 0, b)
    return a.tobytes() == b.tobytes()


def apply_all(steps):
    def build(x):
        nodes = []
        for step in steps:
            x = step(x)
            nodes.append(x)
        return nodes
    return build


# ---------------------------------------------------------------- random chains

@SETTINGS
@given(st.data())
def test_random_chain_equals_single_nodes(data):
    img = data.draw(images())
    cn = None if img.ndim == 2 else img.shape[2]
    steps = data.draw(chains(img.dtype, cn))
    rng = np.random.default_rng(img.size)
    other = random_image(rng, img.dtype, img.shape[0] + 2, img.shape[1] + 1, cn)
    (single, t1), (fused, t2) = run_both(apply_all(steps), [img, other])
    assert t1 == t2
    for a, b in zip(single, fused):
        assert same_bytes(a, b), (a, b)


SINGLE = {
    "brightness": lambda x: pp.Brightness(x, 1.37),
    "contrast": lambda x: pp.Contrast(x, 0.61),
    "saturation": lambda x: pp.Saturation(x, 1.83),
    "hue": lambda x: pp.Hue(x, -0.31),
    "gamma": lambda x: pp.Gamma(x, 0.45, 1.2),
    "invert": pp.Invert,
    "solarize": lambda x: pp.Solarize(x, pp.RandomUniform(-0.2, 0.8) * pp.RandomChoice(
        [1.0, 255.0, 32767.0, 65535.0])),
    "posterize": lambda x: pp.Posterize(x, pp.RandomInteger(0, 9)),
    "normalize": lambda x: pp.Normalize(x, 0.45, 0.27),
    "normalize_raw": lambda x: pp.Normalize(x, 100, 20.0, scale=False),
    "to_uint8": lambda x: pp.ConvertDepth(x, "uint8"),
    "to_uint16": lambda x: pp.ConvertDepth(x, "uint16"),
    "to_int16": lambda x: pp.ConvertDepth(x, "int16"),
    "to_float32": lambda x: pp.ConvertDepth(x, "float32"),
    "to_chw": pp.ToCHW,
}
ACCEPTS = {"hue": (U8, U16, F32), "gamma": (U8, U16, F32), "posterize": (U8,)}


@pytest.mark.parametrize("dtype", [U8, U16, I16, F32], ids=str)
@pytest.mark.parametrize("kind", sorted(SINGLE))
def test_every_stage_alone_and_after_brightness(kind, dtype):
    """Each stage on every type it takes, 1, 3 and 4 channels, over several
    samples (random parameters), alone and after a brightness."""
    if dtype not in ACCEPTS.get(kind, (dtype,)):
        pytest.skip("not accepted")
    rng = np.random.default_rng(7)
    for cn in (None, 3, 4):
        imgs = [random_image(rng, dtype, h, w, cn, special=True)
                for h, w in ((17, 19), (1, 1), (3, 200))]
        for steps in ([SINGLE[kind]], [lambda x: pp.Brightness(x, 0.9), SINGLE[kind]]):
            (single, t1), (fused, t2) = run_both(apply_all(steps), imgs, n=9)
            assert t1 == t2
            for a, b in zip(single, fused):
                assert same_bytes(a, b), (kind, dtype, cn, a, b)


@SETTINGS
@given(images(channels=(3, 4)), st.permutations(range(4)), st.lists(
    st.floats(0, 2), min_size=3, max_size=3), st.floats(-0.5, 0.5))
def test_adjustments_in_every_order(img, order, factors, shift):
    """The four jitter adjustments, in any order, then Normalize and ToCHW:
    contrast at every position (a mean of the intermediate image)."""
    ops = [lambda x: pp.Brightness(x, factors[0]), lambda x: pp.Contrast(x, factors[1]),
           lambda x: pp.Saturation(x, factors[2]),
           lambda x: pp.Hue(x, shift) if img.dtype != I16 else pp.Invert(x)]
    steps = [ops[k] for k in order] + [lambda x: pp.Normalize(x, 0.5, 0.25), pp.ToCHW]
    (single, t1), (fused, t2) = run_both(apply_all(steps), [img])
    assert t1 == t2
    assert same_bytes(single[0], fused[0])


def test_large_uint8_gamma_chain():
    """uint8 gamma runs through a composed table; 300 x 200 pixels."""
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (300, 200, 3), dtype=np.uint8)
    steps = [lambda x: pp.Brightness(x, 1.1), lambda x: pp.Gamma(x, 0.7, 1.1),
             lambda x: pp.Contrast(x, 0.8), lambda x: pp.Gamma(x, 1.9),
             lambda x: pp.Saturation(x, 1.4), lambda x: pp.Normalize(x, MEAN, STD)]
    (single, _), (fused, _) = run_both(apply_all(steps), [img])
    assert same_bytes(single[0], fused[0])


def test_large_uint16_gamma_chain():
    """Above 131072 values the uint16 gamma is a table, as in the single kernel."""
    rng = np.random.default_rng(2)
    img = rng.integers(0, 65536, (230, 200, 4)).astype(np.uint16)
    steps = [lambda x: pp.Brightness(x, 0.8), lambda x: pp.Gamma(x, 2.2, 0.9),
             lambda x: pp.Contrast(x, 1.3), pp.ToCHW]
    (single, _), (fused, _) = run_both(apply_all(steps), [img])
    assert same_bytes(single[0], fused[0])


# ---------------------------------------------------------------- colour jitter

def jitter_outputs(img, fuse, args, n, threads=1, tail=False):
    with pp.Graph() as graph:
        x = dynamic([img, img[::-1].copy()])
        y = pp.ColorJitter(x, *args)
        if tail:
            three = img.ndim == 3 and img.shape[2] == 3
            y = pp.ToCHW(pp.Normalize(y, MEAN if three else 0.45, STD if three else 0.225))
        pp.Output(y, "y")
    pipe = graph.compile(seed=11, optimize={"fuse_pixels": fuse})
    return pipe.batch(range(n), threads=threads)["y"], pipe


@settings(max_examples=12, deadline=None)
@given(images(dtypes=(U8, U16, F32), channels=(None, 1, 3, 4)),
       st.sampled_from([(0.4, 0.4, 0.4, 0), (0.4, 0.4, 0.4, 0.1), (0, 0.5, 0, 0.2),
                        ((0.2, 1.9), 0, (0.5, 0.5), (-0.5, 0.5))]),
       st.booleans())
def test_fused_color_jitter_is_bit_identical(img, args, tail):
    unfused, p1 = jitter_outputs(img, False, args, 24, tail=tail)
    fused, p2 = jitter_outputs(img, True, args, 24, tail=tail)
    assert "PixelChain" in p2.explain() and "PixelChain" not in p1.explain()
    assert same_bytes(fused, unfused)


def test_fused_color_jitter_threads_and_explain():
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
    one, pipe = jitter_outputs(img, True, (0.4, 0.4, 0.4, 0.1), 16, threads=1, tail=True)
    two, _ = jitter_outputs(img, True, (0.4, 0.4, 0.4, 0.1), 16, threads=2, tail=True)
    ref, _ = jitter_outputs(img, False, (0.4, 0.4, 0.4, 0.1), 16, threads=2, tail=True)
    assert one.tobytes() == two.tobytes()
    assert same_bytes(one, ref)
    assert len({a.tobytes() for a in one}) > 8          # the draws do differ
    assert "PixelChain" in pipe.explain()


def test_color_jitter_without_adjustments_is_the_image():
    img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    out, pipe = jitter_outputs(img, True, (0, 0, 0, 0), 2)
    assert out[0].tobytes() == img.tobytes() and "PixelChain" not in pipe.explain()


# ---------------------------------------------------------------- stages and nodes

def single_nodes(x):
    return [pp.Brightness(x, 1.2), pp.Contrast(x, 0.5), pp.Saturation(x, 2.0),
            pp.Hue(x, 0.1), pp.Gamma(x, 0.5, 1.5), pp.Invert(x), pp.Solarize(x, 100),
            pp.Posterize(x, 3), pp.Normalize(x, MEAN, STD, scale=False),
            pp.ConvertDepth(x, "uint16"), pp.ToCHW(x)]


def test_chain_stages_round_trip():
    x = pp.Constant(np.zeros((4, 4, 3), np.uint8))
    nodes = single_nodes(x)
    kinds = []
    for node in nodes:
        (stage,) = chain_stages(node)
        kinds.append(stage.kind)
        chain = make_chain(x, [(stage, [node.inputs[k] for k in stage.inputs])])
        (back,) = chain_stages(chain)
        assert back.kind == stage.kind and back.static == stage.static
        assert [chain.inputs[k] for k in back.inputs] == [node.inputs[k] for k in stage.inputs]
        hash(chain.params())
    assert set(kinds) == set(STAGE_CODES) - {"jitter"}
    assert chain_stages(pp.Blend(x, x, 0.5)) is None
    assert chain_stages(pp.ConvertColor(x, "RGB2BGR")) is None
    assert chain_stages(x) is None


def test_chains_of_chains_merge_and_share_inputs():
    x = pp.Constant(np.zeros((4, 4, 3), np.uint8))
    f = pp.RandomUniform(0.5, 1.5)
    a = fused_from(x, [pp.Brightness(x, f), pp.Contrast(x, f)])
    b = fused_from(x, [pp.Gamma(x, 0.5), pp.Normalize(x, MEAN, STD)])
    assert len(a.inputs) == 2                       # f is one input of the chain
    merged = fused_from(x, [a, b])
    assert [s.kind for s in chain_stages(merged)] == [
        "brightness", "contrast", "gamma", "normalize"]
    assert merged.describe_stages() == "Brightness > Contrast > Gamma > Normalize"
    assert merged.params() == fused_from(x, [a, b]).params()


def test_chain_types_follow_the_single_nodes():
    img = np.zeros((5, 7), np.uint16)
    with pp.Graph() as graph:
        x = dynamic([img])
        y = fused_from(x, [pp.ConvertDepth(x, "uint8"), pp.Normalize(x, 0.5, 0.5),
                           pp.ToCHW(x)])
        pp.Output(y, "y")
    pipe = graph.compile(optimize=NO_FUSION)
    out = pipe.run(0)["y"]
    assert out.dtype == np.float32 and out.shape == (1, 5, 7)
    assert "PixelChain" in pipe.explain()


# ---------------------------------------------------------------- errors

def run_chain(img, nodes_of, index=0):
    with pp.Graph() as graph:
        x = dynamic([img])
        pp.Output(fused_from(x, nodes_of(x)), "y")
    return graph.compile(optimize=NO_FUSION).run(index)["y"]


@pytest.mark.parametrize("nodes_of, message", [
    (lambda x: [pp.Brightness(x, pp.RandomUniform(0, 1) * math.nan)], "brightness factor is NaN"),
    (lambda x: [pp.Contrast(x, pp.RandomUniform(-2, -1))], "contrast factor must be >= 0"),
    (lambda x: [pp.Invert(x), pp.Hue(x, pp.RandomUniform(0.6, 0.7))],
     "hue shift must be in [-0.5, 0.5]"),
    (lambda x: [pp.Normalize(x, 0.5, pp.RandomUniform(0, 1) * 0)], "std must not be zero"),
    (lambda x: [pp.Gamma(x, pp.RandomUniform(-2, -1))], "gamma must be >= 0"),
    (lambda x: [pp.Posterize(x, pp.RandomInteger(9, 12))], "posterize bits must be in [0, 8]"),
])
def test_bad_run_time_parameters_fail_clearly(nodes_of, message):
    img = np.zeros((3, 4, 3), np.uint8)
    with pytest.raises(ExecutionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        run_chain(img, nodes_of)


def test_type_errors_follow_the_single_nodes():
    img = np.zeros((3, 4, 3), np.uint8)
    with pytest.raises(GraphError, match="int16"):     # Hue takes no int16 image
        with pp.Graph() as graph:
            x = dynamic([img])
            pp.Output(PixelChain(x, [Stage("convert_depth", ("int16",)),
                                     Stage("hue", (), (1,))], [0.1]), "y")
        graph.compile(optimize=NO_FUSION)
    with pytest.raises(GraphError, match="channels"):  # nor a 2-channel one
        run_chain(np.zeros((3, 4, 2), np.uint8), lambda x: [pp.Saturation(x, 0.5)])


def test_bad_static_parameters_fail_at_compile_time():
    img = np.zeros((3, 4, 3), np.uint8)
    with pytest.raises(GraphError, match="brightness factor is NaN"):
        run_chain(img, lambda x: [pp.Brightness(x, math.nan)])
    with pytest.raises(GraphError, match="must be of uint8, uint16, float32, got int16"):
        run_chain(img.astype(np.int16), lambda x: [pp.Hue(x, 0.1)])
    with pytest.raises(GraphError, match="to_chw must be the last"):
        PixelChain(pp.Constant(img), [Stage("to_chw"), Stage("invert")])
    with pytest.raises(GraphError, match="unknown pixel chain stage"):
        PixelChain(pp.Constant(img), [Stage("blur")])
    with pytest.raises(GraphError, match="takes 1 inputs"):
        PixelChain(pp.Constant(img), [Stage("brightness")])
    with pytest.raises(GraphError, match="at most 64 stages"):
        PixelChain(pp.Constant(img), [Stage("invert")] * 65)
    with pytest.raises(GraphError, match="refers to inputs"):
        PixelChain(pp.Constant(img), [Stage("brightness", (), (3,))], [1.0])
