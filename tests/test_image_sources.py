"""Image sources: folders, file lists, file bytes, decoding, the cache, preload,
and in-memory images (pixelpipes/image/sources.py, _core/_ops_source.pyx)."""

import doctest
import os
import threading

import cv2
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pixelpipes as pp
import pixelpipes.image.sources as sources
from pixelpipes.data import photo_path

RNG = np.random.default_rng(1234)


# ---------------------------------------------------------------- helpers

def smooth(h, w, c, dtype, seed=0):
    """A smooth random image (compresses sensibly), as the writer expects it
    (BGR(A) order for cv2.imwrite)."""
    rng = np.random.default_rng(seed)
    top = 255 if dtype == np.uint8 else 65535
    base = rng.random((max(h // 4, 1) + 1, max(w // 4, 1) + 1, c))
    img = cv2.resize(base, (w, h), interpolation=cv2.INTER_LINEAR)
    img = img.reshape(h, w, c)
    img = np.clip(img * top, 0, top).round().astype(dtype)
    return img[:, :, 0] if c == 1 else img


def to_rgb(a):
    if a.ndim == 3 and a.shape[2] == 3:
        return a[:, :, ::-1]
    if a.ndim == 3 and a.shape[2] == 4:
        return a[:, :, [2, 1, 0, 3]]
    return a


def reference(path, mode="color", depth="uint8"):
    """What LoadImage(path, mode, depth) is documented to return, from cv2.imread."""
    flags = {"color": cv2.IMREAD_COLOR, "gray": cv2.IMREAD_GRAYSCALE,
             "unchanged": cv2.IMREAD_UNCHANGED}[mode]
    if mode != "unchanged" and depth != "uint8":
        flags |= cv2.IMREAD_ANYDEPTH
    a = to_rgb(cv2.imread(str(path), flags))
    if mode == "unchanged" and a.ndim == 2:
        a = a[:, :, None]
    if depth == "uint8" and a.dtype == np.uint16:
        a = np.round(a / 257.0).astype(np.uint8)
    if depth == "uint16" and a.dtype == np.uint8:
        a = a.astype(np.uint16) * 257
    return np.ascontiguousarray(a)


def run_one(node, index=0, **compile_args):
    with pp.Graph() as graph:
        pp.Output(node, "out")
    return graph.compile(**compile_args).run(index)["out"]


# (extension, channels, dtype) that cv2.imwrite stores as such
FORMATS = [
    ("jpg", 1, np.uint8), ("jpg", 3, np.uint8),
    ("png", 1, np.uint8), ("png", 3, np.uint8), ("png", 4, np.uint8),
    ("png", 1, np.uint16), ("png", 3, np.uint16), ("png", 4, np.uint16),
    ("tiff", 1, np.uint8), ("tiff", 3, np.uint8), ("tiff", 4, np.uint8),
    ("tiff", 1, np.uint16), ("tiff", 3, np.uint16), ("tiff", 4, np.uint16),
    ("bmp", 1, np.uint8), ("bmp", 3, np.uint8), ("bmp", 4, np.uint8),
    ("webp", 3, np.uint8), ("webp", 4, np.uint8),
]
LOSSLESS = [f for f in FORMATS if f[0] not in ("jpg", "webp")]


@pytest.fixture(scope="module")
def format_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    files = {}
    for k, (ext, c, dt) in enumerate(FORMATS):
        img = smooth(19, 26, c, dt, seed=k)
        path = root / f"img_{c}_{np.dtype(dt).name}.{ext}"
        params = [cv2.IMWRITE_WEBP_QUALITY, 101] if ext == "webp" else []
        assert cv2.imwrite(str(path), img, params)
        files[(ext, c, dt)] = (str(path), img)
    return files


@pytest.fixture
def fresh_cache():
    """The default cache, emptied, restored afterwards."""
    before = pp.image_cache_info()["max_bytes"]
    pp.clear_image_cache()
    yield
    pp.set_image_cache(before)
    pp.clear_image_cache()


def write_tree(root):
    """root/<class>/... with nested folders, other files and hidden files."""
    layout = {
        "cat/b.png": (8, 9, 3), "cat/a.jpg": (10, 7, 3), "cat/deep/z.bmp": (5, 6, 3),
        "cat/deep/deeper/c.PNG": (4, 4, 3),
        "dog/x.webp": (9, 11, 3), "dog/y.tiff": (6, 5, 1),
        "ant/only.tif": (3, 3, 3),
    }
    for k, (rel, (h, w, c)) in enumerate(sorted(layout.items())):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        ext = os.path.splitext(rel)[1].lower()
        assert cv2.imwrite(str(path.with_suffix(ext)), smooth(h, w, c, np.uint8, seed=k))
        if path.suffix != ext:
            os.rename(path.with_suffix(ext), path)
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / "cat" / ".hidden.png").write_bytes(b"junk")
    (root / ".cache").mkdir()
    cv2.imwrite(str(root / ".cache" / "h.png"), smooth(3, 3, 3, np.uint8))
    (root / "empty").mkdir()
    (root / "texts").mkdir()
    (root / "texts" / "readme.md").write_text("x")
    cv2.imwrite(str(root / "loose.png"), smooth(3, 3, 3, np.uint8))
    return root


EXPECTED_ORDER = [  # (relative path, class)
    ("ant/only.tif", "ant"),
    ("cat/a.jpg", "cat"), ("cat/b.png", "cat"), ("cat/deep/deeper/c.PNG", "cat"),
    ("cat/deep/z.bmp", "cat"),
    ("dog/x.webp", "dog"), ("dog/y.tiff", "dog"),
]


@pytest.fixture
def tree(tmp_path):
    return write_tree(tmp_path / "data")


# ---------------------------------------------------------------- decoding

@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: str(f))
@pytest.mark.parametrize("mode", ["color", "gray", "unchanged"])
@pytest.mark.parametrize("depth", ["uint8", "uint16", "any"])
def test_load_matches_cv2_imread(format_files, fmt, mode, depth):
    path, _ = format_files[fmt]
    out = run_one(pp.LoadImage(path, mode=mode, depth=depth, cache=False))
    ref = reference(path, mode, depth)
    assert out.dtype == ref.dtype and out.shape == ref.shape
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("fmt", LOSSLESS, ids=lambda f: str(f))
def test_lossless_unchanged_gives_back_the_pixels_in_rgb(format_files, fmt):
    path, written = format_files[fmt]
    out = run_one(pp.LoadImage(path, mode="unchanged", depth="any"))
    expected = to_rgb(written)
    if expected.ndim == 2:
        expected = expected[:, :, None]
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("fmt", [("png", 3, np.uint16), ("tiff", 4, np.uint16),
                                 ("png", 1, np.uint16)], ids=str)
def test_depth_conversions_are_range_scalings(format_files, fmt):
    path, written = format_files[fmt]
    u8 = run_one(pp.LoadImage(path, mode="unchanged", depth="uint8"))
    exact = to_rgb(written).astype(np.float64) / 257.0
    exact = exact if exact.ndim == 3 else exact[:, :, None]
    np.testing.assert_array_equal(u8, np.round(exact).astype(np.uint8))


@pytest.mark.parametrize("fmt", [("png", 3, np.uint8), ("bmp", 4, np.uint8),
                                 ("tiff", 1, np.uint8)], ids=str)
def test_uint16_depth_scales_8_bit_files(format_files, fmt):
    path, written = format_files[fmt]
    u16 = run_one(pp.LoadImage(path, mode="unchanged", depth="uint16"))
    expected = to_rgb(written).astype(np.uint16) * 257
    np.testing.assert_array_equal(u16, expected if expected.ndim == 3 else expected[:, :, None])


def test_static_types(format_files):
    path = format_files[("png", 3, np.uint8)][0]
    with pp.Graph() as graph:
        pp.Output(pp.LoadImage(path), "c")
        pp.Output(pp.LoadImage(path, mode="gray", depth=np.uint16), "g")
        pp.Output(pp.LoadImage(path, mode="unchanged", depth=None), "u")
    pipe = graph.compile()
    specs = {o.label: o for o in pipe.program.outputs}
    sample = pipe.run(0)
    assert sample["c"].dtype == np.uint8 and sample["c"].shape[2] == 3
    assert sample["g"].dtype == np.uint16 and sample["g"].ndim == 2
    assert sample["u"].ndim == 3
    assert specs["u"].dtype is None    # "any" depth: known at run time only


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 40), w=st.integers(1, 40), c=st.sampled_from([1, 3, 4]),
       dtype=st.sampled_from([np.uint8, np.uint16]), ext=st.sampled_from([".png", ".tiff"]),
       seed=st.integers(0, 2 ** 32 - 1), folded=st.booleans())
