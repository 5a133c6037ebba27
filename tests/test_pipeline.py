"""Running compiled pipelines: batches, streams, shards, files, errors."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import pixelpipes as pp
from pixelpipes.program import FORMAT_VERSION, MAGIC


def make_graph():
    with pp.Graph() as graph:
        i = pp.SampleIndex()
        images = pp.Constant([np.full((2, 3), k, np.uint8) for k in range(3)]
                             + [np.full((4, 1), 9, np.uint8)])
        pp.Output(i, "index")
        pp.Output(pp.RandomUniform(0, 1, shape=(3,)), "noise")
        pp.Output(images[i % 4], "image")        # shape varies per sample
        pp.Output(pp.Conditional(i % 2, "odd", "even"), "parity")
    return graph


@pytest.fixture(scope="module")
def pipeline():
    return make_graph().compile(seed=7)


def test_run_returns_numpy_values(pipeline):
    out = pipeline.run(5)
    assert set(out) == {"index", "noise", "image", "parity"}
    assert out["index"].shape == () and int(out["index"]) == 5
    assert out["noise"].dtype == np.float64 and out["noise"].shape == (3,)
    np.testing.assert_array_equal(out["image"], np.full((2, 3), 1, np.uint8))
    assert out["parity"] == "odd"


def test_batch_stacks_fixed_and_lists_variable(pipeline):
    b = pipeline.batch(range(8))
    assert b["index"].tolist() == list(range(8))
    assert b["noise"].shape == (8, 3) and b["noise"].flags.c_contiguous
    assert isinstance(b["image"], list) and b["image"][3].shape == (4, 1)
    assert b["parity"][:2] == ["even", "odd"]
    np.testing.assert_array_equal(b.indices, np.arange(8))
    for k in range(8):
        one = pipeline.run(k)
        np.testing.assert_array_equal(b["noise"][k], one["noise"])
        np.testing.assert_array_equal(b["image"][k], one["image"])


def test_empty_batch(pipeline):
    b = pipeline.batch([])
    assert b["noise"].shape == (0, 3) and b["image"] == []


@pytest.mark.parametrize("bad", [[-1], [1.5], "x"])
def test_bad_indices(pipeline, bad):
    with pytest.raises((ValueError, TypeError)):
        pipeline.batch(bad)


@pytest.mark.parametrize("threads", [0, -2, 1.5, True])
def test_bad_thread_counts(pipeline, threads):
    with pytest.raises(ValueError, match="threads"):
        pipeline.batch(range(4), threads=threads)


def test_stream_batches_and_resume(pipeline):
    stream = pipeline.stream(batch_size=4, start=10)
    first = next(stream)
    second = next(stream)
    stream.close()
    assert first["index"].tolist() == [10, 11, 12, 13]
    assert second["index"].tolist() == [14, 15, 16, 17]
    resumed = next(iter(pipeline.stream(batch_size=4, start=first.resume, prefetch=0)))
    np.testing.assert_array_equal(resumed["noise"], second["noise"])


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_shards_cover_the_index_space_exactly(pipeline, n):
    seen = []
    for k in range(n):
        stream = pipeline.stream(batch_size=3, start=4, shard=(k, n), prefetch=1)
        for _ in range(4):
            seen.extend(next(stream)["index"].tolist())
        stream.close()
    assert sorted(seen) == list(range(4, 4 + 12 * n))


def test_shard_resume(pipeline):
    stream = pipeline.stream(batch_size=2, start=0, shard=(1, 3), prefetch=0)
    a = next(stream)
    b = next(stream)
    again = next(pipeline.stream(batch_size=2, start=a.resume, shard=(1, 3)))
    assert b["index"].tolist() == again["index"].tolist() == [7, 10]


@pytest.mark.parametrize("kwargs", [dict(batch_size=0), dict(batch_size=2, start=-1),
                                    dict(batch_size=2, shard=(2, 2)),
                                    dict(batch_size=2, prefetch=-1)])
def test_bad_stream_arguments(pipeline, kwargs):
    with pytest.raises(ValueError):
        pipeline.stream(**kwargs)


def test_stream_error_reaches_consumer():
    with pp.Graph() as graph:
        i = pp.SampleIndex()
        pp.Output(pp.Select(i, 0, 1, 2, 3, 4, 5), "x")
    stream = graph.compile().stream(batch_size=4, prefetch=2)
    assert next(stream)["x"].tolist() == [0, 1, 2, 3]
    with pytest.raises(pp.ExecutionError) as info:
        next(stream)
    assert info.value.sample == 6


def test_error_names_node_sample_and_returns_nothing():
    with pp.Graph() as graph:
        i = pp.SampleIndex()
        items = pp.Constant(["a", "b", "c"], name="letters")
        pp.Output(pp.Select(pp.Maximum(i - 40, 0), "ok", "ok"), "x")   # fails for i >= 42
        pp.Output(items[0], "y")
    pipeline = graph.compile()
    with pytest.raises(pp.ExecutionError) as info:
        pipeline.batch(range(30, 60), threads=2)
    err = info.value
    assert err.sample == 42
    assert "Select" in str(err) and "sample 42" in str(err)
    assert "test_pipeline.py:" in str(err)
    # the pipeline is still usable afterwards
    assert pipeline.batch(range(30, 41))["y"] == ["a"] * 11


def test_save_and_load_roundtrip(pipeline, tmp_path):
    path = tmp_path / "aug.ppl"
    pipeline.save(path)
    same = pp.load(path)
    assert same.outputs == pipeline.outputs
    a, b = pipeline.batch(range(20)), same.batch(range(20))
    for label in ("index", "noise"):
        assert a[label].tobytes() == b[label].tobytes()
    for x, y in zip(a["image"], b["image"]):
        np.testing.assert_array_equal(x, y)
    assert a["parity"] == b["parity"]
    assert same.explain() == pipeline.explain()


def test_load_needs_no_graph_code(pipeline, tmp_path):
    path = tmp_path / "aug.ppl"
    pipeline.save(path)
    code = textwrap.dedent(f"""
        import sys, numpy as np
        import pixelpipes as pp
        p = pp.load({str(path)!r})
        sys.stdout.write(p.batch(range(20))["noise"].tobytes().hex())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout == pipeline.batch(range(20))["noise"].tobytes().hex()


