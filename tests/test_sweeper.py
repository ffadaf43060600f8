"""bmexp's Hydra sweeper (hydra_plugins/bmexp_launcher/sweeper.py): what it adds to Hydra's basic sweeper."""

from bmexp import hydra_callbacks


def test_jobs_the_cli_planned_are_not_composed_again_before_the_launch(monkeypatch):
    # (its base class taken from it, and no __init__: Hydra's plugin scan, run by other tests in this
    # process, can execute Hydra's sweeper module again, whose __init__ then names a new class)
    from hydra_plugins.bmexp_launcher.sweeper import BmexpSweeper

    composed = []
    basic = BmexpSweeper.__mro__[1]
    monkeypatch.setattr(basic, "validate_batch_is_legal", lambda self, batch: composed.append(list(batch)))
    sweeper = object.__new__(BmexpSweeper)
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
