"""The bad-input table: every entry is one line on stderr, exit code 2, no traceback, nothing
written to the store; Python API entries raise InputError with the exact message.  The same
table is shown in docs/bad-input.md (checked below, so the page cannot drift)."""

import re
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest

from bmexp import BoltzmannMachine, InputError, random_model, slide35
from bmexp.cli import main
from bmexp.data import sample_visible
from bmexp.exact import energies, expectations, log_partition
from bmexp.likelihood import pseudo_log_likelihood
from bmexp.model import convert_model
from bmexp.samplers import (
    UNKNOWN_KERNEL,
    GibbsSampler,
    Kernel,
    ParallelTempering,
    gibbs_sample,
    sample_chain,
    set_threads,
)
from bmexp.schedules import Schedule
from bmexp.states import all_states, indices_from_states, states_from_indices
from bmexp.training import conditional_table, kl_divergence, train
from bmexp.transitions import pt_output, schedule_output
from bmexp.validation import gof_test
from bmexp.validation.checks import run_check
from bmexp.validation.correlation import chain_gof_test, integrated_autocorrelation_time
from bmexp.validation.multiple import holm
from bmexp.validation.planning import noncentrality, power_at, required_samples
from bmexp.zoo import random_rbm

DOC = Path(__file__).resolve().parent.parent / "docs" / "bad-input.md"

