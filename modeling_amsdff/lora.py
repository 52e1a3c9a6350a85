# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""LoRA (Hu et al., 2021) through `peft` for every model family: low-rank adapters on the attention projections of
the pretrained body (a text encoder's query/key/value, AMSRA-Net's LGSA query/key/value convolutions, a ResNet's
convolutions, which have no attention), and every module outside that body (AMSDFF's fusion modules, the regression
heads, classifiers) trained in full through `modules_to_save`, so no new module is silently left frozen (`peft` with
`task_type="SEQ_CLS"` would save only modules named `classifier` or `score`). Not copied to the Hub with a model."""

from __future__ import annotations

from peft import LoraConfig, PeftModel, get_peft_model
from torch import nn
from transformers import PreTrainedModel


# Attention projections of the encoders transformers ships (BERT/MiniLM/RoBERTa: query/key/value; DistilBERT:
# q_lin/k_lin/v_lin; DeBERTa-v2: query_proj/key_proj/value_proj; most others: q_proj/k_proj/v_proj) and of LGSA.
ATTENTION_PROJECTIONS = ("query", "key", "value", "q_lin", "k_lin", "v_lin", "query_proj", "key_proj", "value_proj",
                         "q_proj", "k_proj", "v_proj")  # fmt: skip


def lora_body(model: PreTrainedModel) -> tuple[str, nn.Module]:
    """(name, module) of the pretrained part LoRA adapts: the encoder of the text families, the network of the image
    families (everything but the classifier)."""
    if model.base_model is model:
        raise ValueError(f"{type(model).__name__} is a body without a task head; apply LoRA to a task model.")
    body = model._encoder() if hasattr(model, "_encoder") else model.base_model
    for name, module in model.named_modules():
        if module is body:
            return name, body
    raise ValueError(f"Cannot locate the body of {type(model).__name__}.")


def default_lora_target_modules(model: PreTrainedModel) -> list[str]:
    """Full names of the modules that get adapters: the body's attention projections (Linear or 1x1 Conv2d); for a
    body without attention (ResNet), its convolutions."""
    prefix, body = lora_body(model)
    adaptable = (nn.Linear, nn.Conv2d)
    targets = [f"{prefix}.{name}" for name, module in body.named_modules()
               if isinstance(module, adaptable) and name.rsplit(".", 1)[-1] in ATTENTION_PROJECTIONS]  # fmt: skip
    if not targets:
        targets = [f"{prefix}.{name}" for name, module in body.named_modules() if isinstance(module, nn.Conv2d)]
    if not targets:
        raise ValueError(f"{type(model).__name__} has no attention projection or convolution to adapt; pass "
                         "target_modules.")  # fmt: skip
    return targets


def default_modules_to_save(model: PreTrainedModel) -> list[str]:
    """The largest modules that hold parameters and do not contain the body, trained in full and saved with the
    adapter (e.g. AMSDFF's `amsdff.multi_scale_attention`, `amsdff.dynamic_fusion`, ..., and `classifier`), plus the
    body's BatchNorm layers."""
    body_name, body = lora_body(model)
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


def lora_config_for(model: PreTrainedModel, r: int = 8, lora_alpha: int = 16, lora_dropout: float = 0.1,
                    target_modules: list[str] | str | None = None,
                    modules_to_save: list[str] | None = None) -> LoraConfig:  # fmt: skip
    """A `LoraConfig` with this package's defaults for `model` (any family); every argument can be given instead."""
    if r < 1:
        raise ValueError(f"LoRA rank r must be >= 1, got {r}.")
    if not 0.0 <= lora_dropout < 1.0:
        raise ValueError(f"lora_dropout must be in [0, 1), got {lora_dropout}.")
    return LoraConfig(
        r=r,
        lora_alpha=lora_alpha,
        lora_dropout=lora_dropout,
        target_modules=target_modules or default_lora_target_modules(model),
        modules_to_save=modules_to_save if modules_to_save is not None else default_modules_to_save(model),
    )


def add_lora(model: PreTrainedModel, **kwargs) -> PeftModel:
    """`model` wrapped by `peft.get_peft_model` with `lora_config_for(model, **kwargs)`."""
    return get_peft_model(model, lora_config_for(model, **kwargs))
