# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""LoRA (Hu et al., 2021) through `peft` for every model family: low-rank adapters on the modules the family's
registry entry names (`lora_target_modules`: a text encoder's query/key/value, AMSRA-Net's LGSA query/key/value
convolutions, a ResNet's convolutions, which have no attention) inside its pretrained body, and every module outside
that body (AMSDFF's fusion modules, the regression heads, classifiers) trained in full through `modules_to_save`, so
no new module is silently left frozen (`peft` with `task_type="SEQ_CLS"` would save only modules named `classifier`
or `score`). Also the start and end of a `train.py --use_lora` run. Not copied to the Hub with a model."""

from __future__ import annotations

import logging
import os

from peft import LoraConfig, PeftModel, get_peft_model
from torch import nn
from transformers import PreTrainedModel, Trainer

from .arguments import LoraArguments
from .hub import LORA_ADAPTER_DIR, LORA_BASE_DIR, write_adapter_card, write_lora_base_card
from .registry import ModelFamily, family_for


logger = logging.getLogger(__name__)


def lora_body(model: PreTrainedModel, family: ModelFamily) -> tuple[str, nn.Module]:
    """(name, module) of the pretrained part LoRA adapts: the encoder of the text families (`get_encoder()`), the
    network of the image families (everything but the classifier)."""
    if model.base_model is model:
        raise ValueError(f"{type(model).__name__} is a body without a task head; apply LoRA to a task model.")
    body = model.base_model if family.is_image else model.get_encoder()
    for name, module in model.named_modules():
        if module is body:
            return name, body
    raise ValueError(f"Cannot locate the body of {type(model).__name__}.")


def default_lora_target_modules(model: PreTrainedModel, family: ModelFamily | None = None) -> list[str]:
    """Full names of the Linear / Conv2d modules of the body whose name (or dotted name suffix) the family's registry
    entry lists in `lora_target_modules`; when the model has none of them (AMSRA-Net without its attention engines),
    every convolution of the body. `family`: the model's, looked up from its config when not given."""
    family = family or family_for(model.config)
    prefix, body = lora_body(model, family)
    wanted = family.lora_target_modules
    adaptable = (nn.Linear, nn.Conv2d)
    targets = [
        f"{prefix}.{name}"
        for name, module in body.named_modules()
        if isinstance(module, adaptable) and any(name == t or name.endswith(f".{t}") for t in wanted)
    ]
    if not targets:
        targets = [f"{prefix}.{name}" for name, module in body.named_modules() if isinstance(module, nn.Conv2d)]
    if not targets:
        raise ValueError(f"{type(model).__name__} has no module named like {wanted} to adapt; pass target_modules.")
    return targets


def default_modules_to_save(model: PreTrainedModel, family: ModelFamily | None = None) -> list[str]:
    """The largest modules that hold parameters and do not contain the body, trained in full and saved with the
    adapter (e.g. AMSDFF's `amsdff.multi_scale_attention`, `amsdff.dynamic_fusion`, ..., and `classifier`), plus the
    body's BatchNorm layers."""
    body_name, body = lora_body(model, family or family_for(model.config))
    inside_body = {id(module) for module in body.modules()}
    found = []

    def visit(prefix: str, module: nn.Module) -> None:
        for name, child in module.named_children():
            full = f"{prefix}.{name}" if prefix else name
            if id(child) in inside_body:
                continue
            if any(id(m) in inside_body for m in child.modules()):
                visit(full, child)
            elif any(True for _ in child.parameters()):
                found.append(full)

    visit("", model)
    # BatchNorm keeps running statistics that training changes; outside the adapter they would be lost on reload
    # (peft's advice for such models): train and save the body's norms in full too (a few thousand parameters).
    norms = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
    found += [f"{body_name}.{name}" for name, module in body.named_modules() if isinstance(module, norms)]
    return found


def lora_config_for(
    model: PreTrainedModel,
    r: int = 8,
    lora_alpha: int = 16,
    lora_dropout: float = 0.1,
    target_modules: list[str] | str | None = None,
    modules_to_save: list[str] | None = None,
    family: ModelFamily | None = None,
) -> LoraConfig:
    """A `LoraConfig` with this package's defaults for `model` (any family); every argument can be given instead.

    Text models get `task_type="SEQ_CLS"`, so that `peft.AutoPeftModelForSequenceClassification` loads their adapters
    (with `trust_remote_code=True`, where this package is not installed); peft has no task type for image classifiers.
    """
    if r < 1:
        raise ValueError(f"LoRA rank r must be >= 1, got {r}.")
    if not 0.0 <= lora_dropout < 1.0:
        raise ValueError(f"lora_dropout must be in [0, 1), got {lora_dropout}.")
    family = family or family_for(model.config)
    return LoraConfig(
        task_type=None if family.is_image else "SEQ_CLS",
        r=r,
        lora_alpha=lora_alpha,
        lora_dropout=lora_dropout,
        target_modules=target_modules or default_lora_target_modules(model, family),
        modules_to_save=modules_to_save if modules_to_save is not None else default_modules_to_save(model, family),
    )


def add_lora(model: PreTrainedModel, **kwargs) -> PeftModel:
    """`model` wrapped by `peft.get_peft_model` with `lora_config_for(model, **kwargs)`."""
    return get_peft_model(model, lora_config_for(model, **kwargs))


def check_lora_arguments(lora_args: LoraArguments, training_args, is_image: bool, continues_a_model: bool) -> None:
    if not lora_args.use_lora:
        return
    if not training_args.do_train:
        raise ValueError("--use_lora trains adapters: it needs --do_train.")
    if is_image and not continues_a_model:
        raise ValueError(
            "--use_lora on an image model adapts a trained network: pass --model_name_or_path with a saved AMSRA-Net "
            "or ResNet (image models train from scratch, where LoRA has nothing to adapt)."
        )
    if lora_args.lora_r < 1 or lora_args.lora_alpha <= 0 or not 0.0 <= lora_args.lora_dropout < 1.0:
        raise ValueError(
            f"LoRA needs --lora_r >= 1, --lora_alpha > 0 and 0 <= --lora_dropout < 1; got r {lora_args.lora_r}, "
            f"alpha {lora_args.lora_alpha}, dropout {lora_args.lora_dropout}."
        )


def start_lora(
    model: PreTrainedModel, family: ModelFamily, processing_class, lora_args: LoraArguments, training_args
) -> tuple:
    """`model` wrapped in LoRA adapters, and a summary of the adapter for the model card.

    The adapter records the model it applies to: the saved model this run continues, or, for a new model, its starting
    point saved complete (code, weights, processor) to output_dir/lora_base, so the adapter always reloads on a model
    that `from_pretrained` can load."""
    base = model.name_or_path
    if not base:
        base = os.path.join(training_args.output_dir, LORA_BASE_DIR)
        if training_args.should_save:
            model.save_pretrained(base)
            processing_class.save_pretrained(base)
            adapter = os.path.abspath(os.path.join(training_args.output_dir, LORA_ADAPTER_DIR))
            write_lora_base_card(base, adapter, family.describe(model.config)[1])
    model.name_or_path = os.path.abspath(base) if os.path.isdir(base) else base  # peft's base_model_name_or_path
    targets = lora_args.lora_target_modules
    if targets and targets != "all-linear":
        targets = [name.strip() for name in targets.split(",") if name.strip()]
    model = add_lora(
        model,
        r=lora_args.lora_r,
        lora_alpha=lora_args.lora_alpha,
        lora_dropout=lora_args.lora_dropout,
        target_modules=targets or None,
        family=family,
    )
    trainable, total = model.get_nb_trainable_parameters()
    logger.info(
        f"LoRA: {trainable:,} of {total:,} parameters train ({100 * trainable / total:.2f}%), adapters on "
        f"{len(model.peft_config['default'].target_modules)} modules"
    )
    summary = {
        "r": lora_args.lora_r,
        "alpha": lora_args.lora_alpha,
        "dropout": lora_args.lora_dropout,
        "trainable_parameters": trainable,
        "base": model.peft_config["default"].base_model_name_or_path,
    }
    return model, summary


def finish_lora(trainer: Trainer, family: ModelFamily, processing_class) -> None:
    """Save the adapter to output_dir/lora_adapter and put the merged model in its place in the trainer (what the
    output folder then holds: a complete model that needs neither `peft` nor the base)."""
    if trainer.args.should_save:
        adapter_dir = os.path.join(trainer.args.output_dir, LORA_ADAPTER_DIR)
        trainer.model.save_pretrained(adapter_dir)
        processing_class.save_pretrained(adapter_dir)
        config = trainer.model.get_base_model().config
        task = "image-classification" if family.is_image else "text-classification"
        write_adapter_card(adapter_dir, os.path.abspath(trainer.args.output_dir), task, family.describe(config)[1])
    trainer.model = trainer.model_wrapped = trainer.model.merge_and_unload()
