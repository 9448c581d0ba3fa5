"""HiR inside other trainers: thin adapters on their public extension points.

- ``hir.integrations.trl``: reward functions for TRL's ``GRPOTrainer`` and ``HiRGRPOTrainer``, a
  subclass that adds hindsight replays to each generated batch (``pip install hir[trl]``).
- ``hir.integrations.verl``: ``compute_score`` (a verl reward function) and ``insert_replays``, a
  ``DataProto -> DataProto`` transform (``pip install hir[verl]``);
  ``hir.integrations.verl_trainer.HiRRayPPOTrainer``, a ``RayPPOTrainer`` subclass, and
  ``python -m hir.integrations.verl_main``, its launcher.
- ``hir.integrations.batch``: what both share (rows from trainer columns, a batch's replay plan);
  plain Python on top of ``hir``.

This package imports nothing heavy: trl and verl are imported only by their own submodules.
See docs/integrations.md.
"""