def test_corrupt_files_raise_clear_errors(pipeline, tmp_path):
    data = pipeline.program.to_bytes()
    cases = {
        "truncated": data[:-10],
        "header only": data[:12],
        "foreign": b"\x89PNG\r\n\x1a\n" + b"\0" * 40,
        "empty": b"",
        "corrupted": data[:40] + bytes([data[40] ^ 0xFF]) + data[41:],
        "future": MAGIC + (FORMAT_VERSION + 1).to_bytes(4, "little") + data[12:],
        "trailing": data + b"x",
    }
    messages = {"truncated": "truncated", "header only": "truncated",
                "foreign": "not a pixelpipes", "empty": "not a pixelpipes",
                "corrupted": "corrupted", "future": "newer", "trailing": "unexpected"}
    for name, blob in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.ppl"
        path.write_bytes(blob)
        with pytest.raises(pp.ProgramFileError, match=messages[name]) as info:
            pp.load(path)
        assert str(path) in str(info.value)


def test_malformed_program_is_rejected_not_crashing(pipeline):
    from pixelpipes.program import Program

    data = pipeline.program.to_bytes()
    program = Program.from_bytes(data)
    program.code[0].args = [10 ** 6]
    with pytest.raises(ValueError, match="slot"):
        pp.Pipeline(program)
    program = Program.from_bytes(data)
    program.code[0].kernel = "no_such_kernel"
    with pytest.raises(ValueError, match="unknown kernel"):
        pp.Pipeline(program)


