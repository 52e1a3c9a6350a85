# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""PyTorch multi-dimensional emotion regression on a pretrained encoder: the seed's base head, its gated head
("Gated BERT": prediction times a learned gate) and its mixture-of-experts head (softmax router over base-shaped
experts, with a load-balance loss).

The heads live in `regression_heads.py` and take any pooled feature vector, independent of the encoder. Targets are
normalised per dimension with statistics stored in the config: the loss compares normalised values, `logits` come
back in the targets' original units.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import ModelOutput, SequenceClassifierOutput

from .configuration_common import name_body_in_auto_map
from .configuration_emotion_regression import EmotionRegressionConfig
from .losses import compute_regression_loss
from .pooling import masked_mean
from .pretrained_encoder import PretrainedEncoderMixin, encoder_from_config
from .regression_heads import GatedRegressionHead, MixtureOfExpertsRegressionHead, RegressionHead, router_z_loss


logger = logging.getLogger(__name__)


@dataclass
class EmotionRegressionModelOutput(ModelOutput):
    """
    Output of [`EmotionRegressionModel`].

    Args:
        last_hidden_state (`torch.FloatTensor` of shape `(batch_size, sequence_length, hidden_size)`):
            The encoder's token states.
        pooler_output (`torch.FloatTensor` of shape `(batch_size, hidden_size)`):
            The pooled feature the head reads (see `config.pooling`).
        hidden_states, attentions (`tuple(torch.FloatTensor)`, *optional*):
            The encoder's, when asked for.
    """

    last_hidden_state: torch.FloatTensor | None = None
    pooler_output: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


@dataclass
class EmotionRegressionOutput(SequenceClassifierOutput):
    """
    Output of [`EmotionRegressionForSequenceClassification`]: `loss`, `logits` (the predictions, `(batch_size,
    num_labels)`, in the targets' original units), `hidden_states`, `attentions`, plus:

    Args:
        router_weights (`torch.FloatTensor` of shape `(batch_size, num_experts)`, *optional*):
            The weights that mix the experts (`head_type="moe"`; zero outside the top k with `router_top_k`), for
            inspection.
        router_logits (`torch.FloatTensor` of shape `(batch_size, num_experts)`, *optional*):
            Router logits, when `config.output_router_logits`.
        gate_weights (`torch.FloatTensor` of shape `(batch_size, num_labels)`, *optional*):
            Gate values (`head_type="gated"`).
        aux_loss (`torch.FloatTensor` of shape `()`, *optional*):
            The unweighted load-balance loss (added to `loss` times `router_aux_loss_coef`).
        loss_components (`dict[str, torch.Tensor]`, *optional*):
            Detached loss terms (`huber` or `mse`, `load_balance`, `router_z`) for `LossComponentsCallback`.
    """

    router_weights: torch.FloatTensor | None = None
    router_logits: torch.FloatTensor | None = None
    gate_weights: torch.FloatTensor | None = None
    aux_loss: torch.FloatTensor | None = None
    loss_components: dict[str, torch.Tensor] | None = None


class EmotionRegressionPreTrainedModel(PretrainedEncoderMixin, PreTrainedModel):
    config_class = EmotionRegressionConfig
    config: EmotionRegressionConfig
    base_model_prefix = "emotion_regression"
    main_input_name = "input_ids"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flash_attn = True
    accepts_loss_kwargs = False  # the loss is a mean: Trainer must not rescale it

    @torch.no_grad()
    def _init_weights(self, module: nn.Module):
        super()._init_weights(module)  # the gate's and router's last layers (`zero_init`) start at zero: uniform
        # Non-persistent buffers are not in the weights file; they are rebuilt from the config on every load.
        if isinstance(module, EmotionRegressionForSequenceClassification):
            means, scales = module.label_statistics(self.config)
            init.copy_(module.label_means, means)
            init.copy_(module.label_scales, scales)


class EmotionRegressionModel(EmotionRegressionPreTrainedModel):
    """The encoder and the pooling that feeds the regression head."""

    def __init__(self, config: EmotionRegressionConfig):
        super().__init__(config)
        wants_pooler = config.pooling in ("auto", "pooler")
        self.backbone = encoder_from_config(config.backbone_config, keep_pooler=wants_pooler)
        has_pooler = getattr(self.backbone, "pooler", None) is not None
        if config.pooling == "pooler" and not has_pooler:
            raise ValueError(
                f"pooling='pooler' needs an encoder with a pooler; {config.backbone_config.model_type} has none. "
                "Use 'cls', 'mean' or 'auto'."
            )
        self.pooling = "pooler" if (wants_pooler and has_pooler) else ("mean" if config.pooling == "mean" else "cls")
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> EmotionRegressionModelOutput | tuple:
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        encoder_outputs, attention_mask = self.run_encoder(
            input_ids,
            attention_mask,
            token_type_ids,
            position_ids,
            inputs_embeds,
            output_attentions,
            output_hidden_states,
        )
        hidden_states = encoder_outputs.last_hidden_state  # (bs, seq_len, dim)
        if self.pooling == "pooler":
            pooled = encoder_outputs.pooler_output
        elif self.pooling == "mean":
            pooled = masked_mean(hidden_states, attention_mask)
        else:
            pooled = hidden_states[:, 0]
        output = EmotionRegressionModelOutput(
            last_hidden_state=hidden_states,
            pooler_output=pooled,  # (bs, dim)
            hidden_states=getattr(encoder_outputs, "hidden_states", None),
            attentions=getattr(encoder_outputs, "attentions", None),
        )
        return output if return_dict else output.to_tuple()