CLI = [
    (
        "run model=random model.weight_scale=1e6",
        "bmexp run: error: model.weight_scale = 1000000.0 makes exact probabilities underflow: some visible and "
        "hidden states have probability 0 in float64, and the checks condition on them (energies span up to "
        "1.45e+07 kT); allowed: a scale whose energy differences stay below about 700 kT",
    ),
    (
        "run model=lattice model.temperature=0.001 train=false",
        "bmexp run: error: model.temperature = 0.001 makes exact probabilities underflow: some visible states have "
        "probability 0 in float64, and the checks condition on them (energies span up to 5.12e+05 kT); allowed: a "
        "scale whose energy differences stay below about 700 kT",
    ),
    (  # (an outside tester: "p must have at least two cells with p > 0 to plan a test", and a FAILED run)
        "run model=ferromagnet model.coupling=-1000 train=false",
        "bmexp run: error: model.coupling = -1000.0 makes exact probabilities underflow: the conditional "
        "distribution cannot be tested in float64 (fewer than two states of probability > 0, or probabilities that "
        "do not sum to 1 within 1e-9) (energies span up to 4.48e+05 kT); allowed: a scale whose energy differences "
        "stay below about 700 kT",
    ),
    (  # (it blamed model.coupling = 0.3, the default)
        "run model=metastable model.bias=1000 train=false",
        "bmexp run: error: model.bias = 1000.0 makes exact probabilities underflow: some visible and hidden states "
        "have probability 0 in float64, and the checks condition on them (energies span up to 4e+04 kT); allowed: "
        "a scale whose energy differences stay below about 700 kT",
    ),
    (  # (it said "p must sum to 1 (within 1e-9); sums to 0.9999999985596169")
        "check check=joint model=ferromagnet model.coupling=-1e6",
        "bmexp check: error: model.coupling = -1000000.0 makes exact probabilities underflow: the distribution "
        "cannot be tested in float64 (fewer than two states of probability > 0, or probabilities that do not sum to "
        "1 within 1e-9) (energies span up to 4.48e+08 kT); allowed: a scale whose energy differences stay below "
        "about 700 kT",
    ),
    (
        "run model=random model.n_visible=0 train=false",
        "bmexp run: error: model.n_visible must be >= 1 for run and train (a student learns the visible units); "
        "received 0",
    ),
    (
        "sweep sweep=quick ++training.eta=0.05,0.2",
        "bmexp sweep: error: training.eta is swept by this sweep already; write training.eta=... without '++' to "
        "replace its values (received '++training.eta=0.05,0.2', which Hydra would run as a second axis of the same key)",
    ),
    (
        "sweep sweep=quick hydra.job.chdir=true",
        "bmexp sweep: error: hydra.job.chdir = true: a sweep's jobs run in the directory it was launched from, "
        "where they find the store (mlruns/), the sweep's check cache and relative paths (with true each job would "
        "write a store of its own in its job directory); allowed: false",
    ),
    (
        "table model.n_visible=3",
        "bmexp table: error: model.n_visible = 3 does not apply to model 'slide35' (it has no such parameter); "
        "it applies to random, rbm, ferromagnet: choose one of those, or leave it at 4",
    ),
    (
        "run model=lattice model.seed=4 train=false",
        "bmexp run: error: model.seed = 4 does not apply to model 'lattice' (it has no such parameter); "
        "it applies to random, rbm: choose one of those, or leave it at 0",
    ),
    ("run model=random model.n_visible=-1", "bmexp run: error: model.n_visible must be an integer >= 0; received -1"),
    ("run model=random model.n_hidden=-1", "bmexp run: error: model.n_hidden must be an integer >= 0; received -1"),
    (
        "run model=random model.n_visible=0 model.n_hidden=0",
        "bmexp run: error: n_visible + n_hidden must be >= 1; received 0 + 0",
    ),
    (
        "run model=random model.n_visible=20 model.n_hidden=6 training.measure=kl",
        "bmexp run: error: training.measure = 'kl' needs exact enumeration (n_units <= 24); the model has 26 units: "
        "use 'pll' (pseudo-log-likelihood and reconstruction) or 'auto'",
    ),
    (
        "train training=exact training.measure=pll",
        "bmexp train: error: training.measure = 'pll' with variant = 'exact': the exact variant enumerates the "
        "model; measure it by 'kl' or 'auto', or train with 'annealed' or 'pcd'",
    ),
    (
        "train model=random model.n_visible=20 model.n_hidden=6 data=exact",
        "bmexp train: error: data.source = 'exact' trains on the teacher's exact p(v), which needs n_units <= 24; "
        "the model has 26 units: use 'teacher' or 'file'",
    ),
    ("train data.heldout=1", "bmexp train: error: data.heldout must be a finite number in [0, 1); received 1.0"),
    (
        "train data=exact training=exact data.heldout=0.2",
        "bmexp train: error: data.heldout = 0.2 needs data vectors (data.source = exact)",
    ),
    (
        "train training.metrics_every=0",
        "bmexp train: error: training.metrics_every must be an integer >= 1; received 0",
    ),
    (
        "check check=blocks model=random model.n_visible=20 model.n_hidden=6 check.n_blocks=3",
        "bmexp check: error: check.n_blocks = 3 disjoint blocks of 10 units need 30 units; the model has 26: at "
        "most 2 blocks of 10 fit (null: as many as fit, up to 8)",
    ),
    (
        "check check=blocks model=random model.n_visible=2 model.n_hidden=2 check.block_size=5",
        "bmexp check: error: check.block_size = 5 is more than the model's 4 units",
    ),
    ("check check=blocks check.n=1", "bmexp check: error: check.n must be an integer >= 100; received 1"),
    ("check check=invariance check.n=99", "bmexp check: error: check.n must be an integer >= 100; received 99"),
    (
        "check check=blocks model=random model.n_visible=500 model.n_hidden=500 check.contexts=1000000",
        "bmexp check: error: check.contexts = 1000000 would need 32 GB of memory for the sampling checks' chains; "
        "the limit is 8.59 GB",
    ),
    (
        "run model=random model.n_visible=100000 model.n_hidden=0 train=false",
        "bmexp run: error: model.n_visible = 100000 (+ 0 hidden) would need 240 GB of memory for the weights; "
        "the limit is 8.59 GB",
    ),
    (
        "check check=joint model=random model.n_visible=20 model.n_hidden=6",
        "bmexp check: error: check.name = 'joint' needs exact enumeration (n_units <= 24); the model has 26 units "
        "(checks that apply to it: ['blocks'])",
    ),
    (
        "check check=blocks model=random model.n_visible=20 model.n_hidden=6 check.blocks=[[0,1],[1,2]]",
        "bmexp check: error: check.blocks must not overlap: unit 1 is in block 0 and block 1; received [[0, 1], [1, 2]]",
    ),
    (
        "check check=blocks model=random model.n_visible=20 model.n_hidden=6 check.blocks=[[0,1,2,3,4,5,6,7,8,9,10,11,12]]",
        "bmexp check: error: check.blocks[0] has 13 units; a block must have 1 to 12 units (its exact conditional "
        "has 2**k states)",
    ),
    (
        "check check=blocks model=random model.n_visible=20 model.n_hidden=6 check.blocks=[[0,h99]]",
        "bmexp check: error: check.blocks[0] names unit 'h99', which is not a unit of the model: allowed are indices "
        "in [0, 26) or names like 'v1'",
    ),
    (
        "check check=blocks check.block_size=13",
        "bmexp check: error: check.block_size must be an integer in [1, 12]; received 13",
    ),
    (
        "check check=blocks check.n_blocks=0",
        "bmexp check: error: check.n_blocks must be an integer in [1, 10000]; received 0",
    ),
    (
        "check check=energy model=lattice model.L=8 check.temperatures=[0.01]",
        "bmexp check: error: check.temperatures must give Ising temperatures T/J in [1, 100] (T in [1, 100] for this "
        "lattice's coupling 1); received 0.01 (T/J = 0.01)",
    ),
    (
        "run model=random model.n_visible=15 model.n_hidden=15 train=false checks.names=[energy]",
        "bmexp run: error: checks.names = ['energy']: none applies to this model of 30 units (energy needs a 2D "
        "Ising lattice (model=lattice)); checks that apply: ['blocks']",
    ),
    (
        "check check=energy model=lattice check.init=hot",
        "bmexp check: error: check.init must be one of ['ordered', 'random']; received 'hot'",
    ),
    (
        "check check=energy model=lattice check.own_schedule=maybe",
        "bmexp check: error: Error merging override check.own_schedule=maybe Value 'maybe' is not a valid bool (type str)",
    ),
    (
        "check check=blocks check.contexts=0",
        "bmexp check: error: check.contexts must be an integer in [1, 1e+06]; received 0",
    ),
    (
        "check check=invariance check.sweeps=[0]",
        "bmexp check: error: check.sweeps must be an integer in [1, 1e+06]; received 0",
    ),
    (
        "run model=rbm data=digits training=pcd training.epochs=1 model.n_hidden=100000",
        "bmexp run: error: model.n_hidden = 100000 (+ 64 visible) would need 240 GB of memory for the weights; "
        "the limit is 8.59 GB",
    ),
    (  # a long ladder of few chains costs its steps (about 100 us each), not its spin updates
        "train model=rbm data=digits training=pcd training.epochs=1 training.eval_chains=2 "
        "training.eval_betas=100000000",
        "bmexp train: error: training.eval_betas = 100000000 would take 4.1e+12 spin updates for the held-out AIS "
        "evaluations; the limit is 1e+12 (about 6 hours here)",
    ),
    (
        "run train=false checks.names=[]",
        "bmexp run: error: checks.names = [] with train=false: the job would do nothing; name checks (e.g. "
        "checks.names=[auto]) or train",
    ),
    (
        "sweep sweep=metastable hydra.sweeper.grids=[]",
        "bmexp sweep: error: hydra.sweeper.grids must be a non-empty list of grids, each a mapping of sweep axes "
        "(or null: one product); received []",
    ),
    # the NumPy reference lays a chain's random numbers out before it runs: their memory counts
    (
        "check check=joint sampler.backend=numpy sampler.scan=random schedule=constant schedule.sweeps=100000000 "
        "check.n=10",
        "bmexp check: error: schedule = 100000000 sweeps would need 38.4 GB of memory for the random numbers of "
        "one chain; the limit is 8.59 GB",
    ),
    (
        # (PT draws its numbers where it uses them: the work is what is refused)
        "run train=false sampler=pt sampler.scan=random schedule=constant schedule.sweeps=30000000 checks.n=10000",
        "bmexp run: error: checks.n = 10000 would take 1.92e+13 spin updates for the sampling checks' chains; the "
        "limit is 1e+12 (about 6 hours here)",
    ),
    # an option of a check that does not run is still refused, not ignored
    (
        "check check=joint check.contexts=-5",
        "bmexp check: error: check.contexts must be an integer in [1, 1e+06]; received -5",
    ),
    (
        "check check=joint check.sweeps=[]",
        "bmexp check: error: check.sweeps must be a non-empty list of positive whole numbers of sweeps; received []",
    ),
    (
        "check check=blocks check.temperatures=[0]",
        "bmexp check: error: check.temperatures must be a finite number > 0; received 0.0",
    ),
    (
        "check check=conditional check.block_size=100",
        "bmexp check: error: check.block_size must be an integer in [1, 12]; received 100",
    ),
    (
        "check check=energy model=random",
        "bmexp check: error: check.name = 'energy' needs a 2D Ising lattice (model=lattice); the model has 6 units "
        "(checks that apply to it: ['conditional', 'joint', 'random_hidden', 'schedule', 'invariance', 'blocks'])",
    ),
    (
        "check check=energy model=lattice check.temperatures=[-1]",
        "bmexp check: error: check.temperatures must be a finite number > 0; received -1.0",
    ),
    (
        "run model=random model.weight_scale=1e308",
        "bmexp run: error: model.weight_scale must be a finite number in [0, 1e+06]; received 1e+308",
    ),
    (
        "run model=random model.weight_scale=-1",
        "bmexp run: error: model.weight_scale must be a finite number in [0, 1e+06]; received -1.0",
    ),
    (
        "run model=random model.bias_scale=nan",
        "bmexp run: error: model.bias_scale must be a finite number in [0, 1e+06]; received nan",
    ),
    (
        "run model=random model.seed=-1",
        "bmexp run: error: model.seed must be an integer in [0, 2**64 - 1]; received -1",
    ),
    (
        "run model=random model.seed=100000000000000000000000",
        "bmexp run: error: model.seed must be an integer in [0, 2**64 - 1]; received 100000000000000000000000",
    ),
    (
        "run model=ferromagnet model.coupling=inf",
        "bmexp run: error: model.coupling must be a finite number in [-1e+06, 1e+06]; received inf",
    ),
    (
        "run model=ferromagnet model.bias=1e300",
        "bmexp run: error: model.bias must be a finite number in [-1e+06, 1e+06]; received 1e+300",
    ),
    (
        "run model=ferromagnet model.n_visible=1 model.n_hidden=0",
        "bmexp run: error: n_visible + n_hidden must be >= 2 for a ferromagnet; received 1 + 0",
    ),
    (
        "run model.name=foo",
        "bmexp run: error: model.name must be one of ['slide35', 'seed_target', 'random', 'rbm', 'ferromagnet', 'lattice']; received 'foo'",
    ),
    ("run model=lattice model.L=1", "bmexp run: error: model.L must be an integer in [2, 64]; received 1"),
    (
        "run model=lattice model.L=2.5",
        "bmexp run: error: Error merging override model.L=2.5 Value '2.5' of type 'float' could not be converted to Integer",
    ),
    (
        "run model=lattice model.J=-1",
        "bmexp run: error: model.J must be a finite number in (0, 1e+06]; received -1.0",
    ),
    (
        "run model=lattice model.temperature=0",
        "bmexp run: error: model.temperature must be a finite number > 0; received 0.0",
    ),
    (
        "run model=foo",
        "bmexp run: error: In 'run': Could not find 'model/foo' Available options in 'model': ferromagnet lattice metastable random rbm seed_target slide35",
    ),
    (
        "run model.n_hidden=abc",
        "bmexp run: error: Error merging override model.n_hidden=abc Value 'abc' of type 'str' could not be converted to Integer",
    ),
    (
        "run convention=ising",
        "bmexp run: error: In 'run': Could not find 'convention/ising' Available options in 'convention': binary spin",
    ),
    (
        "run convention=",
        "bmexp run: error: In 'run': Could not find 'convention/' Available options in 'convention': binary spin",
    ),
    (
        "run schedule.kind=cubic",
        "bmexp run: error: schedule.kind must be one of ['linear', 'geometric', 'explicit', 'constant']; received 'cubic'",
    ),
    (
        "run schedule=cubic",
        "bmexp run: error: In 'run': Could not find 'schedule/cubic' Available options in 'schedule': constant geometric linear post",
    ),
    (
        "run schedule.T0=1e308",
        "bmexp run: error: schedule.T0 must keep the schedule within 1e+08 sweeps; T0 = 1e+308, step = 1, 2 sweeps per temperature and 20 final sweeps give inf",
    ),
    ("run schedule.T0=0.5", "bmexp run: error: schedule.T0 must be >= T_end = 1; received T0 = 0.5"),
    ("run schedule.T0=nan", "bmexp run: error: schedule.T0 must be a finite number >= 1e-300; received nan"),
    ("run schedule.step=0", "bmexp run: error: schedule.step must be a finite number > 0; received 0.0"),
    (
        "run schedule=geometric schedule.factor=1.5",
        "bmexp run: error: schedule.factor must be a number in (0, 1); received 1.5",
    ),
    (
        "run schedule=geometric schedule.factor=0",
        "bmexp run: error: schedule.factor must be a number in (0, 1); received 0.0",
    ),
    ("run schedule.T_end=0", "bmexp run: error: schedule.T_end must be a finite number >= 1e-300; received 0.0"),
    (
        "run schedule.sweeps_per_temperature=0",
        "bmexp run: error: schedule.sweeps_per_temperature must be an integer >= 1; received 0",
    ),
    (
        "run schedule.sweeps_per_temperature=1000000000000000000000000000000",
        "bmexp run: error: schedule.sweeps_per_temperature must keep the schedule within 1e+08 sweeps; T0 = 5, step = 1, 1000000000000000000000000000000 sweeps per temperature and 20 final sweeps give 4e+30",
    ),
    ("run schedule.final_sweeps=0", "bmexp run: error: schedule.final_sweeps must be an integer >= 1; received 0"),
    (
        "run schedule.final_sweeps=1000000000",
        "bmexp run: error: schedule.final_sweeps must keep the schedule within 1e+08 sweeps; T0 = 5, step = 1, 2 sweeps per temperature and 1000000000 final sweeps give 1e+09",
    ),
    (
        "run schedule=post schedule.temperatures=[1,5,20]",
        "bmexp run: error: schedule.temperatures must be a list that never increases (annealing cools towards the final temperature); received [1.0, 5.0, 20.0]",
    ),
    (
        "run schedule=post schedule.temperatures=[]",
        "bmexp run: error: schedule.temperatures must be a non-empty list of numbers > 0; received []",
    ),
    (
        "run schedule=post schedule.temperatures=[5,-1]",
        "bmexp run: error: schedule.temperatures must be a finite number >= 1e-300; received -1.0",
    ),
    (
        "run schedule=constant schedule.sweeps=0",
        "bmexp run: error: schedule.sweeps must be an integer >= 1; received 0",
    ),
    (
        "run schedule=constant schedule.sweeps=1000000000",
        "bmexp run: error: schedule.sweeps must keep the schedule within 1e+08 sweeps; received 1000000000 sweeps in all",
    ),
    ("run sampler.name=foo", "bmexp run: error: sampler.name must be one of ['gibbs', 'pt', 'dwave']; received 'foo'"),
    (
        "run sampler=nosuch",
        "bmexp run: error: In 'run': Could not find 'sampler/nosuch' Available options in 'sampler': dwave gibbs gibbs_numpy pt",
    ),
    (
        "run sampler.rule=gibbs",
        "bmexp run: error: sampler.rule must be one of ['heat_bath', 'flip', 'metropolis']; received 'gibbs'",
    ),
    (
        "run sampler.scan=checkerboard",
        "bmexp run: error: sampler.scan must be one of ['sequential', 'random']; received 'checkerboard'",
    ),
    (
        "run sampler.backend=cuda",
        "bmexp run: error: sampler.backend must be one of ['numba', 'numpy']; received 'cuda'",
    ),
    (
        "run sampler=dwave sampler.rule=flip",
        "bmexp run: error: sampler.rule must be one of ['heat_bath', 'metropolis'] with sampler=dwave (its Gibbs and Metropolis criteria); received 'flip'",
    ),
    (
        "run sampler=dwave sampler.backend=numpy",
        "bmexp run: error: sampler.backend must be null with sampler=dwave (backends are bmexp Gibbs's); received 'numpy'",
    ),
    (
        "run sampler=pt sampler.replicas=1",
        "bmexp run: error: sampler.replicas must be an integer >= 2 (parallel tempering swaps between at least two temperatures); received 1",
    ),
    (
        "run sampler=pt sampler.ladder=[2,3,4]",
        "bmexp run: error: sampler.ladder must start at T_1 = 1 (the first replica samples the model's Boltzmann distribution at T = 1); received [2, 3, 4]",
    ),
    (
        "run sampler=pt sampler.ladder=[1,3,2]",
        "bmexp run: error: sampler.ladder must be strictly increasing (1 = T_1 < T_2 < ... < T_R); received [1, 3, 2]",
    ),
    (  # a nested list: np.ndim raised a ValueError (traceback, exit 1)
        "run sampler=pt sampler.ladder=[1,[2]]",
        "bmexp run: error: sampler.ladder must be a list of numbers (not bools or strings) [1, T_2, ..., T_R]; received [1, [2]]",
    ),
    (  # added with '+': no schema declares it, so it was silently ignored
        "run +sampler.foo=1",
        "bmexp run: error: sampler.foo is not a setting of this command (a key added with '+' would be ignored); the settings here are: T_max, backend, ladder, name, replicas, rule, scan, swap, tune_chains, tune_sweeps",
    ),
    (  # 1 / T overflowed to inf, and inf x 0 = NaN: a unit with no field stayed off
        "check schedule=linear schedule.T_end=1e-310",
        "bmexp check: error: schedule.T_end must be a finite number >= 1e-300; received 1e-310",
    ),
    (
        "run sampler=pt sampler.ladder=[1]",
        "bmexp run: error: sampler.ladder must be a list of at least 2 temperatures (parallel tempering swaps between replicas); received [1]",
    ),
    (
        "run sampler=pt sampler.ladder=hot",
        "bmexp run: error: sampler.ladder must be one of ['geometric', 'adaptive'] or a list of temperatures [1, T_2, ..., T_R]; received 'hot'",
    ),
    (
        "run sampler=pt sampler.replicas=3 sampler.ladder=[1,2]",
        "bmexp run: error: sampler.replicas must be 2 (the length of the explicit ladder) or None (taken from the ladder); received 3",
    ),
    (
        "run sampler=pt sampler.T_max=1",
        "bmexp run: error: sampler.T_max must be a finite number in (1, 1e+06]; received 1.0",
    ),
    (
        "run sampler=pt sampler.swap=all",
        "bmexp run: error: sampler.swap must be one of ['deo', 'seo', 'random_pair']; received 'all'",
    ),
    (
        "run sampler=pt sampler.tune_chains=0",
        "bmexp run: error: sampler.tune_chains must be an integer >= 1; received 0",
    ),
    (
        "run sampler=pt sampler.tune_sweeps=10",
        "bmexp run: error: sampler.tune_sweeps must be an integer >= 32; received 10",
    ),
    (
        "train training=exact data=exact sampler=pt",
        "bmexp train: error: sampler.name = 'pt' is ignored with training.variant = 'exact' (its gradient is "
        "computed exactly: nothing is sampled): leave the sampler at its default (sampler=gibbs), or use python -m "
        "bmexp run, whose checks use it",
    ),
    (
        "train training=sklearn model=rbm sampler.rule=metropolis",
        "bmexp train: error: sampler.rule = 'metropolis' is ignored with training.trainer = 'sklearn' "
        "(scikit-learn's BernoulliRBM draws its own chains): leave the sampler at its default (sampler=gibbs), or "
        "use python -m bmexp run, whose checks use it",
    ),
    (
        "run sampler.replicas=4",
        "bmexp run: error: sampler.replicas must be null with sampler=gibbs (parallel tempering's keys: sampler=pt); received 4",
    ),
    (
        "run sampler=pt sampler.backend=numpy",
        "bmexp run: error: sampler.backend must be numba or null with sampler=pt (its kernel is compiled); received 'numpy'",
    ),
    ("run seed=-1", "bmexp run: error: seed must be an integer in [0, 2**64 - 1]; received -1"),
    (
        "run seed=abc",
        "bmexp run: error: Error merging override seed=abc Value 'abc' of type 'str' could not be converted to Integer",
    ),
    (
        "run seed=100000000000000000000000",
        "bmexp run: error: seed must be an integer in [0, 2**64 - 1]; received 100000000000000000000000",
    ),
    ("run threads=-1", "bmexp run: error: threads must be an integer >= 0; received -1"),
    (
        "run threads=1.5",
        "bmexp run: error: Error merging override threads=1.5 Value '1.5' of type 'float' could not be converted to Integer",
    ),
    (
        "run train=maybe",
        "bmexp run: error: Error merging override train=maybe Value 'maybe' is not a valid bool (type str)",
    ),
    (
        "run nosuchkey=1",
        "bmexp run: error: Could not override 'nosuchkey'. To append to your config use +nosuchkey=1 Key 'nosuchkey' not in 'RunCommandConfig'",
    ),
    (
        "run +model._target_=os.system",
        "bmexp run: error: overrides must not set _target_: bmexp instantiates no objects from configs; received '+model._target_=os.system'",
    ),
    (
        "run checks.names=[histogram]",
        "bmexp run: error: checks.names must be one of ['auto', 'conditional', 'joint', 'random_hidden', 'schedule', "
        "'invariance', 'blocks', 'energy', 'lumped']; received 'histogram'",
    ),
    (
        "run checks.names=joint",
        "bmexp run: error: Error merging override checks.names=joint Invalid value assigned: str is not a ListConfig, list or tuple.",
    ),
    ("run checks.n=0", "bmexp run: error: checks.n must be an integer >= 1; received 0"),
    (
        "run checks.n=100000000000",
        "bmexp run: error: checks.n = 100000000000 would need 12.8 TB of memory for the sampling checks' chains; the limit is 8.59 GB",
    ),
    ("run checks.alpha=1.5", "bmexp run: error: checks.alpha must be a number in (0, 1); received 1.5"),
    (
        "run checks.reuse=maybe",
        "bmexp run: error: Error merging override checks.reuse=maybe Value 'maybe' is not a valid bool (type str)",
    ),
    (
        "run checks.plot=maybe",
        "bmexp run: error: Error merging override checks.plot=maybe Value 'maybe' is not a valid bool (type str)",
    ),
    ("run checks.alpha=0", "bmexp run: error: checks.alpha must be a number in (0, 1); received 0.0"),
    (
        "run training=cd1",
        "bmexp run: error: In 'run': Could not find 'training/cd1' Available options in 'training': annealed exact pcd pt sklearn",
    ),
    (
        "run training.variant=cd1",
        "bmexp run: error: training.variant must be one of ['annealed', 'pcd', 'pt', 'exact']; received 'cd1'",
    ),
    ("run training.eta=-1", "bmexp run: error: training.eta must be a finite number > 0; received -1.0"),
    ("run training.eta=inf", "bmexp run: error: training.eta must be a finite number > 0; received inf"),
    ("run training.epochs=0", "bmexp run: error: training.epochs must be an integer >= 1; received 0"),
    (
        "run training.epochs=1000000000000000000000000000000",
        "bmexp run: error: training.epochs = 1000000000000000000000000000000 would take 1.23e+35 spin updates for training; the limit is 1e+12 (about 6 hours here)",
    ),
    ("run training.n_negative=0", "bmexp run: error: training.n_negative must be an integer >= 1; received 0"),
    ("run training.pcd_sweeps=0", "bmexp run: error: training.pcd_sweeps must be an integer >= 1; received 0"),
    (
        "run training.weight_decay=-1",
        "bmexp run: error: training.weight_decay must be a finite number >= 0; received -1.0",
    ),
    (
        "run training.learn_biases=maybe",
        "bmexp run: error: Error merging override training.learn_biases=maybe Value 'maybe' is not a valid bool (type str)",
    ),
    ("run training.max_weight=0", "bmexp run: error: training.max_weight must be a finite number > 0; received 0.0"),
    (
        "run training.init_scale=-1",
        "bmexp run: error: training.init_scale must be a finite number in [0, 1e+06]; received -1.0",
    ),
    (  # (one epoch alone is too much: it named training.epochs, an outside tester, also at the default 300)
        "train training=pt sampler=pt training.pcd_sweeps=1000000000",
        "bmexp train: error: training.pcd_sweeps = 1000000000 would take 1.6e+12 spin updates for one epoch of "
        "training; the limit is 1e+12 (about 6 hours here)",
    ),
    (  # (accepted and ignored)
        "train data=exact data.n=5",
        "bmexp train: error: data.n = 5 is ignored with data.source = 'exact' (only teacher and digits read it): "
        "leave it at its default (1000)",
    ),
    (
        "train data.threshold=0",
        "bmexp train: error: data.threshold = 0 is ignored with data.source = 'teacher' (only digits read it): leave "
        "it at its default (8)",
    ),
    (  # (accepted and ignored: the exact gradient samples nothing)
        "train training=exact data=exact training.n_negative=7",
        "bmexp train: error: training.n_negative = 7 is ignored with training.variant = 'exact' (only annealed, pcd, "
        "pt read it): leave it at its default (100)",
    ),
    (
        "run training=annealed training.pcd_sweeps=5",
        "bmexp run: error: training.pcd_sweeps = 5 is ignored with training.variant = 'annealed' (only pcd, pt read "
        "it): leave it at its default (1)",
    ),
    (  # (EOFError, a traceback)
        "train data=file data.path=empty.npy",
        "bmexp train: error: data file 'empty.npy' could not be read as numbers without pickle: No data left in file",
    ),
    (  # (the message named ui.port)
        "ui 'ui.host=\"a b\"'",
        "bmexp ui: error: ui.host = 'a b' is not a host name or address here: Name or service not known",
    ),
    (  # (SQLAlchemy warnings, and a file named 'x.db?mode=ro')
        "run train=false \"tracking.uri='sqlite:///x.db?mode=ro'\"",
        "bmexp run: error: tracking.uri (or MLFLOW_TRACKING_URI) must be sqlite:///PATH (a database file), or a "
        "tracking server http(s)://HOST:PORT; received 'sqlite:///x.db?mode=ro' (query strings and fragments are "
        "not supported: name the database file alone)",
    ),
    (  # (exit 0, given_hidden ignored)
        "table model=random model.n_visible=4 model.n_hidden=0 given_hidden=[1]",
        "bmexp table: error: given_hidden = [1] is ignored: the table conditions on the hidden units only when the "
        "model has visible and hidden ones (n_visible = 4, n_hidden = 0); allowed: null",
    ),
    (  # (the message named neither the key nor the scale: "clamp {4: np.float64(1.0), ...} has probability 0")
        "table model=random model.weight_scale=1e6",
        "bmexp table: error: model.weight_scale = 1000000.0 makes exact probabilities underflow: some visible and "
        "hidden states have probability 0 in float64, and the checks condition on them (energies span up to "
        "1.45e+07 kT); allowed: a scale whose energy differences stay below about 700 kT",
    ),
    (  # (a traceback after the check had run: matplotlib added .png, /proc takes no file; an outside tester)
        "check check.plot=/proc/x.png",
        "bmexp check: error: check.plot must be a file bmexp can write; '/proc/x.png': No such file or directory",
    ),
    (  # (matplotlib's "Format 'txt' is not supported", a traceback after the check had run)
        "check check.plot=x.txt",
        "bmexp check: error: check.plot must end in .png, .pdf, .svg, .jpg, .jpeg, .eps, .ps, .tif, .tiff; "
        "received 'x.txt'",
    ),
    (  # (IsADirectoryError after training)
        "train metrics_csv=.",
        "bmexp train: error: metrics_csv must be a file path; '.' is a directory",
    ),
    (  # (composed a million jobs, 4.6 GB and counting, before it was killed)
        "sweep sweep=quick schedule.T0=range(1,1000000)",
        "bmexp sweep: error: schedule.T0: 'schedule.T0=range(1,1000000)' (more than 10,000 values; its longest axis) "
        "makes a sweep of more than 10,000 jobs; the limit is 10,000 (each job is a run): sweep fewer values, or split "
        "the sweep",
    ),
    (  # (the counts were cut at the limit left, or named the last grid's one-value axis)
        "sweep sweep=quick hydra/sweeper=bmexp \"hydra.sweeper.grids=[{schedule.T0:'range(1,6001)'},"
        "{schedule.T0:'range(1,6001)',training.eta:'0.05'}]\"",
        "bmexp sweep: error: schedule.T0: 'schedule.T0=range(1,6001)' (6,000 values; its longest axis) makes a sweep "
        "of 36,000 jobs; the limit is 10,000 (each job is a run): sweep fewer values, or split the sweep",
    ),
    (  # (jobs outside the sweep's directory: ${oc.env:PWD} is absolute)
        "sweep sweep=quick hydra.sweep.subdir='${oc.env:PWD}/${hydra.job.num}'",
        "bmexp sweep: error: hydra.sweep.subdir = '${oc.env:PWD}/${hydra.job.num}' interpolates ${oc.env:PWD}; "
        "allowed: text and ${hydra.job.num}, ${hydra.job.id}, ${hydra.job.name}, ${hydra.job.override_dirname}",
    ),
    (  # (a dangling symbolic link: the probe created its target and removed the link)
        "check check.plot=dangling.png",
        "bmexp check: error: check.plot must be a file path; 'dangling.png' is a dangling symbolic link",
    ),
    (  # (0 jobs, exit 0 and an empty parent run)
        "sweep sweep=quick schedule.T0=range(5,5)",
        "bmexp sweep: error: schedule.T0: 'schedule.T0=range(5,5)' has no values; a sweep axis needs one or more",
    ),
    (  # (Hydra's message without the key)
        "sweep sweep=quick schedule.T0=range(5,7,0)",
        "bmexp sweep: error: schedule.T0: 'schedule.T0=range(5,7,0)' cannot be swept here (range() arg 3 must not be "
        "zero); allowed: a list of values a,b,c, choice(...) or range(start, stop[, step])",
    ),
    (  # (created /abs at the root, every job in it)
        "sweep sweep=quick hydra.sweep.subdir=/abs",
        "bmexp sweep: error: hydra.sweep.subdir = '/abs' must be a relative path inside the sweep's directory (no "
        "'..'), such as the default ${hydra.job.num}",
    ),
    (
        "sweep sweep=quick hydra.sweep.subdir=same",
        "bmexp sweep: error: hydra.sweep.subdir = 'same' could put several of the 8 jobs in one directory; allowed: "
        "a path with ${hydra.job.num} or ${hydra.job.id} (the default is ${hydra.job.num})",
    ),
    (  # (accepted and ignored)
        "sweep sweep=quick +hydra.launcher.foo=1",
        "bmexp sweep: error: hydra.launcher.foo is not a setting of bmexp's launcher (a key added with '+' would be "
        "ignored); its settings are: n_jobs, grace_s",
    ),
    (  # (a traceback, exit 1 and the sweep's parent run left RUNNING; an outside tester)
        "sweep sweep=quick hydra.sweep.dir=/dev/null/x",
        "bmexp sweep: error: hydra.sweep.dir must be a directory bmexp can create; '/dev/null/x': Not a directory",
    ),
    (
        "run hydra.run.dir=/dev/null/x",
        "bmexp run: error: the output directory cannot be made (Not a directory: /dev/null/x); set hydra.run.dir "
        "(hydra.sweep.dir for a sweep) to a directory this process can write",
    ),
    (  # (Hydra's own "Error executing job" line came first; an outside tester)
        "run training.eta=${oops}",
        "bmexp run: error: training.eta: Interpolation key 'oops' not found",
    ),
    (  # (it named training.epochs = 300, the default: the key furthest above its default is named; a tester)
        "train training=pt training.pcd_sweeps=100000000",
        "bmexp train: error: training.pcd_sweeps = 100000000 would take 4.8e+13 spin updates for training; the "
        "limit is 1e+12 (about 6 hours here)",
    ),
    (
        "train training=pcd training.n_negative=10000000000",
        "bmexp train: error: training.n_negative = 10000000000 would need 1.76 TB of memory for the negative "
        "chains; the limit is 8.59 GB",
    ),
    (  # (the negative chains' memory: refused before any run; it failed each job, naming n_chains, a tester)
        "run training=pt training.n_negative=1000000000 training.epochs=1",
        "bmexp run: error: training.n_negative = 1000000000 would need 672 GB of memory for the negative chains "
        "(every replica); the limit is 8.59 GB",
    ),
    (
        "train training=pt sampler=pt sampler.replicas=100000000 training.epochs=1",
        "bmexp train: error: sampler.replicas = 100000000 would need 1.76 TB of memory for the negative chains "
        "(every replica); the limit is 8.59 GB",
    ),
    (
        "train training.init_scale=1e6",
        "bmexp train: error: training.init_scale = 1000000.0 starts the student beyond training.max_weight: its max "
        "|W| = 1.3e+06 > 10, so training would stop as diverged at its first epoch; lower training.init_scale or "
        "raise training.max_weight",
    ),
    ("run training.seed=-1", "bmexp run: error: training.seed must be an integer in [0, 2**64 - 1]; received -1"),
    (
        "run data.source=web",
        "bmexp run: error: data.source must be one of ['teacher', 'file', 'exact', 'digits']; received 'web'",
    ),
    ("run data.n=0", "bmexp run: error: data.n must be an integer >= 1; received 0"),
    (
        "run data.n=1e21",
        "bmexp run: error: Error merging override data.n=1e21 Value '1e+21' of type 'float' could not be converted to Integer",
    ),
    (
        "run data.n=100000000000",
        "bmexp run: error: data.n = 100000000000 would need 4.8 TB of memory for the data vectors; the limit is 8.59 GB",
    ),
    ("run data.seed=-1", "bmexp run: error: data.seed must be an integer in [0, 2**64 - 1]; received -1"),
    ("run data=file", "bmexp run: error: data.path must be a .npy or .csv file of visible vectors; received None"),
    (
        "run data=file data.path=missing.csv",
        "bmexp run: error: data.path must name an existing file; 'missing.csv' does not exist",
    ),
    ("run data=file data.path=adir.csv", "bmexp run: error: data.path must be a file; 'adir.csv' is a directory"),
    (
        "run data=file data.path=data.txt",
        "bmexp run: error: data.path must be a .npy or .csv file; received 'data.txt'",
    ),
    (
        "run data=file data.path=complex.npy",
        "bmexp run: error: data file 'complex.npy' must be real numbers; received dtype complex128",
    ),
    (
        "run data=file data.path=three.csv",
        "bmexp run: error: data file 'three.csv' must have shape (n_vectors, 2) to match n_visible = 2; received shape (2, 3)",
    ),
    (
        "run data=file data.path=two.csv",
        "bmexp run: error: data file 'two.csv' must hold unit values {0, 1} or {-1, 1}; found [2.0]",
    ),
    ("run data=file data.path=nan.csv", "bmexp run: error: data file 'nan.csv' must be finite; found nan"),
    (
        "run data=file data.path=evil.npy",
        "bmexp run: error: data file 'evil.npy' could not be read as numbers without pickle: Object arrays cannot be loaded when allow_pickle=False",
    ),
    (
        "run training=pcd data=exact",
        "bmexp run: error: training.variant = 'pcd' clamps data vectors: give data, not only p_data",
    ),
    (
        "run tracking.uri=./mlruns",
        "bmexp run: error: tracking.uri (or MLFLOW_TRACKING_URI) must be sqlite:///PATH (a database file), or a tracking server http(s)://HOST:PORT; received './mlruns'",
    ),
    (
        "run tracking.uri=sqlite://",
        "bmexp run: error: tracking.uri (or MLFLOW_TRACKING_URI) must be sqlite:///PATH (a database file), or a tracking server http(s)://HOST:PORT; received 'sqlite://' (an in-memory or malformed SQLite URL would lose the runs)",
    ),
    (
        "run tracking.uri=sqlite://x.db",
        "bmexp run: error: tracking.uri (or MLFLOW_TRACKING_URI) must be sqlite:///PATH (a database file), or a tracking server http(s)://HOST:PORT; received 'sqlite://x.db' (an in-memory or malformed SQLite URL would lose the runs)",
    ),
    (
        "run tracking.uri=ftp://example.org/x",
        "bmexp run: error: tracking.uri (or MLFLOW_TRACKING_URI) must be sqlite:///PATH (a database file), or a tracking server http(s)://HOST:PORT; received 'ftp://example.org/x'",
    ),
    (
        "run tracking.uri=sqlite:///./notdb.db",
        "bmexp run: error: tracking.uri (or MLFLOW_TRACKING_URI) must name an SQLite database; 'notdb.db' is another kind of file",
    ),
    (
        "run tracking.uri=sqlite:///./adir.csv",
        "bmexp run: error: tracking.uri (or MLFLOW_TRACKING_URI) must name a database file; 'adir.csv' is a directory",
    ),
    (
        "run tracking.uri=sqlite:///./notdb.db/x.db",
        "bmexp run: error: tracking.uri (or MLFLOW_TRACKING_URI) must be in a directory bmexp can create; '{cwd}/notdb.db' is not a writable directory",
    ),
    (
        "run tracking.uri=http://",
        "bmexp run: error: tracking.uri (or MLFLOW_TRACKING_URI) must be sqlite:///PATH (a database file), or a tracking server http(s)://HOST:PORT; received 'http://' (no host)",
    ),
    (
        "run tracking.experiment=",
        "bmexp run: error: tracking.experiment must be a name of letters, digits, '_', '-' and '.' (not starting with '.', at most 100 characters); received ''",
    ),
    (
        "run tracking.experiment=.hidden",
        "bmexp run: error: tracking.experiment must be a name of letters, digits, '_', '-' and '.' (not starting with '.', at most 100 characters); received '.hidden'",
    ),
    (
        "run tracking.sweep_name=../../x",
        "bmexp run: error: tracking.sweep_name must be a name of letters, digits, '_', '-' and '.' (not starting with '.', at most 100 characters); received '../../x'",
    ),
    (
        "sweep tracking.sweep_name=a/b",
        "bmexp sweep: error: tracking.sweep_name must be a name of letters, digits, '_', '-' and '.' (not starting with '.', at most 100 characters); received 'a/b'",
    ),
    (
        "sweep hydra.launcher.grace_s=-5",
        "bmexp sweep: error: hydra.launcher.grace_s must be a finite number in [0, 3600]; received -5.0",
    ),
    (
        "sweep hydra.launcher.n_jobs=0",
        "bmexp sweep: error: hydra.launcher.n_jobs must be -1 (one worker per core) or an integer in [1, 1024]; received 0",
    ),
    (
        "sweep sweep=slurm convention=binary schedule.T0=5 schedule.step=5 schedule.sweeps_per_temperature=5 training.eta=0.1",
        "bmexp sweep: error: tracking.uri (or MLFLOW_TRACKING_URI) must be a tracking server http(s)://HOST:PORT with sweep=slurm (jobs on other machines cannot share a SQLite store); received 'null (mlruns/mlflow.db)'; start one (mlflow server, or scripts/local-cluster.sh start) and pass tracking=server tracking.uri=http://HOST:PORT",
    ),
    (
        "sweep sweep=slurm tracking.uri=sqlite:///./runs.db convention=binary schedule.T0=5 schedule.step=5 schedule.sweeps_per_temperature=5 training.eta=0.1",
        "bmexp sweep: error: tracking.uri (or MLFLOW_TRACKING_URI) must be a tracking server http(s)://HOST:PORT with sweep=slurm (jobs on other machines cannot share a SQLite store); received 'sqlite:///./runs.db'; start one (mlflow server, or scripts/local-cluster.sh start) and pass tracking=server tracking.uri=http://HOST:PORT",
    ),
    (
        "run tracking=server tracking.uri=http://127.0.0.1:9 training.epochs=5",
        "bmexp run: error: tracking server http://127.0.0.1:9 does not answer: connection refused",
    ),
    ("sweep training.eta=0.1,-1", "bmexp sweep: error: training.eta must be a finite number > 0; received -1.0"),
    (
        "sweep sweep=nosuch",
        "bmexp sweep: error: In 'sweep': Could not find 'sweep/nosuch' Available options in 'sweep': basic default digits metastable quick samplers schedules slurm",
    ),
    ("sweep schedule.T0=5,0.5", "bmexp sweep: error: schedule.T0 must be >= T_end = 1; received T0 = 0.5"),
    (
        "check check=histogram",
        "bmexp check: error: In 'check': Could not find 'check/histogram' Available options in 'check': blocks conditional energy invariance joint "
        "lumped random_hidden schedule",
    ),
    (
        "check check.name=histogram",
        "bmexp check: error: check.name must be one of ['conditional', 'joint', 'random_hidden', 'schedule', 'invariance', "
        "'blocks', 'energy', 'lumped']; received 'histogram'",
    ),
    ("check check.n=0", "bmexp check: error: check.n must be an integer >= 1; received 0"),
    (
        "check check.n=100000000000",
        "bmexp check: error: check.n = 100000000000 would need 12.8 TB of memory for the sampling checks' chains; the limit is 8.59 GB",
    ),
    ("check check.alpha=0", "bmexp check: error: check.alpha must be a number in (0, 1); received 0.0"),
    (
        "check check.hidden=[1,2]",
        "bmexp check: error: check.hidden must contain only binary values {0, 1}; found 2 (1 bad entries)",
    ),
    ("check check=conditional check.hidden=[1]", "bmexp check: error: check.hidden must have 2 values; received [1.0]"),
    (
        "check check.plot=/proc/nope/x.png",
        "bmexp check: error: check.plot must be a directory bmexp can create; '/proc/nope': No such file or directory",
    ),
    ("check seed=-1", "bmexp check: error: seed must be an integer in [0, 2**64 - 1]; received -1"),
    (
        "check model=random model.n_visible=13 model.n_hidden=12",
        "bmexp check: error: check.name = 'conditional' needs exact enumeration (n_units <= 24); the model has 25 units (checks that apply to it: ['blocks'])",
    ),
    (
        "check check=schedule model=random model.n_visible=7 model.n_hidden=6",
        "bmexp check: error: check.name = 'schedule' needs n_units <= 12; the model has 13 units (checks that apply to it: ['conditional', 'joint', 'random_hidden', 'invariance', 'blocks'])",
    ),
    (
        "check check=conditional model=random model.n_hidden=0",
        "bmexp check: error: check.name = 'conditional' needs visible and hidden units; the model has 4 units (checks that apply to it: ['joint', 'schedule', 'invariance', 'blocks'])",
    ),
    ("train training.eta=-1", "bmexp train: error: training.eta must be a finite number > 0; received -1.0"),
    (
        "train training.weight_decay=-1",
        "bmexp train: error: training.weight_decay must be a finite number >= 0; received -1.0",
    ),
    (
        "train metrics_csv=/proc/nope/m.csv",
        "bmexp train: error: metrics_csv must be a directory bmexp can create; '/proc/nope': No such file or directory",
    ),
    (
        "train training.epochs=1000000000000000000000000000000",
        "bmexp train: error: training.epochs = 1000000000000000000000000000000 would take 5.29e+34 spin updates for training; the limit is 1e+12 (about 6 hours here)",
    ),
    (
        "train training.variant=annealed data=exact",
        "bmexp train: error: training.variant = 'annealed' clamps data vectors: give data, not only p_data",
    ),
    (
        "table given_hidden=[1,2]",
        "bmexp table: error: given_hidden must contain only binary values {0, 1}; found 2 (1 bad entries)",
    ),
    ("table given_hidden=[1]", "bmexp table: error: given_hidden must have 2 values; received [1]"),
    ("table max_units=0", "bmexp table: error: max_units must be an integer >= 1; received 0"),
    (
        "table model=random model.n_visible=20 model.n_hidden=20 max_units=40",
        "bmexp table: error: max_units = 40 would need 88 TB of memory for the table of 2**40 states; the limit is 8.59 GB",
    ),
    (
        "table model=random model.n_visible=20 model.n_hidden=6",
        "bmexp table: error: model.n_visible + model.n_hidden must be <= max_units = 24 (exact enumeration); received 20 + 6 = 26",
    ),
    (
        "table convention=ising",
        "bmexp table: error: In 'table': Could not find 'convention/ising' Available options in 'convention': binary spin",
    ),
    (
        "report",
        "bmexp report: error: report.sweep: there is no store at {cwd}/mlruns/mlflow.db; run `python -m bmexp sweep` first",
    ),
    ("report report.alpha=2", "bmexp report: error: report.alpha must be a number in (0, 1); received 2.0"),
    (
        "report report.sweep=../x",
        "bmexp report: error: report.sweep must be a sweep name (letters, digits, '_', '-', '.') or null; received '../x'",
    ),
    (
        "report report.out=/proc/nope",
        "bmexp report: error: report.out must be a directory bmexp can create; '/proc/nope': No such file or directory",
    ),
    (
        "report report.log_to_parent=maybe",
        "bmexp report: error: Error merging override report.log_to_parent=maybe Value 'maybe' is not a valid bool (type str)",
    ),
    (
        "report tracking.uri=ftp://x",
        "bmexp report: error: tracking.uri (or MLFLOW_TRACKING_URI) must be sqlite:///PATH (a database file), or a tracking server http(s)://HOST:PORT; received 'ftp://x'",
    ),
    ("ui ui.port=70000", "bmexp ui: error: ui.port must be an integer in [1, 65535]; received 70000"),
    ("ui ui.port=0", "bmexp ui: error: ui.port must be an integer in [1, 65535]; received 0"),
    ("ui ui.workers=0", "bmexp ui: error: ui.workers must be an integer in [1, 64]; received 0"),
    ("ui ui.host=", "bmexp ui: error: ui.host must be a host name or address; received ''"),
    (
        "ui tracking.uri=http://127.0.0.1:5000",
        "bmexp ui: error: tracking.uri 'http://127.0.0.1:5000' is a tracking server: open it in a browser instead",
    ),
    (
        "frobnicate",
        "bmexp: error: command must be one of ['check', 'report', 'run', 'sweep', 'table', 'train', 'ui']; received 'frobnicate'",
    ),
    # ---- data=digits, model=rbm (issue 17)
    ("run data=digits", "bmexp run: error: model.n_visible must be 64 for data=digits (8 x 8 pixels); received 2"),
    (
        "train model=rbm data=digits training.batch_size=0",
        "bmexp train: error: training.batch_size must be an integer >= 1; received 0",
    ),
    (
        "train model=rbm data=digits training.eval_every=0",
        "bmexp train: error: training.eval_every must be an integer >= 1; received 0",
    ),
    (
        "run model=rbm data=digits training.eval_chains=1",
        "bmexp run: error: training.eval_chains must be an integer >= 2; received 1",
    ),
    (
        "train model=rbm data=digits training.eval_betas=1",
        "bmexp train: error: training.eval_betas must be an integer >= 2; received 1",
    ),
    (
        "train model=rbm data=digits data.heldout=0",
        "bmexp train: error: data.heldout must be a finite number in (0, 1); received 0.0",
    ),
    (
        "check check=energy model=lattice model.L=4 check.n=1",
        "bmexp check: error: check.n must be an integer >= 50; received 1",
    ),
    (
        "train model=rbm data=digits training=pcd training.epochs=1 model.n_hidden=8 training.eval_chains=1000000000",
        "bmexp train: error: training.eval_chains = 1000000000 would need 2.3 TB of memory for the held-out AIS "
        "chains; the limit is 8.59 GB",
    ),
    (
        "train model=rbm data=digits training=pcd training.epochs=1 model.n_hidden=8 training.eval_betas=1000000000",
        "bmexp train: error: training.eval_betas = 1000000000 would take 6.88e+13 spin updates for the held-out AIS "
        "evaluations; the limit is 1e+12 (about 6 hours here)",
    ),
    (
        "train model=rbm data=digits data.heldout=0.9999 training.epochs=1",
        "bmexp train: error: data.heldout = 0.9999 holds out 1797 of the 1797 images; it must leave at least 2 held "
        "out and 1 to train on: a fraction in [0.0011, 0.9994]",
    ),
    (
        "check check=joint sampler=pt sampler.replicas=1000000 check.plot=null",
        "bmexp check: error: sampler.replicas = 1000000 would need 2.46 TB of memory for the sampling checks' chains "
        "(all replicas); the limit is 8.59 GB",
    ),
    (
        "train model=random model.n_visible=13 model.n_hidden=13 data.heldout=0",
        "bmexp train: error: data.heldout must be a finite number in (0, 1); received 0.0",
    ),
    (
        "check check=invariance model=random model.n_visible=12 model.n_hidden=12 check.sweeps=[1000000]",
        "bmexp check: error: check.sweeps = [1000000] would take 1.22e+12 spin updates for the sampling checks' "
        "chains; the limit is 1e+12 (about 6 hours here)",
    ),
    (
        "train model=rbm data=digits data.n=2000",
        "bmexp train: error: data.n = 2000 training images asked for; the digits have 1438 to train on at a "
        "held-out fraction of 0.2: at most 1438, or null for all of them",
    ),
    (
        "train model=rbm data=digits data.n=0",
        "bmexp train: error: data.n must be an integer >= 1; received 0",
    ),
    (
        "train model=rbm data=digits data.threshold=0",
        "bmexp train: error: data.threshold must be an integer in [1, 16]; received 0",
    ),
    # ---- check=lumped, sweep=metastable: annealing against parallel tempering, exactly (issue 14)
    (
        "check check=lumped model=metastable",
        "bmexp check: error: sampler.scan must be random, with sampler.rule heat_bath or flip, for check 'lumped' "
        "(only then is the number of units up a Markov chain); received the kernel heat_bath/sequential",
    ),
    (
        "check check=lumped model=slide35 sampler.scan=random",
        "bmexp check: error: check.name = 'lumped' needs the fully connected ferromagnet (model=ferromagnet or "
        "model=metastable); the model has 4 units (checks that apply to it: ['conditional', 'joint', "
        "'random_hidden', 'schedule', 'invariance', 'blocks'])",
    ),
    (
        "run checks.names=[lumped] model=metastable sampler=pt sampler.scan=random train=false",
        "bmexp run: error: schedule.kind must be constant with parallel tempering for check 'lumped' (its exact "
        "output is computed at T = 1); received a schedule through T = [1.0, 2.0, 3.0, 4.0, 5.0]",
    ),
    (
        "sweep sweep=metastable sampler.replicas=7",
        "bmexp sweep: error: sampler.replicas must be null with sampler=gibbs (parallel tempering's keys: "
        "sampler=pt); received 7",
    ),
    (
        "check check=lumped model=metastable sampler=pt sampler.scan=random schedule=constant sampler.replicas=7",
        "bmexp check: error: sampler.replicas must be at most 6 for check 'lumped' on 10 units ((n + 1)**R <= "
        "4,194,304 joint count states); received 7",
    ),
    # ---- sweep=digits: who trains (issue 17, item 4)
    (
        "run model=rbm data=digits training=pcd training.trainer=keras",
        "bmexp run: error: training.trainer must be one of ['bmexp', 'sklearn']; received 'keras'",
    ),
    (
        "train model=random training=pcd training.trainer=sklearn",
        "bmexp train: error: training.trainer = 'sklearn' fits a BernoulliRBM, which needs a restricted model "
        "(model=rbm); received model=random (connectivity 'full', n_hidden = 2)",
    ),
    (
        "run model=rbm data=digits training.trainer=sklearn",
        "bmexp run: error: training.trainer = 'sklearn' is persistent contrastive divergence: use training=pcd; "
        "received training.variant = 'annealed'",
    ),
    # ---- parallel tempering's bad input: tuning estimated, ladders checked as given, ignored keys refused
    (
        "run sampler=pt train=false sampler.ladder=adaptive sampler.tune_sweeps=1000000000000",
        "bmexp run: error: sampler.tune_sweeps = 1000000000000 would need 46.4 TB of memory for the tuning's "
        "temperatures; the limit is 8.59 GB",
    ),
    (
        "run sampler=pt sampler.ladder=[1,1e308]",
        "bmexp run: error: sampler.ladder must be a list of finite temperatures <= 1e+06 (as T_max); received "
        "[1, 1e+308]",
    ),
    (
        "run sampler=pt sampler.ladder=[true,2]",
        "bmexp run: error: sampler.ladder must be a list of numbers (not bools or strings) [1, T_2, ..., T_R]; "
        "received [True, 2]",
    ),
    (
        "run sampler=pt sampler.ladder=[1,2] sampler.T_max=3",
        "bmexp run: error: sampler.T_max = 3.0 is ignored with an explicit ladder (only geometric and adaptive "
        "ladders read it): leave it at its default (5.0)",
    ),
    (
        "check check=lumped model=metastable sampler=pt sampler.scan=random schedule=constant schedule.sweeps=100000 "
        "sampler.replicas=6 check.n=100 check.plot=null",
        "bmexp check: error: schedule.sweeps = 100000 would take 1.17e+13 operations for the exact count chain of 6 "
        "replicas (1,771,561 joint states, one round a sweep); the limit is 4e+12 (about 6 hours here)",
    ),
    (
        "check check=lumped model=metastable sampler=pt sampler.scan=random schedule=constant sampler.replicas=2 "
        "schedule.sweeps=100000000 check.plot=null",
        "bmexp check: error: schedule.sweeps = 100000000 would need 24.8 GB of memory for the exact count chain of 2 "
        "replicas (121 joint states, one round a sweep); the limit is 8.59 GB",
    ),
    (
        "check check=joint sampler=pt sampler.replicas=8 schedule=constant schedule.sweeps=10000000 check.plot=null",
        "bmexp check: error: schedule.sweeps = 10000000 would take 6.14e+12 spin updates for the sampling checks' "
        "chains (19,202 planned chains x 10,000,000 sweeps of the schedule); the limit is 1e+12 (about 6 hours here)",
    ),
    (
        "train training=pcd sampler=pt",
        "bmexp train: error: training.variant = 'pcd' with sampler.name = 'pt': pcd's persistent chains keep only "
        "the T = 1 replica, so parallel tempering would restart its ladder every epoch; use training=pt (persistent "
        "parallel tempering with sampler=pt's settings), or training=pcd with sampler=gibbs",
    ),
]

