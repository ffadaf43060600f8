"""``python -m bmexp <command> [hydra overrides]``: the only code that reads a Hydra config.

Bad input of any kind (an unknown key, a wrongly typed value, a value out of range, an
unknown command) prints one line on stderr and exits with code 2, without a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from . import arguments, early_signal
from .boundary import refuse_added_keys, validate_launcher, validate_run_config
from .commands import COMMANDS
from .errors import InputError, one_line
from .tracking import StoreError

__all__ = ["main", "config_path", "plan_sweep"]

EXIT_BAD_INPUT = 2


def config_path() -> str:
    """The repository's ``conf/`` from a checkout, else the installed ``bmexp.conf`` package."""
    checkout = Path(__file__).resolve().parent.parent / "conf"
    if (checkout / "table.yaml").is_file():
        return str(checkout)
    return "pkg://bmexp.conf"


#: commands whose ``-m`` multirun is planned (each job composed and validated) before any job runs
MULTIRUN_COMMANDS = ("run", "check", "train", "table")


#: the Hydra launcher whose workers :func:`plan_sweep` can start early (bmexp.launcher.prestart)
BMEXP_LAUNCHER = "hydra_plugins.bmexp_launcher.BmexpLauncher"


def plan_sweep(config_name: str, overrides: list[str], prestart: bool = False) -> list[list[str]]:
    """Every job's overrides of a sweep, each composed and validated before anything runs.

    With ``prestart`` and bmexp's own launcher, the sweep's workers start as soon as their number is
    known, and import what a job needs while the jobs are validated here and Hydra composes its own
    config; the caller must call ``bmexp.launcher.discard_prestarted()`` on every way out."""
    import itertools

    from hydra import compose, initialize_config_dir, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from .config import grid_params, register

    register()
    parser = OverridesParser.create()
    parsed = parser.parse_overrides(overrides)
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
    cli_sweeps = {o.get_key_element(): o for o in parsed if o.is_sweep_override()}
    path = config_path()
    GlobalHydra.instance().clear()
    init = (
        initialize_config_module("bmexp.conf", version_base="1.3")
        if path.startswith("pkg://")
        else initialize_config_dir(config_dir=path, version_base="1.3")
    )
    with init:
        base = compose(config_name, overrides=fixed, return_hydra_config=True)
        fixed_keys = {o.get_key_element() for o in parsed if not o.is_sweep_override()}
        grids = grid_params(base.hydra.sweeper.get("params"), base.hydra.sweeper.get("grids"))
        swept = {k for params in grids for k in params}
        for o in parsed:  # Hydra keys axes by the key as typed: `++key=a,b` would multiply the sweep's own `key` axis
            if o.get_key_element() != o.key_or_group and (o.key_or_group in swept or o.key_or_group in cli_sweeps):
                prefix = o.get_key_element()[: -len(o.key_or_group)]
                raise InputError.about(
                    o.key_or_group,
                    f"{{argument}} is swept by this sweep already; write {o.key_or_group}=... without {prefix!r} to "
                    f"replace its values (received {o.input_line!r}, which Hydra would run as a second axis of the "
                    "same key)",
                )
        products = []  # each grid's axes and their values (an axis past the limit: cut at MAX_SWEEP_JOBS + 1)
        for params in grids:
            axes = {k: parser.parse_override(f"{k}={v}") for k, v in params.items() if k not in fixed_keys}
            axes.update(cli_sweeps)
            products.append((axes, [_axis_values(key, o, MAX_SWEEP_JOBS) for key, o in axes.items()]))
        _count_jobs(products)
        jobs = []
        for axes, choices in products:
            jobs += [fixed + list(combo) for combo in itertools.product(*choices)] if choices else [fixed]
        tracked = "tracking" in base  # run and sweep log to a store; check, train and table do not
        uri = base.tracking.uri if tracked else None
        if tracked and base.hydra.job.get("chdir"):
            raise InputError.about(
                "hydra.job.chdir",
                "{argument} = true: a sweep's jobs run in the directory it was launched from, where they find "
                "the store (mlruns/), the sweep's check cache and relative paths (with true each job would "
                "write a store of its own in its job directory); allowed: false",
            )
        validate_launcher(base.hydra.launcher, uri)  # before the jobs: a bad launcher option costs nothing
        arguments.path(str(base.hydra.sweep.dir), "hydra.sweep.dir", kind="out_dir")  # before the parent run opens
        _check_subdir(OmegaConf.to_container(base.hydra.sweep, resolve=False).get("subdir"), len(jobs))
        if prestart and base.hydra.launcher.get("_target_") == BMEXP_LAUNCHER:
            from . import launcher

            sqlite = not uri or str(uri).startswith("sqlite:")
            launcher.prestart(launcher.worker_count(base.hydra.launcher.get("n_jobs"), len(jobs)), sqlite)
        validate = _validator(config_name)
        compose_job = _JobComposer(config_name, fixed, parser)
        for job in jobs:
            composed = compose_job(job[len(fixed) :])
            refuse_added_keys(composed)
            validate(composed)
    GlobalHydra.instance().clear()
    if tracked:
        from .tracking import Store

        Store.default(uri=uri).preflight()  # a store that cannot take the runs: exit 2 before any job starts
    return jobs