class EmotionRegressionForSequenceClassification(EmotionRegressionPreTrainedModel):
    """Encoder + base / gated / mixture-of-experts regression head; `num_labels` scores per text."""

    def __init__(self, config: EmotionRegressionConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.emotion_regression = EmotionRegressionModel(config)
        hidden = config.hidden_size
        if config.head_type == "gated":
            self.classifier = GatedRegressionHead(
                hidden, config.num_labels, config.classifier_dropout, config.gate_hidden_size, config.gate_activation
            )
        elif config.head_type == "moe":
            self.classifier = MixtureOfExpertsRegressionHead(
                hidden,
                config.num_labels,
                config.num_experts,
                config.classifier_dropout,
                config.router_hidden_size,
                top_k=config.router_top_k,
                noisy_gating=config.router_noisy_gating,
            )
        else:
            self.classifier = RegressionHead(hidden, config.num_labels, config.classifier_dropout)
        if config.label_means is not None and len(config.label_means) != config.num_labels:
            # `config.num_labels` was changed after the statistics were set: a new head for other targets.
            logger.warning(
                f"EmotionRegressionForSequenceClassification: {len(config.label_means)} target statistics for "
                f"{config.num_labels} outputs; they describe other targets and are dropped."
            )
            config.label_means = config.label_scales = None
        means, scales = self.label_statistics(config)
        # Non-persistent: the statistics live in the config, so the weights file does not duplicate them.
        self.register_buffer("label_means", means, persistent=False)
        self.register_buffer("label_scales", scales, persistent=False)
        name_body_in_auto_map(self, EmotionRegressionModel)
        self.post_init()

    @staticmethod
    def label_statistics(config: EmotionRegressionConfig) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-dimension target mean and standard deviation (0 and 1 when the config has none)."""
        means = config.label_means if config.label_means is not None else (0.0,) * config.num_labels
        scales = config.label_scales if config.label_scales is not None else (1.0,) * config.num_labels
        return torch.tensor(means, dtype=torch.float32), torch.tensor(scales, dtype=torch.float32)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        sample_weight: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> EmotionRegressionOutput | tuple:
        r"""
        labels (`torch.FloatTensor` of shape `(batch_size, num_labels)`, *optional*):
            Targets in their original units (normalised inside with `config.label_means` / `label_scales`).
        sample_weight (`torch.FloatTensor` of shape `(batch_size,)`, *optional*):
            Per-example loss weights, mean-normalised over the data set (e.g. density weights from `train.py`).
        """
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        outputs = self.emotion_regression(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        features = outputs.pooler_output
        router_logits = router_weights = gate = aux_loss = None
        if self.config.head_type == "gated":
            normalised, gate = self.classifier(features)
        elif self.config.head_type == "moe":
            normalised, router_logits, router_weights, aux_loss = self.classifier(features)
        else:
            normalised = self.classifier(features)  # (bs, num_labels)
        scales, means = self.label_scales.to(normalised.dtype), self.label_means.to(normalised.dtype)
        logits = normalised * scales + means  # original units

        loss = components = None
        if labels is not None:
            if labels.numel() != normalised.numel():
                raise ValueError(
                    f"Got {labels.numel() // max(len(normalised), 1)} target(s) per example for a model with "
                    f"num_labels={self.num_labels} outputs; give one target per output."
                )
            labels = labels.to(normalised.device).float().reshape(normalised.shape)
            loss = compute_regression_loss(
                normalised,
                (labels - means) / scales,
                self.config.regression_loss,
                self.config.huber_delta,
                sample_weight,
            )
            components = {self.config.regression_loss: loss.detach()}
            if aux_loss is not None and self.config.router_aux_loss_coef > 0:
                loss = loss + self.config.router_aux_loss_coef * aux_loss
                components["load_balance"] = aux_loss.detach()
            if router_logits is not None and self.config.router_z_loss_coef > 0:
                z_loss = router_z_loss(router_logits)
                loss = loss + self.config.router_z_loss_coef * z_loss
                components["router_z"] = z_loss.detach()

        output = EmotionRegressionOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            router_weights=router_weights,
            router_logits=router_logits if self.config.output_router_logits else None,
            gate_weights=gate,
            aux_loss=aux_loss,
            loss_components=components,
        )
        return output if return_dict else output.to_tuple()


__all__ = [
    "EmotionRegressionModel",
    "EmotionRegressionForSequenceClassification",
    "EmotionRegressionPreTrainedModel",
]