API = [
    # (outside tester, round 3: raw numpy / scipy errors, memory errors, or silently wrong results, before)
    (
        "pseudo_log_likelihood(slide35(), vectors, max_exact_hidden=0, n_samples=10**12, rng=rng)",
        lambda: pseudo_log_likelihood(
            slide35(), np.eye(2), max_exact_hidden=0, n_samples=10**12, rng=np.random.default_rng(0)
        ),
        "n_samples = 1000000000000 would need 192 TB of memory for the hidden samples; the limit is 8.59 GB",
    ),
    (
        "pseudo_log_likelihood(slide35(), vectors, max_exact_hidden=0, sampler='gibbs', rng=rng)",
        lambda: pseudo_log_likelihood(
            slide35(), np.eye(2), max_exact_hidden=0, sampler="gibbs", rng=np.random.default_rng(0)
        ),
        "sampler must be a callable sampler (see bmexp.samplers.Sampler); received str",
    ),
    (
        "sample_visible(slide35(), 10**12, rng=rng)",
        lambda: sample_visible(slide35(), 10**12, rng=np.random.default_rng(0)),
        "n = 1000000000000 would need 32 TB of memory for the visible vectors; the limit is 8.59 GB",
    ),
    (
        "conditional_table({})",
        lambda: conditional_table({}),
        "models must be a non-empty mapping name -> BoltzmannMachine; received dict",
    ),
    (
        "conditional_table({'a': slide35(), 'b': random_model(3, 2, ...)})",
        lambda: conditional_table({"a": slide35(), "b": random_model(3, 2, rng=np.random.default_rng(0))}),
        "models must have the same units to be shown side by side; models['b'] has 3 visible and 2 hidden, the "
        "first 2 and 2",
    ),
    (  # (a raw TypeError: check_joint() missing 1 required keyword-only argument)
        "run_check('joint', slide35())",
        lambda: run_check("joint", slide35()),
        "rng is required by the joint check (run_check('joint', model, rng=...))",
    ),
    (  # (silently ignored, truncated to unit 1, or a raw ValueError / TypeError)
        "schedule_output(slide35(), schedule, fixed=[1.5])",
        lambda: schedule_output(slide35(), Schedule.default(), fixed=[1.5]),
        "fixed units must be indices in [0, 4) or names in ['v1', 'v2', 'h1', 'h2']; received 1.5",
    ),
    (
        "schedule_output(slide35(), schedule, fixed=None)",
        lambda: schedule_output(slide35(), Schedule.default(), fixed=None),
        "fixed must be a list of unit indices or names; received NoneType",
    ),
    (  # (a raw TypeError from inside training)
        "train(..., callback=lambda: None)",
        lambda: _train(callback=lambda: None),
        "callback must be None or a function of one epoch's metrics (a dict); received <lambda>",
    ),
    (  # (named h)
        "conditional_table({'a': slide35()}, hidden=[2, 0])",
        lambda: conditional_table({"a": slide35()}, hidden=[2, 0]),
        "hidden must contain only binary values {0, 1}; found 2 (1 bad entries)",
    ),
    (
        "Schedule.explicit({5: 1})",
        lambda: Schedule.explicit({5: 1}),
        "temperatures must be a non-empty list of numbers > 0; received {5: 1}",
    ),
    (
        "gof_test([2**63, 1, 1, 1], [0.25] * 4)",
        lambda: gof_test([2**63, 1, 1, 1], [0.25] * 4),
        "counts must add up to fewer than 2**62 samples; received n = 9.22e+18",
    ),
    (
        "gof_test(counts, p, test=[])",
        lambda: gof_test([5, 5, 5, 5], [0.25] * 4, test=[]),
        "test must be one of ['cressie-read', 'pearson', 'g']; received []",
    ),
    (
        "gof_test(counts, p, min_expected='5')",
        lambda: gof_test([5, 5, 5, 5], [0.25] * 4, min_expected="5"),
        "min_expected must be a finite number in (0, 1e+12]; received '5'",
    ),
    (
        "gof_test(counts, p, monte_carlo=10**18, rng=rng)",
        lambda: gof_test([5, 5, 5, 5], [0.25] * 4, monte_carlo=10**18, rng=np.random.default_rng(0)),
        "monte_carlo = 1000000000000000000 would need 64 EB of memory for the Monte Carlo draws; the limit is 8.59 GB",
    ),
    (
        "gof_test([1, 0, 0, 0], [0.25] * 4, rng=3)",
        lambda: gof_test([1, 0, 0, 0], [0.25] * 4, rng=3),
        "rng must be a numpy.random.Generator; received int",
    ),
    (
        "chain_gof_test(two_unit_chain, [0.125] * 8, 'binary')",
        lambda: chain_gof_test(np.zeros((500, 2)), [0.125] * 8, "binary"),
        "p must have one probability per state of the chain's 2 units (2**2 = 4); received 8",
    ),
    (
        "chain_gof_test(chain, p, 'binary', factor=0)",
        lambda: chain_gof_test(np.zeros((500, 2)), [0.25] * 4, "binary", factor=0),
        "factor must be a finite number in [1, 1e+06]; received 0",
    ),
    (
        "chain_gof_test(chain, p, 'binary', max_tau_thinned=np.nan)",
        lambda: chain_gof_test(np.zeros((500, 2)), [0.25] * 4, "binary", max_tau_thinned=np.nan),
        "max_tau_thinned must be a finite number in [1, 1e+06]; received nan",
    ),
    (
        "chain_gof_test(chain, p, 'binary', foo=1)",
        lambda: chain_gof_test(np.zeros((500, 2)), [0.25] * 4, "binary", foo=1),
        "foo is not an argument of chain_gof_test; allowed: alpha, rng, min_draws, factor, max_tau_thinned",
    ),
    (
        "integrated_autocorrelation_time(np.ones(10), c=0)",
        lambda: integrated_autocorrelation_time(np.ones(10), c=0),
        "c must be a finite number in (0, 1e+06]; received 0",
    ),
    (
        "integrated_autocorrelation_time(np.full(10, np.nan))",
        lambda: integrated_autocorrelation_time(np.full(10, np.nan)),
        "x must be finite; found nan or inf",
    ),
    (
        "holm(['a'])",
        lambda: holm(["a"]),
        "pvalues must be a 1-D array of numbers in [0, 1]; received ['a']",
    ),
    (
        "required_samples(p, tv=1e-300)",
        lambda: required_samples([0.25] * 4, tv=1e-300),
        "tv must be a finite number in [1e-09, 1]; received 1e-300",
    ),
    (
        "required_samples(p, power=1e-12)",
        lambda: required_samples([0.25] * 4, power=1e-12),
        "power = 1e-12 must exceed alpha = 0.01 (the power of a test of no effect)",
    ),
    (
        "noncentrality(np.inf, 0.01, 0.9)",
        lambda: noncentrality(np.inf, 0.01, 0.9),
        "dof must be an integer in [1, 1.09951e+12]; received inf",
    ),
    (
        "power_at(0.1, 100, 0, 0.01)",
        lambda: power_at(0.1, 100, 0, 0.01),
        "dof must be an integer in [1, 1.09951e+12]; received 0",
    ),
    (
        "all_states(40)",
        lambda: all_states(40),
        "n_units = 40 would need 704 TB of memory for every state; the limit is 8.59 GB",
    ),
    (
        "all_states(1.5)",
        lambda: all_states(1.5),
        "n_units must be an integer in [0, 62]; received 1.5",
    ),
    (
        "states_from_indices([1.5], 2)",
        lambda: states_from_indices([1.5], 2),
        "indices must be whole numbers; received [1.5]",
    ),
    (
        "indices_from_states(np.ones((1, 64)))",
        lambda: indices_from_states(np.ones((1, 64))),
        "states must have at most 62 units to be numbered as int64 indices; received 64",
    ),
    (
        "train(..., learn_biases='no')",
        lambda: _train(learn_biases="no"),
        "learn_biases must be True or False; received 'no'",
    ),
    (
        "train(..., callback='x')",
        lambda: _train(callback="x"),
        "callback must be None or a function of one epoch's metrics (a dict); received 'x'",
    ),
    (
        "train(..., data=vectors, p_data=p)",
        lambda: _train(p_data=[0.25] * 4),
        "give data (visible vectors) or p_data (a distribution over visible states), not both",
    ),
    (
        "kl_divergence([0.5, 0.5], [1.0])",
        lambda: kl_divergence([0.5, 0.5], [1.0]),
        "p and q must be distributions over the same states; received 2 and 1",
    ),
    (
        "kl_divergence([1.5, -0.5], [0.5, 0.5])",
        lambda: kl_divergence([1.5, -0.5], [0.5, 0.5]),
        "p must be non-negative; received -0.5",
    ),
    (
        "run_check('joint', slide35(), rng=rng, hidden=[1, 1])",
        lambda: run_check("joint", slide35(), rng=np.random.default_rng(0), hidden=[1, 1]),
        "hidden is not an option of the joint check; its options are: rng, schedule, n, alpha",
    ),
    (
        "log_likelihood(model_b, vectors, ais(model_a, ...))",
        lambda: _log_likelihood_of_another_model(),
        "log_z (an AISResult) estimated the log Z of another model (other weights, biases or convention): estimate this model's log Z (ais or reverse_ais on it)",
    ),
    (
        "slide35().replace(foo=1)",
        lambda: slide35().replace(foo=1),
        "foo is not a field of BoltzmannMachine; allowed: weights, biases, n_visible, convention, connectivity",
    ),
    (
        "convert_model('m', 'spin')",
        lambda: convert_model("m", "spin"),
        "model must be a BoltzmannMachine; received str",
    ),
    (
        "energies(slide35(), block_bits=-1)",
        lambda: energies(slide35(), block_bits=-1),
        "block_bits must be an integer in [1, 24]; received -1",
    ),
    (
        "log_partition(slide35(), max_units=4.5)",
        lambda: log_partition(slide35(), max_units=4.5),
        "max_units must be an integer in [1, 62]; received 4.5",
    ),
    (
        "expectations(np.full(4, 0.25), 2, 'binary', chunk=0)",
        lambda: expectations(np.full(4, 0.25), 2, "binary", chunk=0),
        "chunk must be an integer >= 1; received 0",
    ),
    (
        "expectations([1.5, -0.5, 0, 0], 2, 'binary')",
        lambda: expectations([1.5, -0.5, 0, 0], 2, "binary"),
        "probs must be non-negative; received -0.5",
    ),
    (
        "GibbsSampler(scan='random', backend='numpy')(slide35(), n_chains=10, schedule=Schedule.constant(10**8), ...)",
        lambda: GibbsSampler(scan="random", backend="numpy")(
            slide35(), rng=np.random.default_rng(0), n_chains=10, schedule=Schedule.constant(10**8)
        ),
        "schedule = 100000000 sweeps would need 38.4 GB of memory for the random numbers of one chain; "
        "the limit is 8.59 GB",
    ),
    (  # (accepted before: every temperature printed as 1.0; an outside tester)
        "ParallelTempering(replicas=10, T_max=1 + 1e-15)",
        lambda: ParallelTempering(replicas=10, T_max=1 + 1e-15),
        "T_max = 1.000000000000001 is too close to 1: its 10 temperatures would lie within a few float64 steps "
        "of each other; allowed: a T_max further from 1 (1 + 1e-6 always is)",
    ),
    (
        "set_threads(0)",
        lambda: set_threads(0),
        "n must be an integer >= 1; received 0",
    ),
    (
        "sample_chain(slide35(), burn_in=-1, ...)",
        lambda: sample_chain(slide35(), rng=np.random.default_rng(0), n_draws=3, burn_in=-1),
        "burn_in must be an integer in [0, 1e+08]; received -1",
    ),
    (
        "sample_chain(slide35(), n_draws=10**5, sweeps_between=10**4, ...)",
        lambda: sample_chain(slide35(), rng=np.random.default_rng(0), n_draws=10**5, sweeps_between=10**4),
        "n_draws x sweeps_between must be at most 1e+08 sweeps; received 100000 x 10000",
    ),
    (
        "gibbs_sample(slide35(), record_energy='yes', ...)",
        lambda: gibbs_sample(
            slide35(), rng=np.random.default_rng(0), n_chains=3, schedule=Schedule.constant(2), record_energy="yes"
        ),
        "record_energy must be True or False; received 'yes'",
    ),
    (
        "GibbsSampler()(slide35(), n_chains=10**12, ...)",
        lambda: GibbsSampler()(slide35(), rng=np.random.default_rng(0), n_chains=10**12, schedule=Schedule.constant(1)),
        "n_chains = 1000000000000 would need 104 TB of memory for the chains' states; the limit is 8.59 GB",
    ),
    (
        "pseudo_log_likelihood(slide35(), np.zeros((3, 5)))",
        lambda: pseudo_log_likelihood(slide35(), np.zeros((3, 5))),
        "vectors must have shape (n_vectors, 2) to match n_visible = 2; received shape (3, 5)",
    ),
    (
        "train(<26 units>, measure='kl', ...)",
        lambda: train(
            random_model(20, 6, rng=np.random.default_rng(0)),
            rng=np.random.default_rng(0),
            data=np.zeros((5, 20)),
            measure="kl",
        ),
        "measure = 'kl' needs exact enumeration (n_units <= 24); the model has 26 units: use 'pll' "
        "(pseudo-log-likelihood and reconstruction) or 'auto'",
    ),
    (
        "ParallelTempering(replicas=1)",
        lambda: ParallelTempering(replicas=1),
        "replicas must be an integer >= 2 (parallel tempering swaps between at least two temperatures); received 1",
    ),
    (
        "ParallelTempering(ladder=[2, 4])",
        lambda: ParallelTempering(ladder=[2, 4]),
        "ladder must start at T_1 = 1 (the first replica samples the model's Boltzmann distribution at T = 1); "
        "received [2, 4]",
    ),
    (
        "ParallelTempering(ladder=[1, 2, 2])",
        lambda: ParallelTempering(ladder=[1, 2, 2]),
        "ladder must be strictly increasing (1 = T_1 < T_2 < ... < T_R); received [1, 2, 2]",
    ),
    (
        "BoltzmannMachine([[0, 1], [2, 0]], [0, 0], n_visible=1)",
        lambda: BoltzmannMachine([[0, 1.0], [2.0, 0]], [0, 0], n_visible=1),
        "weights must be symmetric within 2e-10; weights[0, 1] = 1.0 but weights[1, 0] = 2.0",
    ),
    (
        "gof_test([5, 5], [0.5, 0.6])",
        lambda: gof_test([5, 5], [0.5, 0.6]),
        "p must sum to 1 (within 1e-9); sums to 1.1",
    ),
    (
        "gibbs_sample(slide35(), n_chains=0, ...)",
        lambda: gibbs_sample(slide35(), rng=np.random.default_rng(0), n_chains=0, schedule=Schedule.constant(1)),
        "n_chains must be an integer >= 1; received 0",
    ),
    (
        "Schedule.geometric(20, 1.5, sweeps_per_temperature=2)",
        lambda: Schedule.geometric(20, 1.5, sweeps_per_temperature=2),
        "factor must be a number in (0, 1); received 1.5",
    ),
    (
        "GibbsSampler()(slide35(), clamp=np.array([[1], [0]]), ...)",
        lambda: GibbsSampler()(
            slide35(),
            rng=np.random.default_rng(0),
            n_chains=2,
            schedule=Schedule.constant(2),
            clamp=np.array([[1], [0]]),
        ),
        "clamp must be None, a mapping unit -> value(s) or a pair (units, values); received array of shape (2, 1): "
        "[[1], [0]]",
    ),
    (
        "ParallelTempering()(slide35(), init=None, ...)",
        lambda: ParallelTempering()(
            slide35(), rng=np.random.default_rng(0), n_chains=2, schedule=Schedule.constant(2), init=None
        ),
        "init must be 'random', 'off' or an array of states; received None",
    ),
    (
        "ParallelTempering()(slide35(), clamp=([0, 0], [1, 1]), ...)",
        lambda: ParallelTempering()(
            slide35(), rng=np.random.default_rng(0), n_chains=2, schedule=Schedule.constant(2), clamp=([0, 0], [1, 1])
        ),
        "clamp units must not repeat; received [0, 0]",
    ),
    (
        "train(slide35(), max_weight=1, ...)",
        lambda: train(slide35(), rng=np.random.default_rng(0), data=[[0, 1]], max_weight=1),
        "student starts beyond max_weight: its max |W| = 2 > max_weight = 1, so training would stop as diverged at "
        "its first epoch; start from smaller weights or raise max_weight",
    ),
    (
        "train(slide35(), eta=0, ...)",
        lambda: train(slide35(), rng=np.random.default_rng(0), data=[[0, 1]], eta=0),
        "eta must be a finite number > 0; received 0",
    ),
    (
        "slide35().energy([1, 0, 2, 1])",
        lambda: slide35().energy([1, 0, 2, 1]),
        "states must contain only binary values {0, 1}; found 2 (1 bad entries)",
    ),
    (
        "Schedule.explicit([1, 5, 20])",
        lambda: Schedule.explicit([1, 5, 20]),
        "temperatures must be a list that never increases (annealing cools towards the final temperature); "
        "received [1, 5, 20]",
    ),
    (
        "Schedule.linear(1e308, 1, sweeps_per_temperature=2)",
        lambda: Schedule.linear(1e308, 1, sweeps_per_temperature=2),
        "T0 must keep the schedule within 1e+08 sweeps; T0 = 1e+308, step = 1, 2 sweeps per temperature and 4 final "
        "sweeps give inf",
    ),
    (
        "Kernel('gibbs', 'sequential')",
        lambda: Kernel("gibbs", "sequential"),
        "kernel rule must be one of ['heat_bath', 'metropolis']; received 'gibbs'",
    ),
    (
        "schedule_output(slide35(), Schedule.default(), kernel=UNKNOWN_KERNEL)",
        lambda: schedule_output(slide35(), Schedule.default(), kernel=UNKNOWN_KERNEL),
        "kernel must be a declared bmexp.samplers.Kernel (rule x scan); received Kernel(rule='unknown', "
        "scan='unknown'): an unknown kernel has no exact schedule output",
    ),
    (
        "GibbsSampler(rule='gibbs')",
        lambda: GibbsSampler(rule="gibbs"),
        "rule must be one of ['heat_bath', 'flip', 'metropolis']; received 'gibbs'",
    ),
    (
        "random_model(2, 2, rng=3)",
        lambda: random_model(2, 2, rng=3),
        "rng must be a numpy.random.Generator; received int",
    ),
    (
        "run_check('joint', slide35(), rng=np.random.default_rng(0), n=0)",
        lambda: run_check("joint", slide35(), rng=np.random.default_rng(0), n=0),
        "n must be an integer >= 1; received 0",
    ),
    (
        "BoltzmannMachine(1e300 * W, b, ...)",
        lambda: BoltzmannMachine([[0, 1e300], [1e300, 0]], [0, 0], n_visible=1),
        "weights and biases must keep every energy within 1e+12 in magnitude (0.5 sum|W| + sum|b|); received a model "
        "that reaches 1e+300",
    ),
    (
        "dwave_sampler('glauber')",
        lambda: _ocean().dwave_sampler("glauber"),
        "acceptance must be one of ['gibbs', 'metropolis', 'heat_bath'] (any case); received 'glauber'",
    ),
    (
        "DimodSampler(object())",
        lambda: _ocean().DimodSampler(object()),
        "sampler must be a dimod.Sampler (e.g. dwave.samplers.SimulatedAnnealingSampler()); received object",
    ),
    (
        "BoltzmannMachine(..., connectivity=[[0, 1, 0], [0, 0, 0], [0, 0, 0]])",
        lambda: BoltzmannMachine(
            np.zeros((3, 3)), np.zeros(3), 1, connectivity=np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]])
        ),
        "connectivity must be symmetric (a coupling is shared by both units); mask[0, 1] = True but mask[1, 0] = False",
    ),
    (
        "BoltzmannMachine(..., connectivity=np.eye(3))",
        lambda: BoltzmannMachine(np.zeros((3, 3)), np.zeros(3), 1, connectivity=np.eye(3)),
        "connectivity must have a False (zero) diagonal: no unit couples to itself; mask[0, 0] = True",
    ),
    (
        "BoltzmannMachine(W with a hidden-hidden weight, ..., connectivity='restricted')",
        lambda: BoltzmannMachine(np.ones((3, 3)) - np.eye(3), np.zeros(3), 1, connectivity="restricted"),
        "weights must be 0 where connectivity = 'restricted' allows no coupling; weights[1, 2] = 1.0",
    ),
    (
        "ais(model, betas=1, ...)",
        lambda: _ais(betas=1),
        "betas must be at least 2 inverse temperatures (an integer >= 2 or a sequence); received 1",
    ),
    (
        "ais(model, betas=[0.0, 0.5], ...)",
        lambda: _ais(betas=[0.0, 0.5]),
        "betas must be strictly increasing from 0 to 1; received [0.  0.5]",
    ),
    (
        "ais(model, n_chains=10**9, ...)",
        lambda: _ais(n_chains=10**9),
        "n_chains = 1000000000 would need 128 GB of memory for the AIS chains; the limit is 8.59 GB",
    ),
    (
        "ais(model, betas=10**10, ...)",
        lambda: _ais(betas=10**10),
        "betas = 10000000000 would need 80 GB of memory for the AIS temperatures; the limit is 8.59 GB",
    ),
    (
        "ais(model, n_chains=10**6, betas=10**6, ...)",
        lambda: _ais(n_chains=10**6, betas=10**6),
        "betas = 1000000 would take 8.02e+12 spin updates for the AIS runs; the limit is 1e+12 (about 6 hours here)",
    ),
    (
        "log_likelihood(model, np.zeros((0, 2)), est)",
        lambda: _log_likelihood(np.zeros((0, 2))),
        "visible must hold at least one visible vector (a mean over none is undefined); received shape (0, 2)",
    ),
    (
        "log_likelihood(model, vectors, 3.5)",
        lambda: _log_likelihood(np.zeros((3, 2)), 3.5),
        "log_z must be an AISResult (from ais or reverse_ais), whose error bar is carried over; an exact log Z goes "
        "in exact_log_z=; received 3.5 (float)",
    ),
    (
        "gibbs_sample(slide35(), clamp=([0, 3], [array of 4, 1]), ...)",
        lambda: gibbs_sample(
            slide35(),
            rng=np.random.default_rng(0),
            n_chains=4,
            schedule=Schedule.constant(2),
            clamp=([0, 3], [np.array([0, 1, 0, 1]), 1]),
        ),
        "clamp values must be numbers of shape (2,) or (4, 2) (per-unit arrays: the mapping form {unit: value(s)}); "
        "received [array([0, 1, 0, 1]), 1]",
    ),
    # ---- the samplers' memory and work, estimated before anything is allocated (outside tester, session 11)
    (
        "gibbs_sample(slide35(), n_chains=10**30, ...)",
        lambda: gibbs_sample(slide35(), rng=np.random.default_rng(0), n_chains=10**30, schedule=Schedule.constant(5)),
        "n_chains = 1000000000000000000000000000000 would need 1.04e+32 bytes of memory for the chains' states; the "
        "limit is 8.59 GB",
    ),
    (
        "gibbs_sample(slide35(), n_chains=10**6, schedule=Schedule.constant(10**7), ...)",
        lambda: gibbs_sample(
            slide35(), rng=np.random.default_rng(0), n_chains=10**6, schedule=Schedule.constant(10**7)
        ),
        "n_chains = 1000000 would take 4e+13 spin updates for 10000000 sweeps each; the limit is 1e+12 (about 6 "
        "hours here)",
    ),
    (
        "ParallelTempering()(slide35(), n_chains=10**6, schedule=Schedule.constant(10**7))",
        lambda: ParallelTempering()(
            slide35(), rng=np.random.default_rng(0), n_chains=10**6, schedule=Schedule.constant(10**7)
        ),
        "n_chains = 1000000 would take 1.6e+14 spin updates for 10000000 sweeps each; the limit is 1e+12 (about 6 "
        "hours here)",
    ),
    (
        "ParallelTempering(replicas=10**5)(slide35(), n_chains=1, schedule=Schedule.constant(10**7))",
        lambda: ParallelTempering(replicas=10**5)(
            slide35(), rng=np.random.default_rng(0), n_chains=1, schedule=Schedule.constant(10**7)
        ),
        "replicas = 100000 would need 16 TB of memory for one chain's replicas and their temperature at every sweep; the limit is 8.59 GB",
    ),
    # ---- parallel tempering: memory and tuning estimated before anything is allocated
    (
        "ParallelTempering(replicas=10**30)(slide35(), n_chains=10, ...)",
        lambda: _pt(replicas=10**30),
        "replicas = 1000000000000000000000000000000 would need 2.05e+33 bytes of memory for one chain's replicas and their temperature at every sweep; the "
        "limit is 8.59 GB",
    ),
    (
        "ParallelTempering(replicas=10**8)(slide35(), n_chains=10, ...)",
        lambda: _pt(replicas=10**8),
        "replicas = 100000000 would need 205 GB of memory for one chain's replicas and their temperature at every sweep; the limit is 8.59 GB",
    ),
    (
        "ParallelTempering()(slide35(), n_chains=10**13, ...)",
        lambda: _pt(n_chains=10**13),
        "n_chains = 10000000000000 would need 3.84 PB of memory for the chains' replicas; the limit is 8.59 GB",
    ),
    (
        "ParallelTempering(ladder='adaptive', tune_sweeps=10**15)(slide35(), ...)",
        lambda: _pt(ladder="adaptive", tune_sweeps=10**15),
        "tune_sweeps = 1000000000000000 would need 46 PB of memory for the tuning's temperatures; the limit is 8.59 GB",
    ),
    (
        "ParallelTempering(ladder='adaptive', tune_chains=10**9)(slide35(), ...)",
        lambda: _pt(ladder="adaptive", tune_chains=10**9),
        "tune_chains = 1000000000 would need 384 GB of memory for the tuning chains; the limit is 8.59 GB",
    ),
    (
        "ParallelTempering(ladder='adaptive', tune_chains=10**4, tune_sweeps=10**7)(slide35(), ...)",
        lambda: _pt(ladder="adaptive", tune_chains=10**4, tune_sweeps=10**7),
        "tune_sweeps = 10000000 would take 1.6e+12 spin updates for the adaptive ladder's tuning; the limit is 1e+12 "
        "(about 6 hours here)",
    ),
    (
        "ParallelTempering(ladder=[1, 2], replicas=2.0)",
        lambda: ParallelTempering(ladder=[1, 2], replicas=2.0),
        "replicas must be 2 (the length of the explicit ladder) or None (taken from the ladder); received 2.0",
    ),
    (
        "ParallelTempering(ladder=[1, 2]).schedule_output(slide35(), schedule, clamp={'x': 1})",
        lambda: ParallelTempering(ladder=[1, 2]).schedule_output(slide35(), Schedule.constant(2), clamp={"x": 1}),
        "clamp units must be indices in [0, 4) or names in ['v1', 'v2', 'h1', 'h2']; received 'x'",
    ),
    (
        "ParallelTempering(ladder=[1, 2]).schedule_output(slide35(), schedule, clamp={0: 2})",
        lambda: ParallelTempering(ladder=[1, 2]).schedule_output(slide35(), Schedule.constant(2), clamp={0: 2}),
        "clamp values must contain only binary values {0, 1}; found 2 (1 bad entries)",
    ),
    (
        "ParallelTempering(ladder='adaptive').schedule_output(slide35(), schedule, clamp={0: 2})",
        lambda: ParallelTempering(ladder="adaptive").schedule_output(slide35(), Schedule.constant(2), clamp={0: 2}),
        "clamp values must contain only binary values {0, 1}; found 2 (1 bad entries)",
    ),
    (
        "ParallelTempering().schedule_output(None, schedule)",
        lambda: ParallelTempering().schedule_output(None, Schedule.constant(2)),
        "model must be a BoltzmannMachine; received NoneType",
    ),
    (
        "ParallelTempering().schedule_output(slide35(), 2)",
        lambda: ParallelTempering().schedule_output(slide35(), 2),
        "schedule must be a bmexp Schedule; received int",
    ),
    (
        "schedule_output(slide35(), schedule, clamp={9: 1})",
        lambda: schedule_output(slide35(), Schedule.constant(2), clamp={9: 1}),
        "clamp units must be indices in [0, 4) or names in ['v1', 'v2', 'h1', 'h2']; received 9",
    ),
    (
        "pt_output(slide35(), 2, [1, 2])",
        lambda: pt_output(slide35(), 2, [1, 2]),
        "schedule must be a bmexp Schedule; received int",
    ),
    (
        "ParallelTempering()(model, ..., init=replace(result, walker_last=np.full((5, 4), 7)))",
        lambda: _pt_carried_on(walker_last=np.full((5, 4), 7)),
        "init.walker_last must be the result's round-trip states, (5, 4) of -1, 0 and 1; received [7] among its values",
    ),
    (
        "ParallelTempering(ladder=[True, 2])",
        lambda: ParallelTempering(ladder=[True, 2]),
        "ladder must be a list of numbers (not bools or strings) [1, T_2, ..., T_R]; received [True, 2]",
    ),
    (
        "ParallelTempering(ladder=[1, '2'])",
        lambda: ParallelTempering(ladder=[1, "2"]),
        "ladder must be a list of numbers (not bools or strings) [1, T_2, ..., T_R]; received [1, '2']",
    ),
    (
        "ParallelTempering(ladder=[1, 2e6])",
        lambda: ParallelTempering(ladder=[1, 2e6]),
        "ladder must be a list of finite temperatures <= 1e+06 (as T_max); received [1, 2000000.0]",
    ),
    (
        "ParallelTempering(ladder=5)",
        lambda: ParallelTempering(ladder=5),
        "ladder must be one of ['geometric', 'adaptive'] or a list of temperatures [1, T_2, ..., T_R]; received 5",
    ),
    (
        "ParallelTempering(ladder=[1, 2, None])",
        lambda: ParallelTempering(ladder=[1, 2, None]),
        "ladder must be a list of numbers (not bools or strings) [1, T_2, ..., T_R]; received [1, 2, None]",
    ),
    (
        "ParallelTempering(ladder=[1, 2], tune_sweeps=64)",
        lambda: ParallelTempering(ladder=[1, 2], tune_sweeps=64),
        "tune_sweeps = 64 is ignored with an explicit ladder (only the adaptive ladder's tuning read it): leave it at "
        "its default (2016)",
    ),
    (
        "ParallelTempering(tune_chains=3)",
        lambda: ParallelTempering(tune_chains=3),
        "tune_chains = 3 is ignored with the geometric ladder (only the adaptive ladder's tuning read it): leave it "
        "at its default (16)",
    ),
    (
        "ais(model, n_chains=2, betas=10**9, ...)",
        lambda: _ais(n_chains=2, betas=10**9),
        "betas = 1000000000 would take 2e+13 spin updates for the AIS runs; the limit is 1e+12 (about 6 hours here)",
    ),
    (
        "ais(model, betas=10, sweeps=10**12, ...)",
        lambda: _ais(betas=10, sweeps=10**12),
        "sweeps = 1000000000000 would take 1.04e+17 spin updates for the AIS runs; the limit is 1e+12 (about 6 hours here)",
    ),
    (
        "reverse_ais(model, np.zeros((2, 2)), betas=10**9, ...)",
        lambda: _estimate().reverse_ais(_model(), np.zeros((2, 2)), rng=np.random.default_rng(0), betas=10**9),
        "betas = 1000000000 would take 2e+13 spin updates for the AIS runs; the limit is 1e+12 (about 6 hours here)",
    ),
    (
        "chain_samples(model, np.zeros((1, 2)), sweeps=10**9, ...)",
        lambda: _estimate().chain_samples(_model(), np.zeros((1, 2)), rng=np.random.default_rng(0), sweeps=10**9),
        "sweeps = 1000000000 would take 1e+13 spin updates for the chains; the limit is 1e+12 (about 6 hours here)",
    ),
    (
        "exact_samples(model, 10**12, ...)",
        lambda: _estimate().exact_samples(_model(), 10**12, rng=np.random.default_rng(0)),
        "n = 1000000000000 would need 56 TB of memory for the exact samples; the limit is 8.59 GB",
    ),
    (
        "random_model(10**5, 10**5, ...)",
        lambda: random_model(10**5, 10**5, rng=np.random.default_rng(0)),
        "n_visible = 100000 would need 1.96 TB of memory for the weights and mask of 100000 + 100000 units; the limit is 8.59 GB",
    ),
    (
        "random_rbm(10, 10**5, ...)",
        lambda: random_rbm(10, 10**5, rng=np.random.default_rng(0)),
        "n_hidden = 100000 would need 490 GB of memory for the weights and mask of 10 + 100000 units; the limit is 8.59 GB",
    ),
    (
        "fit_bernoulli_rbm([[0, nan]], 2, ...)",
        lambda: _fit([[0, np.nan]]),
        "vectors must contain only binary values {0, 1}; found nan (1 bad entries)",
    ),
    (
        "fit_bernoulli_rbm([[0, 0.5]], 2, ...)",
        lambda: _fit([[0, 0.5]]),
        "vectors must contain only binary values {0, 1}; found 0.5 (1 bad entries)",
    ),
    (
        "fit_bernoulli_rbm(np.zeros((0, 3)), 2, ...)",
        lambda: _fit(np.zeros((0, 3))),
        "vectors must be a non-empty (n_vectors, n_visible) array; received shape (0, 3)",
    ),
    (
        "fit_bernoulli_rbm([0, 1], 2, ...)",
        lambda: _fit([0, 1]),
        "vectors must be a non-empty (n_vectors, n_visible) array; received shape (2,)",
    ),
    (
        "fit_bernoulli_rbm(np.zeros((2, 2, 2)), 2, ...)",
        lambda: _fit(np.zeros((2, 2, 2))),
        "vectors must be a non-empty (n_vectors, n_visible) array; received shape (2, 2, 2)",
    ),
    (
        "fit_bernoulli_rbm([[0, 1], [1]], 2, ...)",
        lambda: _fit([[0, 1], [1]]),
        "vectors must be a rectangular array of numbers; received ragged [[0, 1], [1]]",
    ),
    (
        "fit_bernoulli_rbm(None, 2, ...)",
        lambda: _fit(None),
        "vectors must be numeric; received dtype object",
    ),
    (
        "fit_bernoulli_rbm([['0', '1']], 2, ...)",
        lambda: _fit([["0", "1"]]),
        "vectors must be numeric; received dtype <U1",
    ),
    (
        "fit_bernoulli_rbm(vectors, 2, rng=0, ...)",
        lambda: _fit([[0, 1]], rng=0),
        "rng must be a numpy.random.Generator; received int",
    ),
    (
        "fit_bernoulli_rbm(vectors, n_hidden=10**6, ...)",
        lambda: _fit([[0, 1]], n_hidden=10**6),
        "n_hidden = 1000000 would need 32 TB of memory for the 2 + 1000000-unit bmexp model; the limit is 8.59 GB",
    ),
    (
        "fit_bernoulli_rbm(vectors, 2, batch_size=10**10, ...)",
        lambda: _fit([[0, 1]], batch_size=10**10),
        "batch_size = 10000000000 would need 1.28 TB of memory for the mini-batches; the limit is 8.59 GB",
    ),
    (
        "fit_bernoulli_rbm(np.zeros((100, 100)), 100, epochs=10**9, ...)",
        lambda: _fit(np.zeros((100, 100)), n_hidden=100, epochs=10**9),
        "epochs = 1000000000 would take 1e+15 spin updates for 100 vectors x 100 x 100 weights; the limit is 1e+12 (about 6 hours here)",
    ),
    (
        "to_sklearn(rbm, batch_size=0)",
        lambda: _sklearn().to_sklearn(random_rbm(2, 2, rng=np.random.default_rng(0)), batch_size=0),
        "batch_size must be an integer >= 1; received 0",
    ),
    (
        "to_sklearn(rbm, batch_size=10**10)",
        lambda: _sklearn().to_sklearn(random_rbm(2, 2, rng=np.random.default_rng(0)), batch_size=10**10),
        "batch_size = 10000000000 would need 1.28 TB of memory for the mini-batches; the limit is 8.59 GB",
    ),
    (
        "to_sklearn(rbm, n_components=3)",
        lambda: _sklearn().to_sklearn(random_rbm(2, 2, rng=np.random.default_rng(0)), n_components=3),
        "n_components comes from the model (its n_hidden); do not pass it to to_sklearn",
    ),
    (
        "to_sklearn(rbm, n_iterations=3)",
        lambda: _sklearn().to_sklearn(random_rbm(2, 2, rng=np.random.default_rng(0)), n_iterations=3),
        "keyword argument must be one of ['learning_rate', 'batch_size', 'n_iter', 'verbose', 'random_state']; received 'n_iterations'",
    ),
    (
        "model.energy([[0, 1, 0, 1], [1]])",
        lambda: _model().energy([[0, 1, 0, 1], [1]]),
        "states must be a rectangular array of numbers; received ragged [[0, 1, 0, 1], [1]]",
    ),
    (
        "free_energy(model, [[0, 1], [1]])",
        lambda: _estimate().free_energy(_model(), [[0, 1], [1]]),
        "visible must be a rectangular array of numbers; received ragged [[0, 1], [1]]",
    ),
    (
        "model.energy(np.zeros(4, dtype=complex))",
        lambda: _model().energy(np.zeros(4, dtype=complex)),
        "states must hold real numbers; received dtype complex128",
    ),
    (
        "BoltzmannMachine(np.zeros((2, 2)), np.zeros(2), n_visible=1, connectivity=[[0, 1], [1]])",
        lambda: BoltzmannMachine(np.zeros((2, 2)), np.zeros(2), n_visible=1, connectivity=[[0, 1], [1]]),
        "connectivity must be a rectangular array of numbers; received ragged [[0, 1], [1]]",
    ),
    (
        "BoltzmannMachine(np.zeros((2, 2)), np.zeros(2), n_visible=1, connectivity=<complex mask>)",
        lambda: BoltzmannMachine(
            np.zeros((2, 2)), np.zeros(2), n_visible=1, connectivity=np.zeros((2, 2), dtype=complex)
        ),
        "connectivity must hold real numbers; received dtype complex128",
    ),
    (
        "BoltzmannMachine(np.zeros((2, 2), dtype=complex), np.zeros(2), n_visible=1)",
        lambda: BoltzmannMachine(np.zeros((2, 2), dtype=complex), np.zeros(2), n_visible=1),
        "weights must hold real numbers; received dtype complex128",
    ),
    (
        "BoltzmannMachine.rbm('abc', np.zeros(1), np.zeros(1))",
        lambda: BoltzmannMachine.rbm("abc", np.zeros(1), np.zeros(1)),
        "weights must be a numeric (n_visible, n_hidden) array; received dtype <U3",
    ),
    (
        "log_likelihood(model, vectors, est, exact_log_z=1.0)",
        lambda: _estimate().log_likelihood(_model(), np.zeros((3, 2)), _ais(n_chains=4, betas=3), exact_log_z=1.0),
        "give log_z (an AISResult from ais or reverse_ais) or exact_log_z (an exact number), exactly one; received log_z = <forward AISResult: log Z = 4.40607 from 4 chains>, exact_log_z = 1.0",
    ),
]


