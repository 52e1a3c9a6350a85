# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""PyTorch AMSDFF: Advanced Multi-Scale Dynamic Feature Fusion for text classification.

A pretrained encoder, then (each switchable in `AmsdffConfig`):
  feature enhancer -> multi-scale attention (depthwise 1-D convolutions at several kernel sizes, fused by attention
  across scales at each position) -> dynamic fusion (MLP experts mixed by a per-example softmax gate, with a
  load-balance loss) -> advanced pooling (attention / CLS / max / mean, fused) -> classifier.

Differences from the public reference implementation, on purpose: the pretrained encoder is never re-initialised;
padding is zeroed before the convolutions and excluded from the gate's mean and from every pooling; the gate gets a
load-balance term. Revision 2 (the default) also makes the three token-level modules pre-norm residual branches that
start as the identity, starts pooling as mean pooling, shares one narrow pointwise convolution between the scales and
stores the experts side by side, so that a new model starts as "encoder + mean pooling + linear head" and costs
little more than it (docs/results.md: the text suite and cost tables). Revision 1, the 0.1-0.2 modules, loads the
models those versions saved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import ModelOutput, SequenceClassifierOutput

from .configuration_amsdff import AmsdffConfig
from .configuration_common import name_body_in_auto_map
from .losses import classification_loss_from_config, load_balance_loss
from .modeling_amsdff_revision1 import AmsdffDynamicFusionRevision1, AmsdffMultiScaleAttentionRevision1
from .pooling import masked_max, masked_mean
from .pretrained_encoder import PretrainedEncoderMixin, encoder_from_config


@dataclass
class AmsdffModelOutput(ModelOutput):
    """
    Output of [`AmsdffModel`].

    Args:
        last_hidden_state (`torch.FloatTensor` of shape `(batch_size, sequence_length, hidden_size)`):
            Token states after the AMSDFF modules.
        pooler_output (`torch.FloatTensor` of shape `(batch_size, hidden_size)`):
            The fused pooled representation fed to the classifier.
        hidden_states (`tuple(torch.FloatTensor)`, *optional*):
            The encoder's hidden states, returned when `output_hidden_states=True`.
        attentions (`tuple(torch.FloatTensor)`, *optional*):
            The encoder's attention weights, returned when `output_attentions=True`.
        router_logits (`torch.FloatTensor` of shape `(batch_size, num_experts)`, *optional*):
            Logits of the dynamic fusion gate, when `use_dynamic_fusion` is on.
        aux_loss (`torch.FloatTensor` of shape `()`, *optional*):
            The (unweighted) load-balance loss of the gate over the batch.
    """

    last_hidden_state: torch.FloatTensor | None = None
    pooler_output: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None
    router_logits: torch.FloatTensor | None = None
    aux_loss: torch.FloatTensor | None = None


@dataclass
class AmsdffSequenceClassifierOutput(SequenceClassifierOutput):
    """
    Output of [`AmsdffForSequenceClassification`]: `loss`, `logits`, `hidden_states`, `attentions` as in
    [`~modeling_outputs.SequenceClassifierOutput`], plus:

    Args:
        router_logits (`torch.FloatTensor` of shape `(batch_size, num_experts)`, *optional*):
            Gate logits, returned when `config.output_router_logits` is set.
        aux_loss (`torch.FloatTensor` of shape `()`, *optional*):
            The unweighted load-balance loss (already added to `loss` times `router_aux_loss_coef`).
        loss_components (`dict[str, torch.Tensor]`, *optional*):
            Detached values of each loss term (`ce`, `focal`, `label_smoothing`, `mse`, `load_balance` ...), for
            logging by `LossComponentsCallback`.
    """

    router_logits: torch.FloatTensor | None = None
    aux_loss: torch.FloatTensor | None = None
    loss_components: dict[str, torch.Tensor] | None = None


