"""Structured-config schemas (dataclasses) registered in Hydra's ConfigStore.

Only the CLI reads a Hydra config; it turns these nodes into plain arguments for the
library.  Types are checked by OmegaConf when the config is composed; value ranges are
checked by the library constructors, which raise :class:`bmexp.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from hydra.core.config_store import ConfigStore

__all__ = ["ModelConfig", "TableConfig", "register"]


@dataclass
class ModelConfig:
    name: str = "slide35"          # slide35 | seed_target | random
    n_visible: int = 4             # random only
    n_hidden: int = 2              # random only
    weight_scale: float = 1.0      # random only
    bias_scale: float = 0.5        # random only
    seed: int = 0                  # random only


@dataclass
class TableConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    convention: str = "binary"
    given_hidden: Optional[list[int]] = None   # p(v | h = given_hidden); null = all hidden on
    max_units: int = 24


def register() -> None:
    cs = ConfigStore.instance()
    cs.store(name="table_schema", node=TableConfig)
    cs.store(group="schema", name="model", node=ModelConfig)