#: The most jobs one sweep runs (each is composed, validated and tracked as a run of its own)
MAX_SWEEP_JOBS = 10_000


def _axis_values(key: str, override, most: int) -> list[str]:
    """The ``key=value`` lines of a sweep axis (up to ``most + 1`` of them: enough to tell it is too many)."""
    import itertools

    if not override.is_sweep_override():
        return [override.input_line]
    try:
        values = [f"{key}={v}" for v in itertools.islice(override.sweep_string_iterator(), max(1, most) + 1)]
    except Exception as exc:  # (Hydra's: range(1, 2, 0), glob() outside a config group, interval() to enumerate)
        raise InputError.about(
            key,
            f"{{argument}}: {override.input_line!r} cannot be swept here ({' '.join(str(exc).split())}); "
            "allowed: a list of values a,b,c, choice(...) or range(start, stop[, step])",
        ) from None
    if not values:
        raise InputError.about(
            key, f"{{argument}}: {override.input_line!r} has no values; a sweep axis needs one or more"
        )
    return values


def _count_jobs(products: list) -> None:
    """Refuse a sweep of more than :data:`MAX_SWEEP_JOBS` jobs (its grids' products of axes, added up), naming
    its longest axis, before any job is made."""
    import math

    total = sum(math.prod(len(c) for c in choices) for _, choices in products)
    if total <= MAX_SWEEP_JOBS:
        return
    capped = any(len(c) > MAX_SWEEP_JOBS for _, choices in products for c in choices)
    key, override, values = max(
        ((k, axes[k], c) for axes, choices in products for k, c in zip(axes, choices)), key=lambda a: len(a[2])
    )
    count = f"more than {MAX_SWEEP_JOBS:,}" if len(values) > MAX_SWEEP_JOBS else f"{len(values):,}"
    size = f"more than {MAX_SWEEP_JOBS:,}" if capped else f"{total:,}"
    raise InputError.about(
        key,
        f"{{argument}}: {override.input_line!r} ({count} values; its longest axis) makes a sweep of {size} jobs; "
        f"the limit is {MAX_SWEEP_JOBS:,} (each job is a run): sweep fewer values, or split the sweep",
    )


#: What ``hydra.sweep.subdir`` may interpolate: the job's own names
SUBDIR_INTERPOLATIONS = ("hydra.job.num", "hydra.job.id", "hydra.job.name", "hydra.job.override_dirname")


def _check_subdir(subdir, n_jobs: int) -> None:
    """``hydra.sweep.subdir`` (each job's directory in the sweep's, unresolved): a relative path inside it,
    different for every job (it interpolates, as the default ``${hydra.job.num}`` does)."""
    from pathlib import PurePath

    text = str(subdir) if subdir is not None else ""
    parts = PurePath(text).parts
    if not text.strip() or PurePath(text).is_absolute() or ".." in parts:
        raise InputError.about(
            "hydra.sweep.subdir",
            f"{{argument}} = {text!r} must be a relative path inside the sweep's directory (no '..'), such as "
            "the default ${hydra.job.num}",
        )
    import re

    # Only the job's own interpolations: others resolve anywhere (${oc.env:PWD}: an absolute path), or the
    # same for every job (${now:%Y}, ${hydra.runtime.cwd}); the job's number or id tells every job apart.
    used = re.findall(r"\$\{([^}]*)\}", text)
    foreign = [u for u in used if u not in SUBDIR_INTERPOLATIONS]
    if foreign:
        raise InputError.about(
            "hydra.sweep.subdir",
            f"{{argument}} = {text!r} interpolates ${{{foreign[0]}}}; allowed: text and "
            + ", ".join("${" + u + "}" for u in SUBDIR_INTERPOLATIONS),
        )
    if n_jobs > 1 and not {"hydra.job.num", "hydra.job.id"} & set(used):
        raise InputError.about(
            "hydra.sweep.subdir",
            f"{{argument}} = {text!r} could put several of the {n_jobs} jobs in one directory; allowed: a path "
            "with ${hydra.job.num} or ${hydra.job.id} (the default is ${hydra.job.num})",
        )