def test_decode_random_images(h, w, c, dtype, ext, seed, folded):
    rng = np.random.default_rng(seed)
    top = 256 if dtype == np.uint8 else 65536
    img = rng.integers(0, top, (h, w, c)).astype(dtype)
    img = img[:, :, 0] if c == 1 else img
    ok, buf = cv2.imencode(ext, img)
    assert ok
    data = buf.reshape(-1)
    for mode in ("unchanged", "color", "gray"):
        out = run_one(pp.DecodeImage(data, mode=mode, depth="any"), optimize=folded)
        flags = {"color": cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH,
                 "gray": cv2.IMREAD_GRAYSCALE | cv2.IMREAD_ANYDEPTH,
                 "unchanged": cv2.IMREAD_UNCHANGED}[mode]
        ref = to_rgb(cv2.imdecode(data, flags))
        if mode == "unchanged":
            ref = ref.reshape(h, w, c)
            np.testing.assert_array_equal(ref, to_rgb(img).reshape(h, w, c))
        np.testing.assert_array_equal(out, ref)


def test_decode_run_time_and_folded_paths(format_files):
    path, _ = format_files[("jpg", 3, np.uint8)]
    data = np.fromfile(path, dtype=np.uint8)
    ref = reference(path)
    with pp.Graph() as graph:
        pp.Output(pp.DecodeImage(data), "folded")
        # bytes that depend on the sample: not folded
        pp.Output(pp.DecodeImage(pp.Constant([data, data])[pp.SampleIndex() % 2]), "runtime")
        pp.Output(pp.DecodeImage(pp.ReadFile(path)), "file")
    pipe = graph.compile()
    assert sum(op.kernel == "source_decode_image" for op in pipe.program.code) == 2
    out = pipe.run(1)
    for k in ("folded", "runtime", "file"):
        np.testing.assert_array_equal(out[k], ref)


