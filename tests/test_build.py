"""How the package was built."""

import os

import pytest

import pixelpipes as pp
from pixelpipes._core import _parallel


def test_build_info_reports_openmp_and_threads():
    info = pp.build_info()
    assert set(info) == {"openmp", "threads", "omp_max_threads"}
    assert info["openmp"] == _parallel.openmp_enabled()
    assert info["threads"] >= 1
    if not info["openmp"]:
        assert info["threads"] == 1


@pytest.mark.skipif(os.environ.get("PIXELPIPES_ALLOW_SERIAL", "") not in ("", "0"),
                    reason="PIXELPIPES_ALLOW_SERIAL is set: a serial build is accepted")
def test_openmp_did_not_silently_go_missing():
    assert pp.build_info()["openmp"], (
        "pixelpipes was built without OpenMP; batches run on one thread. Install a "
        "compiler with OpenMP, or set PIXELPIPES_ALLOW_SERIAL=1 to accept a serial build.")


def test_thread_count_honours_omp_num_threads(monkeypatch):
    import subprocess
    import sys

    code = "import pixelpipes as pp; print(pp.effective_n_threads(None))"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "1"


def test_thread_count_honours_threadpoolctl():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not pp.build_info()["openmp"]:
        pytest.skip("serial build")
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert pp.effective_n_threads(None) == 1
    assert pp.effective_n_threads(5) == 5


@pytest.mark.parametrize("user", [None, "ACTIVE"])
def test_idle_threads_sleep_unless_the_user_asks_otherwise(user):
    """pixelpipes loads the OpenMP runtime with OMP_WAIT_POLICY=PASSIVE (idle
    threads do not spin between batches), then removes the variable again;
    a policy the user set is kept."""
    import subprocess
    import sys

    if not _parallel.openmp_enabled():
        pytest.skip("built without OpenMP")
    env = dict(os.environ, OMP_DISPLAY_ENV="TRUE")
    env.pop("OMP_WAIT_POLICY", None)
    if user:
        env["OMP_WAIT_POLICY"] = user
    code = "import os, pixelpipes; print('after', os.environ.get('OMP_WAIT_POLICY'))"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    shown = run.stdout + run.stderr
    want = user or "PASSIVE"
    assert f"OMP_WAIT_POLICY = '{want}'" in shown
    assert f"after {user}" in shown
