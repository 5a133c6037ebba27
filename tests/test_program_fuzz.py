"""Tampered programs: a program file can carry any slot index, integer or
float parameter.  Mutated programs must be refused on load or fail their
samples with an error; none may kill the process.  Each mutation runs in a
forked child, whose death by a signal is the failure."""

import copy
import os
import random
import sys
import time

import numpy as np
import pytest

import pixelpipes as pp
from pixelpipes.data import load_photo

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin",
                                reason="needs fork")

CONTROL = ("jump", "jump_if_false", "jump_table", "move")
INTS = [-2 ** 31, -1, 0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 255, 1000, 2 ** 31 - 1, 2 ** 40]
FLOATS = [float("nan"), float("inf"), -float("inf"), -1.0, 0.0, 0.5, 1e30, -1e30]


def programs():
    photo = np.ascontiguousarray(load_photo("astronaut")[::8, ::8])
    gray = np.ascontiguousarray(photo[:, :, 1])
    out = []

    def build(fn):
        with pp.Graph() as graph:
            fn(pp.GetElement(pp.Constant([photo]), pp.SampleIndex() % 1),
               pp.GetElement(pp.Constant([gray]), pp.SampleIndex() % 1))
        out.append(graph.compile(seed=1).program)

    build(lambda im, g: pp.Output(pp.ToCHW(pp.Normalize(pp.ColorJitter(pp.RandomFlip(
        pp.RandomResizedCrop(im, (16, 16)), p=0.5), 0.4, 0.4, 0.4, 0.1),
        (0.5,) * 3, (0.2,) * 3)), "x"))
    build(lambda im, g: pp.Output(pp.RandomCrop(im, 24, 24, padding=4, border="reflect_101"),
                                  "x"))
    build(lambda im, g: [pp.Output(pp.Rotate(im, pp.RandomUniform(-30, 30)), "a"),
                         pp.Output(pp.Resize(g, (20, 30), "cubic"), "b")])
    build(lambda im, g: [pp.Output(pp.GaussianBlur(im, 1.0, 5), "a"),
                         pp.Output(pp.MedianBlur(g, 5), "b"), pp.Output(pp.Canny(g, 50, 99), "c")])
    build(lambda im, g: [pp.Output(pp.ConvertColor(im, "rgb2hsv"), "a"),
                         pp.Output(pp.Hue(im, 0.2), "b"), pp.Output(pp.EqualizeHistogram(g), "c"),
                         pp.Output(pp.CoarseDropout(im, (1, 3)), "d")])
    return out


def mutate(program, rng):
    p = copy.deepcopy(program)
    ops = [k for k, op in enumerate(p.code) if op.kernel not in CONTROL]
    k = rng.choice(ops)
    op = p.code[k]
    what = rng.choice("ifa")
    if what == "i" and op.iparams:
        op.iparams[rng.randrange(len(op.iparams))] = rng.choice(INTS)
    elif what == "f" and op.fparams:
        op.fparams[rng.randrange(len(op.fparams))] = rng.choice(FLOATS)
    elif op.args:       # another slot that holds a value by then
        written = {s for s, _ in p.constants} | {o.out for o in p.code[:k] if o.out >= 0}
        op.args[rng.randrange(len(op.args))] = rng.choice(sorted(written))
    return p


def survives(program) -> bool:
    """Whether the child running ``program`` ends by itself, without a
    signal, within a minute (a hang fails too)."""
    pid = os.fork()
    if pid == 0:                    # the child: anything but a signal is fine
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
            pp.Pipeline(program).batch(range(3), threads=2)
        except BaseException:
            pass
        os._exit(0)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return not os.WIFSIGNALED(status)
        time.sleep(0.005)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return False


def test_mutated_programs_never_crash():
    rng = random.Random(20261125)
    base = programs()
    crashed = []
    for trial in range(240):
        program = mutate(rng.choice(base), rng)
        if not survives(program):
            crashed.append(program.explain())
    assert not crashed, "programs that killed or hung the process:\n\n" + "\n\n".join(crashed[:3])