def test_read_file_bytes(tmp_path, format_files):
    path, _ = format_files[("png", 4, np.uint8)]
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pp.Graph() as graph:
        pp.Output(pp.ReadFile(path), "data")
        pp.Output(pp.ReadFile(empty), "empty")
    out = graph.compile().run(0)
    assert out["data"].dtype == np.uint8 and out["data"].ndim == 1
    assert out["data"].tobytes() == open(path, "rb").read()
    assert out["empty"].shape == (0,)


def test_read_file_is_not_folded_and_sees_changes(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    with pp.Graph() as graph:
        pp.Output(pp.ReadFile(str(path)), "data")
    pipe = graph.compile()
    assert pipe.run(0)["data"].tobytes() == b"abc"
    path.write_bytes(b"hello")
    assert pipe.run(0)["data"].tobytes() == b"hello"


def test_photo_spot_check():
    from pixelpipes.data import load_photo

    out = run_one(pp.LoadImage(photo_path("astronaut")))
    np.testing.assert_array_equal(out, load_photo("astronaut"))


# ---------------------------------------------------------------- errors

def files_pipeline(paths, **kw):
    files = pp.ImageFiles(paths, **kw)
    with pp.Graph() as graph:
        pp.Output(files.image(pp.SampleIndex()), "image")
    return graph.compile()


def expect_failure(pipe, index, *fragments, threads=None, batch=None):
    with pytest.raises(pp.ExecutionError) as info:
        if batch is None:
            pipe.run(index)
        else:
            pipe.batch(batch, threads=threads)
    for frag in fragments:
        assert frag in str(info.value), str(info.value)
    assert info.value.sample == index
    return info.value


def test_missing_file_names_the_file_and_sample(tmp_path, format_files):
    good = format_files[("png", 3, np.uint8)][0]
    missing = str(tmp_path / "nope" / "missing.png")
    pipe = files_pipeline([good, good, missing, good, missing])
    np.testing.assert_array_equal(pipe.run(0)["image"], reference(good))
    expect_failure(pipe, 2, missing, "No such file or directory", "LoadImage", "sample 2")
    # the lowest failing sample of a batch, whatever the thread count
    for threads in (1, 2):
        expect_failure(pipe, 2, missing, threads=threads, batch=[4, 0, 3, 2, 1])


def test_unreadable_paths(tmp_path, format_files):
    good = format_files[("png", 3, np.uint8)][0]
    link = tmp_path / "broken.png"
    link.symlink_to(tmp_path / "does-not-exist.png")
    folder = tmp_path / "folder.jpg"
    folder.mkdir()
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    pipe = files_pipeline([good, str(link), str(folder), str(empty)])
    expect_failure(pipe, 1, str(link), "No such file or directory")
    expect_failure(pipe, 2, str(folder), "is a directory")
    expect_failure(pipe, 3, str(empty), "empty")
    with pp.Graph() as graph:
        pp.Output(pp.ReadFile(pp.Constant([good, str(folder)])[pp.SampleIndex()]), "b")
    p = graph.compile()
    assert p.run(0)["b"].size == os.path.getsize(good)
    expect_failure(p, 1, str(folder), "is a directory", "ReadFile")


def test_corrupt_and_truncated_files(tmp_path, format_files):
    jpg, _ = format_files[("jpg", 3, np.uint8)]
    data = open(jpg, "rb").read()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) * 3 // 4])
    no_eoi = tmp_path / "no_eoi.jpg"
    no_eoi.write_bytes(data[:-2])
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(os.urandom(500))
    text = tmp_path / "text.jpg"
    text.write_text("hello, I am not a picture")
    png = open(format_files[("png", 3, np.uint8)][0], "rb").read()
    cut_png = tmp_path / "cut.png"
    cut_png.write_bytes(png[: len(png) // 2])
    trailing = tmp_path / "trailing.jpg"        # data after the end marker is fine
    trailing.write_bytes(data + b"\x00" * 16 + b"extra")
    paths = [str(p) for p in (cut, no_eoi, garbage, text, cut_png, trailing)]
    pipe = files_pipeline(paths)
    expect_failure(pipe, 0, paths[0], "truncated JPEG")
    expect_failure(pipe, 1, paths[1], "truncated JPEG")
    for k in (2, 3, 4):
        expect_failure(pipe, k, paths[k], "cannot decode")
    np.testing.assert_array_equal(pipe.run(5)["image"], reference(jpg))


def test_decode_errors_and_folding(format_files):
    with pp.Graph() as graph:
        pp.Output(pp.DecodeImage(np.frombuffer(b"not an image", np.uint8)), "x")
    with pytest.raises(pp.GraphError, match="cannot decode the image data"):
        graph.compile()
    with pp.Graph() as graph:
        pp.Output(pp.DecodeImage(np.frombuffer(b"not an image", np.uint8)), "x")
    with pytest.raises(pp.ExecutionError, match="12 bytes") as info:
        graph.compile(optimize=False).run(5)
    assert info.value.sample == 5


class FakeCv2:
    """Stands in for cv2 in the kernel, to reach the error paths."""
    IMREAD_UNCHANGED, IMREAD_GRAYSCALE, IMREAD_COLOR, IMREAD_ANYDEPTH = -1, 0, 1, 2

    def __init__(self, result):
        self.result = result

    def imdecode(self, data, flags):
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


@pytest.mark.parametrize("result,mode,message", [
    (RuntimeError("boom"), "color", "RuntimeError: boom"),
    (np.zeros((4, 4, 2), np.uint8), "unchanged", "shape (4, 4, 2)"),
    (np.zeros((4, 4), np.float64), "unchanged", "float64 pixels"),
    (np.zeros((4, 4, 3), np.float32), "unchanged", None),
    (np.zeros((4, 4), np.int16), "gray", "int16 pixels (use depth='any')"),
    (np.zeros((4, 4, 4), np.uint8), "color", "returned 4 channels"),
])
def test_decoder_failures_become_sample_errors(monkeypatch, format_files, result, mode, message):
    from pixelpipes._core import _ops_source

    path = format_files[("png", 3, np.uint8)][0]
    monkeypatch.setattr(_ops_source, "_cv2", FakeCv2(result))
    pipe = files_pipeline([path, path], mode=mode, cache=False)
    if message is None:        # float32 is an image type: accepted with depth "any"
        node = pp.LoadImage(path, mode=mode, depth="any", cache=False)
        out = run_one(node)
        assert out.dtype == np.float32 and out.shape == (4, 4, 3)
        return
    expect_failure(pipe, 1, path, message)


def test_compile_time_checks():
    with pytest.raises(pp.GraphError, match="1-D uint8"):
        pp.DecodeImage(np.zeros(10, np.float32)).infer(pp.types.Tensor(np.dtype("float32"), (10,)))
    with pp.Graph() as graph:
        pp.Output(pp.DecodeImage(np.zeros((2, 5), np.uint8)), "x")
    with pytest.raises(pp.GraphError, match="1-D uint8"):
        graph.compile()
    with pp.Graph() as graph:
        pp.Output(pp.LoadImage(pp.Constant(3)), "x")
    with pytest.raises(pp.GraphError, match="must be a string"):
        graph.compile()
    with pytest.raises(pp.GraphError, match="unknown image mode"):
        pp.LoadImage("x.png", mode="cmyk")
    with pytest.raises(pp.GraphError, match="unknown image depth"):
        pp.LoadImage("x.png", depth="float64")


def test_bad_path_strings_fail_cleanly(tmp_path):
    long_name = str(tmp_path / ("d" * 150) / ("e" * 150) / "the_file_name.png")
    with pytest.raises(pp.GraphError, match="bad path"):
        pp.ImageFiles(["x.png", ""])
    with pytest.raises(pp.GraphError, match="bad path"):
        pp.ImageFiles(["a\0b"])
    with pp.Graph() as graph:
        pp.Output(pp.LoadImage(pp.Constant(["", "a\0b", long_name])[pp.SampleIndex()]), "x")
    pipe = graph.compile()
    expect_failure(pipe, 0, "empty string")
    expect_failure(pipe, 1, "NUL")
    err = expect_failure(pipe, 2, "the_file_name.png", "No such file or directory")
    assert "..." in err.reason


# ---------------------------------------------------------------- folders

def test_image_folder_scan(tree):
    folder = pp.ImageFolder(tree)
    assert folder.classes == ["ant", "cat", "dog"]
    rel = [os.path.relpath(p, tree).replace(os.sep, "/") for p in folder.files]
    assert rel == [r for r, _ in EXPECTED_ORDER]
    assert len(folder) == len(EXPECTED_ORDER)
    assert all(os.path.isabs(p) for p in folder.files)
    with pp.Graph() as graph:
        i = pp.SampleIndex()
        pp.Output(folder.label(i), "label")
        pp.Output(folder.path(i), "path")
        pp.Output(folder.image(i), "image")
        pp.Output(folder.labels, "labels")
        pp.Output(folder.paths, "paths")
    pipe = graph.compile()
    for k, (r, cls) in enumerate(EXPECTED_ORDER):
        s = pipe.run(k)
        assert folder.classes[int(s["label"])] == cls
        assert s["path"] == folder.files[k]
        np.testing.assert_array_equal(s["image"], reference(folder.files[k]))
    s = pipe.run(0)
    assert [int(x) for x in s["labels"]] == [folder.classes.index(c) for _, c in EXPECTED_ORDER]
    assert s["paths"] == folder.files


def test_image_folder_options(tree):
    shallow = pp.ImageFolder(tree, recursive=False)
    assert [os.path.relpath(p, tree) for p in shallow.files] == \
        ["ant/only.tif", "cat/a.jpg", "cat/b.png", "dog/x.webp", "dog/y.tiff"]
    pngs = pp.ImageFolder(tree, extensions=["PNG"])
    assert pngs.classes == ["cat"]
    assert [os.path.basename(p) for p in pngs.files] == ["b.png", "c.PNG"]
    flat = pp.ImageFolder(tree, labels=False)
    assert flat.classes is None
    assert "loose.png" in [os.path.basename(p) for p in flat.files]
    assert len(flat) == len(EXPECTED_ORDER) + 1
    with pytest.raises(pp.GraphError, match="no labels"):
        flat.labels
    every = pp.ImageFolder(tree, extensions=None, labels=False)
    names = {os.path.basename(p) for p in every.files}
    assert {"notes.txt", "readme.md"} <= names and ".hidden.png" not in names \
        and "h.png" not in names
    assert "ImageFolder: 7 images, 3 classes" in repr(pp.ImageFolder(tree))


def test_image_folder_errors(tmp_path):
    with pytest.raises(pp.GraphError, match="not a directory"):
        pp.ImageFolder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(pp.GraphError, match="empty"):
        pp.ImageFolder(tmp_path / "empty")
    with pytest.raises(pp.GraphError, match="holds no files"):
        pp.ImageFolder(tmp_path / "empty", labels=False)
    flat = tmp_path / "flat"
    flat.mkdir()
    cv2.imwrite(str(flat / "a.png"), smooth(3, 3, 3, np.uint8))
    with pytest.raises(pp.GraphError, match="labels=False"):
        pp.ImageFolder(flat)
    assert len(pp.ImageFolder(flat, labels=False)) == 1
    with pytest.raises(pp.GraphError, match="empty"):
        pp.ImageFiles([])
    with pytest.raises(pp.GraphError, match="2 labels for 1 files"):
        pp.ImageFiles([str(flat / "a.png")], labels=[0, 1])
    with pytest.raises(pp.GraphError, match="sequence of paths"):
        pp.ImageFiles(str(flat / "a.png"))


def test_image_files_order_labels_and_pathlike(tree):
    paths = [tree / "dog" / "x.webp", str(tree / "cat" / "a.jpg")]
    files = pp.ImageFiles(paths, labels=[7, 3], classes=["x"] * 8)
    assert files.files == [str(paths[0]), paths[1]]
    image, label = files.sample(1)
    with pp.Graph() as graph:
        pp.Output(image, "image")
        pp.Output(label, "label")
    s = graph.compile().run(0)
    assert int(s["label"]) == 3
    np.testing.assert_array_equal(s["image"], reference(paths[1]))


def test_random_choice_of_files_is_deterministic_across_threads(tree, fresh_cache):
    folder = pp.ImageFolder(tree)
    with pp.Graph() as graph:
        image, label = folder.sample(key="pick")
        pp.Output(image, "image")
        pp.Output(label, "label")
        pp.Output(folder.path(pp.RandomInteger(0, len(folder), key="pick")), "path")
    pipe = graph.compile(seed=11)
    indices = list(range(40))
    one = pipe.batch(indices, threads=1)
    two = pipe.batch(indices, threads=2)
    again = graph.compile(seed=11).batch(indices[::-1], threads=2)
    seen = set()
    for k in indices:
        single = pipe.run(k)
        for batch, pos in ((one, k), (two, k), (again, len(indices) - 1 - k)):
            np.testing.assert_array_equal(batch["image"][pos], single["image"])
            assert int(batch["label"][pos]) == int(single["label"])
        path = single["path"]
        seen.add(path)
        np.testing.assert_array_equal(single["image"], reference(path))
        assert folder.classes[int(single["label"])] == os.path.relpath(path, tree).split(os.sep)[0]
    assert len(seen) > 3
    assert pp.image_cache_info()["hits"] > 0


# ---------------------------------------------------------------- the cache

def load_pipeline(paths, cache=True):
    with pp.Graph() as graph:
        pp.Output(pp.LoadImage(pp.Constant(list(paths))[pp.SampleIndex()], cache=cache),
                  "image")
    return graph.compile()


def test_cache_hits_and_misses(format_files, fresh_cache):
    path = format_files[("png", 3, np.uint8)][0]
    pipe = load_pipeline([path, path])
    first = pipe.run(0)["image"]
    info = pp.image_cache_info()
    assert (info["hits"], info["misses"], info["entries"]) == (0, 1, 1)
    assert info["bytes"] == first.nbytes
    second = pipe.run(1)["image"]
    assert pp.image_cache_info()["hits"] == 1
    np.testing.assert_array_equal(first, second)
    first[:] = 0                  # outputs are the caller's: the cache is unaffected
    np.testing.assert_array_equal(pipe.run(0)["image"], second)
    # gray and colour of one file are separate entries
    run_one(pp.LoadImage(path, mode="gray"))
    assert pp.image_cache_info()["entries"] == 2
    # cache=False neither reads nor fills the cache
    before = pp.image_cache_info()
    load_pipeline([path], cache=False).run(0)
    assert pp.image_cache_info() == before
    pp.clear_image_cache()
    assert pp.image_cache_info()["entries"] == 0 and pp.image_cache_info()["hits"] == 0


def test_cache_eviction_by_bytes(tmp_path, fresh_cache):
    paths = []
    for k in range(4):
        p = tmp_path / f"{k}.png"
        cv2.imwrite(str(p), smooth(10, 10, 3, np.uint8, seed=k))   # 300 bytes decoded
        paths.append(str(p))
    pp.set_image_cache(700)
    pipe = load_pipeline(paths)
    for k in range(4):
        pipe.run(k)
        info = pp.image_cache_info()
        assert info["bytes"] <= 700
    info = pp.image_cache_info()
    assert info["entries"] == 2 and info["evictions"] == 2
    pipe.run(3)                    # most recent: a hit
    assert pp.image_cache_info()["hits"] == 1
    pipe.run(0)                    # evicted: a miss
    assert pp.image_cache_info()["misses"] == 5
    pp.set_image_cache(350)        # shrinking evicts at once
    assert pp.image_cache_info()["entries"] == 1
    pp.set_image_cache(100)        # an image larger than the bound is not cached
    pipe.run(1)
    assert pp.image_cache_info()["entries"] == 0
    pp.set_image_cache(0)
    pipe.run(1)
    assert pp.image_cache_info()["entries"] == 0
    with pytest.raises(ValueError):
        pp.set_image_cache(-1)


def test_cache_notices_changed_files(tmp_path, fresh_cache):
    path = tmp_path / "changing.bmp"     # same size after the change: only the time differs
    a = smooth(6, 7, 3, np.uint8, seed=1)
    b = 255 - a
    cv2.imwrite(str(path), a)
    pipe = load_pipeline([str(path)])
    np.testing.assert_array_equal(pipe.run(0)["image"], to_rgb(a))
    size = os.path.getsize(path)
    cv2.imwrite(str(path), b)
    assert os.path.getsize(path) == size
    st_ = os.stat(path)
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + 10 ** 9))
    np.testing.assert_array_equal(pipe.run(0)["image"], to_rgb(b))
    assert pp.image_cache_info()["misses"] == 2


