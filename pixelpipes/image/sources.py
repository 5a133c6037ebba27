"""Image sources: files, folders, encoded bytes and in-memory images.

Where the images of a pipeline come from:

* **In memory** -- a list of NumPy arrays is a constant:
  ``images = pp.Constant([a, b, c])`` and ``images[i]`` is item ``i``.  The
  arrays are used **without a copy**: the executor reads their memory
  directly (C-contiguous arrays; a non-contiguous one is copied once when the
  pipeline is compiled).  So do not modify them after compiling -- a change
  shows up in later samples.
* **Files** -- :class:`ImageFolder` (a directory tree, with ImageFolder-style
  class labels from its sub-folders) and :class:`ImageFiles` (a list of
  paths) list the files when the graph is built; ``source.image(index)``
  reads and decodes file ``index`` when a sample needs it
  (:class:`LoadImage`).  ``preload=True`` decodes every file once, when the
  source is made, and from then on the images are in-memory constants.
* **Bytes** -- :class:`ReadFile` gives a file's bytes, :class:`DecodeImage`
  decodes encoded bytes (from a file, a database, a tar member...).

Decoding is OpenCV's (``cv2.imdecode``): JPEG, PNG, TIFF, BMP, WebP and the
other formats of the installed OpenCV, gray, RGB or RGBA, 8 or 16 bit.
Colour images come out in **RGB** (RGBA) order.  A file that is missing,
unreadable, truncated or not an image fails the sample with an
:class:`~pixelpipes.ExecutionError` whose message names the file and whose
``sample`` attribute is the sample index.

Decoded images go through a process-wide cache bounded in bytes (512 MiB by
default): see :func:`set_image_cache`, :func:`image_cache_info` and
:func:`clear_image_cache`.

Examples
--------
A labelled folder (``root/cat/*.jpg``, ``root/dog/*.png``), a random image
per sample::

    folder = pp.ImageFolder("data/train")
    with pp.Graph() as graph:
        index = pp.RandomInteger(0, len(folder))
        pp.Output(pp.Resize(folder.image(index), (224, 224)), "image")
        pp.Output(folder.label(index), "label")

The kernels are in ``pixelpipes/_core/_ops_source.pyx``.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, List, Optional, Sequence, Union

import numpy as np

from .._core import _ops_source
from ..errors import GraphError
from ..graph import Constant, Graph, Node, Output, as_node
from ..ops.core import SampleIndex
from ..ops.lists import GetElement
from ..ops.random import RandomInteger
from ..types import String, Tensor

__all__ = [
    "ReadFile", "DecodeImage", "LoadImage", "ImageFolder", "ImageFiles",
    "set_image_cache", "image_cache_info", "clear_image_cache",
]

#: File extensions :class:`ImageFolder` lists by default (case-insensitive).
IMAGE_EXTENSIONS = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")

# Kernel codes (pixelpipes/_core/_ops_source.pyx).
MODES = {"color": 0, "gray": 1, "unchanged": 2}
_MODE_ALIASES = {"colour": "color", "rgb": "color", "grey": "gray", "grayscale": "gray",
                 "greyscale": "gray"}
DEPTHS = {"any": 0, "uint8": 1, "uint16": 2}

#: Sources with at least this many files show a progress bar while
#: preloading (when stderr is a terminal).
PROGRESS_MIN_FILES = 200


# ---------------------------------------------------------------- helpers

def _mode(mode) -> str:
    key = str(mode).lower()
    key = _MODE_ALIASES.get(key, key)
    if key not in MODES:
        raise GraphError(f"unknown image mode {mode!r}; choose from {sorted(MODES)}")
    return key


def _depth(depth) -> str:
    if depth is None:
        return "any"
    if isinstance(depth, str):
        key = depth.lower()
    else:
        try:
            key = np.dtype(depth).name
        except TypeError:
            key = str(depth)
    if key not in DEPTHS:
        raise GraphError(f"unknown image depth {depth!r}; choose from 'uint8', 'uint16' "
                         "or 'any'")
    return key


def _image_type(mode: str, depth: str) -> Tensor:
    dtype = None if depth == "any" else np.dtype(depth)
    shape = {"color": (None, None, 3), "gray": (None, None),
             "unchanged": (None, None, None)}[mode]
    return Tensor(dtype, shape)


def _path_node(path):
    """A path argument as a node: str and os.PathLike become constants."""
    if isinstance(path, (str, bytes, os.PathLike)):
        return Constant(os.fsdecode(path))
    return as_node(path)


def _check_path_type(t, what="the path"):
    if not isinstance(t, String):
        raise GraphError(f"{what} must be a string, got {t}")


def _warm_cv2():
    """Import cv2 now, while the graph is built, rather than in a kernel."""
    import cv2  # noqa: F401


# ---------------------------------------------------------------- the cache

def set_image_cache(max_bytes: int) -> None:
    """Bound the process-wide cache of decoded images.

    The cache holds images decoded by :class:`LoadImage` (and so by the
    file sources), keyed by path, file size, modification time, mode and
    depth, and drops the least recently used ones beyond ``max_bytes``.  It
    is shared by every pipeline and thread of the process (each process of a
    multi-process loader has its own).  Cached images are copied into each
    sample, never shared with it.

    Parameters
    ----------
    max_bytes : int
        Bound on the bytes of the cached pixels (default 512 MiB); 0 turns
        the cache off.  An image larger than the bound is not cached.
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) \
            or max_bytes < 0:
        raise ValueError(f"max_bytes must be an int >= 0, got {max_bytes!r}")
    _ops_source.CACHE.set_max_bytes(int(max_bytes))


