# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Training strategies of the emotion-regression seed, on top of `transformers.Trainer` (not copied to the Hub).

- `density_weights`: per-example loss weights that up-weight rare target values.
- `ProgressiveFreezingCallback`: the bottom encoder layers frozen for the first epochs, then unfrozen.
- `RandomTokenMaskingCollator`: masks a fraction of the tokens of a fraction of the training texts.
- `StrategyTrainer`: a `Trainer` with a separate learning rate for the head and a training-only data collator.

Loss components and the experts' shares of the routing are logged by `callbacks.LossComponentsCallback`.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn
from transformers import DataCollatorWithPadding, Trainer, TrainerCallback
from transformers.trainer import TRAINING_ARGS_NAME
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, sort_checkpoints

from .output_dir import DiskFullError, claim, describe_files, is_disk_full, record_subfolder, remove_checkpoint
from .pretrained_encoder import PretrainedEncoderMixin


logger = logging.getLogger(__name__)


def density_weights(
    targets: np.ndarray,
    bins: int | None = None,
    alpha: float = 1.5,
    max_weight: float | None = 10.0,
) -> np.ndarray:
    """Per-example weights `(1 / density) ** alpha`, mean-normalised, from a histogram of the targets.

    Args:
        targets: `(n,)` or `(n, dims)` training targets. With several dimensions, each dimension's weight is computed
            on its own histogram and the example's weight is their geometric mean.
        bins: histogram bins per dimension; default `clip(n // 200, 50, 80)`, i.e. 50 to 80 as the seed describes
            (the seed's own code used `clip(n // 200, 40, 80)`).
        alpha: exponent; 1.5 as in the seed. 0 gives uniform weights.
        max_weight: the largest weight after normalisation (at least 1), so that a handful of examples in
            near-empty bins cannot dominate the loss: the weights become `min(c * w, max_weight)` with `c` chosen so
            that their mean is exactly 1. `None` disables the clip.

    Returns:
        `(n,)` float32 weights with mean 1.
    """
    targets = np.asarray(targets, dtype=np.float64)
    if targets.ndim == 1:
        targets = targets[:, None]
    if not np.isfinite(targets).all():
        raise ValueError("density_weights: the targets contain NaN or infinite values.")
    n = len(targets)
    bins = bins or int(np.clip(n // 200, 50, 80))
    log_weight = np.zeros(n)
    for column in targets.T:
        counts, edges = np.histogram(column, bins=bins)
        index = np.clip(np.searchsorted(edges, column, side="right") - 1, 0, bins - 1)
        density = counts[index] / n  # share of the examples in this example's bin, > 0 by construction
        log_weight += -alpha * np.log(density)
    weights = np.exp(log_weight / targets.shape[1])
    weights /= weights.mean()
    if max_weight is not None and weights.max() > max_weight:
        if max_weight < 1:
            raise ValueError(f"density_weights: max_weight must be >= 1 (the mean weight), got {max_weight}.")
        # The k largest weights sit at the bound and the rest scale by c; take the first k for which the scaled rest
        # stays under it. mean(min(c * w, max_weight)) == 1 then holds exactly.
        descending = np.sort(weights)[::-1]
        for k in range(n):
            scale = (n - k * max_weight) / descending[k:].sum()
            if scale * descending[k] <= max_weight:
                break
        weights = np.minimum(scale * weights, max_weight)
    return weights.astype(np.float32)


class NonFiniteLossError(ValueError):
    """Raised when a training loss is NaN or infinite: the run stops before that step updates the weights."""


def pretrained_encoder(model: nn.Module) -> nn.Module | None:
    """The pretrained text encoder of a model of this package (`get_encoder()`), through the wrappers training puts
    around it (DDP's `module`, a `peft` model); None for models without one (the image families)."""
    model = getattr(model, "module", model)
    if hasattr(model, "get_base_model"):
        model = model.get_base_model()
    return model.get_encoder() if isinstance(model, PretrainedEncoderMixin) else None


def encoder_layers(encoder: nn.Module) -> tuple[nn.Module | None, nn.ModuleList]:
    """The embeddings module and the list of transformer layers of a BERT-, RoBERTa-, DeBERTa- or DistilBERT-style
    encoder (`encoder.layer` or `transformer.layer`; otherwise the first `ModuleList` as long as the config says)."""
    for path in ("encoder.layer", "transformer.layer", "layers", "encoder.layers"):
        module = encoder
        for part in path.split("."):
            module = getattr(module, part, None)
        if isinstance(module, nn.ModuleList):
            return getattr(encoder, "embeddings", None), module
    expected = getattr(encoder.config, "num_hidden_layers", None)
    for module in encoder.modules():
        if isinstance(module, nn.ModuleList) and len(module) == expected:
            return getattr(encoder, "embeddings", None), module
    raise ValueError(f"Cannot find the transformer layers of {type(encoder).__name__} for progressive freezing.")


class ProgressiveFreezingCallback(TrainerCallback):
    """Freezes the encoder's embeddings and bottom `num_frozen_layers` layers until epoch `unfreeze_epoch`.

    Freezing happens in `on_train_begin`, after `Trainer` has built its optimizer from every parameter, so the frozen
    parameters stay in the optimizer and do train once unfrozen. (The seed's code froze them before building the
    optimizer, which then never held them: nothing was ever unfrozen.) While frozen, a parameter has no gradient and
    AdamW leaves it, its moments and its weight decay alone.

    Args:
        num_frozen_layers: how many of the bottom transformer layers to freeze (the embeddings are frozen too when
            `freeze_embeddings`).
        unfreeze_epoch: the epoch (0-based, may be fractional) from which everything trains.
    """

    def __init__(self, num_frozen_layers: int, unfreeze_epoch: float = 1.0, freeze_embeddings: bool = True):
        if num_frozen_layers < 0:
            raise ValueError(f"num_frozen_layers must be >= 0, got {num_frozen_layers}.")
        self.num_frozen_layers = num_frozen_layers
        self.unfreeze_epoch = unfreeze_epoch
        self.freeze_embeddings = freeze_embeddings
        self.frozen: list[nn.Parameter] = []

    def freeze(self, model: nn.Module) -> None:
        encoder = pretrained_encoder(model)
        if encoder is None:
            raise ValueError(f"{type(model).__name__} has no pretrained encoder to freeze.")
        embeddings, layers = encoder_layers(encoder)
        if self.num_frozen_layers > len(layers):
            raise ValueError(f"Cannot freeze {self.num_frozen_layers} layers of an encoder that has {len(layers)}.")
        modules = list(layers[: self.num_frozen_layers])
        if self.freeze_embeddings and embeddings is not None:
            modules.insert(0, embeddings)
        self.frozen = [p for module in modules for p in module.parameters() if p.requires_grad]
        for parameter in self.frozen:
            parameter.requires_grad_(False)
        logger.info(f"Progressive freezing: {len(self.frozen)} tensors frozen until epoch {self.unfreeze_epoch}")

    def unfreeze(self) -> None:
        for parameter in self.frozen:
            parameter.requires_grad_(True)
        if self.frozen:
            logger.info(f"Progressive freezing: {len(self.frozen)} encoder tensors unfrozen")
        self.frozen = []

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if (state.epoch or 0.0) < self.unfreeze_epoch:
            self.freeze(model)

    def on_step_begin(self, args, state, control, **kwargs):
        if self.frozen and (state.epoch or 0.0) >= self.unfreeze_epoch:
            self.unfreeze()

    def on_train_end(self, args, state, control, **kwargs):
        self.unfreeze()


class RandomTokenMaskingCollator(DataCollatorWithPadding):
    """Pads like `DataCollatorWithPadding`, then replaces `token_probability` of the (non-special, non-padding)
    tokens of `sample_probability` of the examples with the mask token (`[UNK]` for tokenizers without one):
    the seed's augmentation (15% of the tokens of 10% of the samples). Use it for training only."""

    def __init__(self, tokenizer, token_probability: float = 0.15, sample_probability: float = 0.1, seed: int = 0):
        super().__init__(tokenizer)
        for name, value in (("token_probability", token_probability), ("sample_probability", sample_probability)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}.")
        self.token_probability = token_probability
        self.sample_probability = sample_probability
        self.mask_id = tokenizer.mask_token_id if tokenizer.mask_token_id is not None else tokenizer.unk_token_id
        self.special_ids = torch.tensor(sorted(set(tokenizer.all_special_ids)))
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, features):
        batch = super().__call__(features)
        input_ids = batch["input_ids"]
        chosen = torch.rand(input_ids.shape[0], generator=self.generator) < self.sample_probability  # (bs,)
        tokens = torch.rand(input_ids.shape, generator=self.generator) < self.token_probability  # (bs, seq_len)
        maskable = ~torch.isin(input_ids, self.special_ids)
        if "attention_mask" in batch:
            maskable &= batch["attention_mask"].bool()
        batch["input_ids"] = input_ids.masked_fill(chosen[:, None] & tokens & maskable, self.mask_id)
        return batch


class StrategyTrainer(Trainer):
    """`Trainer` with two additions used by `train.py`:

    - `head_learning_rate`: the parameters outside the pretrained encoder (`get_encoder()`) train at this learning
      rate, the encoder at `args.learning_rate` (weight decay as `Trainer` applies it). Every parameter is put in the
      optimizer, frozen ones included, so that progressive freezing can unfreeze them.
    - `train_data_collator`: a collator for training batches only (e.g. random token masking, text augmentation);
      evaluation and prediction keep `data_collator`. Its `input_columns`, if any, are kept in the datasets.

    It also stops training at the first non-finite loss (`NonFiniteLossError`), before the optimizer step, instead of
    training on into NaN weights, and records each checkpoint it saves in the output folder's manifest
    (`output_dir.claim` before the save, `record_subfolder` after it).

    `--save_total_limit` keeps the Trainer's rule (the newest checkpoints and the best one stay), but a checkpoint
    folder is removed only when every file in it is the run's (`output_dir.remove_checkpoint`): the Trainer's own
    rotation deletes old checkpoint folders whole, with whatever a user put in them while the run went on (an
    evaluation of that checkpoint, say). A checkpoint holding such files is kept, named in a warning, and no longer
    counted against the limit.
    """

    def __init__(self, *args, head_learning_rate: float | None = None, train_data_collator=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.head_learning_rate = head_learning_rate
        self.train_data_collator = train_data_collator
        self.kept_checkpoints = set()  # checkpoint paths kept because they hold files that are not the run's

    def create_optimizer(self, model=None):
        if self.optimizer is not None or self.head_learning_rate is None:
            return super().create_optimizer(model)
        opt_model = self.model if model is None else model
        encoder = pretrained_encoder(opt_model)
        if encoder is None:
            raise ValueError(
                f"--head_learning_rate needs a model with a pretrained encoder, not {type(opt_model).__name__}."
            )
        encoder_ids = {id(parameter) for parameter in encoder.parameters()}
        decay = set(self.get_decay_parameter_names(opt_model))
        groups = defaultdict(list)
        for name, parameter in opt_model.named_parameters():
            # Every parameter, frozen ones too: progressive freezing unfreezes layers after the optimizer exists, and
            # parameters without gradients (frozen, or under LoRA adapters) are skipped by the optimizer's step.
            groups[(id(parameter) in encoder_ids, name in decay)].append(parameter)
        param_groups = [
            {
                "params": params,
                "weight_decay": self.args.weight_decay if with_decay else 0.0,
                "lr": self.args.learning_rate if in_encoder else self.head_learning_rate,
            }
            for (in_encoder, with_decay), params in groups.items()
        ]
        optimizer_cls, optimizer_kwargs = self.get_optimizer_cls_and_kwargs(self.args, opt_model)
        optimizer_kwargs.pop("lr", None)
        self.optimizer = optimizer_cls(param_groups, lr=self.args.learning_rate, **optimizer_kwargs)
        return self.optimizer

    def training_step(self, model, inputs, num_items_in_batch=None):
        loss = super().training_step(model, inputs, num_items_in_batch)
        # fp16 runs are exempt: their gradient scaler skips the steps whose values overflow, by design.
        if not self.args.fp16 and not torch.isfinite(loss).all():
            raise NonFiniteLossError(
                f"The training loss became {loss.item()} at step {self.state.global_step + 1} (epoch "
                f"{self.state.epoch or 0:.2f}): training stopped before that step changed any weight, and no final "
                "model was saved. Lower --learning_rate (or set --max_grad_norm), and check the inputs and targets."
            )
        return loss

    @contextmanager
    def _trainers_rotation_off(self):
        """--save_total_limit off while the Trainer would delete checkpoints by it; yields the limit, ours to apply."""
        limit, self.args.save_total_limit = self.args.save_total_limit, None
        try:
            yield limit
        finally:
            self.args.save_total_limit = limit

    def _finalize_training(self, trial, num_train_samples, start_time):
        with self._trainers_rotation_off() as limit:
            output = super()._finalize_training(trial, num_train_samples, start_time)
        best = self.state.best_model_checkpoint and str(Path(self.state.best_model_checkpoint))
        if self.args.should_save and limit == 1 and best:
            # As the Trainer does at the end of training: a limit of one keeps the best checkpoint alone.
            run_dir = self._get_output_dir(trial=trial)
            others = [path for path in sort_checkpoints(run_dir) if path != best and path not in self.kept_checkpoints]
            self._remove_checkpoints(run_dir, others)
        return output

    def _rotate_own_checkpoints(self, run_dir: str) -> None:
        """The Trainer's `rotate_checkpoints`, removing only checkpoints that hold nothing but the run's files."""
        limit = self.args.save_total_limit
        checkpoints = [path for path in sort_checkpoints(run_dir, use_mtime=True) if path not in self.kept_checkpoints]
        if not limit or len(checkpoints) <= limit:
            return
        best = self.state.best_model_checkpoint
        protected = {checkpoints[-1], *([str(Path(best))] if best else [])}  # the newest, to resume from; the best
        surplus = len(checkpoints) - max(limit, len(protected))
        self._remove_checkpoints(run_dir, [path for path in checkpoints if path not in protected][:surplus])

    def _remove_checkpoints(self, run_dir: str, paths: list[str]) -> None:
        for path in paths:
            foreign = remove_checkpoint(run_dir, os.path.relpath(path, run_dir))
            if foreign:
                self.kept_checkpoints.add(path)
                logger.warning(
                    f"Kept {path} although --save_total_limit {self.args.save_total_limit} "
                    f"would remove it: it holds files this run did not write ({describe_files(foreign)}). Remove "
                    "it yourself once you no longer need them; it no longer counts against the limit."
                )

    def _save_checkpoint(self, model, trial):
        run_dir = self._get_output_dir(trial=trial)
        checkpoint = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        if self.args.should_save:
            claim(run_dir, checkpoint)
        try:
            with self._trainers_rotation_off() as limit:
                super()._save_checkpoint(model, trial)
        except Exception as error:
            if is_disk_full(error, run_dir):
                raise DiskFullError(
                    f"The disk holding {run_dir!r} is full: saving {checkpoint} failed ({error}). That checkpoint is "
                    "incomplete and is skipped when resuming; free some space and rerun with "
                    "--resume_from_checkpoint true."
                ) from error
            raise
        if self.args.should_save:
            saved_args = os.path.join(run_dir, checkpoint, TRAINING_ARGS_NAME)
            if limit and os.path.isfile(saved_args):  # saved while the limit was off: the run's arguments as given
                torch.save(self.args, saved_args)
            self._rotate_own_checkpoints(run_dir)
            record_subfolder(run_dir, checkpoint)

    def _set_signature_columns_if_needed(self):
        """The columns kept in the datasets: the model's inputs, and the raw columns the training collator needs
        (e.g. `text`, for augmentation before tokenisation)."""
        super()._set_signature_columns_if_needed()
        extra = getattr(self.train_data_collator, "input_columns", ())
        self._signature_columns = list(dict.fromkeys([*self._signature_columns, *extra]))

    def get_train_dataloader(self):
        if self.train_data_collator is None:
            return super().get_train_dataloader()
        evaluation_collator, self.data_collator = self.data_collator, self.train_data_collator
        try:
            return super().get_train_dataloader()
        finally:
            self.data_collator = evaluation_collator
