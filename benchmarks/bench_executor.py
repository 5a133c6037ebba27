"""Executor overhead and thread scaling on a 100-node scalar graph.

    python benchmarks/bench_executor.py [--samples 50000] [--repeats 7]

Prints nanoseconds per node per sample (target: <= 50; wall-clock and CPU time
of the running thread, which a busy machine inflates less), samples/s with 1 and 2
threads and their ratio (target: >= 1.8), and -- for scale -- the same
computation as a plain Python loop, measured in the same run.  Measurements
alternate between the variants and the best of ``--repeats`` is kept, since the
machines this runs on are small and noisy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pixelpipes as pp

N_NODES = 100


def build_graph():
    """100 kernel nodes: a chain of float arithmetic on the sample index."""
    with pp.Graph() as graph:
        x = pp.SampleIndex() * 0.5                      # 2 nodes (index, multiply)
        for k in range((N_NODES - 2) // 2):             # 98 nodes
            x = x * 1.000001 + 0.25 if k % 2 else (x - 0.125) * 0.999999
        pp.Output(x, "x")
    return graph


def python_reference(i):
    x = i * 0.5
    for k in range((N_NODES - 2) // 2):
        x = x * 1.000001 + 0.25 if k % 2 else (x - 0.125) * 0.999999
    return x


def best(fn, repeats, clock=time.perf_counter):
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=50000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    pipeline = build_graph().compile(seed=0)
    kernels = [op for op in pipeline.program.code]
    assert len(kernels) == N_NODES, f"graph has {len(kernels)} instructions"
    n = args.samples
    indices = np.arange(n)
    # correctness first: the executor computes what Python computes
    got = pipeline.batch(range(100))["x"]
    want = np.array([python_reference(i) for i in range(100)])
    assert np.allclose(got, want, rtol=1e-12), "executor disagrees with Python"

    pipeline.batch(indices, threads=2)   # warm the frames of both thread counts
    t1 = t2 = float("inf")
    for _ in range(args.repeats):        # interleaved, best of each
        t1 = min(t1, best(lambda: pipeline.batch(indices, threads=1), 1))
        t2 = min(t2, best(lambda: pipeline.batch(indices, threads=2), 1))
    # CPU time of the calling thread (1-thread batches run on it): unlike wall
    # time it does not grow when other processes share the cores.
    cpu1 = best(lambda: pipeline.batch(indices, threads=1), args.repeats, time.thread_time)
    m = max(1, n // 20)
    tpy = best(lambda: [python_reference(i) for i in range(m)], args.repeats) * (n / m)

    info = pp.build_info()
    print(f"pixelpipes {pp.__version__}, OpenMP {'on' if info['openmp'] else 'off'}, "
          f"{info['threads']} threads available")
    print(f"graph: {N_NODES} scalar nodes, {n} samples, best of {args.repeats}")
    print(f"executor overhead : {t1 / (n * N_NODES) * 1e9:8.1f} ns per node per sample "
          f"wall, {cpu1 / (n * N_NODES) * 1e9:.1f} ns CPU (target <= 50)")
    print(f"1 thread          : {n / t1:12,.0f} samples/s")
    print(f"2 threads         : {n / t2:12,.0f} samples/s   ratio {t1 / t2:.2f}x "
          f"(target >= 1.8x)")
    print(f"plain Python loop : {n / tpy:12,.0f} samples/s   "
          f"pixelpipes 1 thread is {tpy / t1:.1f}x faster")


if __name__ == "__main__":
    main()