def _validator(config_name: str):
    """The boundary function that validates one job of this command's config."""
    from . import boundary

    others = {
        "check": boundary.validate_check_config,
        "train": boundary.validate_train_config,
        "table": boundary.validate_table_config,
    }
    return others.get(config_name, validate_run_config)


class _JobComposer:
    """Each job's config, as Hydra composes it, at a fraction of the cost.

    Hydra composes a config in two steps: the defaults list (which the config-group overrides
    choose), then the value overrides applied to the result, in order.  Jobs that differ only in
    plain ``key=value`` overrides share the first step, so it runs once per distinct choice of
    groups and each job applies its own values to a copy -- with Hydra's own function, so values
    and errors are the ones full composition gives (tests/test_cli.py compares every job of the
    shipped sweeps).  Anything else (a group, ``+key``, ``~key``, a ``hydra.`` key, a dict value)
    is composed in full.  Composing the default sweep's 72 jobs went from about 18 s to 2 s.
    """

    def __init__(self, config_name, fixed, parser):
        from hydra.core.global_hydra import GlobalHydra

        self.config_name, self.fixed, self.parser = config_name, fixed, parser
        self.repository = getattr(GlobalHydra.instance().config_loader(), "repository", None)
        self.composed: dict[tuple, DictConfig] = {}

    def _plain(self, override) -> bool:
        from .config import plain_override

        return plain_override(self.repository, override)

    def __call__(self, axes: list[str]) -> DictConfig:
        import copy

        from hydra import compose
        from hydra._internal.config_loader_impl import ConfigLoaderImpl

        parsed = self.parser.parse_overrides(axes)
        is_plain = [self._plain(o) for o in parsed]
        plain = [o for o, flag in zip(parsed, is_plain) if flag]
        rest = tuple(o.input_line for o, flag in zip(parsed, is_plain) if not flag)
        if rest not in self.composed:
            self.composed[rest] = compose(self.config_name, overrides=self.fixed + list(rest))
        cfg = copy.deepcopy(self.composed[rest])
        ConfigLoaderImpl._apply_overrides_to_config(plain, cfg)
        return cfg


