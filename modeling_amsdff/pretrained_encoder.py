# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""What the text families share around their pretrained encoder (`self.backbone`, any `AutoModel` encoder built from
`config.backbone_config`): building it without its unused pooler, calling it with the inputs it accepts, exposing it
through `get_encoder()`, `from_pretrained_backbone` (build a new model on a pretrained encoder's weights), and the
zero start of flagged layers.
Travels with the text models; imports only the standard library, torch and public transformers API."""

from __future__ import annotations

import functools
import inspect

import torch
from torch import nn
from transformers import AutoModel, PreTrainedModel
from transformers import initialization as init


def encoder_from_config(backbone_config, keep_pooler: bool = False) -> PreTrainedModel:
    """A randomly initialised encoder for `backbone_config`, by default without its own pooler (BERT/RoBERTa's tanh
    pooler): a model that pools the token states itself would otherwise carry dead weight that never receives a
    gradient. `keep_pooler=True` keeps it for heads that read the pooler output.
    """
    if keep_pooler:
        return AutoModel.from_config(backbone_config)
    try:
        return AutoModel.from_config(backbone_config, add_pooling_layer=False)
    except TypeError:  # encoders without a pooler (DistilBERT, DeBERTa-v2) take no such argument
        return AutoModel.from_config(backbone_config)


@functools.cache
def _forward_parameters(encoder_class: type) -> frozenset[str]:
    # transformers 5 encoders take output_attentions / output_hidden_states through **kwargs.
    return frozenset(inspect.signature(encoder_class.forward).parameters) | {
        "output_attentions",
        "output_hidden_states",
    }


class PretrainedEncoderMixin:
    """For `PreTrainedModel`s built around `backbone`, a pretrained text encoder: `get_encoder()`, the input-embedding
    accessors, `run_encoder` (the encoder call of the bodies), `from_pretrained_backbone`, and the zero start of the
    layers flagged `zero_init`."""

    @torch.no_grad()
    def _init_weights(self, module: nn.Module):
        """transformers' initialisation, then a layer flagged `zero_init` (the last layer of a residual branch, a gate
        or a router, so that it starts as the identity or uniform) starts at zero. The flag sits on the layer itself:
        transformers skips remote-code modules that have no parameters of their own."""
        super()._init_weights(module)
        if getattr(module, "zero_init", False):
            init.zeros_(module.weight)
            if module.bias is not None:
                init.zeros_(module.bias)

    def get_encoder(self, modality: str | None = None) -> PreTrainedModel:
        """The pretrained text encoder this model builds on (`backbone`): what progressive freezing freezes, what LoRA
        adapts, and what `--learning_rate` (rather than `--head_learning_rate`) trains."""
        if modality not in (None, "text"):
            return super().get_encoder(modality)
        return getattr(self, self.base_model_prefix, self).backbone

    def get_input_embeddings(self) -> nn.Module:
        return self.get_encoder().get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module):
        self.get_encoder().set_input_embeddings(value)

    def run_encoder(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
    ):
        """Run the encoder with the inputs it accepts (DistilBERT takes no `token_type_ids`, for instance).

        Returns the encoder's output and the attention mask (all ones when none was given).
        """
        if input_ids is None and inputs_embeds is None:
            raise ValueError(f"{type(self).__name__} needs `input_ids` or `inputs_embeds`.")
        if attention_mask is None:
            reference = input_ids if input_ids is not None else inputs_embeds[..., 0]
            attention_mask = torch.ones(reference.shape, dtype=torch.long, device=reference.device)
        encoder = self.get_encoder()
        accepted = _forward_parameters(type(encoder))
        inputs = {
            "input_ids": input_ids,
            "inputs_embeds": inputs_embeds,
            "token_type_ids": token_type_ids,
            "position_ids": position_ids,
            "output_attentions": output_attentions,
            "output_hidden_states": output_hidden_states,
        }
        inputs = {name: value for name, value in inputs.items() if value is not None and name in accepted}
        return encoder(attention_mask=attention_mask, return_dict=True, **inputs), attention_mask

    @classmethod
    def from_pretrained_backbone(
        cls,
        backbone_name_or_path: str,
        config=None,
        backbone_kwargs: dict | None = None,
        **kwargs,
    ):
        """Build the model around a pretrained encoder and load the encoder's weights.

        Args:
            backbone_name_or_path: Hub id or local folder of any `AutoModel` encoder.
            config: a full config of this model; its `backbone_config` is replaced by the encoder's own config.
            backbone_kwargs: extra arguments for `AutoModel.from_pretrained` (`revision`, `token`, `dtype` ...).
            **kwargs: config arguments (`num_labels`, `id2label`, module switches ...) when `config` is None.

        The new modules are initialised from `config.initializer_range`; the encoder keeps its pretrained weights
        exactly (only its unused pooler is left out).
        """
        encoder = AutoModel.from_pretrained(backbone_name_or_path, **(backbone_kwargs or {}))
        if config is None:
            config = cls.config_class(backbone_config=encoder.config, **kwargs)
        else:
            config.backbone_config = encoder.config
        model = cls(config)
        missing, unexpected = model.get_encoder().load_state_dict(encoder.state_dict(), strict=False)
        unexpected = [key for key in unexpected if not key.startswith("pooler.")]  # a pooler the model does not use
        if missing or unexpected:
            raise ValueError(
                f"The weights of {backbone_name_or_path!r} do not fit its own architecture: missing {missing[:5]}, "
                f"unexpected {unexpected[:5]}."
            )
        return model