def test_programs_reading_unwritten_slots_are_rejected(tmp_path):
    """A program file whose instruction reads a slot that nothing wrote on
    some path (a valid checksum, a slot index in range) is refused on load
    (it made kernels read a value that was never made)."""
    from pixelpipes.program import Program

    with pp.Graph() as graph:
        x = pp.RandomUniform(0, 1)
        y = pp.Toggle(0.5, x * 2, x + 1)
        pp.Output(y * 3, "y")
    program = graph.compile(seed=1).program
    pp.Pipeline(program)                   # as compiled: accepted
    free = program.n_slots                 # a slot no instruction writes
    used = {s for op in program.code for s in op.args}
    for k, op in enumerate(program.code):
        if op.args and op.kernel != "move":
            broken = Program.from_bytes(program.to_bytes())
            broken.n_slots += 1
            broken.code[k].args[0] = free
            path = tmp_path / f"broken{k}.ppl"
            path.write_bytes(broken.to_bytes())          # a valid checksum
            with pytest.raises(ValueError, match=f"instruction {k} .*reads slot {free}"):
                pp.load(path)
    # a slot written in one branch only, read after the join
    branchy = Program.from_bytes(program.to_bytes())
    jumps = [k for k, op in enumerate(branchy.code) if op.kernel == "jump_if_false"]
    assert jumps and used
    moves = [k for k, op in enumerate(branchy.code) if op.kernel == "move"]
    branchy.code[moves[0]].out = free
    branchy.n_slots += 1
    last = branchy.code[-1]
    last.args[0] = free
    with pytest.raises(ValueError, match="reads slot"):
        pp.Pipeline(branchy)


