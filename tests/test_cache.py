"""The sweep's cache of check results: a reused check gives the job exactly what computing it
would have (metrics, and the rng state training continues from); two processes never compute one
entry; a writer killed half-way leaves no entry, and the next one computes it again."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bmexp.cache import ResultCache, content_key
from bmexp.data import sample_visible
from bmexp.experiment import check_key, run_experiment
from bmexp.samplers import GibbsSampler
from bmexp.schedules import Schedule
from bmexp.zoo import random_model, seed_target

# one worker runs these one after another (pyproject addopts: --dist loadgroup): sweeps of real
# processes, signalled at chosen moments, would otherwise share two cores with another such sweep
pytestmark = pytest.mark.xdist_group("signals")


def _job(cache, eta=0.1):
    teacher, schedule = seed_target(), Schedule.linear(5, 2, sweeps_per_temperature=2)
    student = random_model(2, 2, rng=np.random.default_rng(1), weight_scale=0.1, bias_scale=0.0)
    data = sample_visible(teacher, 200, rng=np.random.default_rng(2))
    training = dict(student=student, teacher=teacher, data=data, eta=eta, epochs=3, n_negative=200)
    rng = np.random.default_rng(7)
    result = run_experiment(
        teacher, rng=rng, schedule=schedule, sampler=GibbsSampler(), check_n=600, training=training, cache=cache
    )
    return result, rng


def _no_timing(metrics):
    return {k: v for k, v in metrics.items() if k not in ("wall_time_s", "sampler.updates_per_s", "train.seconds")}


def test_reused_checks_give_the_job_exactly_what_computing_them_would(tmp_path):
    alone, rng_alone = _job(None)
    first, _ = _job(ResultCache(tmp_path))
    again, rng_again = _job(ResultCache(tmp_path))
    other_eta, _ = _job(ResultCache(tmp_path), eta=0.05)  # the checks do not depend on eta
    assert first.extra["reused"] == [] and len(list(tmp_path.glob("*.json"))) == 4
    assert again.extra["reused"] == other_eta.extra["reused"] == ["conditional", "joint", "random_hidden", "schedule"]
    want = _no_timing(alone.metrics())
    np.testing.assert_equal(_no_timing(again.metrics()), want)  # training continued from the same rng state
    curves = [[_no_timing(values) for _, values in r.step_metrics()] for r in (again, alone)]
    assert curves[0] == curves[1] and len(curves[0]) == 4  # epochs 0..3
    assert rng_again.bit_generator.state == rng_alone.bit_generator.state
    for name, check in alone.checks.items():
        assert again.checks[name].table.equals(check.table) and again.checks[name].to_json() == check.to_json()


def test_the_key_names_every_input_of_a_check():
    model, sampler, schedule = seed_target(), GibbsSampler(), Schedule.linear(5, 2, sweeps_per_temperature=2)
    base = dict(rng=np.random.default_rng(0), schedule=schedule, n=100, alpha=0.01)
    key = check_key("joint", model, sampler, **base)
    assert key == check_key("joint", seed_target(), GibbsSampler(), **{**base, "rng": np.random.default_rng(0)})
    changed = [
        check_key("conditional", model, sampler, **base),
        check_key("joint", model.to("spin"), sampler, **base),
        check_key("joint", model, GibbsSampler(rule="flip"), **base),
        check_key("joint", model, sampler, **{**base, "rng": np.random.default_rng(1)}),
        check_key("joint", model, sampler, **{**base, "schedule": Schedule.linear(5, 2, sweeps_per_temperature=3)}),
        check_key("joint", model, sampler, **{**base, "n": 101}),
        check_key("joint", model, sampler, **{**base, "alpha": 0.05}),
        check_key("joint", model, sampler, **base, hidden=[0, 1]),  # any argument a check takes
    ]
    assert key not in changed and len(set(changed)) == len(changed)
    assert check_key("joint", model, lambda m, **kw: None, **base) is None  # an opaque sampler is never reused


def _compute_once(folder, log, barrier):
    barrier.wait()

    def compute():
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(0.3)  # long enough for the other process to arrive while this one computes
        return {"pid": os.getpid()}

    value, computed = ResultCache(folder).get_or_compute("k", compute)
    with open(log, "a") as f:
        f.write(f"got {value['pid']} {computed}\n")


def test_two_processes_never_compute_the_same_entry(tmp_path):
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(3)
    procs = [ctx.Process(target=_compute_once, args=(tmp_path, tmp_path / "log", barrier)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    lines = (tmp_path / "log").read_text().splitlines()
    computed_by = [line for line in lines if not line.startswith("got")]
    assert len(computed_by) == 1, lines
    assert sorted(line.split()[2] for line in lines if line.startswith("got")) == ["False", "False", "True"]
    assert {line.split()[1] for line in lines if line.startswith("got")} == set(computed_by)


HANG_IN_REPLACE = """
import os, sys, time
from bmexp.cache import ResultCache
os.replace = lambda *a: (open(sys.argv[2], "w").close(), time.sleep(600))  # written, not yet renamed
ResultCache(sys.argv[1]).get_or_compute("k", lambda: {"value": 1})
"""


def test_a_writer_killed_while_writing_leaves_no_entry_and_the_next_computes_it(tmp_path):
    folder, marker = tmp_path / "cache", tmp_path / "writing"
    proc = subprocess.Popen([sys.executable, "-c", HANG_IN_REPLACE, str(folder), str(marker)])
    deadline = time.time() + 60
    while not marker.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert marker.exists() and list(folder.glob(".k.*.tmp"))  # killed with its temporary file written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    cache = ResultCache(folder)
    assert cache.get("k") is None  # no half-written entry
    assert cache.get_or_compute("k", lambda: {"value": 2}) == ({"value": 2}, True)  # its lock died with it
    assert json.loads((folder / "k.json").read_text()) == {"value": 2} and not list(folder.glob("*.tmp"))


def test_content_key_is_canonical_and_exact():
    a = {"x": np.array([0.1, 0.2]), "y": {"b": 1, "a": 2}}
    assert content_key(a) == content_key({"y": {"a": 2, "b": 1}, "x": np.array([0.1, 0.2])})
    assert content_key(a) != content_key({**a, "x": np.array([0.1, np.nextafter(0.2, 1)])})
    assert content_key(a) != content_key({**a, "x": np.array([0.1, 0.2], dtype=np.float32)})


def test_an_unreadable_entry_counts_as_missing(tmp_path):
    Path(tmp_path, "k.json").write_text('{"trunc')
    assert ResultCache(tmp_path).get_or_compute("k", lambda: [1]) == ([1], True)


# ------------------------------------------------------------------ a sweep killed mid-write
SITECUSTOMIZE = """
import os, time