def _train(**kwargs):
    """A one-epoch training call on slide35 (refused before it trains)."""
    return train(slide35(), rng=np.random.default_rng(0), data=np.eye(2), epochs=1, **kwargs)


def _log_likelihood_of_another_model():
    """The held-out log-likelihood of one RBM with another one's AIS estimate of log Z."""
    from bmexp.estimate import ais, log_likelihood

    rng = np.random.default_rng(0)
    a, b = random_rbm(6, 3, rng=rng), random_rbm(3, 3, rng=rng)
    return log_likelihood(b, np.eye(3), ais(a, rng=rng, n_chains=10, betas=10))


def _pt_carried_on(**changes):
    """A ParallelTempering call carried on from an earlier result with ``changes`` made to it."""
    from dataclasses import replace

    pt, rng = ParallelTempering(), np.random.default_rng(0)
    first = pt(slide35(), rng=rng, n_chains=5, schedule=Schedule.constant(2))
    return pt(slide35(), rng=rng, n_chains=5, schedule=Schedule.constant(2), init=replace(first, **changes))


def _pt(n_chains=10, **kwargs):
    """A ParallelTempering call on slide35 (refused before anything is allocated or compiled)."""
    return ParallelTempering(**kwargs)(
        slide35(), rng=np.random.default_rng(0), n_chains=n_chains, schedule=Schedule.constant(10)
    )