def _usage() -> str:
    lines = ["usage: python -m bmexp <command> [key=value ...] [hydra options]", "commands:"]
    lines += [f"  {name:<8} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


#: commands whose config composed in this process (Hydra raises plain ValueError / KeyError for
#: some malformed overrides, e.g. a number as a config group choice: bad input, not a bug)
_COMPOSED: list = []


class _BadInput(SystemExit):
    """Raised inside a Hydra job so that Hydra does not print its own error banner."""


def _omegaconf_error():
    from omegaconf.errors import OmegaConfBaseException

    return OmegaConfBaseException


def _run_hydra(command: str, argv: list[str]) -> None:
    import hydra

    from .config import register

    register()
    task, _ = COMMANDS[command]

    @hydra.main(version_base="1.3", config_path=config_path(), config_name=command)
    def app(cfg: DictConfig) -> None:
        _COMPOSED.append(command)  # the config composed: errors from here on are the task's
        try:
            refuse_added_keys(cfg)
            task(cfg)
        except BrokenPipeError:  # output piped into `head` and closed: not an error (and not Hydra's to report)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except InputError as exc:
            from hydra.core.hydra_config import HydraConfig
            from hydra.types import RunMode

            if isinstance(exc, StoreError) and HydraConfig.get().mode == RunMode.MULTIRUN:
                raise  # the job's result, on which bmexp's launcher stops the sweep; the CLI prints one line
            raise _BadInput(one_line(exc)) from exc
        except _omegaconf_error() as exc:  # an override that cannot be resolved (``${oops}``): bad input too
            key = getattr(exc, "full_key", None)
            raise _BadInput((f"{key}: " if key else "") + one_line(exc)) from None

    sys.argv = [f"bmexp {command}", *argv]
    app()


#: the stop signals this command took (a KeyboardInterrupt raised inside a library can come out as another
#: error: OmegaConf wraps what interrupts its composing; CI saw a SIGTERM while planning exit 2 that way)
SIGNALLED: list = []


def _terminate_as_interrupt():
    """SIGTERM unwinds like Ctrl-C, so open runs end KILLED instead of staying RUNNING.  Only the first
    SIGTERM or Ctrl-C does: later ones are ignored, so that nothing interrupts the clean-up."""
    import signal
    import threading

    seen = []

    def handler(signum, frame):
        from .launcher import must_wait, redeliver

        if seen:
            return
        if must_wait(frame):  # numba compiling, or a store write that would keep its lock: again soon
            redeliver(signum)
            return
        seen.append(signum)
        SIGNALLED.append(signum)
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is threading.main_thread():
        from .launcher import redeliver_unraisable

        hook = redeliver_unraisable(seen.clear)
        return signal.signal(signal.SIGTERM, handler), signal.signal(signal.SIGINT, handler), hook
    return None


def _noting_interrupts(fn) -> int | None:
    """Run ``fn()`` with SIGTERM and SIGINT noted instead of raised; the first one's number, or None.  Blocking
    them (``pthread_sigmask``) is not enough: another thread takes the signal and Python still runs the
    handler in the main thread."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():  # (no handlers of ours there)
        fn()
        return None
    noted: list[int] = []
    old = {s: signal.signal(s, lambda signum, frame: noted.append(signum)) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        fn()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    return noted[0] if noted else None


def _resume_hint(command: str, rest: list[str]) -> str:
    import shlex

    return f"python -m bmexp {shlex.join([command, *rest])}"


def _lost_jobs() -> list[dict]:
    return list(sys.modules["bmexp.launcher"].LOST) if "bmexp.launcher" in sys.modules else []


def _abort_sweep(status: str, store_gone: bool = False) -> None:
    if "bmexp.hydra_callbacks" in sys.modules:
        sys.modules["bmexp.hydra_callbacks"].abort_active(status, store_gone)


def main(argv: list[str] | None = None) -> int:
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else EXIT_BAD_INPUT
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"bmexp: error: command must be one of {sorted(COMMANDS)}; received {command!r}", file=sys.stderr)
        return EXIT_BAD_INPUT
    os.environ["HYDRA_FULL_ERROR"] = "1"  # let errors reach us, so we can print them in one line
    if any("_target_" in arg for arg in rest):
        print(
            f"bmexp {command}: error: overrides must not set _target_: bmexp instantiates no objects from "
            f"configs; received {[a for a in rest if '_target_' in a][0]!r}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    _COMPOSED.clear()
    SIGNALLED.clear()
    previous = _terminate_as_interrupt()
    saved = sys.argv
    jobs: list = []
    started = False

    def interrupted() -> int:
        _abort_sweep("KILLED")
        print(
            f"bmexp {command}: interrupted" + (f"; resume with: {_resume_hint(command, rest)}" if jobs else ""),
            file=sys.stderr,
        )
        return 130

    try:
        early = early_signal.take()  # a SIGTERM / Ctrl-C while the CLI was importing: the same interrupt
        if early is not None:
            raise KeyboardInterrupt(f"signal {early}")
        # a sweep, or any command's multirun: every job composed and validated before the first starts
        if command == "sweep" or (command in MULTIRUN_COMMANDS and {"-m", "--multirun"} & set(rest)):
            if not {"--help", "-h", "--hydra-help", "--cfg", "-c", "--info", "-i"} & set(rest):
                jobs = plan_sweep(command, [a for a in rest if not a.startswith("-")], prestart=True)
                print(f"bmexp {command}: {len(jobs)} jobs, every configuration validated", file=sys.stderr)
                from .hydra_callbacks import PLANNED

                PLANNED["configurations"] = len(jobs)  # tagged on the parent run: the report's "k of N"
        started = True
        _run_hydra(command, rest)
    except (InputError, HydraException, OmegaConfBaseException, _BadInput, ValueError, KeyError, TypeError) as exc:
        if SIGNALLED:  # an interrupt that a library turned into another error
            return interrupted()
        bad = isinstance(exc, (InputError, HydraException, OmegaConfBaseException, _BadInput))
        if not bad and _COMPOSED:  # a plain error inside a command: a bug, shown as such
            _abort_sweep("FAILED")
            raise
        # bad input, Hydra refusing the overrides while composing, or a store that cannot take the runs
        _abort_sweep("FAILED", store_gone=isinstance(exc, StoreError))
        message = one_line(exc)
        if jobs and started and isinstance(exc, StoreError):  # the store went away mid-sweep
            message += f"; the sweep stopped; once the store is back, resume it with: {_resume_hint(command, rest)}"
        print(f"bmexp {command}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        if SIGNALLED:
            return interrupted()
        if _COMPOSED or not exc.filename:  # inside a command, or not about a path: not about its input
            _abort_sweep("FAILED")
            raise
        # Hydra making the output directory (hydra.run.dir; a sweep's is checked before it starts)
        _abort_sweep("FAILED")
        print(
            f"bmexp {command}: error: the output directory cannot be made ({exc.strerror}: {exc.filename}); set "
            "hydra.run.dir (hydra.sweep.dir for a sweep) to a directory this process can write",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return interrupted()
    except BaseException:
        _abort_sweep("FAILED")
        raise
    finally:
        from .launcher import discard_prestarted

        # workers started for the sweep that no launch adopted (bad input, an interrupt), and the idle ones a
        # finished launch kept: a SIGTERM / Ctrl-C while they stop is noted, not raised out of this block
        late = _noting_interrupts(discard_prestarted)
        sys.argv = saved
        if "bmexp.hydra_callbacks" in sys.modules:
            sys.modules["bmexp.hydra_callbacks"].PLANNED.clear()
        if previous is not None:
            import signal

            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])
            sys.unraisablehook = previous[2]
    if late is not None:  # the work is done and recorded; the interrupt came while the workers stopped
        print(f"bmexp {command}: interrupted", file=sys.stderr)
        return 130
    lost = _lost_jobs()
    if lost:
        print(
            f"bmexp {command}: {len(lost)} of {len(jobs)} configurations not finished ({lost[0]['cause']}); "
            f"resume them with: {_resume_hint(command, rest)}",
            file=sys.stderr,
        )
        return 1
    callbacks = sys.modules.get("bmexp.hydra_callbacks")
    failed = callbacks.OUTCOME.pop("failed", 0) if callbacks is not None else 0
    if failed and jobs:
        print(
            f"bmexp {command}: {failed} of {len(jobs)} configurations FAILED (each run's error is in its tag "
            f"bmexp.error; `python -m bmexp report` lists them); once fixed, run them again with: "
            f"{_resume_hint(command, rest)}",
            file=sys.stderr,
        )
        return 1
    return 0


def _interrupted_while_exiting(signum, frame) -> None:
    """A SIGTERM / Ctrl-C after the command's work, while the process ends: the work is done and
    recorded; the exit is the documented interrupt (before: the default action, -15 / -2, no line)."""
    command = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else ""
    try:
        sys.stdout.flush()  # (os._exit skips it)
    except Exception:
        pass
    os.write(2, f"bmexp{' ' + command if command else ''}: interrupted\n".encode())
    os._exit(130)


def _exit_now(code: int) -> None:
    """End the process as ``sys.exit`` would (other threads joined, atexit handlers run, output flushed),
    then skip the interpreter's finalization: it took up to 1.5 s after ``run``'s last line, and it
    restores the default signal handlers first, so a SIGTERM in that time ended the process by the
    signal with no line."""
    import atexit
    import threading

    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed pipe: nothing more to say
            pass
    os._exit(code)


def console_main() -> None:  # entry point of ``python -m bmexp`` and the ``bmexp`` script
    try:
        code = main()
        import signal

        signal.signal(signal.SIGTERM, _interrupted_while_exiting)
        signal.signal(signal.SIGINT, _interrupted_while_exiting)
        sys.stdout.flush()
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    _exit_now(code)