def test_stream_close_is_prompt():
    with pp.Graph() as graph:
        pp.Output(pp.RandomUniform(0, 1, shape=(64, 64)), "x")
    stream = graph.compile().stream(batch_size=256, prefetch=4)
    next(stream)
    t0 = time.monotonic()
    stream.close()
    assert not stream._thread.is_alive()
    assert time.monotonic() - t0 < 30  # generous: only guards against a hang


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_a_stream():
    code = textwrap.dedent("""
        import sys, pixelpipes as pp
        with pp.Graph() as graph:
            pp.Output(pp.RandomUniform(0, 1, shape=(128, 128)), "x")
        print("ready", flush=True)
        try:
            for batch in graph.compile().stream(batch_size=64, prefetch=2):
                pass
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert "interrupted" in out
    assert proc.returncode == 0


def test_concurrent_batches_from_python_threads(pipeline):
    expected = pipeline.batch(range(64))["noise"]
    results = []

    def work():
        results.append(pipeline.batch(range(64), threads=2)["noise"])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for r in results:
        assert r.tobytes() == expected.tobytes()


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_reported_failure_is_the_lowest_failing_sample(threads):
    with pp.Graph() as graph:
        i = pp.SampleIndex()
        pp.Output(pp.Select(i % 7, 0, 1, 2, 3, 4, 5), "x")  # fails when i % 7 == 6
    pipeline = graph.compile()
    for order in (range(199, -1, -1), range(200), list(range(100, 200)) + list(range(100))):
        with pytest.raises(pp.ExecutionError) as info:
            pipeline.batch(order, threads=threads)
        assert info.value.sample == 6


def test_steady_state_does_not_allocate():
    with pp.Graph() as graph:
        noise = pp.RandomUniform(0, 1, shape=(32, 32))
        scaled = noise * pp.RandomNormal(1, 0.1) + 3
        pp.Output(pp.Transpose(scaled), "x")
        pp.Output(pp.Conditional(pp.RandomBernoulli(0.5), scaled, noise), "y")
    pipeline = graph.compile(seed=3)
    executor = pipeline._executor
    # Warm-up until three batches in a row allocate nothing: which thread
    # runs which samples (and so when a thread's buffers first grow) depends
    # on scheduling.  A per-batch allocation would never settle.
    start, quiet, before = 0, 0, executor.allocations()
    while quiet < 3 and start < 100 * 256:
        pipeline.batch(range(start, start + 256), threads=2)
        start += 256
        now = executor.allocations()
        quiet = quiet + 1 if now == before else 0
        before = now
    assert quiet == 3 and before > 0
    for k in range(7):
        pipeline.batch(range(start, start + 256), threads=2)
        start += 256
    assert executor.allocations() == before


def test_program_with_missing_arguments_fails_cleanly():
    """A damaged program whose instruction lost its arguments must not crash."""
    from pixelpipes.program import Program

    with pp.Graph() as graph:
        i = pp.SampleIndex()
        pp.Output(i + i * 2, "x")
    program = Program.from_bytes(graph.compile().program.to_bytes())
    for op in program.code:
        if op.kernel != "sample_index":
            op.args = op.args[:1]
    pipeline = pp.Pipeline(program)
    try:
        out = pipeline.batch(range(4))
    except pp.ExecutionError as exc:     # a clean error naming the sample...
        assert exc.sample == 0
    else:                                # ...or a well-formed (meaningless) result
        assert out["x"].shape == (4,) and out["x"].dtype == np.int64


@pytest.mark.parametrize("make,kernel,index,values,message", [
    (lambda x: pp.Canny(x, 10, 20), "canny", 0, (1000, 2 ** 40, -3, 4),
     "aperture must be 3, 5 or 7"),
    (lambda x: pp.Laplacian(x, 3), "laplacian", 0, (255, 9, -1, 2 ** 40),
     "bad Laplacian parameters"),
    (lambda x: pp.Laplacian(x, 3), "laplacian", 2, (99, -1), "bad Laplacian parameters"),
    (lambda x: pp.Sobel(x, 1, 0), "sobel", 2, (255, 9, 0, -2), "bad Sobel parameters"),
    (lambda x: pp.Sobel(x, 1, 0), "sobel", 0, (3, 40, -1), "bad Sobel parameters"),
])
def test_tampered_kernel_parameters_fail_the_sample_not_the_process(make, kernel, index,
                                                                     values, message):
    """Parameters a program file carries are checked by the kernels again
    (found by mutating saved programs: Canny indexed a table by its aperture,
    Laplacian and Sobel sized kernel tables by ksize)."""
    from pixelpipes.program import Program

    with pp.Graph() as graph:
        image = pp.GetElement(pp.Constant([np.zeros((8, 8), np.uint8)]), pp.SampleIndex() % 1)
        pp.Output(make(image), "out")
    program = graph.compile().program
    (k,) = [k for k, op in enumerate(program.code) if op.kernel == kernel]
    pp.Pipeline(program).run(0)
    for value in values:
        broken = Program.from_bytes(program.to_bytes())
        broken.code[k].iparams[index] = value
        with pytest.raises(pp.ExecutionError, match=message):
            pp.Pipeline(broken).run(0)


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork")
def test_forked_children_do_not_hang():
    """GCC's OpenMP pool does not survive fork: a child forked after its
    parent ran a batch on two threads used to hang in its first two-thread
    batch.  Such a child now runs batches on one thread (warning once); a
    child forked before the parent's first multi-threaded batch keeps its
    threads.  Run in a fresh interpreter, whose OpenMP pool state is known."""
    code = textwrap.dedent("""
        import os, sys, time, warnings
        import numpy as np
        import pixelpipes as pp
        with pp.Graph() as g:
            pp.Output(pp.RandomUniform(0, 1, shape=(500,)), "x")
        p = g.compile(seed=3)

        def child(body):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    out = body()
                os.write(w, (out + " warned=%d" % len(caught)).encode())
                os._exit(0)
            os.close(w)
            t0 = time.time()
            while time.time() - t0 < 60:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    return os.read(r, 1 << 16).decode()
                time.sleep(0.02)
            os.kill(pid, 9)
            return "HUNG"

        openmp = pp.build_info()["openmp"]
        print(child(lambda: "before n=%d" % pp.effective_n_threads(2)))
        ref = p.batch(range(40), threads=2)["x"]
        print(child(lambda: "after n=%d same=%d" % (
            pp.effective_n_threads(2),
            p.batch(range(40), threads=2)["x"].tobytes() == ref.tobytes())))
        print("openmp=%d" % openmp)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=240).stdout.split("\n")
    openmp = out[2] == "openmp=1"
    assert out[0] == ("before n=2 warned=0" if openmp else "before n=1 warned=0")
    assert out[1] == ("after n=1 same=1 warned=1" if openmp else "after n=1 same=1 warned=0")
