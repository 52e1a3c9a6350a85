"""Tiny configurations of every model class of the package, for the shared parametrized checks.

Each later model family adds its `ModelCase`s to `MODEL_CASES`; `test_models_common.py` runs every check on each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from modeling_amsdff import (
    AmsdffConfig,
    AmsdffForSequenceClassification,
    AmsdffModel,
    AmsraNetConfig,
    AmsraNetForImageClassification,
    AmsraNetModel,
    CifarResNetForImageClassification,
    EmotionRegressionConfig,
    EmotionRegressionForSequenceClassification,
    EmotionRegressionModel,
    resnet18_cifar_config,
)
from modeling_amsdff.configuration_amsdff import AMSDFF_BASELINE_ARGUMENTS


BATCH, SEQ, VOCAB, HIDDEN = 13, 7, 99, 32

TINY_BACKBONES = {
    "bert": dict(model_type="bert", vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=37, max_position_embeddings=64, type_vocab_size=2),
    "distilbert": dict(model_type="distilbert", vocab_size=VOCAB, dim=HIDDEN, n_layers=2, n_heads=4, hidden_dim=37,
                       max_position_embeddings=64),
    "roberta": dict(model_type="roberta", vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=2,
                    num_attention_heads=4, intermediate_size=37, max_position_embeddings=64, pad_token_id=1),
    "deberta-v2": dict(model_type="deberta-v2", vocab_size=VOCAB, hidden_size=HIDDEN, num_hidden_layers=2,
                       num_attention_heads=4, intermediate_size=37, max_position_embeddings=64,
                       relative_attention=True, position_biased_input=False, pos_att_type=["p2c", "c2p"]),
}  # fmt: skip


def tiny_amsdff_config(backbone: str = "bert", **kwargs) -> AmsdffConfig:
    defaults = dict(backbone_config=dict(TINY_BACKBONES[backbone]), num_scale_attention_heads=4, num_labels=3)
    defaults.update(kwargs)
    return AmsdffConfig(**defaults)


def tiny_emotion_config(backbone: str = "bert", **kwargs) -> EmotionRegressionConfig:
    defaults = dict(backbone_config=dict(TINY_BACKBONES[backbone]), num_labels=2, label_means=(0.5, 1.0),
                    label_scales=(2.0, 0.5), gate_hidden_size=16, router_hidden_size=16)  # fmt: skip
    defaults.update(kwargs)
    return EmotionRegressionConfig(**defaults)


def tiny_amsra_config(**kwargs) -> AmsraNetConfig:
    defaults = dict(num_channels=3, image_size=16, stem_channels=8, hidden_sizes=(8, 16, 16, 32),
                    depths=(1, 1, 1, 1), msfd_groups=2, msfd_kernel_sizes=(3, 3), msfd_dilations=(1, 2),
                    lgsa_reduction=4, num_labels=3)  # fmt: skip
    defaults.update(kwargs)
    return AmsraNetConfig(**defaults)


def tiny_resnet_config(**kwargs):
    defaults = dict(embedding_size=8, hidden_sizes=(8, 16, 16, 32), depths=(1, 1, 1, 1), num_labels=3)
    defaults.update(kwargs)
    return resnet18_cifar_config(**defaults)


def image_inputs(batch: int = BATCH, seed: int = 0, channels: int = 3, size: int = 16) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {"pixel_values": torch.randn(batch, channels, size, size, generator=generator)}


def text_inputs(batch: int = BATCH, seq: int = SEQ, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(3, VOCAB, (batch, seq), generator=generator)
    attention_mask = torch.ones(batch, seq, dtype=torch.long)
    lengths = torch.randint(2, seq + 1, (batch,), generator=generator)
    for row, length in enumerate(lengths):
        attention_mask[row, length:] = 0
        input_ids[row, length:] = 0
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def labels_for(problem_type: str, num_labels: int, batch: int = BATCH, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    if problem_type == "single_label_classification":
        return torch.randint(0, num_labels, (batch,), generator=generator)
    if problem_type == "multi_label_classification":
        return torch.randint(0, 2, (batch, num_labels), generator=generator).float()
    return torch.randn(batch, num_labels, generator=generator)


@dataclass
class ModelCase:
    """One model class with a tiny config, an input maker and the problem types its head supports."""

    name: str
    model_class: type
    make_config: Callable[..., object]
    make_inputs: Callable[..., dict[str, torch.Tensor]]
    output_key: str  # the main output tensor: "logits" for task heads, "pooler_output" for bodies
    problem_types: tuple[str, ...] = ()
    auto_class: str = "AutoModel"
    config_kwargs: dict = field(default_factory=dict)
    # BatchNorm normalises with each micro-batch's statistics, so accumulating micro-batches is not the same function
    # as one large batch: the accumulation check does not apply.
    batch_statistics: bool = False

    def config(self, **kwargs):
        return self.make_config(**{**self.config_kwargs, **kwargs})


CLASSIFICATION_PROBLEMS = ("single_label_classification", "multi_label_classification", "regression")

MODEL_CASES = [
    ModelCase("amsdff-model", AmsdffModel, tiny_amsdff_config, text_inputs, "pooler_output"),
    ModelCase("amsdff-classifier", AmsdffForSequenceClassification, tiny_amsdff_config, text_inputs, "logits",
              CLASSIFICATION_PROBLEMS, "AutoModelForSequenceClassification"),
    ModelCase("amsdff-baseline", AmsdffForSequenceClassification, tiny_amsdff_config, text_inputs, "logits",
              CLASSIFICATION_PROBLEMS, "AutoModelForSequenceClassification", dict(AMSDFF_BASELINE_ARGUMENTS)),
    ModelCase("amsdff-weighted-pooling-focal", AmsdffForSequenceClassification, tiny_amsdff_config, text_inputs,
              "logits", CLASSIFICATION_PROBLEMS, "AutoModelForSequenceClassification",
              dict(pooling_modes=("attention", "mean"), pooling_fusion="weighted", loss_type="focal",
                   focal_alpha=(0.2, 0.3, 0.5), scales=(3,), num_experts=2)),
    ModelCase("emotion-model", EmotionRegressionModel, tiny_emotion_config, text_inputs, "pooler_output"),
    ModelCase("emotion-base-pooler", EmotionRegressionForSequenceClassification, tiny_emotion_config, text_inputs,
              "logits", ("regression",), "AutoModelForSequenceClassification"),
    ModelCase("emotion-gated-softmax-distilbert", EmotionRegressionForSequenceClassification, tiny_emotion_config,
              text_inputs, "logits", ("regression",), "AutoModelForSequenceClassification",
              dict(backbone="distilbert", head_type="gated", loss_type="mse")),
    ModelCase("emotion-gated-sigmoid-roberta-mean", EmotionRegressionForSequenceClassification, tiny_emotion_config,
              text_inputs, "logits", ("regression",), "AutoModelForSequenceClassification",
              dict(backbone="roberta", head_type="gated", gate_activation="sigmoid", pooling="mean")),
    ModelCase("emotion-moe-cls", EmotionRegressionForSequenceClassification, tiny_emotion_config, text_inputs,
              "logits", ("regression",), "AutoModelForSequenceClassification",
              dict(head_type="moe", num_experts=3, pooling="cls", output_router_logits=True)),
    ModelCase("amsra-model", AmsraNetModel, tiny_amsra_config, image_inputs, "pooler_output", batch_statistics=True),
    ModelCase("amsra-classifier", AmsraNetForImageClassification, tiny_amsra_config, image_inputs, "logits",
              CLASSIFICATION_PROBLEMS, "AutoModelForImageClassification", batch_statistics=True),
    ModelCase("amsra-no-lgsa-single-scale", AmsraNetForImageClassification, tiny_amsra_config, image_inputs,
              "logits", CLASSIFICATION_PROBLEMS, "AutoModelForImageClassification",
              dict(use_lgsa=False, use_multi_scale=False, loss_type="combined"), batch_statistics=True),
    ModelCase("resnet18-cifar-baseline", CifarResNetForImageClassification, tiny_resnet_config, image_inputs,
              "logits", CLASSIFICATION_PROBLEMS, "AutoModelForImageClassification", batch_statistics=True),
]  # fmt: skip