def image_cache_info() -> dict:
    """State of the decoded-image cache.

    Returns
    -------
    dict
        ``hits`` and ``misses`` (lookups since the last
        :func:`clear_image_cache`), ``evictions``, ``entries``, ``bytes``
        (held now) and ``max_bytes`` (the bound).
    """
    return _ops_source.CACHE.info()


def clear_image_cache() -> None:
    """Drop every cached image and reset the counters of
    :func:`image_cache_info`."""
    _ops_source.CACHE.clear()


# ---------------------------------------------------------------- nodes

class ReadFile(Node):
    """The bytes of a file, as a 1-D uint8 tensor.

    The file is read with C stdio in the sample's thread, without the GIL,
    every time a sample needs it (the node is never folded into a constant).

    Parameters
    ----------
    path : str, os.PathLike or Node
        Path of the file: a string or a string node (e.g. an item of
        ``folder.paths``).

    Returns
    -------
    Node
        A uint8 tensor of shape ``(size,)``.  A missing file, a directory or
        a read error fails the sample with a message naming the file and the
        system's reason (``cannot open '/data/x.jpg': No such file or
        directory``).
    """

    kernel = "source_read_file"
    pure = False

    def __init__(self, path, *, name=None):
        super().__init__(_path_node(path), name=name)

    def infer(self, path):
        _check_path_type(path)
        return Tensor(np.dtype(np.uint8), (None,))


class _Decoder(Node):
    def _set_format(self, mode, depth):
        self.mode = _mode(mode)
        self.depth = _depth(depth)
        _warm_cv2()

    def params(self):
        return (self.mode, self.depth)


