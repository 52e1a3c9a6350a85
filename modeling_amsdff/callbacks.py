# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""`TrainerCallback`s shared by the model families of this package."""

from __future__ import annotations

from collections import defaultdict

import torch
from transformers import Trainer, TrainerCallback


class LossComponentsCallback(TrainerCallback):
    """Logs every loss component the model reports (`ce`, `focal`, `label_smoothing`, `huber`, `load_balance` ...)
    and, for mixture-of-experts models, each expert's share of the routing weight.

    The package's models return the detached value of each loss term in `outputs.loss_components`, and MoE models
    their softmaxed `router_weights`. This callback reads them with a forward hook during training and adds, since
    the last log, the mean of each term as `loss_<name>` and each expert's share of the total routing weight as
    `expert_share_<i>` (summing to 1) to the Trainer's logs: the console, `trainer_state.json` and TensorBoard.

    Attach it with `LossComponentsCallback.attach(trainer)`: logging callbacks run in list order, and the hook's
    values must be in the logs before the reporting callbacks (TensorBoard, W&B ...) read them.
    """

    def __init__(self):
        self._sums: dict[str, float] = defaultdict(float)
        self._counts: dict[str, int] = defaultdict(int)
        self._routing: torch.Tensor | None = None  # total routing weight per expert
        self._handle = None

    @classmethod
    def attach(cls, trainer: Trainer) -> LossComponentsCallback:
        callback = cls()
        trainer.callback_handler.callbacks.insert(0, callback)
        return callback

    def _record(self, module: torch.nn.Module, inputs, outputs) -> None:
        if not module.training or not hasattr(outputs, "get"):
            return
        for name, value in (outputs.get("loss_components") or {}).items():
            self._sums[name] += float(value)
            self._counts[name] += 1
        weights = outputs.get("router_weights")
        if weights is not None:
            total = weights.detach().float().sum(0).cpu()  # (num_experts,)
            self._routing = total if self._routing is None else self._routing + total

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if model is not None and self._handle is None:
            self._handle = model.register_forward_hook(self._record)

    def on_train_end(self, args, state, control, **kwargs):
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is None or "loss" not in logs or not (self._counts or self._routing is not None):
            return
        values = {f"loss_{name}": round(self._sums[name] / self._counts[name], 6) for name in self._counts}
        if self._routing is not None:
            shares = self._routing / self._routing.sum()
            values.update({f"expert_share_{i}": round(float(share), 4) for i, share in enumerate(shares)})
        logs.update(values)
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(values)
        self._sums.clear()
        self._counts.clear()
        self._routing = None
