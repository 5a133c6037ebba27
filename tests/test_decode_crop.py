"""JPEG decoding through simplejpeg, and the compiler's ``fuse_decode``:
DecodeImage / LoadImage(cache=False) + RandomResizedCrop decoded at a reduced
scale (pixelpipes/image/decode_crop.py, ``source_decode_rrc`` in
_core/_ops_source.pyx)."""

import struct

import cv2
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pixelpipes as pp
from pixelpipes.data import photo_path

PHOTO = str(photo_path("astronaut"))


def smooth_rgb(h, w, seed):
    rng = np.random.default_rng(seed)
    base = rng.random((h // 6 + 2, w // 6 + 2, 3))
    img = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC)
    noise = rng.normal(0, 0.05, (h, w, 3))
    return np.clip((img + noise) * 255, 0, 255).astype(np.uint8)


def encode(img_bgr, quality=90, progressive=False, sampling=None):
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_PROGRESSIVE, int(progressive)]
    if sampling is not None:
        params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, sampling]
    ok, buf = cv2.imencode(".jpg", img_bgr, params)
    assert ok
    return buf


def with_exif(jpeg, orientation=None, raw=None):
    """``jpeg`` with an APP1 Exif segment after SOI: orientation tag, or the
    ``raw`` TIFF payload."""
    if raw is None:
        ifd = struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
        raw = b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + raw
    seg = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    data = bytes(jpeg)
    return np.frombuffer(data[:2] + seg + data[2:], np.uint8)


def decode(data, mode="color"):
    with pp.Graph() as graph:
        pp.Output(pp.DecodeImage(pp.Constant(np.asarray(data, np.uint8)), mode=mode), "x")
    return graph.compile(optimize={"fold": False}).run(0)["x"]