class DecodeImage(_Decoder):
    """Decode an encoded image (JPEG, PNG, TIFF, BMP, WebP, ...) with OpenCV.

    Parameters
    ----------
    data : Node or numpy.ndarray
        The encoded bytes: a 1-D uint8 tensor, e.g. from :class:`ReadFile`.
    mode : {"color", "gray", "unchanged"}
        ``"color"``: an ``H x W x 3`` RGB image (gray files are expanded,
        alpha is dropped).  ``"gray"``: an ``H x W`` image (colour files are
        converted by OpenCV's luma weights).  ``"unchanged"``: ``H x W x C``
        as stored, ``C`` = 1 (gray), 3 (RGB) or 4 (RGBA).
    depth : {"uint8", "uint16", "any"}
        Element type of the result.  ``"uint8"`` (default): 16-bit files are
        reduced -- by OpenCV for ``"color"`` and ``"gray"`` (the codec's own
        rule: PNG keeps the high byte, TIFF rounds ``x / 257``), by
        ``round(x / 257)`` for ``"unchanged"``.  ``"uint16"``: 8-bit files
        are scaled by 257 (0..255 -> 0..65535).  ``"any"``: the stored type
        (uint8, uint16, int16 or float32), known only at run time.

    Returns
    -------
    Node
        The image.  Pixels equal ``cv2.imdecode`` with the matching flags
        (``IMREAD_COLOR``, ``IMREAD_GRAYSCALE``, ``IMREAD_UNCHANGED``, plus
        ``IMREAD_ANYDEPTH`` for depths other than uint8) with the channels
        reversed to RGB(A) -- exactly; EXIF orientation is applied as
        ``cv2.imdecode`` does (not for ``"unchanged"``).  Data OpenCV cannot
        decode, and JPEG data cut short (no end-of-image marker after the
        last scan; OpenCV 4 would decode it with grey fill), fail the sample.
        Other damage that a codec tolerates (e.g. corrupt JPEG entropy data,
        which libjpeg only warns about) is not detected.

    Notes
    -----
    8-bit JPEGs decoded as ``"color"`` or ``"gray"`` (baseline or
    progressive, 1 or 3 components, no Exif orientation other than 1) go
    through `simplejpeg <https://gitlab.com/jfolz/simplejpeg>`_, the
    libjpeg-turbo TurboJPEG API, which decodes straight into the sample's
    memory: the same bytes as ``cv2.imdecode`` (libjpeg-turbo either way,
    tested), without OpenCV's allocation and the copy after it.  Everything
    else -- other formats, other modes and depths, Exif-turned JPEGs, and
    anything libjpeg-turbo refuses or warns about -- goes to
    ``cv2.imdecode``.  Both are Python modules, so the kernel takes the GIL
    once per image to call one; both release it while they decode: threads
    overlap in the decoding.  The copy of an OpenCV result into the sample
    (BGR -> RGB, depth conversion) holds the GIL for small images and
    releases it for images of 1 MiB or more.

    Followed by a linear :class:`RandomResizedCrop`, a JPEG is decoded only
    as finely as the crop needs (the compiler's ``fuse_decode``; see
    :mod:`pixelpipes.image.decode_crop`).
    """

    kernel = "source_decode_image"

    def __init__(self, data, mode="color", depth="uint8", *, name=None):
        super().__init__(data, name=name)
        self._set_format(mode, depth)

    def infer(self, data):
        if not isinstance(data, Tensor) or (data.shape is not None and len(data.shape) != 1) \
                or (data.dtype is not None and data.dtype != np.uint8):
            raise GraphError(f"the encoded image must be a 1-D uint8 tensor, got {data}")
        return _image_type(self.mode, self.depth)

    def encode(self, types, result):
        return [MODES[self.mode], DEPTHS[self.depth]], []


class LoadImage(_Decoder):
    """Read and decode an image file (JPEG, PNG, TIFF, BMP, WebP, ...).

    Equivalent to ``DecodeImage(ReadFile(path), mode, depth)`` in one step
    and through the decoded-image cache (see :func:`set_image_cache`).  The
    file is read when a sample needs it, never when the graph is compiled,
    without the GIL; the GIL is taken once to look the image up in the cache
    and once to decode it (see :class:`DecodeImage`).

    Parameters
    ----------
    path : str, os.PathLike or Node
        Path of the file: a string or a string node (e.g. an item of
        ``folder.paths`` picked by the sample index or at random).
    mode : {"color", "gray", "unchanged"}
        As :class:`DecodeImage`: RGB ``H x W x 3``, gray ``H x W``, or
        ``H x W x C`` as stored.
    depth : {"uint8", "uint16", "any"}
        As :class:`DecodeImage`.
    cache : bool
        Use the decoded-image cache (default True).  Without it, a linear
        :class:`RandomResizedCrop` of the image decodes a JPEG only as
        finely as the crop needs (see :class:`DecodeImage`).

    Returns
    -------
    Node
        The image, exactly ``cv2.imread(path, flags)`` with the channels in
        RGB(A) order (see :class:`DecodeImage` for the flags and the depth
        rules).  A missing, unreadable, truncated or undecodable file fails
        the sample with an :class:`~pixelpipes.ExecutionError` naming the
        file (``cannot open '/data/x.jpg': No such file or directory``);
        its ``sample`` attribute is the sample index.

    Examples
    --------
    >>> from pixelpipes.data import photo_path
    >>> with pp.Graph() as graph:
    ...     _ = pp.Output(pp.LoadImage(photo_path("chelsea"), mode="gray"), "image")
    >>> graph.compile().run(0)["image"].shape
    (300, 451)
    """

    kernel = "source_load_image"
    pure = False

    def __init__(self, path, mode="color", depth="uint8", *, cache=True, name=None):
        super().__init__(_path_node(path), name=name)
        self._set_format(mode, depth)
        self.cache = bool(cache)

    def params(self):
        return (self.mode, self.depth, self.cache)

    def infer(self, path):
        _check_path_type(path)
        return _image_type(self.mode, self.depth)

    def encode(self, types, result):
        return [MODES[self.mode], DEPTHS[self.depth], int(self.cache)], []