def test_threads_share_the_cache_safely(tmp_path, fresh_cache):
    paths = []
    for k in range(12):
        p = tmp_path / f"{k}.png"
        cv2.imwrite(str(p), smooth(20 + k, 15, 3, np.uint8, seed=k))
        paths.append(str(p))
    pp.set_image_cache(3 * 20 * 15 * 3)     # constant eviction
    with pp.Graph() as graph:
        pick = pp.RandomInteger(0, len(paths))
        pp.Output(pp.LoadImage(pp.Constant(paths)[pick]), "image")
        pp.Output(pick, "pick")
    pipe = graph.compile(seed=5)
    expected = [to_rgb(cv2.imread(p)) for p in paths]
    results = {}

    def work(t):
        results[t] = [pipe.batch(range(j * 16, j * 16 + 16), threads=2) for j in range(6)]

    threads = [threading.Thread(target=work, args=(t,)) for t in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for t in range(3):
        for batch in results[t]:
            for img, k in zip(batch["image"], batch["pick"]):
                np.testing.assert_array_equal(img, expected[int(k)])
    info = pp.image_cache_info()
    assert info["hits"] > 0 and info["evictions"] > 0 and info["bytes"] <= info["max_bytes"]


# ---------------------------------------------------------------- preload

def test_preload_equals_decoding_on_the_fly(tree, fresh_cache):
    lazy = pp.ImageFolder(tree)
    calls = []
    eager = pp.ImageFolder(tree, preload=True, progress=lambda d, n: calls.append((d, n)))
    assert calls[0] == (0, len(eager)) and calls[-1] == (len(eager), len(eager))
    assert eager.preloaded is not None and len(eager.preloaded) == len(eager)
    assert pp.image_cache_info()["entries"] == 0         # preload bypasses the cache
    graphs = []
    for folder in (lazy, eager):
        with pp.Graph() as graph:
            image, label = folder.sample(key="k")
            pp.Output(image, "image")
            pp.Output(label, "label")
        graphs.append(graph.compile(seed=3))
    kernels = [op.kernel for op in graphs[1].program.code]
    assert "source_load_image" not in kernels
    a = graphs[0].batch(range(30), threads=2)
    b = graphs[1].batch(range(30), threads=2)
    for x, y in zip(a["image"], b["image"]):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a["label"], b["label"])
    # another mode than the preloaded one decodes files again
    with pp.Graph() as graph:
        pp.Output(eager.image(0, mode="gray"), "g")
    np.testing.assert_array_equal(graph.compile().run(0)["g"], reference(eager.files[0], "gray"))


