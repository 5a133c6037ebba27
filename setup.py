"""Build of the compiled part of pixelpipes (``pixelpipes/_core``).

OpenMP is probed the way scikit-learn's setuptools build did: compile, link
and run a tiny ``omp parallel`` program.  With OpenMP the extensions are built
with it; without, a warning is printed and everything builds serially.  Set
``PIXELPIPES_REQUIRE_OPENMP=1`` to make a missing OpenMP an error, and
``PIXELPIPES_DEBUG=1`` for bounds-checked, unoptimised extensions, and
``PIXELPIPES_BUILD_ONLY=_ops_math,...`` to rebuild only some modules in place
while developing.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
from pathlib import Path

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent
CORE = HERE / "pixelpipes" / "_core"
DEBUG = os.environ.get("PIXELPIPES_DEBUG", "") not in ("", "0")
# Development aid: build only these modules (comma-separated stems).
ONLY = {s for s in os.environ.get("PIXELPIPES_BUILD_ONLY", "").split(",") if s}

PROBE = textwrap.dedent(
    """
    #include <omp.h>
    #include <stdio.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        printf("%d", n > 0 && omp_get_max_threads() > 0);
        return 0;
    }
    """
)


def openmp_flags(compiler):
    """(compile_args, link_args) that enable OpenMP, or None."""
    if sys.platform == "darwin":
        candidates = [(["-Xpreprocessor", "-fopenmp"], ["-lomp"])]
    elif compiler.compiler_type == "msvc":
        candidates = [(["/openmp"], [])]
    else:
        candidates = [(["-fopenmp"], ["-fopenmp"])]
    for cflags, lflags in candidates:
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "probe.c"
            src.write_text(PROBE)
            try:
                objs = compiler.compile([str(src)], output_dir=tmp, extra_postargs=cflags)
                exe = str(Path(tmp) / "probe")
                compiler.link_executable(objs, exe, extra_postargs=lflags)
                out = subprocess.run([exe], capture_output=True, text=True, timeout=60)
            except Exception:  # noqa: BLE001 - any failure means "no OpenMP"
                continue
            if out.returncode == 0 and out.stdout.strip() == "1":
                return cflags, lflags
    return None


class BuildExt(build_ext):
    def finalize_options(self):
        super().finalize_options()
        if not self.parallel:   # compile the extension modules side by side
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        flags = openmp_flags(self.compiler)
        if flags is None:
            msg = ("pixelpipes: OpenMP was not found; building a SERIAL executor "
                   "(batches will use one thread).")
            if os.environ.get("PIXELPIPES_REQUIRE_OPENMP", "") not in ("", "0"):
                raise RuntimeError(msg + " PIXELPIPES_REQUIRE_OPENMP is set.")
            print("\n" + "!" * 72 + "\n" + msg + "\n" + "!" * 72 + "\n", file=sys.stderr)
            cflags, lflags = [], []
        else:
            print("pixelpipes: building with OpenMP (%s)" % " ".join(flags[0]))
            cflags, lflags = flags
        for ext in self.extensions:
            ext.extra_compile_args = list(ext.extra_compile_args) + cflags
            ext.extra_link_args = list(ext.extra_link_args) + lflags
        super().build_extensions()


def extensions():
    from Cython.Build import cythonize

    if sys.platform == "win32":
        base = ["/O2"]
    else:
        # -ffp-contract=off: no fused multiply-add contraction, so float
        # results are the same bytes on machines with and without FMA.
        base = ["-O0", "-g"] if DEBUG else ["-O3"]
        base += ["-ffp-contract=off", "-fno-math-errno", "-Wno-unused-function",
                 "-Wno-unreachable-code", "-Wno-sign-compare"]
    exts = [
        Extension(
            "pixelpipes._core." + pyx.stem,
            [str(pyx.relative_to(HERE))],
            include_dirs=[str(CORE), numpy.get_include()],
            extra_compile_args=base,
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION")],
            # a changed header rebuilds every module (cythonize tracks cimports)
            depends=[str(h.relative_to(HERE)) for h in sorted(CORE.glob("*.h"))],
        )
        for pyx in sorted(CORE.glob("*.pyx"))
        if not ONLY or pyx.stem in ONLY
    ]
    directives = {
        "language_level": 3,
        "boundscheck": DEBUG,
        "wraparound": False,
        "initializedcheck": DEBUG,
        "cdivision": True,
        "embedsignature": True,
    }
    return cythonize(exts, compiler_directives=directives,
                     nthreads=int(os.environ.get("PIXELPIPES_CYTHON_JOBS", os.cpu_count() or 1)),
                     annotate=os.environ.get("PIXELPIPES_ANNOTATE", "") not in ("", "0"))


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
