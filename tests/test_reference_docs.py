"""The image-operation reference (docs/reference, docs/images) is up to date,
complete, and its gallery examples render to pictures, the same in every run."""

import importlib.util
import inspect
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixelpipes import image

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "docs" / "generate_reference.py"
REFERENCE = ROOT / "docs" / "reference"


def _load_generator():
    spec = importlib.util.spec_from_file_location("_generate_reference", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module        # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
GROUPS = [(m.__name__.rsplit(".", 1)[-1], m) for m in image.MODULES]


def _gallery_cases():
    cases = []
    for group, _ in GROUPS:
        path = gen.GALLERY / f"{group}.py"
        try:
            gallery = gen.load_gallery(path)
            examples = gen.gallery_examples(gallery) if gallery is not None else []
        except Exception as exc:  # noqa: BLE001 - a failing case, not a collection error
            cases.append(pytest.param(group, None, exc, id=f"{group}-import"))
            continue
        for k, ex in enumerate(examples):
            photo = getattr(gallery, "GALLERY_PHOTO", None) or gen.PHOTOS.get(group, "astronaut")
            cases.append(pytest.param(group, ex, photo, id=f"{group}-{k}-{gen.slugify(ex.title)}"))
    return cases


def test_reference_is_up_to_date():
    result = subprocess.run([sys.executable, str(GENERATOR), "--check"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("group,module", GROUPS, ids=[g for g, _ in GROUPS])
def test_every_public_name_is_on_its_group_page(group, module):
    page = REFERENCE / f"{group}.md"
    assert page.is_file(), f"{page} missing: run python docs/generate_reference.py"
    text = page.read_text(encoding="utf-8")
    for name in module.__all__:
        assert f'<a id="{name.lower()}"></a>' in text, f"{name} has no section in {page.name}"
        assert f"### `pp.{name}(" in text, f"{name} has no heading in {page.name}"
        assert f"](#{name.lower()})" in text, f"{name} is not in the table of {page.name}"
    assert f"]({group}.md)" in (REFERENCE / "index.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("group,example,photo", _gallery_cases())
def test_gallery_example_renders(group, example, photo):
    if example is None:
        raise AssertionError(f"docs/gallery/{group}.py does not import: {photo!r}")
    raw = gen.render(example.function, gen.working_photo(photo))
    assert raw.ndim in (2, 3), raw.shape
    assert raw.dtype in (np.uint8, np.uint16, np.int16, np.float32, np.bool_,
                         np.int32, np.int64, np.float64), raw.dtype
    shown, _ = gen.displayable(raw)
    assert shown.dtype == np.uint8 and shown.ndim in (2, 3)
    assert 1 <= shown.shape[0] <= 4096 and 1 <= shown.shape[1] <= 4096, shown.shape
    thumb = gen.thumbnail(shown)
    assert max(thumb.shape[:2]) <= gen.THUMB_SIZE
    assert gen.encode_jpeg(thumb)[:2] == b"\xff\xd8"


DIGESTS = r"""
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
import generate_reference as gen
out = {}
for group, module in gen.groups():
    gallery = gen.load_gallery(gen.GALLERY / f"{group}.py")
    if gallery is None:
        continue
    photo = gen.working_photo(getattr(gallery, "GALLERY_PHOTO", None)
                              or gen.PHOTOS.get(group, "astronaut"))
    for ex in gen.gallery_examples(gallery):
        try:
            raw = gen.render(ex.function, photo)
            out[f"{group}: {ex.title}"] = hashlib.sha256(raw.tobytes()).hexdigest()
        except Exception as exc:
            out[f"{group}: {ex.title}"] = f"error {type(exc).__name__}"
print(json.dumps(out))
"""


def test_gallery_pictures_are_the_same_in_every_process():
    """Sample 0 of a fixed seed is a pure function of the graph: an example
    whose random keys depend on the process (``id()``, ``hash()`` of a str)
    would give another picture at every regeneration."""
    runs = [json.loads(subprocess.run([sys.executable, "-c", DIGESTS, str(GENERATOR.parent)],
                                      capture_output=True, text=True, timeout=600,
                                      check=True).stdout)
            for _ in range(2)]
    differ = sorted(k for k in runs[0] if runs[0][k] != runs[1].get(k))
    assert not differ, f"gallery examples that differ between two runs: {differ}"


def test_pictures_are_small():
    pictures = list((ROOT / "docs" / "images").rglob("*.jpg"))
    assert pictures
    assert sum(p.stat().st_size for p in pictures) < 3_000_000
    import cv2

    for p in pictures:
        img = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
        assert img is not None and max(img.shape[:2]) <= gen.THUMB_SIZE, p


def test_displayable_conversions():
    img, note = gen.displayable(np.full((4, 5, 1), 7, np.uint8))
    assert img.shape == (4, 5) and note == ""
    img, note = gen.displayable(np.array([[0.0, 0.5], [1.0, 2.0]], np.float32))
    assert img.tolist() == [[0, 128], [255, 255]] and "clipped" in note
    img, note = gen.displayable(np.array([[-100, 0], [50, 100]], np.int16))
    assert img.tolist() == [[0, 128], [191, 255]] and "mid grey" in note
    img, note = gen.displayable(np.array([[0, 1000], [500, 0]], np.uint16))
    assert img.tolist() == [[0, 255], [128, 0]]
    img, note = gen.displayable(np.zeros((3, 6, 8), np.uint8))
    assert img.shape == (6, 8, 3) and "CHW" in note
    img, note = gen.displayable(np.zeros((6, 8, 4), np.uint8))
    assert img.shape == (6, 8, 3) and "4th channel" in note
    for bad in (np.zeros((6, 8, 2), np.uint8), np.zeros(5, np.uint8), np.zeros((0, 3), np.uint8)):
        with pytest.raises(ValueError):
            gen.displayable(bad)


def test_examples_go_under_the_ops_their_titles_name():
    names = ["Rotate", "Rotate90", "Warp", "Flip", "RandomFlip"]
    shown = gen.ops_shown
    assert shown(gen.Example("Rotate by 30 degrees", None), names, "Rotate") == ["Rotate"]
    assert shown(gen.Example("Rotate90, k=1", None), names, None) == ["Rotate90"]
    assert shown(gen.Example("Flip horizontal", None), names, "Flip") == ["Flip"]
    assert shown(gen.Example("Elastic deformation", None), names, "Warp") == ["Warp"]
    assert shown(gen.Example("A view", None), names, "_Sized") == []
    assert shown(gen.Example("Rotate", None, ("Flip",)), names, "Rotate") == ["Flip"]


# ------------------------------------------------ every op has a picture

def _sections(text):
    """{op name: its reference section} of a group page."""
    parts = text.split("\n### `pp.")[1:]
    return {p.split("(", 1)[0]: p for p in parts}


@pytest.mark.parametrize("group,module", GROUPS, ids=[g for g, _ in GROUPS])
def test_every_public_op_has_a_picture_on_its_page(group, module):
    page = REFERENCE / f"{group}.md"
    sections = _sections(page.read_text(encoding="utf-8"))
    for name in module.__all__:
        section = sections[name]
        if name in gen.NO_PICTURE:
            assert f"*No picture: {gen.NO_PICTURE[name]}.*" in section
            continue
        assert "**On the photo**" in section, f"{name} has no picture in {page.name}"
        pictures = re.findall(r'<img src="\.\./([^"]+)"', section)
        assert pictures, name
        for src in pictures:
            assert (ROOT / "docs" / src).is_file(), f"{name}: {src} missing"


def test_only_plain_functions_go_without_a_picture():
    public = {name: getattr(m, name) for _, m in GROUPS for name in m.__all__}
    for name in gen.NO_PICTURE:
        assert name in public, f"NO_PICTURE lists {name}, not a public name"
        assert inspect.isfunction(public[name]), f"{name} is an op: it needs a picture"


def _fake_group(names, shown, module_name="pixelpipes.image.fake"):
    module = types.SimpleNamespace(__name__=module_name, __all__=list(names),
                                   **{n: obj for n, obj in names.items()})
    group = gen.Group("fake", module, gen.GALLERY / "fake.py")
    example = gen.Example("an example", None)
    example.shown_ops = list(shown)
    group.examples.append(example)
    return group


def test_an_op_without_a_picture_is_a_problem():
    class Op:
        pass

    def helper():
        pass

    ok = _fake_group({"A": Op, "B": Op}, ["A", "B"])
    assert gen.missing_pictures(ok) == []
    bare = _fake_group({"A": Op, "B": Op, "C": Op}, ["B"])
    (problem,) = gen.missing_pictures(bare)
    assert "docs/gallery/fake.py: no picture for A, C" in problem
    # a plain function listed in NO_PICTURE is fine, an op there is not
    name = next(iter(gen.NO_PICTURE))
    assert gen.missing_pictures(_fake_group({"A": Op, name: helper}, ["A"])) == []
    problems = gen.missing_pictures(_fake_group({"A": Op, name: Op}, ["A"]))
    assert len(problems) == 1 and f"NO_PICTURE lists {name}" in problems[0]


def test_check_fails_when_an_op_loses_its_picture(tmp_path):
    """The generator's --check, run with a gallery that no longer shows
    Flip, exits 1 and names the op."""
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    for path in gen.GALLERY.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name == "geometry.py":
            text += "\nEXAMPLES = [e for e in EXAMPLES if not e[0].startswith('Flip ')]\n"
        (gallery / path.name).write_text(text, encoding="utf-8")
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import pathlib\n"
              "import generate_reference as gen\n"
              "gen.GALLERY = pathlib.Path(sys.argv[2])\n"
              "sys.exit(gen.main(['--check']))\n")
    result = subprocess.run([sys.executable, "-c", script, str(GENERATOR.parent), str(gallery)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 1
    assert "docs/gallery/geometry.py: no picture for Flip" in result.stderr


# ------------------------------------------------ the drawing helpers

def _draw():
    gen.load_gallery(gen.GALLERY / "views.py")      # puts docs/gallery on sys.path
    import _draw

    return _draw


def _run(build):
    import pixelpipes as pp

    with pp.Graph() as graph:
        pp.Output(build(), "out")
    return np.asarray(graph.compile(seed=1).run(0)["out"])


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 9), st.integers(0, 9), st.integers(1, 6), st.integers(1, 6))
def test_rectangle_and_boxes_masks_cover_the_pixel_area(x0, y0, w, h):
    import pixelpipes as pp

    draw = _draw()
    want = np.zeros((12, 14), np.uint8)
    want[y0:y0 + h, x0:x0 + w] = 1
    got = _run(lambda: draw.rectangle_mask(pp.MakeRectangle(x0, y0, x0 + w, y0 + h), (12, 14)))
    np.testing.assert_array_equal(got, want)
    image = np.zeros((12, 14, 3), np.uint8)
    boxes = np.array([[x0, y0, x0 + w, y0 + h]], np.int64)
    np.testing.assert_array_equal(_run(lambda: draw.boxes_mask(pp.Constant(image), boxes)),
                                  want)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 3), st.integers(0, 2 ** 32 - 1))
def test_outline_is_dilation_minus_erosion(width, seed):
    draw = _draw()
    mask = (np.random.default_rng(seed).random((11, 13)) < 0.4).astype(np.uint8)
    k = 2 * width + 1
    padded = np.pad(mask, width)             # black border, as the helper
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k))
    want = (windows.max(axis=(2, 3)) > 0) & (windows.min(axis=(2, 3)) == 0)
    got = _run(lambda: draw.outline(mask, width))
    np.testing.assert_array_equal(got, want.astype(np.uint8))


def test_paint_tiles_and_grid_lines():
    import pixelpipes as pp

    draw = _draw()
    image = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    mask = np.zeros((5, 7), np.uint8)
    mask[1:3, 2:5] = 9
    got = _run(lambda: draw.paint(pp.Constant(image), mask, (1, 2, 3)))
    want = image.copy()
    want[1:3, 2:5] = (1, 2, 3)
    np.testing.assert_array_equal(got, want)
    sheet = _run(lambda: draw.tiles([image, image[::-1].copy(), image], 2, gap=1, value=200))
    assert sheet.shape == (2 * 5 + 3, 2 * 7 + 3, 3)
    np.testing.assert_array_equal(sheet[1:6, 9:16], image[::-1])
    np.testing.assert_array_equal(sheet[7:12, 1:8], image)
    assert (sheet[0] == 200).all() and (sheet[7:12, 9:16] == 200).all()
    lines = _run(lambda: draw.grid_lines(20, 30, step=8, thickness=2))
    ys, xs = np.mgrid[:20, :30]
    np.testing.assert_array_equal(lines, ((xs % 8 < 2) | (ys % 8 < 2)).astype(np.uint8))