def test_preload_progress_bar(tree, capsys):
    pp.ImageFolder(tree, preload=True, progress=True)
    err = capsys.readouterr().err
    assert "preloading images" in err and "7/7" in err
    pp.ImageFolder(tree, preload=True, progress=False)
    assert capsys.readouterr().err == ""


def test_preload_error_names_the_file(tmp_path, format_files):
    good = format_files[("png", 3, np.uint8)][0]
    missing = str(tmp_path / "gone.png")
    with pytest.raises(pp.ExecutionError, match="gone.png") as info:
        pp.ImageFiles([good, good, missing], preload=True)
    assert info.value.sample == 2


def test_preloaded_images_are_used_without_copies(tree):
    folder = pp.ImageFolder(tree, preload=True)
    with pp.Graph() as graph:
        pp.Output(folder.image(pp.SampleIndex()), "image")
    pipe = graph.compile()
    before = pipe.run(1)["image"]
    folder.preloaded[1][0, 0] = 255 - folder.preloaded[1][0, 0]   # after compiling
    after = pipe.run(1)["image"]
    assert not np.array_equal(before[0, 0], after[0, 0])
    np.testing.assert_array_equal(after, folder.preloaded[1])


# ---------------------------------------------------------------- in memory

def test_in_memory_lists_are_zero_copy():
    a = np.zeros((4, 5, 3), np.uint8)
    b = np.ones((6, 2), np.uint8)
    with pp.Graph() as graph:
        images = pp.Constant([a, b, a])
        pp.Output(images[pp.SampleIndex() % 2], "image")
        pp.Output(pp.Constant(a)[pp.SampleIndex()], "row")       # a view of a
    pipe = graph.compile()
    assert pipe.run(0)["image"].sum() == 0
    a[1, 2, 0] = 200          # mutate after compiling: the executor reads a itself
    b[:] = 9
    out = pipe.run(0)["image"]
    assert out[1, 2, 0] == 200
    assert (pipe.run(1)["image"] == 9).all()
    assert pipe.run(1)["row"][2, 0] == 200
    # the compiled program holds the very array objects
    consts = [v for _, v in pipe.program.constants if isinstance(v, list)]
    assert any(any(x is a for x in v) for v in consts)
    assert any(np.shares_memory(x, a) for v in consts for x in v)