def _ais(**kwargs):
    from bmexp.estimate import ais

    return ais(random_model(2, 2, rng=np.random.default_rng(0)), rng=np.random.default_rng(0), **kwargs)


def _model():
    return random_model(2, 2, rng=np.random.default_rng(0))


def _estimate():
    from bmexp import estimate

    return estimate


def _sklearn():
    pytest.importorskip("sklearn", reason="the scikit-learn adapter needs the [sklearn] extra")
    from bmexp.adapters import sklearn

    return sklearn


def _fit(vectors, n_hidden=2, *, epochs=1, batch_size=None, rng=None):
    return _sklearn().fit_bernoulli_rbm(
        vectors,
        n_hidden,
        eta=0.1,
        epochs=epochs,
        batch_size=batch_size,
        rng=np.random.default_rng(0) if rng is None else rng,
    )


def _log_likelihood(visible, log_z=None):
    from bmexp.estimate import log_likelihood

    model = random_model(2, 2, rng=np.random.default_rng(0))
    return log_likelihood(model, visible, log_z if log_z is not None else _ais(n_chains=4, betas=3))


def _ocean():
    pytest.importorskip("dimod", reason="the dimod adapter needs the [ocean] extra")
    from bmexp.adapters import ocean

    return ocean


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    (tmp_path / "three.csv").write_text("0,1,1\n1,0,0\n")
    (tmp_path / "two.csv").write_text("0,2\n1,0\n")
    (tmp_path / "nan.csv").write_text("0,nan\n1,0\n")
    np.save(tmp_path / "evil.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "complex.npy", np.array([[1 + 1j, 0], [0, 1]]))
    (tmp_path / "data.txt").write_text("0,1\n")
    (tmp_path / "adir.csv").mkdir()
    (tmp_path / "notdb.db").write_text("a,b\n1,2\n")
    (tmp_path / "dangling.png").symlink_to(tmp_path / "nowhere" / "x.png")
    (tmp_path / "empty.npy").write_bytes(b"")
    return tmp_path


def _schema_keys(node, prefix=""):
    """Every leaf key of a structured-config schema, dotted."""
    import dataclasses

    out = []
    for f in dataclasses.fields(node):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else None
        if dataclasses.is_dataclass(default):
            out += _schema_keys(type(default), f"{prefix}{f.name}.")
        else:
            out.append(prefix + f.name)
    return out


def test_the_table_has_at_least_100_entries_and_covers_every_config_key():
    from bmexp import config

    assert len(CLI) + len(API) >= 100
    schemas = {
        "table": config.TableConfig,
        "check": config.CheckCommandConfig,
        "train": config.TrainCommandConfig,
        "run": config.RunCommandConfig,
        "report": config.ReportCommandConfig,
        "ui": config.UiCommandConfig,
    }
    # every key of every command's schema has a bad value somewhere in the table (shared groups --
    # model, schedule, sampler, tracking -- go through the same builders in every command)
    for command, schema in schemas.items():
        for key in _schema_keys(schema):
            assert any(f"{key}=" in args for args, _ in CLI), f"{command}: no bad input for {key}"


# every eighth entry runs in the fast lane (pytest -m "not slow"); the whole table in the full suite
@pytest.mark.parametrize(
    "args, message",
    [pytest.param(a, m, marks=() if k % 8 == 0 else pytest.mark.slow) for k, (a, m) in enumerate(CLI)],
    ids=[a for a, _ in CLI],
)
def test_cli_bad_input(args, message, workdir, capsys):
    before = sorted(workdir.rglob("*"))
    assert main(shlex.split(args)) == 2
    err = capsys.readouterr().err
    assert err == message.replace("{cwd}", str(workdir)) + "\n"
    assert sorted(workdir.rglob("*")) == before  # nothing written: no store, no multirun/, no empty reports/


@pytest.mark.parametrize("call, fn, message", API, ids=[c for c, _, _ in API])
def test_api_bad_input(call, fn, message):
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        fn()


def test_the_docs_page_shows_the_whole_table():
    page = DOC.read_text()
    for args, message in CLI:
        assert (
            f"`python -m bmexp {args}`" in page and message.replace("{cwd}", "<cwd>").replace("|", "&#124;") in page
        ), args
    for call, _, message in API:
        assert f"`{call}`" in page and message.replace("|", "&#124;") in page, call


if __name__ == "__main__":  # python tests/test_bad_input_table.py > docs/bad-input.md
    print("# Bad input: what a user sees\n")
    print("Every entry below is tested (tests/test_bad_input_table.py): on the command line one line on")
    print("stderr, exit code 2, no traceback, nothing written to the store; in Python an `InputError`")
    print("(a `ValueError`) with exactly this message. Every key of every command's config schema has at")
    print("least one entry (tested). Values are checked once, in `bmexp.arguments`; config keys meet library")
    print("arguments in one module, `bmexp.boundary`, which also refuses work and memory past its limits")
    print("(`MEMORY_LIMIT` = 8 GiB, `WORK_LIMIT` = 1e12 spin updates) before anything runs. A fuzz test")
    print("(tests/test_fuzz_overrides.py) throws random keys and values at the commands: exit 0 or 2, never a")
    print("traceback, never a store changed by a refused command.\n")
    print("| input | message |\n|---|---|")
    for args, message in CLI:
        print(f"| `python -m bmexp {args}` | {message.replace('{cwd}', '<cwd>').replace('|', '&#124;')} |")
    for call, _, message in API:
        print(f"| `{call}` | {message.replace('|', '&#124;')} |")
    print(
        "\nData files are read without pickle (`numpy.load(allow_pickle=False)`, `numpy.loadtxt`); "
        "config overrides may not set `_target_`.",
        file=sys.stdout,
    )


def test_a_refused_job_names_the_key_that_made_it_too_big(monkeypatch):
    """The energy check's chains are planned from check.temperatures (it blamed check.n, which was null)."""
    from bmexp import boundary
    from bmexp.zoo import lattice

    monkeypatch.setattr(boundary, "WORK_LIMIT", 10**6)
    with pytest.raises(InputError, match=r"^check.temperatures = \[1, 1.5, 2, ...\] \(5 temperatures\) would take "):
        boundary._check_work(
            lattice(8), Schedule.default(), ["energy"], None, 0.01, "check.n", {"temperatures": [1, 1.5, 2, 2.5, 3]}
        )
    with pytest.raises(InputError, match=r"^check.n = 1000 would take "):
        boundary._check_work(lattice(8), Schedule.default(), ["energy"], 1000, 0.01, "check.n", {"temperatures": [2]})


def test_more_threads_than_numba_has_are_refused_not_capped(workdir, capsys):
    """set_threads and the ``threads`` key refuse more threads than the cores numba found (before: quietly
    capped; an outside tester).  Outside the table: the bound is this machine's."""
    from bmexp.samplers.gibbs import max_threads

    most = max_threads()
    told = f"{most + 1} is more threads than the {most} cores numba found here (NUMBA_NUM_THREADS); "
    told += f"allowed: at most {most}"
    with pytest.raises(InputError, match="^" + re.escape(f"n = {told}") + "$"):
        set_threads(most + 1)
    before = sorted(workdir.rglob("*"))
    assert main(["run", f"threads={most + 1}"]) == 2
    assert capsys.readouterr().err == f"bmexp run: error: threads = {told}\n"
    assert sorted(workdir.rglob("*")) == before