# ---------------------------------------------------------------- sources

def _progress_callback(progress, total):
    """A ``callback(done, total)`` or None, from the ``progress`` argument."""
    if callable(progress):
        return progress
    if progress is None:
        isatty = getattr(sys.stderr, "isatty", None)
        progress = total >= PROGRESS_MIN_FILES and isatty is not None and isatty()
    if not progress:
        return None

    def bar(done, total, width=30):
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\rpreloading images [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return bar


class _ImageSource:
    """Common part of :class:`ImageFolder` and :class:`ImageFiles`."""

    def __init__(self, files: List[str], labels: Optional[List[int]],
                 classes: Optional[List[str]], mode, depth, cache, name):
        self.files = files
        self.classes = classes
        self.mode = _mode(mode)
        self.depth = _depth(depth)
        self.cache = bool(cache)
        self.name = name
        self.paths = Constant(list(files), name=f"{name} paths" if name else "paths")
        self._labels = None
        if labels is not None:
            self._labels = Constant([int(x) for x in labels],
                                    name=f"{name} labels" if name else "labels")
        self._preloaded = None          # (mode, depth, list of arrays)
        self._images = None             # Constant of the preloaded arrays
        _warm_cv2()

    def __len__(self):
        return len(self.files)

    def __repr__(self):
        n = "" if self.classes is None else f", {len(self.classes)} classes"
        pre = ", preloaded" if self._preloaded is not None else ""
        return f"<{type(self).__name__}: {len(self)} images{n}{pre}>"

    @property
    def labels(self) -> Node:
        """The int64 labels of the files, a list constant (one per file)."""
        if self._labels is None:
            raise GraphError(f"{type(self).__name__} has no labels")
        return self._labels

    @property
    def preloaded(self) -> Optional[List[np.ndarray]]:
        """The preloaded images (in file order), or None.  They are the
        arrays the pipeline reads: do not modify them."""
        return None if self._preloaded is None else self._preloaded[2]

    def image(self, index, *, mode=None, depth=None) -> Node:
        """The image of file ``index``.

        Parameters
        ----------
        index : int or Node
            An integer scalar (negative counts from the end).
        mode, depth : str, optional
            Override the source's mode and depth (see :class:`DecodeImage`).

        Returns
        -------
        Node
            The preloaded image when the source was preloaded with this mode
            and depth (no decoding, no copy), else a :class:`LoadImage` of
            the file.
        """
        mode = self.mode if mode is None else _mode(mode)
        depth = self.depth if depth is None else _depth(depth)
        if self._preloaded is not None and self._preloaded[:2] == (mode, depth):
            return GetElement(self._images, index)
        return LoadImage(GetElement(self.paths, index), mode=mode, depth=depth,
                         cache=self.cache, name=self.name)

    def path(self, index) -> Node:
        """The path of file ``index`` (a string node)."""
        return GetElement(self.paths, index)

    def label(self, index) -> Node:
        """The label of file ``index`` (an int64 scalar node)."""
        return GetElement(self.labels, index)

    def sample(self, index=None, *, key=None):
        """``(image, label)`` of file ``index``, or of a file drawn uniformly
        at random per sample when ``index`` is None (``label`` is None for a
        source without labels).

        Parameters
        ----------
        index : int or Node, optional
            File index; default: ``pp.RandomInteger(0, len(self), key=key)``.
        key : str, optional
            Random key of the draw.

        Returns
        -------
        (Node, Node or None)
            The image (see :meth:`image`) and its label.
        """
        if index is None:
            index = RandomInteger(0, len(self), key=key, name=self.name)
        label = self.label(index) if self._labels is not None else None
        return self.image(index), label

    def preload(self, *, progress=None, threads: Optional[int] = None):
        """Decode every file now and keep the images in memory.

        Afterwards :meth:`image` returns the in-memory images: no file is read
        or decoded when samples are made, and nothing is copied.

        Parameters
        ----------
        progress : bool, callable or None
            ``None``: a progress bar on stderr for sources of at least
            ``PROGRESS_MIN_FILES`` files when stderr is a terminal; ``True``
            / ``False``: always / never; a callable is called as
            ``progress(done, total)`` instead.
        threads : int, optional
            Threads that decode (default: as
            :func:`~pixelpipes.effective_n_threads`).

        Returns
        -------
        self

        Raises
        ------
        ExecutionError
            If a file cannot be decoded; the message names the file and
            ``sample`` is its index in the source.
        """
        n = len(self)
        report = _progress_callback(progress, n)
        with Graph() as graph:
            path = GetElement(self.paths, SampleIndex())
            Output(LoadImage(path, mode=self.mode, depth=self.depth, cache=False,
                             name=self.name), "image")
        pipeline = graph.compile()
        from ..parallel import effective_n_threads

        chunk = max(64, 16 * effective_n_threads(threads))
        images: List[np.ndarray] = []
        if report is not None:
            report(0, n)
        for start in range(0, n, chunk):
            batch = pipeline.batch(range(start, min(n, start + chunk)), threads=threads)
            images.extend(batch["image"])
            if report is not None:
                report(len(images), n)
        try:
            self._images = Constant(images, name=f"{self.name} images" if self.name else "images")
        except GraphError as exc:
            raise GraphError(f"cannot preload the images as one list ({exc}); "
                             "choose depth='uint8' or 'uint16'") from None
        self._preloaded = (self.mode, self.depth, images)
        return self


def _norm_extensions(extensions) -> Optional[tuple]:
    if extensions is None:
        return None
    if isinstance(extensions, str):
        extensions = (extensions,)
    out = []
    for e in extensions:
        e = str(e).lower()
        out.append(e if e.startswith(".") else "." + e)
    return tuple(out)


def _walk(top: str, extensions, recursive: bool) -> List[str]:
    """Files under ``top`` with a matching extension, skipping hidden files
    and folders (names starting with "."); symbolic links to folders are
    followed once."""
    found = []
    seen = set()
    for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
        try:
            st = os.stat(dirpath)
            ident = (st.st_dev, st.st_ino)
        except OSError:
            ident = dirpath
        if ident in seen:        # a link cycle
            dirnames[:] = []
            continue
        seen.add(ident)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")] if recursive else []
        for fn in filenames:
            if fn.startswith("."):
                continue
            if extensions is None or fn.lower().endswith(extensions):
                found.append(os.path.join(dirpath, fn))
    return found


def _check_names(files):
    for p in files:
        try:
            p.encode("utf-8")
        except UnicodeEncodeError:
            raise GraphError(f"file name {p!r} is not valid UTF-8; pixelpipes paths are "
                             "UTF-8 strings") from None


class ImageFolder(_ImageSource):
    """The images in a directory tree, with class labels from its sub-folders
    (as torchvision's ``ImageFolder``).

    The directory is scanned once, when this object is made.  With
    ``labels=True`` the classes are the sorted names of the sub-folders of
    ``root`` that hold at least one image; an image's label is the index of
    the class folder it lies in (at any depth when ``recursive``), and files
    directly in ``root`` are not part of the source.  With ``labels=False``
    every image under ``root`` is.  Hidden files and folders (names starting
    with ".") are skipped.  Files are sorted by their path relative to
    ``root``, compared folder by folder.

    Parameters
    ----------
    root : str or os.PathLike
        The directory.
    extensions : sequence of str or None
        File extensions to list, case-insensitive (default
        :data:`IMAGE_EXTENSIONS`: bmp, jpeg, jpg, png, tif, tiff, webp);
        None lists every file.
    recursive : bool
        Descend into sub-folders (of the class folders, with labels).
    labels : bool
        Class labels from the sub-folders (default) or none.
    mode, depth : str
        How :meth:`image` decodes: see :class:`DecodeImage` (default RGB
        uint8).
    cache : bool
        Whether :meth:`image` uses the decoded-image cache.
    preload : bool
        Decode every image now (see :meth:`preload`).
    progress : bool, callable or None
        Progress report of the preload (see :meth:`preload`).
    name : str, optional
        Label of the nodes, for ``explain()`` and error messages.

    Attributes
    ----------
    files : list of str
        Absolute paths, in order.
    paths : Node
        The same as a list-of-strings constant.
    labels : Node
        The int64 labels, a list constant (with ``labels=True``).
    classes : list of str or None
        The class names; label ``k`` is ``classes[k]``.

    Raises
    ------
    GraphError
        If ``root`` is not a directory or holds no matching file.

    Examples
    --------
    ::

        folder = pp.ImageFolder("data/train")       # data/train/<class>/*.jpg
        with pp.Graph() as graph:
            image, label = folder.sample()           # a random file per sample
            pp.Output(pp.Resize(image, (224, 224)), "image")
            pp.Output(label, "label")
    """

    def __init__(self, root, extensions: Optional[Sequence[str]] = IMAGE_EXTENSIONS, *,
                 recursive: bool = True, labels: bool = True, mode="color", depth="uint8",
                 cache: bool = True, preload: bool = False,
                 progress: Union[bool, Callable, None] = None, name: Optional[str] = None):
        root = os.path.abspath(os.fsdecode(root))
        if not os.path.isdir(root):
            raise GraphError(f"ImageFolder: {root!r} is not a directory")
        exts = _norm_extensions(extensions)
        what = "files" if exts is None else "files with extension " + "/".join(exts)
        if labels:
            classes, files, labs = [], [], []
            subdirs = sorted(e.name for e in os.scandir(root)
                             if not e.name.startswith(".") and e.is_dir())
            for sub in subdirs:
                found = _walk(os.path.join(root, sub), exts, recursive)
                if not found:
                    continue
                found.sort(key=lambda p: os.path.relpath(p, root).split(os.sep))
                labs.extend([len(classes)] * len(found))
                files.extend(found)
                classes.append(sub)
            if not files:
                loose = _walk(root, exts, False)
                hint = (f"; it holds {len(loose)} such files directly, use labels=False "
                        "to list them without labels") if loose else ""
                raise GraphError(f"ImageFolder: no sub-folder of {root!r} holds {what}{hint}")
        else:
            files = _walk(root, exts, recursive)
            files.sort(key=lambda p: os.path.relpath(p, root).split(os.sep))
            classes, labs = None, None
            if not files:
                raise GraphError(f"ImageFolder: {root!r} holds no {what}")
        _check_names(files)
        self.root = root
        super().__init__(files, labs, classes, mode, depth, cache, name)
        if preload:
            self.preload(progress=progress)


class ImageFiles(_ImageSource):
    """Images from a list of files, in the given order.

    The files are not checked when the source is made; a missing or bad
    file fails the samples that read it (an
    :class:`~pixelpipes.ExecutionError` naming the file), or the preload.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        The files (relative paths are made absolute now).
    labels : sequence of int, optional
        One label per file.
    classes : sequence of str, optional
        Class names, for reference (``classes[label]``).
    mode, depth, cache, preload, progress, name
        As :class:`ImageFolder`.

    Attributes
    ----------
    files, paths, labels, classes
        As :class:`ImageFolder`.
    """

    def __init__(self, paths: Sequence, labels: Optional[Sequence[int]] = None, *,
                 classes: Optional[Sequence[str]] = None, mode="color", depth="uint8",
                 cache: bool = True, preload: bool = False,
                 progress: Union[bool, Callable, None] = None, name: Optional[str] = None):
        if isinstance(paths, (str, bytes, os.PathLike)):
            raise GraphError("ImageFiles takes a sequence of paths, not one path")
        files = [os.fsdecode(p) for p in paths]
        for p in files:
            if not p or "\0" in p:
                raise GraphError(f"ImageFiles: bad path {p!r}")
        files = [os.path.abspath(p) for p in files]
        if not files:
            raise GraphError("ImageFiles: the list of files is empty")
        _check_names(files)
        if labels is not None:
            labels = list(labels)
            if len(labels) != len(files):
                raise GraphError(f"ImageFiles: {len(labels)} labels for {len(files)} files")
            for x in labels:
                if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
                    raise GraphError(f"ImageFiles: labels must be integers, got {x!r}")
        super().__init__(files, labels, None if classes is None else list(classes),
                         mode, depth, cache, name)
        if preload:
            self.preload(progress=progress)
