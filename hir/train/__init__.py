"""``hir train``: a compact PyTorch RL trainer with Hindsight instruction Replay.

Importing this package imports torch; ``constraints`` and ``hir check`` never do.

    from hir.train import TrainConfig, load_config, train
    result = train(load_config("examples/train_config.toml", {"max_steps": 10}))
"""

from .config import ConfigFileError, TrainConfig, load_config, load_saved
from .trainer import SetupError, Trainer, TrainResult, batch_accounting, train

__all__ = ["ConfigFileError", "TrainConfig", "load_config", "load_saved", "SetupError",
           "Trainer", "TrainResult", "batch_accounting", "train"]