_replace = os.replace


def _hang_once(src, dst, *args, **kwargs):  # the first cache entry of the sweep: written, never renamed
    if str(dst).endswith(".json") and ".bmexp-cache" in str(dst):
        try:
            fd = os.open(os.environ["BMEXP_TEST_HANG"], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return _replace(src, dst, *args, **kwargs)
        os.write(fd, str(dst).encode())
        os.close(fd)
        time.sleep(600)
    return _replace(src, dst, *args, **kwargs)


os.replace = _hang_once
"""
# two jobs (eta 0.01 and 0.1) that share one check
TWO = ["sweep", "sweep=quick", "train=false", "checks.n=500", "checks.names=[joint]"]
TWO += ["convention=binary", "schedule.T0=5"]


@pytest.mark.slow  # two sweeps in subprocesses (about 20 s idle), like tests/test_faults.py's
def test_a_sweep_killed_while_writing_an_entry_computes_it_again_on_resume_and_loses_nothing(tmp_path):
    from tests.test_faults import ENV, assert_complete, bmexp, jobs, start, wait_until

    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    marker = tmp_path / "hanging"
    path = os.pathsep.join(p for p in (str(hook), ENV.get("PYTHONPATH")) if p)
    proc = start(TWO, tmp_path, env={**ENV, "PYTHONPATH": path, "BMEXP_TEST_HANG": str(marker)})
    wait_until(lambda: marker.exists() and marker.read_text(), proc, what="a cache entry being written")
    entry = Path(marker.read_text())
    os.killpg(proc.pid, signal.SIGKILL)  # the launcher and its workers at once: nobody cleans up
    proc.communicate()
    assert not entry.exists() and list(entry.parent.glob(f".{entry.stem}.*.tmp"))
    again = bmexp(TWO, tmp_path)  # the resume
    assert again.returncode == 0, again.stderr
    assert_complete(tmp_path, configurations=2)
    assert entry.exists() and not list(entry.parent.glob("*.tmp")) and len(list(entry.parent.glob("*.json"))) == 1
    finished = jobs(tmp_path, "FINISHED")
    assert sorted(r.data.tags.get("bmexp.checks_reused", "") for r in finished) == ["", "joint"]  # computed once
    assert len({r.data.metrics["check.joint.statistic"] for r in finished}) == 1  # the same check, value for value