def test_saved_pipeline_reads_files(tmp_path, format_files):
    path = format_files[("tiff", 4, np.uint8)][0]
    with pp.Graph() as graph:
        pp.Output(pp.LoadImage(path, mode="unchanged"), "image")
    pipe = graph.compile()
    pipe.save(tmp_path / "p.ppl")
    out = pp.load(tmp_path / "p.ppl").run(0)["image"]
    np.testing.assert_array_equal(out, reference(path, "unchanged"))


# ---------------------------------------------------------------- docs

def test_docstring_examples():
    result = doctest.testmod(sources, extraglobs={"pp": pp, "np": np})
    assert result.attempted > 0 and result.failed == 0


def test_every_public_name_documented_and_exported():
    for name in sources.__all__:
        obj = getattr(pp, name)
        assert obj.__doc__, name
        if isinstance(obj, type):
            assert "Parameters" in obj.__doc__, name


def test_gallery_examples_run(monkeypatch):
    import importlib.util
    from pathlib import Path

    gallery = Path(__file__).resolve().parent.parent / "docs" / "gallery"
    monkeypatch.syspath_prepend(str(gallery))          # for its _draw helpers
    path = gallery / "sources.py"
    spec = importlib.util.spec_from_file_location("gallery_sources", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from pixelpipes.data import load_photo
    for title, function, *_ in module.EXAMPLES:
        with pp.Graph() as graph:
            pp.Output(function(pp.Constant(load_photo("astronaut"))), "out")
        out = graph.compile().run(0)["out"]
        assert out.dtype == np.uint8 and out.ndim in (2, 3), title