class AmsdffFeatureEnhancer(nn.Module):
    """Feature enhancer of the reference code (Linear + GELU + dropout) as a residual branch.

    Revision 2 is pre-norm, `x + dropout(GELU(dense(LayerNorm(x))))`, with `dense` initialised at zero, so it starts
    as the identity; revision 1 (the 0.1-0.2 modules) re-normalised the sum, `LayerNorm(x + ...)`.
    """

    def __init__(self, config: AmsdffConfig):
        super().__init__()
        self.pre_norm = config.architecture_revision >= 2
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dense.zero_init = self.pre_norm
        self.act = nn.GELU()
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.LayerNorm = nn.LayerNorm(config.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        if self.pre_norm:
            return hidden_states + self.dropout(self.act(self.dense(self.LayerNorm(hidden_states))))
        return self.LayerNorm(hidden_states + self.dropout(self.act(self.dense(hidden_states))))


class AmsdffMultiScaleAttention(nn.Module):
    """Multi-scale attention module (AMSDFF section "Multi-Scale Attention"), revision 2: a pre-norm bottleneck
    residual branch.

    The normalised states go through one pointwise (1x1) convolution down to `multi_scale_size` channels, shared by
    every scale, then one depthwise 1-D convolution per kernel size in `scales` and GELU (a depthwise separable
    convolution with its two halves in the other order, so that the scales share one projection). At each position
    the projected token is the query (split into heads) and the scale features are the keys and values; the fused
    features go back up to the hidden size through `output`, initialised at zero, and are added to the input: the
    module starts as the identity. Each depthwise kernel starts as the average over its window, so scale `k` starts
    as a moving average over `k` tokens. Padding is zeroed before the convolutions, so a real token never sees a
    padding token's state. The attention runs in the convolutions' channels-first layout, the fast one on CPUs.
    """

    def __init__(self, config: AmsdffConfig):
        super().__init__()
        hidden, size = config.hidden_size, config.multi_scale_width()
        self.num_heads = config.num_scale_attention_heads
        self.head_dim = size // self.num_heads
        self.LayerNorm = nn.LayerNorm(hidden)
        self.pointwise = nn.Linear(hidden, size)
        self.depthwise = nn.ModuleList(
            nn.Conv1d(size, size, k, padding=k // 2, groups=size, bias=False) for k in config.scales
        )
        self.act = nn.GELU()
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.output = nn.Linear(size, hidden)
        self.output.zero_init = True
        for conv in self.depthwise:
            conv.window_average_init = True

    def _scales(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor):
        """The value features of every scale, S x (bs, h, d, seq_len), and the attention over scales at each position,
        (S, bs, h, seq_len), before dropout."""
        bs, seq_len, _ = hidden_states.shape
        mask = attention_mask.unsqueeze(-1).to(hidden_states.dtype)  # (bs, seq_len, 1)
        projected = self.pointwise(self.LayerNorm(hidden_states)) * mask  # (bs, seq_len, size), padding zeroed
        projected = projected.transpose(1, 2).contiguous()  # (bs, size, seq_len)
        heads = (bs, self.num_heads, self.head_dim, seq_len)
        query = projected.view(heads)  # (bs, h, d, seq_len)
        values = [self.act(conv(projected)).view(heads) for conv in self.depthwise]  # S x (bs, h, d, seq_len)
        scores = torch.stack([(query * value).sum(2) for value in values]) / math.sqrt(self.head_dim)  # (S, bs, h, t)
        return values, scores.softmax(dim=0)

    @torch.no_grad()
    def scale_weights(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The weight of each scale at each token, averaged over heads: (bs, seq_len, S), summing to 1 over scales
        (for plots; `hidden_states` as this module receives them)."""
        return self._scales(hidden_states, attention_mask)[1].mean(2).permute(1, 2, 0)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        bs, seq_len, _ = hidden_states.shape
        values, probs = self._scales(hidden_states, attention_mask)
        probs = self.dropout(probs).unsqueeze(3)  # (S, bs, h, 1, seq_len)
        fused = probs[0] * values[0]
        for prob, value in zip(probs[1:], values[1:]):
            fused = fused + prob * value  # (bs, h, d, seq_len)
        fused = fused.view(bs, -1, seq_len).transpose(1, 2)  # (bs, seq_len, size)
        return hidden_states + self.dropout(self.output(fused))


class AmsdffDynamicFusion(nn.Module):
    """Dynamic fusion module (AMSDFF section "Dynamic Feature Fusion"), revision 2: a pre-norm residual branch.

    `num_experts` position-wise MLP experts (Linear -> GELU -> dropout -> Linear) are mixed by a softmax gate computed
    per example from the masked mean of the normalised sequence. The experts' first layers are stored side by side in
    `up` and their second layers in `down` (one matrix product each for every expert; `down_bias` holds one bias per
    expert). `down` starts at zero and the gate uniform, so the module starts as the identity.
    """

    def __init__(self, config: AmsdffConfig):
        super().__init__()
        hidden = config.hidden_size
        self.num_experts = config.num_experts
        self.intermediate_size = config.expert_size()
        self.LayerNorm = nn.LayerNorm(hidden)
        self.gate = nn.Linear(hidden, self.num_experts)
        self.up = nn.Linear(hidden, self.num_experts * self.intermediate_size)
        self.act = nn.GELU()
        self.down = nn.Linear(self.num_experts * self.intermediate_size, hidden, bias=False)
        self.down_bias = nn.Parameter(torch.zeros(self.num_experts, hidden))
        self.gate.zero_init = self.down.zero_init = True
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self, hidden_states: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns the fused states, the gate's logits and the (unweighted) load-balance loss of its weights."""
        bs, seq_len, dim = hidden_states.shape
        normed = self.LayerNorm(hidden_states)
        router_logits = self.gate(masked_mean(normed, attention_mask))  # (bs, num_experts)
        weights = router_logits.float().softmax(dim=-1)
        inner = self.dropout(self.act(self.up(normed)))  # (bs, seq_len, E * I)
        inner = inner.view(bs, seq_len, self.num_experts, -1) * weights[:, None, :, None].to(inner.dtype)
        mixed = self.down(inner.view(bs, seq_len, -1)) + (weights.to(inner.dtype) @ self.down_bias)[:, None]
        return hidden_states + self.dropout(mixed), router_logits, load_balance_loss(weights)


class AmsdffPooler(nn.Module):
    """Advanced pooling (AMSDFF section "Advanced Pooling Strategy"): attention, CLS, max and mean pooling, fused.

    Attention pooling scores every token against a learned query, initialised at zero: it starts as mean pooling.
    With `pooling_fusion="residual"` the first mode is the main pooled vector and the others are added to it through a
    Linear initialised at zero, so pooling starts as the first mode alone.
    """

    def __init__(self, config: AmsdffConfig):
        super().__init__()
        hidden = config.hidden_size
        self.modes = tuple(config.pooling_modes)
        self.fusion = config.pooling_fusion if len(self.modes) > 1 else "none"
        if "attention" in self.modes:
            self.attention_query = nn.Parameter(torch.zeros(hidden))
        if self.fusion == "residual":
            self.fuse = nn.Linear(hidden * (len(self.modes) - 1), hidden)
            self.fuse.zero_init = True
        elif self.fusion == "concat":
            self.fuse = nn.Sequential(nn.Linear(hidden * len(self.modes), hidden), nn.LayerNorm(hidden), nn.GELU())
        elif self.fusion == "weighted":
            self.mode_logits = nn.Parameter(torch.zeros(len(self.modes)))

    def attention_weights(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Attention pooling's weight of each token, (bs, seq_len), summing to 1 over the real tokens."""
        query = self.attention_query.to(hidden_states.dtype)
        scores = hidden_states @ query / math.sqrt(hidden_states.shape[-1])  # (bs, seq_len)
        scores = scores.masked_fill(~attention_mask.bool(), torch.finfo(scores.dtype).min)
        return scores.softmax(dim=-1)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        pooled = []
        for mode in self.modes:
            if mode == "attention":
                weights = self.attention_weights(hidden_states, attention_mask)
                pooled.append(torch.einsum("bt,btd->bd", weights, hidden_states))
            elif mode == "cls":
                pooled.append(hidden_states[:, 0])
            elif mode == "max":
                pooled.append(masked_max(hidden_states, attention_mask))
            else:
                pooled.append(masked_mean(hidden_states, attention_mask))
        if self.fusion == "residual":
            return pooled[0] + self.fuse(torch.cat(pooled[1:], dim=-1))  # (bs, dim)
        if self.fusion == "concat":
            return self.fuse(torch.cat(pooled, dim=-1))  # (bs, dim)
        if self.fusion == "weighted":
            weights = self.mode_logits.softmax(dim=0).to(hidden_states.dtype)
            return torch.einsum("m,mbd->bd", weights, torch.stack(pooled))
        return pooled[0]


class AmsdffClassificationHead(nn.Module):
    """Classifier MLP: (Dropout -> Linear -> LayerNorm -> GELU) per hidden layer, then Dropout -> `out_proj`."""

    def __init__(self, config: AmsdffConfig):
        super().__init__()
        layers: list[nn.Module] = []
        width = config.hidden_size
        sizes = config.classifier_layer_sizes()
        for index, size in enumerate(sizes):
            layers += [nn.Dropout(config.classifier_dropout_at(index)), nn.Linear(width, size), nn.LayerNorm(size)]
            layers.append(nn.GELU())
            width = size
        self.hidden_layers = nn.Sequential(*layers)
        self.dropout = nn.Dropout(config.classifier_dropout_at(len(sizes)))
        self.out_proj = nn.Linear(width, config.num_labels)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.out_proj(self.dropout(self.hidden_layers(pooled)))  # (bs, num_labels)


class AmsdffPreTrainedModel(PretrainedEncoderMixin, PreTrainedModel):
    config_class = AmsdffConfig
    config: AmsdffConfig
    base_model_prefix = "amsdff"
    main_input_name = "input_ids"
    supports_gradient_checkpointing = True  # the encoder's layers checkpoint; the AMSDFF modules are cheap
    _supports_sdpa = True
    _supports_flash_attn = True
    # The model returns a mean loss, so Trainer must not rescale it by the number of items in the batch.
    accepts_loss_kwargs = False

    @torch.no_grad()
    def _init_weights(self, module: nn.Module):
        """Revision 2 starts every residual branch at the identity (its last layer at zero, the gate uniform) and
        attention pooling as mean pooling; `AmsdffModel` then starts as the encoder with its mean pooling. The layers
        concerned carry a `zero_init` flag (zeroed by `PretrainedEncoderMixin._init_weights`) or a
        `window_average_init` flag (a module with no parameters of its own is skipped by transformers' initialisation
        of remote code, so the flags sit on the layers themselves)."""
        super()._init_weights(module)
        if getattr(module, "window_average_init", False):
            init.constant_(module.weight, 1.0 / module.kernel_size[0])
        elif isinstance(module, AmsdffPooler):
            if hasattr(module, "attention_query"):
                init.zeros_(module.attention_query)
            if hasattr(module, "mode_logits"):
                init.zeros_(module.mode_logits)
        elif isinstance(module, AmsdffDynamicFusion):
            init.zeros_(module.down_bias)


class AmsdffModel(AmsdffPreTrainedModel):
    """The AMSDFF body: encoder + feature enhancer + multi-scale attention + dynamic fusion + pooling."""

    def __init__(self, config: AmsdffConfig):
        super().__init__(config)
        self.backbone = encoder_from_config(config.backbone_config)
        self.feature_enhancer = AmsdffFeatureEnhancer(config) if config.use_feature_enhancer else None
        revision1 = config.architecture_revision == 1
        multi_scale_attention = AmsdffMultiScaleAttentionRevision1 if revision1 else AmsdffMultiScaleAttention
        dynamic_fusion = AmsdffDynamicFusionRevision1 if revision1 else AmsdffDynamicFusion
        self.multi_scale_attention = multi_scale_attention(config) if config.use_multi_scale_attention else None
        self.dynamic_fusion = dynamic_fusion(config) if config.use_dynamic_fusion else None
        self.pooler = AmsdffPooler(config)
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
    ) -> AmsdffModelOutput | tuple:
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

        if self.feature_enhancer is not None:
            hidden_states = self.feature_enhancer(hidden_states)
        if self.multi_scale_attention is not None:
            hidden_states = self.multi_scale_attention(hidden_states, attention_mask)
        router_logits = aux_loss = None
        if self.dynamic_fusion is not None:
            hidden_states, router_logits, aux_loss = self.dynamic_fusion(hidden_states, attention_mask)
        pooled = self.pooler(hidden_states, attention_mask)  # (bs, dim)

        output = AmsdffModelOutput(
            last_hidden_state=hidden_states,
            pooler_output=pooled,
            hidden_states=getattr(encoder_outputs, "hidden_states", None),
            attentions=getattr(encoder_outputs, "attentions", None),
            router_logits=router_logits,
            aux_loss=aux_loss,
        )
        return output if return_dict else output.to_tuple()


class AmsdffForSequenceClassification(AmsdffPreTrainedModel):
    """AMSDFF with a classification (or regression) head; computes its loss from `config` when given `labels`."""

    def __init__(self, config: AmsdffConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.amsdff = AmsdffModel(config)
        self.classifier = AmsdffClassificationHead(config)
        name_body_in_auto_map(self, AmsdffModel)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> AmsdffSequenceClassifierOutput | tuple:
        r"""
        labels (`torch.LongTensor` of shape `(batch_size,)`, or `(batch_size, num_labels)` floats, *optional*):
            Class indices in `[0, num_labels)` for single-label classification, 0/1 vectors for multi-label
            classification, targets for regression (`num_labels == 1` or `problem_type="regression"`).
        """
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        outputs = self.amsdff(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.classifier(outputs.pooler_output)  # (bs, num_labels)

        loss = components = None
        if labels is not None:
            loss, components = classification_loss_from_config(logits, labels, self.config)
            if outputs.aux_loss is not None and self.config.router_aux_loss_coef > 0:
                loss = loss + self.config.router_aux_loss_coef * outputs.aux_loss.to(loss.device)
                components["load_balance"] = outputs.aux_loss.detach()

        output = AmsdffSequenceClassifierOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            router_logits=outputs.router_logits if self.config.output_router_logits else None,
            aux_loss=outputs.aux_loss,
            loss_components=components,
        )
        return output if return_dict else output.to_tuple()


__all__ = ["AmsdffModel", "AmsdffForSequenceClassification", "AmsdffPreTrainedModel"]
