"""Write the image-operation reference: one page per group of ops, with pictures.

    python docs/generate_reference.py          # rewrite docs/reference/*.md and docs/images/
    python docs/generate_reference.py --check  # exit 1 if a page is stale or a picture missing

Pages
    ``docs/reference/index.md`` links the groups; ``docs/reference/<group>.md``
    documents the module ``pixelpipes.image.<group>`` (every module of
    ``pixelpipes.image.MODULES``): its docstring, a table of its ops, a
    gallery, then every name of its ``__all__`` with its signature and
    numpydoc docstring (rendered to Markdown here: parameter lists,
    definition lists, literal blocks, doctests and Sphinx roles, the latter
    linked to the op's section when it is an image op).

Gallery
    ``docs/gallery/<group>.py`` defines ``EXAMPLES``, a list of
    ``(title, function)``: ``function(image)`` takes a node holding an RGB
    uint8 photo and returns the node to show.  The generator picks up
    whatever the file holds when it runs.  Optional extras:

    * ``GALLERY_PHOTO = "coffee"`` in the gallery file chooses the shipped photo
      (default: :data:`PHOTOS` below, then ``"astronaut"``);
    * an entry ``(title, function, ("OpName", ...))`` says explicitly which ops
      it illustrates.

    Otherwise an example is shown under every op of the group whose name
    appears as a whole word in its title (``"Rotate by 30 degrees"`` ->
    ``Rotate``, not ``Rotate90``), or, when none does, under the op whose
    node the function returns.  All examples of a group also appear in the
    grid at the top of its page, each linked to the first op its title names.

Every op has a picture
    Every public name of a group (its ``__all__``) must be illustrated by at
    least one example, or the generator and ``--check`` fail, naming the
    gallery and the ops without a picture.  The only exceptions are the
    plain functions listed in :data:`NO_PICTURE` with the reason (e.g. the
    settings of the image cache); the pages show that reason instead of a
    picture.  Ops whose output is not an image (views, points, rectangles,
    maps, kernels, moments, random decisions, sources) are drawn by the
    example itself, inside the pipeline, with the pixelpipes nodes of the
    helpers in ``docs/gallery/_draw.py`` (a view warps the photo, a box is a
    mask painted onto it, a map remaps a photo with a grid drawn on it,
    random draws are a grid of tiles, sources a contact sheet); no NumPy
    drawing is done here.  :func:`load_gallery` puts ``docs/gallery`` on
    ``sys.path`` so that a gallery can ``from _draw import ...``.

Pictures
    The photo is downscaled once (longest side at most :data:`WORK_SIZE`, with
    ``cv2.resize``, area interpolation) and each example's graph,
    ``pp.Output(function(pp.Constant(photo)), "out")``, is compiled with seed
    :data:`SEED` and run for sample 0, so random ops give the same picture on
    every run (as long as the example's graph does not depend on the process:
    tests/test_reference_docs.py compares two processes).  The result is made
    displayable (see :func:`displayable`), shrunk to fit :data:`THUMB_SIZE`
    and encoded with ``cv2.imencode`` as a JPEG of quality
    :data:`JPEG_QUALITY` into ``docs/images/<group>/``.
    Pictures no page refers to are deleted.

``--check`` (like a normal run) fails when a public op has no picture.  It
compares the Markdown only (so that JPEG encoders of other
OpenCV versions do not fail it) and checks that every picture a page refers
to exists; the captions hold only shapes and dtypes, never pixel values.  It
also fails when a gallery file cannot be imported or an example fails to
render (the message names the file and the example).
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import inspect
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

import pixelpipes as pp
from pixelpipes import image as pp_image
from pixelpipes.data import load_photo, photo_names

DOCS = Path(__file__).resolve().parent

REFERENCE = DOCS / "reference"
IMAGES = DOCS / "images"
GALLERY = DOCS / "gallery"

SEED = 7              # pipeline seed of every picture (sample 0 is shown)
WORK_SIZE = 512       # the photo given to the examples: longest side at most this
THUMB_SIZE = 256      # pictures: longest side at most this
JPEG_QUALITY = 85
COLUMNS = 3           # pictures per row

TITLES = {
    "geometry": "Geometry",
    "warp": "Warps and deformations",
    "views": "Views, points, rectangles and masks",
    "color": "Colour",
    "filters": "Filters and image analysis",
    "noise": "Noise, dropout and synthetic images",
    "sources": "Image sources",
}

PHOTOS = {            # default photo per group (a gallery's GALLERY_PHOTO wins)
    "geometry": "astronaut",
    "warp": "chelsea",
    "views": "rocket",
    "color": "coffee",
    "filters": "chelsea",
    "noise": "astronaut",
    "sources": "astronaut",
}

LICENSES = "../../pixelpipes/data/photos/LICENSES.md"

#: Public names that need no picture, with the reason the pages show.  Only
#: plain functions that are not ops may be listed (a class here is an error).
NO_PICTURE = {
    "set_image_cache": "a process-wide setting of the decoded-image cache, not an op: "
                       "it changes no pixel",
    "image_cache_info": "returns the counters of the decoded-image cache (a dict), "
                        "not an op",
    "clear_image_cache": "empties the decoded-image cache, not an op: it changes no pixel",
}


# ----------------------------------------------------------------- pictures

def working_photo(name: str) -> np.ndarray:
    """The shipped photo ``name``, RGB uint8, longest side at most WORK_SIZE."""
    photo = load_photo(name)
    return _fit(photo, WORK_SIZE)


def _fit(img: np.ndarray, size: int) -> np.ndarray:
    h, w = img.shape[:2]
    scale = size / max(h, w)
    if scale >= 1:
        return img
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(img, new, interpolation=cv2.INTER_AREA)


def render(function: Callable, photo: np.ndarray, seed: int = SEED) -> np.ndarray:
    """Sample 0 of ``pp.Output(function(pp.Constant(photo)), "out")``."""
    return _render(function, photo, seed)[1]


def _render(function, photo, seed=SEED):
    """(the node ``function`` returned, sample 0 of it)."""
    with pp.Graph() as graph:
        node = function(pp.Constant(photo))
        pp.Output(node, "out")
    return node, np.asarray(graph.compile(seed=seed).run(0)["out"])


def displayable(array: np.ndarray) -> Tuple[np.ndarray, str]:
    """``array`` as an 8-bit gray (H x W) or RGB (H x W x 3) picture, and a
    note on the conversion for the caption ("" when shown as it is).

    * uint8: as it is; bool: 0 and 255.
    * float: clipped to [0, 1], times 255.
    * uint16, uint32, uint64: scaled so that the largest value is white.
    * int16 and the other signed integers: 0 is mid grey and the largest
      absolute value black or white.
    * H x W x 1 is gray; H x W x 4 loses its 4th channel; a C x H x W
      array (C in 1, 3, 4; W > 4) is shown as H x W x C.

    The notes depend on the dtype and shape only, never on the values, so
    the pages are the same whatever the pixels (e.g. another JPEG decoder).

    Raises
    ------
    ValueError
        If the array is not an image (rank, channels, size or dtype).
    """
    a = np.asarray(array)
    notes = []
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[2] > 4:
        a = np.transpose(a, (1, 2, 0))
        notes.append("CHW shown as HWC")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 3 and a.shape[2] == 4:
        a = a[:, :, :3]
        notes.append("4th channel not shown")
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)):
        raise ValueError(f"not an image: shape {array.shape} (want H x W or H x W x 1/3/4)")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"empty image: shape {array.shape}")
    kind = a.dtype.kind
    if a.dtype == np.uint8:
        out = a
    elif kind == "b":
        out = a.astype(np.uint8) * 255
        notes.append("bool shown as 0 and 255")
    elif kind == "f":
        v = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        out = np.rint(np.clip(v, 0.0, 1.0) * 255).astype(np.uint8)
        notes.append(f"{a.dtype}: [0, 1] shown as 0..255, clipped")
    elif kind == "u":
        top = float(a.max())
        out = np.rint(a.astype(np.float64) * (255.0 / top if top > 0 else 0)).astype(np.uint8)
        notes.append(f"{a.dtype} scaled: 0 is black, the largest value white")
    elif kind == "i":
        top = float(np.abs(a.astype(np.float64)).max())
        v = a.astype(np.float64) * (127.5 / top if top > 0 else 0) + 127.5
        out = np.rint(np.clip(v, 0, 255)).astype(np.uint8)
        notes.append(f"{a.dtype} scaled: 0 is mid grey, the largest |value| black or white")
    else:
        raise ValueError(f"cannot show dtype {a.dtype}")
    return np.ascontiguousarray(out), "; ".join(notes)


def thumbnail(img: np.ndarray) -> np.ndarray:
    """``img`` shrunk to fit THUMB_SIZE (area interpolation), never enlarged."""
    return _fit(img, THUMB_SIZE)


def encode_jpeg(img: np.ndarray) -> bytes:
    if img.ndim == 3:
        img = np.ascontiguousarray(img[:, :, ::-1])          # RGB -> BGR for OpenCV
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY,
                                         cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:  # pragma: no cover
        raise RuntimeError("cv2.imencode failed")
    return buf.tobytes()


def shape_text(shape: Sequence[int]) -> str:
    return " × ".join(str(int(d)) for d in shape)


# ----------------------------------------------------------------- galleries

@dataclass
class Example:
    title: str
    function: Callable
    ops: Optional[Tuple[str, ...]] = None      # explicit, from a 3-tuple entry
    slug: str = ""
    shown_ops: List[str] = field(default_factory=list)
    picture: Optional[str] = None             # path relative to docs/
    caption: str = ""
    data: Optional[bytes] = None


@dataclass
class Group:
    name: str
    module: object
    gallery_file: Path
    photo_name: str = "astronaut"
    examples: List[Example] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)


def groups() -> List[Tuple[str, object]]:
    return [(m.__name__.rsplit(".", 1)[-1], m) for m in pp_image.MODULES]


def load_gallery(path: Path):
    """The gallery module at ``path`` (imported afresh), or None if there is none."""
    if not path.is_file():
        return None
    folder = str(path.parent)
    if folder not in sys.path:              # the galleries' shared helpers (_draw.py)
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(f"_pixelpipes_gallery_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module        # as an import would (dataclasses need it)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[spec.name]
        raise
    return module


def gallery_examples(gallery) -> List[Example]:
    examples = []
    for k, entry in enumerate(getattr(gallery, "EXAMPLES", [])):
        if not isinstance(entry, (tuple, list)) or len(entry) not in (2, 3):
            raise ValueError(f"EXAMPLES[{k}] is not (title, function) or (title, function, ops)")
        title, function = str(entry[0]), entry[1]
        ops = tuple(entry[2]) if len(entry) == 3 else None
        examples.append(Example(title, function, ops))
    return examples


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or "example"


def ops_shown(example: Example, names: Sequence[str], returned: Optional[str]) -> List[str]:
    """Ops of the group that ``example`` illustrates (see the module docstring)."""
    if example.ops is not None:
        return [n for n in names if n in example.ops]
    named = {}
    for n in names:
        hit = re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", example.title)
        if hit:
            named[n] = hit.start()
    if named:                                   # in the order the title names them
        return sorted(named, key=named.get)
    return [returned] if returned in names else []


def collect(name: str, module, with_images: bool) -> Group:
    """The group ``name``: its gallery examples rendered (JPEG bytes only if
    ``with_images``), and any problem met on the way."""
    path = GALLERY / f"{name}.py"
    group = Group(name, module, path)
    rel = f"docs/gallery/{name}.py"
    try:
        gallery = load_gallery(path)
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        group.problems.append(f"{rel}: cannot import: {type(exc).__name__}: {exc}")
        return group
    if gallery is None:
        return group
    photo_name = getattr(gallery, "GALLERY_PHOTO", None) or PHOTOS.get(name, "astronaut")
    if photo_name not in photo_names():
        group.problems.append(f"{rel}: GALLERY_PHOTO {photo_name!r} is not a shipped photo")
        photo_name = "astronaut"
    group.photo_name = photo_name
    try:
        examples = gallery_examples(gallery)
    except Exception as exc:  # noqa: BLE001
        group.problems.append(f"{rel}: {exc}")
        return group
    photo = working_photo(photo_name)
    names = list(module.__all__)
    slugs = set()
    for ex in examples:
        try:
            node, raw = _render(ex.function, photo)
            returned = type(node).__name__
            shown, note = displayable(raw)
        except Exception as exc:  # noqa: BLE001
            msg = " ".join(str(exc).split())
            if len(msg) > 300:
                msg = msg[:300] + " ..."
            group.problems.append(f"{rel}: example {ex.title!r} fails: "
                                  f"{type(exc).__name__}: {msg}")
            continue
        slug = slugify(ex.title)
        base, k = slug, 2
        while slug in slugs:
            slug, k = f"{base}-{k}", k + 1
        slugs.add(slug)
        ex.slug = slug
        ex.shown_ops = ops_shown(ex, names, returned)
        ex.picture = f"images/{name}/{slug}.jpg"
        caption = f"{shape_text(raw.shape)} {raw.dtype}"
        ex.caption = caption + (f" ({note})" if note else "")
        if with_images:
            ex.data = encode_jpeg(thumbnail(shown))
        group.examples.append(ex)
    return group


def missing_pictures(group: Group) -> List[str]:
    """Problems of ``group``'s completeness: its public names that no example
    illustrates (except :data:`NO_PICTURE`'s), and misuses of NO_PICTURE."""
    rel = f"docs/gallery/{group.name}.py"
    shown = {op for ex in group.examples for op in ex.shown_ops}
    problems = []
    bare = [op for op in group.module.__all__ if op not in shown and op not in NO_PICTURE]
    if bare:
        problems.append(f"{rel}: no picture for {', '.join(bare)} (every public op needs "
                        f"one: add an example whose title names it, or a (title, function, "
                        f"ops) entry)")
    for op in group.module.__all__:
        if op in NO_PICTURE and inspect.isclass(getattr(group.module, op)):
            problems.append(f"NO_PICTURE lists {op}, a class of {group.module.__name__}: "
                            f"ops need a picture")
    return problems


# ----------------------------------------------------------------- docstrings

PARAM_SECTIONS = {"Parameters", "Other Parameters", "Attributes", "Returns", "Yields",
                  "Receives", "Raises", "Warns", "Warnings", "See Also", "Methods"}
TYPE_HEADS = {"Returns", "Yields", "Receives", "Raises", "Warns", "Warnings"}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _dedent(lines: Sequence[str]) -> List[str]:
    return textwrap.dedent("\n".join(lines)).split("\n") if lines else []


def _take_indented(lines: Sequence[str], i: int) -> int:
    """End of the indented chunk starting at ``i`` (blank lines inside it are
    kept when more indented lines follow)."""
    j = end = i
    while j < len(lines):
        if lines[j].strip():
            if _indent(lines[j]) == 0:
                break
            end = j + 1
        j += 1
    return end


def _is_bullet(line: str) -> bool:
    return re.match(r"([*+-]|\d+[.)]) ", line.lstrip()) is not None


def _strip_doctest(line: str) -> str:
    return re.sub(r"\s*#\s*doctest:.*$", "", line)


def _attach(head: str, body: List[str]) -> List[str]:
    """A list item ``- head — body``, the body's further lines indented."""
    while body and not body[0].strip():
        body = body[1:]
    while body and not body[-1].strip():
        body = body[:-1]
    if not body:
        return [f"- {head}"]
    if body[0].startswith("```") or _is_bullet(body[0]):
        return [f"- {head}", ""] + ["  " + b if b else "" for b in body]
    return [f"- {head} — {body[0]}"] + ["  " + b if b else "" for b in body[1:]]


def render_body(lines: Sequence[str]) -> List[str]:
    """Markdown lines of a run of reStructuredText-ish docstring lines."""
    lines = _dedent(list(lines))
    out: List[str] = []
    literal_next = False
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            out.append("")
            i += 1
            continue
        if _indent(line) > 0:
            j = _take_indented(lines, i)
            if literal_next:
                out += ["```python", *_dedent(lines[i:j]), "```"]
            else:
                out += render_body(lines[i:j])
            literal_next = False
            i = j
            continue
        literal_next = False
        if line.startswith(">>>"):
            j = i
            while j < n and lines[j].strip():
                j += 1
            out += ["```pycon", *[_strip_doctest(x) for x in lines[i:j]], "```"]
            i = j
            continue
        nxt = lines[i + 1] if i + 1 < n else ""
        if _is_bullet(line):
            out.append(line)
            i += 1
            while i < n and lines[i].strip() and _indent(lines[i]) > 0:
                out.append(lines[i])
                i += 1
            continue
        if nxt.strip() and _indent(nxt) > 0:            # definition list item
            j = _take_indented(lines, i + 1)
            out += _attach(line.strip(), render_body(lines[i + 1:j]))
            i = j
            continue
        if line.rstrip().endswith("::"):
            text = line.rstrip()[:-2].rstrip()
            if text:
                out.append(text + ":")
            literal_next = True
        else:
            out.append(line)
        i += 1
    return out


def render_items(section: str, lines: Sequence[str]) -> List[str]:
    """A numpydoc Parameters-like section as a Markdown list."""
    items: List[Tuple[str, List[str]]] = []
    for line in _dedent(list(lines)):
        if line.strip() and _indent(line) == 0:
            items.append((line.strip(), []))
        elif items:
            items[-1][1].append(line)
        elif line.strip():
            items.append((line.strip(), []))
    out: List[str] = []
    for head, desc in items:
        name, sep, typ = head.partition(" : ")
        if sep:
            head_md = f"`{name.strip()}` : {typ.strip()}"
        elif section in TYPE_HEADS:
            head_md = head
        else:
            head_md = f"`{head.rstrip(':').strip()}`" if ":" not in head else head
        out += _attach(head_md, render_body(desc) if any(d.strip() for d in desc) else [])
    return out


def split_sections(lines: Sequence[str]) -> List[Tuple[Optional[str], List[str]]]:
    sections: List[Tuple[Optional[str], List[str]]] = [(None, [])]
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (line.strip() and _indent(line) == 0 and re.fullmatch(r"-{3,}", nxt)
                and len(nxt) >= len(line.strip()) - 2):
            sections.append((line.strip(), []))
            i += 2
            continue
        sections[-1][1].append(line)
        i += 1
    return sections


def render_docstring(doc: Optional[str], links: "Links") -> str:
    """Markdown of a numpydoc docstring."""
    lines = inspect.cleandoc(doc or "(undocumented)").split("\n")
    out: List[str] = []
    for name, body in split_sections(lines):
        if name is not None:
            out += ["", f"**{name}**", ""]
        if name in PARAM_SECTIONS:
            out += render_items(name, body)
        else:
            out += render_body(body)
    text = "\n".join(out)
    text = links.inline(text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def summary(doc: Optional[str], links: "Links") -> str:
    """The first paragraph of ``doc``, on one line, for a table cell."""
    first = inspect.cleandoc(doc or "(undocumented)").split("\n\n")[0]
    text = links.inline(" ".join(first.split()), fences=False)
    return text.replace("|", "\\|")


class Links:
    """Sphinx roles and reST inline markup -> Markdown, with links to the ops."""

    ROLE = re.compile(r":(?:py:)?(\w+):`([^`]+)`")
    CODE = re.compile(r"``(.+?)``", re.S)
    MD_CODE = re.compile(r"`[^`\n]+`")

    def __init__(self, page: str, anchors: Dict[str, Tuple[str, str]]):
        self.page = page            # the page being written (a group name)
        self.anchors = anchors      # op name -> (group, anchor)

    def target(self, name: str) -> Optional[str]:
        hit = self.anchors.get(name)
        if hit is None:
            return None
        group, anchor = hit
        return f"#{anchor}" if group == self.page else f"{group}.md#{anchor}"

    def role(self, m: re.Match) -> str:
        kind, target = m.group(1), m.group(2).strip()
        explicit = re.fullmatch(r"(.+?)\s*<(.+)>", target)
        if explicit:
            label, target = explicit.group(1), explicit.group(2)
        else:
            label = target.lstrip("~")
            if target.startswith("~"):
                label = label.rsplit(".", 1)[-1]
            target = target.lstrip("~")
        last = target.rsplit(".", 1)[-1]
        if kind in ("meth", "func") and not label.endswith(")"):
            label += "()"
        href = self.target(last) if kind in ("class", "func", "obj") else None
        code = f"`{label}`"
        return f"[{code}]({href})" if href else code

    def inline(self, text: str, fences: bool = True) -> str:
        if fences:
            parts = re.split(r"(^ *```.*?^ *```$)", text, flags=re.S | re.M)
            return "".join(p if p.lstrip(" ").startswith("```") else self.inline(p, False)
                           for p in parts)
        keep: List[str] = []

        def stash(s: str) -> str:
            keep.append(s)
            return f"\x00{len(keep) - 1}\x00"

        text = self.ROLE.sub(lambda m: stash(self.role(m)), text)
        text = self.CODE.sub(lambda m: stash(_code_span(m.group(1))), text)
        text = self.MD_CODE.sub(lambda m: stash(m.group(0)), text)
        # a power such as 2**31 is not the start of bold text
        text = re.sub(r"(?<=[\w)\]])\*\*(?=[\w(\-])", r"\\*\\*", text)
        text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)
        return re.sub(r"\x00(\d+)\x00", lambda m: keep[int(m.group(1))], text)


def _code_span(code: str) -> str:
    code = " ".join(code.split("\n"))
    if "`" in code:
        return f"`` {code} ``"
    return f"`{code}`"


# ----------------------------------------------------------------- pages

def signature(obj) -> str:
    """``(a, b=1, *, c=None)``: the parameters of a function or of a class's
    ``__init__``, without ``self`` and without annotations (the values shown
    are what a user types)."""
    try:
        target = obj.__init__ if inspect.isclass(obj) else obj
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return "(...)"
    params = [p.replace(annotation=inspect.Parameter.empty)
              for p in sig.parameters.values() if p.name != "self"]
    return "(" + ", ".join(str(p) for p in params) + ")"


def public_methods(cls) -> List[Tuple[str, object]]:
    """Documented public methods and properties of a class that is not a
    graph node (the sources' ``ImageFolder``, ...), in definition order."""
    if not inspect.isclass(cls) or issubclass(cls, pp.Node):
        return []
    found: Dict[str, object] = {}
    for klass in reversed(cls.__mro__[:-1]):
        for name, value in vars(klass).items():
            if name.startswith("_") or not (inspect.isfunction(value)
                                            or isinstance(value, property)):
                continue
            if (value.__doc__ or "").strip():
                found[name] = value
    return list(found.items())


def anchor(name: str) -> str:
    return name.lower()


def picture_cell(ex: Example, link: Optional[str]) -> str:
    title = html.escape(ex.title)
    if link:
        title = f'<a href="{link}">{title}</a>'
    return (f'<td align="center" valign="top"><img src="../{ex.picture}" '
            f'alt="{html.escape(ex.title)}"><br><sub>{title}<br>'
            f'{html.escape(ex.caption)}</sub></td>')


def picture_table(cells: Sequence[str]) -> str:
    rows = ["<table>"]
    for k in range(0, len(cells), COLUMNS):
        rows.append("<tr>" + "".join(cells[k:k + COLUMNS]) + "</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def nav(current: Optional[str], names: Sequence[str]) -> str:
    items = ["[index](index.md)"] + [f"**{g}**" if g == current else f"[{g}]({g}.md)"
                                     for g in names]
    return " · ".join(items)


def group_page(group: Group, links: Links, all_groups: Sequence[str]) -> str:
    module, name = group.module, group.name
    title = TITLES.get(name, name.capitalize())
    parts = [nav(name, all_groups), "",
             f"# {title} — `{module.__name__}`", "",
             f"*Generated by `python docs/generate_reference.py` from the docstrings and "
             f"`docs/gallery/{name}.py`; do not edit.*", "",
             render_docstring(module.__doc__, links), ""]

    by_op: Dict[str, List[Example]] = {}
    for ex in group.examples:
        for op in ex.shown_ops:
            by_op.setdefault(op, []).append(ex)

    parts += ["## Operations", "", "| op | summary |", "|---|---|"]
    for op in module.__all__:
        obj = getattr(module, op)
        pics = len(by_op.get(op, []))
        mark = " 🖼" if pics else (" (no picture)" if op in NO_PICTURE else "")
        parts.append(f"| [`{op}`](#{anchor(op)}){mark} | {summary(obj.__doc__, links)} |")
    parts.append("")

    parts += ["## Gallery", ""]
    if group.examples:
        photo = group.photo_name
        shape = working_photo(photo).shape
        parts += [f"Every example runs on the shipped photo `{photo}` "
                  f"(downscaled to {shape_text(shape[:2])}; [licence]({LICENSES})), "
                  f"sample 0 of a pipeline compiled with seed {SEED}, and is defined in "
                  f"[`docs/gallery/{name}.py`](../gallery/{name}.py). "
                  f"Captions give the output's shape and dtype; pictures are shrunk to "
                  f"at most {THUMB_SIZE} pixels.", ""]
        source = (f'<td align="center" valign="top"><img src="../images/photos/{photo}.jpg" '
                  f'alt="{photo}"><br><sub><b>input</b>: {photo}<br>'
                  f'{shape_text(shape)} uint8</sub></td>')
        cells = [source] + [picture_cell(ex, f"#{anchor(ex.shown_ops[0])}"
                                         if ex.shown_ops else None)
                            for ex in group.examples]
        parts += [picture_table(cells), ""]
    else:
        parts += [f"No examples yet: add `EXAMPLES` to `docs/gallery/{name}.py`.", ""]

    parts += ["## Reference", ""]
    for op in module.__all__:
        obj = getattr(module, op)
        kind = "class" if inspect.isclass(obj) else "function"
        parts += [f'<a id="{anchor(op)}"></a>', "",
                  f"### `pp.{op}{signature(obj)}`", "", f"*{kind}*", "",
                  render_docstring(obj.__doc__, links), ""]
        for meth, value in public_methods(obj):
            if isinstance(value, property):
                head, what = f"{op}.{meth}", "property"
            else:
                head, what = f"{op}.{meth}{signature(value)}", "method"
            parts += [f'<a id="{anchor(op)}-{meth.lower()}"></a>', "",
                      f"#### `{head}`", "", f"*{what}*", "",
                      render_docstring(value.__doc__, links), ""]
        pics = by_op.get(op, [])
        if pics:
            parts += ["**On the photo**", "",
                      picture_table([picture_cell(ex, None) for ex in pics]), ""]
        elif op in NO_PICTURE:
            parts += [f"*No picture: {NO_PICTURE[op]}.*", ""]
    text = "\n".join(parts)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


def index_page(collected: Sequence[Group]) -> str:
    names = [g.name for g in collected]
    parts = [nav(None, names), "", "# Image operations", "",
             "*Generated by `python docs/generate_reference.py`; do not edit.*", "",
             "One page per module of `pixelpipes.image`: the module's conventions, every "
             "op with its signature and docstring, and pictures of the ops at work on the "
             f"photos shipped in `pixelpipes/data/photos` ([licences]({LICENSES})). Every "
             "op is also available as `pixelpipes.<Name>`; the rest of the API is in "
             "[api.md](../api.md).", "",
             "| group | about | ops | pictures |", "|---|---|---|---|"]
    for g in collected:
        links = Links(g.name, {})
        first = summary(g.module.__doc__, links)
        title = TITLES.get(g.name, g.name.capitalize())
        parts.append(f"| [{title}]({g.name}.md) | {first} | {len(g.module.__all__)} "
                     f"| {len(g.examples)} |")
    previews = [f'<td align="center" valign="top"><a href="{g.name}.md"><img '
                f'src="../{g.examples[0].picture}" alt="{html.escape(g.examples[0].title)}">'
                f'</a><br><sub><a href="{g.name}.md">'
                f'{html.escape(TITLES.get(g.name, g.name.capitalize()))}</a>: '
                f'{html.escape(g.examples[0].title)}</sub></td>'
                for g in collected if g.examples]
    if previews:
        parts += ["", picture_table(previews)]
    return "\n".join(parts).rstrip() + "\n"


def build(with_images: bool = True):
    """(pages, images, problems): page path -> text, picture path -> JPEG bytes
    (None when ``with_images`` is false), problems as messages."""
    names_modules = groups()
    anchors = {op: (g, anchor(op)) for g, m in names_modules for op in m.__all__}
    collected = [collect(g, m, with_images) for g, m in names_modules]
    names = [g for g, _ in names_modules]
    pages: Dict[Path, str] = {REFERENCE / "index.md": index_page(collected)}
    images: Dict[Path, Optional[bytes]] = {}
    problems: List[str] = []
    for g in collected:
        pages[REFERENCE / f"{g.name}.md"] = group_page(g, Links(g.name, anchors), names)
        problems += g.problems + missing_pictures(g)
        if g.examples:
            photo = IMAGES / "photos" / f"{g.photo_name}.jpg"
            images[photo] = (encode_jpeg(thumbnail(working_photo(g.photo_name)))
                             if with_images else None)
        for ex in g.examples:
            images[DOCS / ex.picture] = ex.data
    public = {op for _, m in names_modules for op in m.__all__}
    for op in sorted(set(NO_PICTURE) - public):
        problems.append(f"NO_PICTURE lists {op}, which is no public name of any group")
    # every picture a page refers to must be one we make
    for path, text in pages.items():
        for src in re.findall(r'<img src="([^"]+)"', text):
            target = (path.parent / src).resolve()
            if target not in {p.resolve() for p in images}:  # pragma: no cover - a bug here
                problems.append(f"{path.name} refers to {src}, which is not generated")
    return pages, images, problems, collected


def _write(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a page would change or a picture is missing")
    args = parser.parse_args(argv)
    pages, images, problems, collected = build(with_images=not args.check)
    status = 0
    if args.check:
        stale = [p for p, text in pages.items()
                 if not p.exists() or p.read_text(encoding="utf-8") != text]
        extra = [p for p in sorted(REFERENCE.glob("*.md")) if p not in pages]
        missing = [p for p in images if not p.exists()]
        for p in stale:
            print(f"stale: {p.relative_to(DOCS.parent)}", file=sys.stderr)
        for p in extra:
            print(f"not generated any more: {p.relative_to(DOCS.parent)}", file=sys.stderr)
        for p in missing:
            print(f"missing picture: {p.relative_to(DOCS.parent)}", file=sys.stderr)
        if stale or extra or missing:
            print("the reference is stale: run python docs/generate_reference.py",
                  file=sys.stderr)
            status = 1
    else:
        changed = 0
        for path, text in pages.items():
            changed += _write(path, text.encode("utf-8"))
        for path, data in images.items():
            changed += _write(path, data)
        for p in sorted(REFERENCE.glob("*.md")):
            if p not in pages:
                p.unlink()
                changed += 1
        wanted = {p.resolve() for p in images}
        removed = 0
        for p in sorted(IMAGES.glob("*/*.jpg")):
            if p.resolve() not in wanted:
                p.unlink()
                removed += 1
        for d in sorted(IMAGES.glob("*/")):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        size = sum(p.stat().st_size for p in IMAGES.rglob("*.jpg"))
        print(f"{len(pages)} pages, {len(images)} pictures ({size / 1e6:.2f} MB); "
              f"{changed} files written, {removed} stale pictures removed")
    for msg in problems:
        print(f"problem: {msg}", file=sys.stderr)
    return 1 if problems else status


if __name__ == "__main__":
    sys.exit(main())
