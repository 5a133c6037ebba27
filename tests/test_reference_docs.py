"""The image-operation reference (docs/reference, docs/images) is up to date,
complete, and its gallery examples render to pictures, the same in every run."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

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
