"""bmexp's Hydra sweeper (hydra_plugins/bmexp_launcher/sweeper.py): what it adds to Hydra's basic sweeper."""

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

from bmexp import hydra_callbacks
from hydra_plugins.bmexp_launcher.sweeper import BmexpSweeper


def test_jobs_the_cli_planned_are_not_composed_again_before_the_launch(monkeypatch):
    composed = []
    monkeypatch.setattr(BasicSweeper, "validate_batch_is_legal", lambda self, batch: composed.append(list(batch)))
    sweeper = BmexpSweeper()
    sweeper.overrides = [[["a=1"], ["a=2"]], [["a=3"]]]  # two batches, 3 jobs
    monkeypatch.setattr(hydra_callbacks, "PLANNED", {"configurations": 3})  # the CLI planned (and validated) 3
    sweeper.validate_batch_is_legal(sweeper.overrides[0])
    assert composed == []
    # another count than the CLI's plan (the jobs are not the ones it validated), or no plan: Hydra's check
    monkeypatch.setattr(hydra_callbacks, "PLANNED", {"configurations": 4})
    sweeper.validate_batch_is_legal(sweeper.overrides[1])
    monkeypatch.setattr(hydra_callbacks, "PLANNED", {})
    sweeper.validate_batch_is_legal(sweeper.overrides[0])
    assert composed == [[["a=3"]], [["a=1"], ["a=2"]]]
