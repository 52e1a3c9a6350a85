"""Tiny configurations of every model family of the package (`modeling_amsdff.registry.FAMILIES`), and the model
cases that the shared parametrized checks run (`test_models_common.py`, `test_lora.py`).

A new family adds its tiny config maker to `TINY_CONFIGS` and its cases to `MODEL_CASES`; a test fails until it does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from modeling_amsdff import AmsdffConfig, AmsraNetConfig, CctConfig, CifarResNetConfig, EmotionRegressionConfig
from modeling_amsdff.registry import (
    AMSDFF_BASELINE_ARGUMENTS,
    AMSDFF_EVERY_MODULE_ARGUMENTS,
    FAMILIES_BY_MODEL_TYPE,
    TEXT_REGRESSION,
)


BATCH, SEQ, VOCAB, HIDDEN = 13, 7, 99, 32

TINY_BACKBONES = {
    "bert": dict(
        model_type="bert",
        vocab_size=VOCAB,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        type_vocab_size=2,
    ),
    "distilbert": dict(
        model_type="distilbert",
        vocab_size=VOCAB,
        dim=HIDDEN,
        n_layers=2,
        n_heads=4,
        hidden_dim=37,
        max_position_embeddings=64,
    ),
    "roberta": dict(
        model_type="roberta",
        vocab_size=VOCAB,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        pad_token_id=1,
    ),
    "deberta-v2": dict(
        model_type="deberta-v2",
        vocab_size=VOCAB,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=64,
        relative_attention=True,
        position_biased_input=False,
        pos_att_type=["p2c", "c2p"],
    ),
}


def tiny_amsdff_config(backbone: str = "bert", **kwargs) -> AmsdffConfig:
    defaults = dict(backbone_config=dict(TINY_BACKBONES[backbone]), num_scale_attention_heads=4, num_labels=3)
    defaults.update(kwargs)
    return AmsdffConfig(**defaults)


def tiny_full_amsdff_config(backbone: str = "bert", **kwargs) -> AmsdffConfig:
    """A tiny AMSDFF with every module on; `kwargs` change the rest (or switch one module off)."""
    return tiny_amsdff_config(backbone, **{**AMSDFF_EVERY_MODULE_ARGUMENTS, **kwargs})


def tiny_emotion_config(backbone: str = "bert", **kwargs) -> EmotionRegressionConfig:
    defaults = dict(
        backbone_config=dict(TINY_BACKBONES[backbone]),
        num_labels=2,
        label_means=(0.5, 1.0),
        label_scales=(2.0, 0.5),
        gate_hidden_size=16,
        router_hidden_size=16,
    )
    defaults.update(kwargs)
    return EmotionRegressionConfig(**defaults)


def tiny_amsra_config(**kwargs) -> AmsraNetConfig:
    defaults = dict(
        num_channels=3,
        image_size=16,
        stem_channels=8,
        hidden_sizes=(8, 16, 16, 32),
        depths=(1, 1, 1, 1),
        msfd_groups=2,
        msfd_kernel_sizes=(3, 3),
        msfd_dilations=(1, 2),
        lgsa_reduction=4,
        num_labels=3,
    )
    defaults.update(kwargs)
    return AmsraNetConfig(**defaults)


def tiny_cct_config(**kwargs) -> CctConfig:
    defaults = dict(
        num_channels=3, image_size=16, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, num_labels=3
    )
    defaults.update(kwargs)
    return CctConfig(**defaults)


def tiny_resnet_config(**kwargs):
    defaults = dict(embedding_size=8, hidden_sizes=(8, 16, 16, 32), depths=(1, 1, 1, 1), num_labels=3)
    defaults.update(kwargs)
    return CifarResNetConfig(**defaults)


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
    """One model class of a family with a tiny config, an input maker and the problem types its head supports."""

    name: str
    family: str  # the config's model_type, the registry's key
    body: bool = False  # the AutoModel body instead of the task model
    config_kwargs: dict = field(default_factory=dict)

    @property
    def registry_entry(self):
        return FAMILIES_BY_MODEL_TYPE[self.family]

    @property
    def model_class(self) -> type:
        return self.registry_entry.body_class if self.body else self.registry_entry.model_class

    @property
    def auto_class(self) -> str:
        return "AutoModel" if self.body else self.registry_entry.auto_class.__name__

    @property
    def output_key(self) -> str:
        """The main output tensor: "logits" for task heads, "pooler_output" for bodies."""
        return "pooler_output" if self.body else "logits"

    @property
    def problem_types(self) -> tuple[str, ...]:
        if self.body:
            return ()
        return ("regression",) if self.registry_entry.task == TEXT_REGRESSION else CLASSIFICATION_PROBLEMS

    @property
    def batch_statistics(self) -> bool:
        # BatchNorm normalises with each micro-batch's statistics, so accumulating micro-batches is not the same
        # function as one large batch: the accumulation check does not apply to the image families.
        return self.registry_entry.is_image

    def make_inputs(self, **kwargs) -> dict[str, torch.Tensor]:
        return (image_inputs if self.registry_entry.is_image else text_inputs)(**kwargs)

    def config(self, **kwargs):
        return TINY_CONFIGS[self.family](**{**self.config_kwargs, **kwargs})


CLASSIFICATION_PROBLEMS = ("single_label_classification", "multi_label_classification", "regression")

TINY_CONFIGS: dict[str, Callable] = {
    AmsdffConfig.model_type: tiny_amsdff_config,
    EmotionRegressionConfig.model_type: tiny_emotion_config,
    AmsraNetConfig.model_type: tiny_amsra_config,
    CifarResNetConfig.model_type: tiny_resnet_config,
    CctConfig.model_type: tiny_cct_config,
}

MODEL_CASES = [
    ModelCase("amsdff-model", "amsdff", body=True),
    ModelCase("amsdff-classifier", "amsdff", config_kwargs=AMSDFF_EVERY_MODULE_ARGUMENTS),
    ModelCase("amsdff-baseline", "amsdff", config_kwargs=dict(AMSDFF_BASELINE_ARGUMENTS)),
    ModelCase(
        "amsdff-weighted-pooling-focal",
        "amsdff",
        config_kwargs=dict(
            pooling_modes=("attention", "mean"),
            pooling_fusion="weighted",
            classification_loss="focal",
            focal_alpha=(0.2, 0.3, 0.5),
            scales=(3,),
            num_experts=2,
        ),
    ),
    ModelCase("emotion-model", "emotion_regression", body=True),
    ModelCase("emotion-base-pooler", "emotion_regression"),
    ModelCase(
        "emotion-gated-softmax-distilbert",
        "emotion_regression",
        config_kwargs=dict(backbone="distilbert", head_type="gated", regression_loss="mse"),
    ),
    ModelCase(
        "emotion-gated-sigmoid-roberta-mean",
        "emotion_regression",
        config_kwargs=dict(backbone="roberta", head_type="gated", gate_activation="sigmoid", pooling="mean"),
    ),
    ModelCase(
        "emotion-moe-cls",
        "emotion_regression",
        config_kwargs=dict(head_type="moe", num_experts=3, pooling="cls", output_router_logits=True),
    ),
    ModelCase("amsra-model", "amsra_net", body=True),
    ModelCase("amsra-classifier", "amsra_net"),
    ModelCase(
        "amsra-no-lgsa-single-scale",
        "amsra_net",
        config_kwargs=dict(use_lgsa=False, use_multi_scale=False, classification_loss="combined"),
    ),
    # The ResNet body is transformers' own (its pooled output keeps 1x1 spatial axes), so only the task model runs.
    ModelCase("resnet18-cifar-baseline", "cifar_resnet"),
    ModelCase("cct-model", "cct", body=True),
    ModelCase("cct-classifier", "cct"),
    ModelCase("cct-no-pool-focal", "cct", config_kwargs=dict(tokenizer_pool=False, classification_loss="focal")),
]


@dataclass
class BatteryCase:
    """How transformers' own test battery (`test_transformers_battery.py`) runs on one family.

    `config_kwargs` go to the family's tiny config maker (`TINY_CONFIGS`); `config_tester` to transformers'
    `ConfigTester` (scalar config arguments only: it compares them with the JSON it reads back, and a nested backbone
    dict comes back with the encoder's defaults filled in); `tester_attributes` are what the battery's checks read
    from a model tester (sequence length, hidden size, layer count ...); `stage_shapes` (channels, side) of each hidden
    state replace the battery's transformer-shaped hidden-states check for a convolutional network;
    `not_applicable` names battery tests that cannot apply, with the reason."""

    model_type: str
    config_kwargs: dict = field(default_factory=dict)
    config_tester: dict = field(default_factory=dict)
    tester_attributes: dict = field(default_factory=dict)
    has_attentions: bool = True
    stage_shapes: tuple | None = None
    task_model_only: bool = False  # the body is transformers' own class, tested by transformers
    not_applicable: dict = field(default_factory=dict)

    @property
    def family(self):
        return FAMILIES_BY_MODEL_TYPE[self.model_type]


TEXT_TESTER = dict(
    seq_length=SEQ,
    vocab_size=VOCAB,
    hidden_size=HIDDEN,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_labels=3,
    type_sequence_label_size=3,
)
NO_TOKEN_EMBEDDINGS = {"test_model_get_set_embeddings": "an image model has no token embeddings"}
CNN_STAGE_SHAPES = ((8, 16), (8, 16), (16, 8), (16, 4), (32, 2))  # stem and 4 stages of the tiny 16x16 networks

BATTERY_CASES = [
    BatteryCase(
        "amsdff",
        config_kwargs=dict(num_labels=3, **AMSDFF_EVERY_MODULE_ARGUMENTS),
        config_tester=dict(
            has_text_modality=False, num_experts=4, classification_loss="focal", pooling_fusion="weighted"
        ),
        tester_attributes=TEXT_TESTER,
    ),
    BatteryCase(
        "emotion_regression",
        # One target (the battery's sequence-classification label tests pass one per example), with statistics as
        # train.py stores them: re-heading the model (the mismatched-shapes tests load it with num_labels=42) must
        # drop the statistics of the old targets.
        config_kwargs=dict(head_type="moe", num_labels=1, label_means=(0.5,), label_scales=(2.0,)),
        config_tester=dict(has_text_modality=False, head_type="gated", gate_activation="sigmoid", huber_delta=0.5),
        tester_attributes={**TEXT_TESTER, "num_labels": 1},
    ),
    BatteryCase(
        "amsra_net",
        config_tester=dict(
            has_text_modality=False,
            common_properties=["hidden_size", "num_channels", "image_size"],
            num_channels=1,
            depths=[1, 2, 2, 1],
            use_lgsa=False,
        ),
        tester_attributes=dict(num_channels=3, image_size=16, num_labels=3),
        has_attentions=False,  # LGSA computes its attention with SDPA and returns none
        stage_shapes=CNN_STAGE_SHAPES,
        not_applicable=NO_TOKEN_EMBEDDINGS,
    ),
    BatteryCase(
        "cct",
        config_tester=dict(
            has_text_modality=False,
            common_properties=["hidden_size", "num_channels", "image_size", "num_hidden_layers"],
            num_channels=1,
            mlp_ratio=3.0,
            tokenizer_pool=False,
        ),
        # 16x16 images, a stride-1 convolution and a stride-2 max pool: 8x8 = 64 tokens of width 16
        tester_attributes=dict(
            num_channels=3, image_size=16, num_labels=3, seq_length=64, hidden_size=16, num_hidden_layers=2
        ),
        has_attentions=False,  # attention through SDPA, no weights returned
        not_applicable=NO_TOKEN_EMBEDDINGS,
    ),
    BatteryCase(
        "cifar_resnet",
        config_tester=dict(
            has_text_modality=False,
            common_properties=["num_channels", "hidden_sizes", "embedding_size"],
            layer_type="bottleneck",
            num_channels=1,
        ),
        tester_attributes=dict(num_channels=3, image_size=16, num_labels=3),
        has_attentions=False,
        stage_shapes=CNN_STAGE_SHAPES,
        task_model_only=True,
        not_applicable=NO_TOKEN_EMBEDDINGS,
    ),
]