def cv2_decode(data, mode="color"):
    if mode == "gray":
        return cv2.imdecode(np.asarray(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    return cv2.imdecode(np.asarray(data, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]


# ---------------------------------------------------------------- plain decoding

@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 120), w=st.integers(1, 120), seed=st.integers(0, 1000),
       quality=st.integers(30, 100), progressive=st.booleans(),
       sampling=st.sampled_from([None, "411", "420", "422", "444"]),
       mode=st.sampled_from(["color", "gray"]))
def test_jpeg_decoding_equals_opencv_exactly(h, w, seed, quality, progressive, sampling, mode):
    factors = {None: None, "411": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_411,
               "420": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
               "422": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422,
               "444": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444}
    data = encode(smooth_rgb(h, w, seed), quality, progressive, factors[sampling])
    np.testing.assert_array_equal(decode(data, mode), cv2_decode(data, mode))


@pytest.mark.parametrize("mode", ["color", "gray"])
def test_gray_jpeg_decodes_as_opencv(mode):
    gray = cv2.cvtColor(smooth_rgb(37, 51, 3), cv2.COLOR_RGB2GRAY)
    ok, data = cv2.imencode(".jpg", gray)
    out = decode(data, mode)
    np.testing.assert_array_equal(out, cv2_decode(data, mode))
    assert out.shape == ((37, 51, 3) if mode == "color" else (37, 51))


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("mode", ["color", "gray"])
def test_exif_orientation_is_applied_as_opencv_does(orientation, mode):
    data = with_exif(encode(smooth_rgb(30, 50, orientation)), orientation)
    out = decode(data, mode)
    np.testing.assert_array_equal(out, cv2_decode(data, mode))
    assert out.shape[:2] == ((50, 30) if orientation >= 5 else (30, 50))


@pytest.mark.parametrize("raw", [
    b"MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00",  # big-endian, 6
    b"II*\x00\xff\xff\x00\x00",              # IFD offset past the end
    b"II*\x00\x08\x00\x00\x00\xff\x00",      # more entries than bytes
    b"XX*\x00\x08\x00\x00\x00",              # not a TIFF header
    b"",
])
def test_unusual_exif_still_decodes_as_opencv(raw):
    data = with_exif(encode(smooth_rgb(30, 50, 1)), raw=raw)
    np.testing.assert_array_equal(decode(data), cv2_decode(data))


class RefusingJpeg:
    def __init__(self, result):
        self.result = result
        self.calls = 0

    def decode_jpeg(self, *args, **kwargs):
        self.calls += 1
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


@pytest.mark.parametrize("result", [ValueError("corrupt"), np.zeros((2, 2, 3), np.uint8)])
def test_opencv_decodes_what_simplejpeg_refuses(monkeypatch, result):
    from pixelpipes._core import _ops_source

    fake = RefusingJpeg(result)
    monkeypatch.setattr(_ops_source, "_simplejpeg", fake)
    data = encode(smooth_rgb(20, 30, 5))
    np.testing.assert_array_equal(decode(data), cv2_decode(data))
    assert fake.calls == 1


# ---------------------------------------------------------------- fused decode + crop

def crop_graphs(source, size, *, key="k", interpolation="linear", out_box=False, **decoder):
    """``ResizedCrop(image, box)`` with ``box = RandomResizedCropBox(image,
    key=key)`` (the expansion of RandomResizedCrop); with ``out_box`` the box
    is an output too, which keeps the decode from fusing."""
    with pp.Graph() as graph:
        if isinstance(source, str):
            image = pp.LoadImage(source, **decoder)
        else:
            # the bytes picked at run time, so that folding does not decode them
            data = pp.GetElement(pp.Constant([np.asarray(source, np.uint8)]),
                                 pp.SampleIndex() % 1)
            image = pp.DecodeImage(data, **decoder)
        box = pp.RandomResizedCropBox(image, key=key)
        if out_box:
            pp.Output(box, "box")
        pp.Output(pp.ResizedCrop(image, box[1], box[0], box[3], box[2], size,
                                 interpolation), "x")
    return graph


def scale_for(box, size):
    _, _, bh, bw = (int(v) for v in box)
    s = 1
    while s < 8 and bw >= 2 * s * size[1] and bh >= 2 * s * size[0]:
        s *= 2
    return s


def linear_reference(img, box, s, size):
    """The documented result of a reduced decode: the box scaled by 1 / s,
    resized linearly (cv::resize's centre mapping; taps kept in the box)."""
    top, left, bh, bw = (int(v) for v in box)

    def taps(dsize, start, length, lo, hi):
        x = start + (np.arange(dsize) + 0.5) * (length / dsize) - 0.5
        i = np.floor(x).astype(int)
        fx = x - i
        fx[i < lo] = 0
        i[i < lo] = lo
        fx[i >= hi] = 0
        i[i >= hi] = hi
        return i, np.minimum(i + 1, hi), 1 - fx, fx

    hr, wr = img.shape[:2]
    xi0, xi1, xw0, xw1 = taps(size[1], left / s, bw / s, left // s,
                              min(-(-(left + bw) // s), wr) - 1)
    yi0, yi1, yw0, yw1 = taps(size[0], top / s, bh / s, top // s,
                              min(-(-(top + bh) // s), hr) - 1)
    f = img.astype(np.float64)
    if f.ndim == 2:
        f = f[:, :, None]
    rows = f[:, xi0] * xw0[None, :, None] + f[:, xi1] * xw1[None, :, None]
    out = rows[yi0] * yw0[:, None, None] + rows[yi1] * yw1[:, None, None]
    out = np.clip(np.round(out), 0, 255).astype(np.uint8)
    return out if img.ndim == 3 else out[:, :, 0]


def reduced_decode(data, s, mode):
    flags = {("color", 1): cv2.IMREAD_COLOR, ("color", 2): cv2.IMREAD_REDUCED_COLOR_2,
             ("color", 4): cv2.IMREAD_REDUCED_COLOR_4, ("color", 8): cv2.IMREAD_REDUCED_COLOR_8,
             ("gray", 1): cv2.IMREAD_GRAYSCALE, ("gray", 2): cv2.IMREAD_REDUCED_GRAYSCALE_2,
             ("gray", 4): cv2.IMREAD_REDUCED_GRAYSCALE_4,
             ("gray", 8): cv2.IMREAD_REDUCED_GRAYSCALE_8}[(mode, s)]
    out = cv2.imdecode(np.asarray(data, np.uint8), flags)
    return out[:, :, ::-1] if mode == "color" else out


def test_explain_shows_the_fused_decode(tmp_path):
    data = np.fromfile(PHOTO, np.uint8)
    text = crop_graphs(data, (32, 32)).compile().explain()
    assert "DecodedCrop[DecodeImage > RandomResizedCrop]" in text
    assert "source_decode_image" not in text and "image_rrc_box" not in text
    text = crop_graphs(PHOTO, (32, 32), cache=False).compile().explain()
    assert "DecodedCrop[LoadImage > RandomResizedCrop]" in text
    with pp.Graph() as graph:          # the macro, as users write it
        image = pp.LoadImage(PHOTO, cache=False)
        pp.Output(pp.RandomFlip(pp.RandomResizedCrop(image, (32, 32)), p=0.5), "x")
    assert "DecodedCrop[LoadImage > RandomResizedCrop]" in graph.compile().explain()


@pytest.mark.parametrize("change", [
    dict(out_box=True), dict(cache=True), dict(interpolation="cubic"),
    dict(mode="unchanged"), dict(depth="uint16"), dict(optimize=False),
    dict(optimize={"fuse_decode": False}),
])
def test_what_does_not_fuse(change):
    change = dict(change)
    optimize = change.pop("optimize", True)
    graph_args = {k: v for k, v in change.items() if k in ("out_box", "interpolation")}
    decoder = {k: v for k, v in change.items() if k not in graph_args}
    decoder.setdefault("cache", False)
    text = crop_graphs(PHOTO, (32, 32), **graph_args, **decoder).compile(
        optimize=optimize).explain()
    assert "DecodedCrop" not in text


def test_fusion_keeps_the_samples_where_the_box_is_small():
    """Boxes less than twice the output along an axis decode whole: the same
    bytes as the unfused graph."""
    data = np.fromfile(PHOTO, np.uint8)
    size = (200, 200)
    fused = crop_graphs(data, size).compile(seed=3)
    plain = crop_graphs(data, size, out_box=True).compile(seed=3)
    seen = set()
    for i in range(60):
        ref = plain.run(i)
        s = scale_for(ref["box"], size)
        seen.add(s)
        if s == 1:
            np.testing.assert_array_equal(fused.run(i)["x"], ref["x"])
    assert 1 in seen and 2 in seen


@settings(max_examples=25, deadline=None)
@given(h=st.integers(40, 400), w=st.integers(40, 400), out=st.integers(4, 60),
       seed=st.integers(0, 10**6), mode=st.sampled_from(["color", "gray"]),
       progressive=st.booleans(), index=st.integers(0, 10**6))
def test_reduced_decodes_match_their_reference(h, w, out, seed, mode, progressive, index):
    data = encode(smooth_rgb(h, w, seed)[:, :, ::-1], 85, progressive)
    size = (out, max(4, out * 3 // 4))
    fused = crop_graphs(data, size, mode=mode).compile(seed=seed)
    plain = crop_graphs(data, size, out_box=True, mode=mode).compile(seed=seed)
    ref = plain.run(index)
    s = scale_for(ref["box"], size)
    got = fused.run(index)["x"]
    if s == 1:
        np.testing.assert_array_equal(got, ref["x"])
        return
    small = reduced_decode(data, s, mode)
    assert small.shape[:2] == (-(-h // s), -(-w // s))
    expect = linear_reference(small, ref["box"], s, size)
    assert got.shape == expect.shape
    assert np.abs(got.astype(int) - expect).max() <= 1


def test_reduced_decoding_antialiases():
    """Against an INTER_AREA resize of the whole-decoded box (an antialiased
    reference), the fused result is closer than linear resizing of the whole
    decode, which aliases."""
    data = np.fromfile(PHOTO, np.uint8)
    full = cv2_decode(data)
    size = (64, 64)
    fused = crop_graphs(data, size).compile(seed=5)
    plain = crop_graphs(data, size, out_box=True).compile(seed=5)
    err_fused, err_plain, n = 0.0, 0.0, 0
    for i in range(40):
        ref = plain.run(i)
        top, left, bh, bw = (int(v) for v in ref["box"])
        if scale_for(ref["box"], size) == 1:
            continue
        area = cv2.resize(full[top:top + bh, left:left + bw], size[::-1],
                          interpolation=cv2.INTER_AREA).astype(float)
        err_fused += np.abs(fused.run(i)["x"] - area).mean()
        err_plain += np.abs(ref["x"] - area).mean()
        n += 1
    assert n >= 30
    assert err_fused < 0.75 * err_plain


def test_fused_decode_of_other_formats_and_turned_jpegs_is_unchanged():
    img = smooth_rgb(90, 140, 9)
    png = cv2.imencode(".png", img)[1]
    turned = with_exif(encode(img), 6)
    for data in (png, turned):
        fused = crop_graphs(data, (20, 20)).compile(seed=1)
        plain = crop_graphs(data, (20, 20), out_box=True).compile(seed=1)
        assert "DecodedCrop" in fused.explain()
        for i in range(10):
            np.testing.assert_array_equal(fused.run(i)["x"], plain.run(i)["x"])


def test_fused_decode_is_deterministic_across_threads(tmp_path):
    paths = []
    for k in range(6):
        p = tmp_path / f"{k}.jpg"
        cv2.imwrite(str(p), smooth_rgb(150 + 40 * k, 300 - 20 * k, k))
        paths.append(str(p))
    with pp.Graph() as graph:
        files = pp.ImageFiles(paths, cache=False)
        image = files.image(pp.SampleIndex() % len(paths))
        pp.Output(pp.RandomResizedCrop(image, (24, 32)), "x")
    pipe = graph.compile(seed=2)
    assert "DecodedCrop" in pipe.explain()
    a = pipe.batch(range(40), threads=1)["x"]
    b = pipe.batch(range(40), threads=2)["x"]
    c = np.stack([pipe.run(i)["x"] for i in reversed(range(40))])[::-1]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_fused_decode_errors_name_the_file_and_sample(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9")
    pipe = crop_graphs(str(bad), (8, 8), cache=False).compile()
    assert "DecodedCrop" in pipe.explain()
    with pytest.raises(pp.ExecutionError) as info:
        pipe.run(7)
    assert "bad.jpg" in str(info.value) and info.value.sample == 7
    missing = crop_graphs(str(tmp_path / "none.jpg"), (8, 8), cache=False).compile()
    with pytest.raises(pp.ExecutionError, match="none.jpg"):
        missing.run(0)
