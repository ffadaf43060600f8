"""Trainers side by side (sweep=digits): the verdict from hand-made numbers, and a tiny sweep end to
end whose report is computed from the values the runs logged."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bmexp.comparison import compare, trainer_table, trainer_verdicts


def test_a_clear_difference_names_the_better_trainer_and_by_how_many_nats():
    # means -21 and -25, sample variances 1 and 1 over 3 seeds each: difference 4, standard error
    # sqrt(1/3 + 1/3) = 0.816, Welch t = 4.90 on (2/3)^2 / (2 (1/3)^2 / 2) = 4 degrees of freedom
    v = compare([-20.0, -21.0, -22.0], [-25.0, -26.0, -24.0])
    assert v.difference == pytest.approx(4.0) and v.stderr == pytest.approx(np.sqrt(2 / 3))
    assert v.p_value == pytest.approx(2 * stats.t.sf(4 / np.sqrt(2 / 3), 4))  # 0.008 < 0.01
    assert v.better == "bmexp"
    assert v.sentence().startswith("bmexp is better by 4.00 nats per image (standard error 0.82 over seeds")
    assert compare([-25.0, -26.0, -24.0], [-20.0, -21.0, -22.0]).better == "sklearn"


def test_overlapping_scores_give_no_winner_and_one_seed_gives_no_error_bar():
    v = compare([-20.0, -25.0], [-22.0, -23.0])  # equal means: t = 0, p = 1
    assert v.better is None and v.p_value == pytest.approx(1.0)
    assert v.sentence().startswith("neither is better at alpha = 0.01: bmexp - sklearn = +0.00 nats per image")
    one = compare([-20.0], [-30.0])
    assert one.better is None and np.isnan(one.stderr)
    assert "too few seeds for an error bar" in one.sentence()


MEANS = {(0.02, "bmexp"): -19.0, (0.02, "sklearn"): -23.0, (0.05, "bmexp"): -21.0, (0.05, "sklearn"): -23.0}


def _runs():
    """Three seeds per (eta, trainer), at the mean + 1, + 0, - 1 (sample variance 1)."""
    rows = []
    for (eta, trainer), mean in MEANS.items():
        for seed, d in enumerate((1.0, 0.0, -1.0)):
            ll = mean + d
            rows.append(
                {
                    "run_id": f"{eta}{trainer}{seed}",
                    "status": "FINISHED",
                    "training.eta": eta,
                    "training.trainer": trainer,
                    "seed": seed,
                    "train.final_ais_log_likelihood": ll,
                    "train.final_ais_ci_low": ll - 0.05,
                    "train.final_ais_ci_high": ll + 0.05,
                    "train.seconds": 1.0,
                }
            )
    return pd.DataFrame(rows)


def test_the_table_and_verdicts_come_from_each_eta_s_runs_holm_adjusted():
    df = _runs()
    table = trainer_table(df).set_index(["training.eta", "trainer"])
    assert table.loc[(0.02, "bmexp"), "mean_ais_log_likelihood"] == pytest.approx(-19.0)
    assert table.loc[(0.02, "sklearn"), "stderr_over_seeds"] == pytest.approx(1 / np.sqrt(3))
    assert table.loc[(0.02, "bmexp"), "runs (seed: value [95% AIS interval])"].startswith("0: -18.00 [-18.05, -17.95]")
    verdicts = trainer_verdicts(df)
    raw = 2 * stats.t.sf(4 / np.sqrt(2 / 3), 4)
    assert sorted(verdicts) == [(0.02, "bmexp"), (0.05, "bmexp")]
    assert verdicts[(0.02, "bmexp")].p_value == pytest.approx(raw)
    # Holm over two etas: the smaller p doubled (0.016 > 0.01), so no verdict at alpha = 0.01
    assert verdicts[(0.02, "bmexp")].p_adjusted == pytest.approx(2 * raw) and verdicts[(0.02, "bmexp")].better is None
    assert verdicts[(0.05, "bmexp")].difference == pytest.approx(2.0)  # t = 2.45 on 4 df: p = 0.07, adjusted the same
    assert verdicts[(0.05, "bmexp")].p_adjusted == pytest.approx(2 * stats.t.sf(2 / np.sqrt(2 / 3), 4))
    # each sentence says what it was adjusted over, also where Holm left the p-value as it was (the largest)
    assert all(", Holm-adjusted over 2 comparisons " in v.sentence() for v in verdicts.values())


def test_two_bmexp_variants_are_two_trainers_each_compared_with_sklearn_holm_over_all():
    df = _runs()
    df["training.variant"] = "pcd"
    pt = df[df["training.trainer"] == "bmexp"].assign(**{"training.variant": "pt"})
    pt["train.final_ais_log_likelihood"] -= 4.0  # pt: -23 at eta 0.02 (= sklearn), -25 at 0.05
    pt["run_id"] += "pt"
    df = pd.concat([df, pt], ignore_index=True)
    table = trainer_table(df).set_index(["training.eta", "trainer"])
    assert table.loc[(0.05, "bmexp pt"), "mean_ais_log_likelihood"] == pytest.approx(-25.0)
    assert table.loc[(0.05, "bmexp pcd"), "mean_ais_log_likelihood"] == pytest.approx(-21.0)
    verdicts = trainer_verdicts(df)
    assert sorted(verdicts) == [(e, n) for e in (0.02, 0.05) for n in ("bmexp pcd", "bmexp pt")]
    assert all(v.second == "sklearn" for v in verdicts.values())
    assert verdicts[(0.02, "bmexp pt")].difference == pytest.approx(0.0)
    # Holm over four comparisons: the smallest p (pcd at 0.02, t = 4.9 on 4 df) times 4
    assert verdicts[(0.02, "bmexp pcd")].p_adjusted == pytest.approx(4 * 2 * stats.t.sf(4 / np.sqrt(2 / 3), 4))


@pytest.mark.slow
def test_a_digits_sweep_of_both_trainers_finishes_and_the_report_compares_them(tmp_path, monkeypatch, capsys):
    """Three configurations (bmexp pcd, bmexp pt, sklearn) of a tiny sweep=digits in this process; the
    report's table and verdicts are those of the values the runs logged."""
    pytest.importorskip("sklearn")
    from bmexp import tracking
    from bmexp.cli import main

    monkeypatch.chdir(tmp_path)
    tiny = [
        "model.n_hidden=8", "training.epochs=2", "training.batch_size=200", "training.eval_chains=10",
        "training.eval_betas=20", "training.eta=0.05", "seed=0",
    ]  # fmt: skip
    assert main(["sweep", "sweep=digits", "hydra/launcher=basic", *tiny]) == 0
    store = tracking.Store.default(root=tmp_path)
    runs = tracking.child_runs(store, tracking.find_sweep(store))
    by = {
        ("sklearn" if r["params"]["training.trainer"] == "sklearn" else "bmexp " + r["params"]["training.variant"]): r
        for r in runs
    }
    assert sorted(by) == ["bmexp pcd", "bmexp pt", "sklearn"] and all(r["status"] == "FINISHED" for r in runs)
    for r in runs:
        m = r["metrics"]
        assert m["train.final_ais_ci_low"] <= m["train.final_ais_log_likelihood"] <= m["train.final_ais_ci_high"]
        assert m["train.epochs"] == 2 and m["train.seconds"] > 0
        assert np.isfinite(m["train.final_ais_log_z_reverse"]) and m["train.final_ais_log_z"] > 0
        assert not any("w_dist" in k for k in m)  # no teacher on the digits
    capsys.readouterr()
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "reports" / "digits" / "trainers.csv").set_index("trainer")
    for name, r in by.items():
        assert table.loc[name, "mean_ais_log_likelihood"] == pytest.approx(
            r["metrics"]["train.final_ais_log_likelihood"]
        )
    logged = [by[n]["metrics"]["train.final_ais_log_likelihood"] for n in ("bmexp pt", "sklearn")]
    # one seed each: the difference, no error bar
    assert compare(*[[x] for x in logged], names=("bmexp pt", "sklearn")).sentence() in out
    assert (tmp_path / "reports" / "digits" / "samples_by_trainer.png").stat().st_size > 0


def test_trainer_sklearn_without_scikit_learn_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path):
    import sys

    from bmexp.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "sklearn.neural_network", None)  # import raises ImportError
    args = ["train", "model=rbm", "model.n_visible=4", "model.n_hidden=2", "training=pcd", "training.trainer=sklearn"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("bmexp train: error: training.trainer = 'sklearn' needs scikit-learn: pip install 'bmexp[sklearn]'")
    assert list(tmp_path.iterdir()) == []
