# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""The model families of this package, one entry each: what `train.py --model_type` builds, and every fact about a
family that the training scripts, the model card, LoRA, the inference helpers, the `Auto*` registration and the tests
need. Adding a family means its own configuration/modeling files plus one `ModelFamily` entry in `FAMILIES` (or, from
outside the package, one `register_family` call): the exports, the `Auto*` registration, `train.py --model_type`, the
card, LoRA, export, serving and the shared tests follow from the entry.

Never copied to the Hub (no file a saved model carries imports it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from transformers import (
    AutoConfig,
    AutoImageProcessor,
    AutoModel,
    AutoModelForImageClassification,
    AutoModelForSequenceClassification,
    PreTrainedConfig,
)

from .configuration_amsdff import AmsdffConfig
from .configuration_amsra_net import AmsraNetConfig
from .configuration_cct import CctConfig
from .configuration_cifar_resnet import CifarResNetConfig
from .configuration_emotion_regression import EmotionRegressionConfig
from .image_processing_amsra_net import AmsraNetImageProcessor
from .image_processing_cct import CctImageProcessor
from .image_processing_cifar_resnet import CifarResNetImageProcessor
from .modeling_amsdff import AmsdffForSequenceClassification, AmsdffModel
from .modeling_amsra_net import AmsraNetForImageClassification, AmsraNetModel
from .modeling_cct import CctForImageClassification, CctModel
from .modeling_cifar_resnet import CifarResNetForImageClassification, CifarResNetModel
from .modeling_emotion_regression import EmotionRegressionForSequenceClassification, EmotionRegressionModel


logger = logging.getLogger("train")  # the training scripts' logger: a renamed --model_type is said there


# What a family does with its inputs; the training script, the card template and the server follow from it.
TEXT_CLASSIFICATION = "text-classification"  # one label (or several) per text; also regression with num_labels=1
TEXT_REGRESSION = "text-regression"  # a vector of continuous scores per text
IMAGE_CLASSIFICATION = "image-classification"
TASKS = (TEXT_CLASSIFICATION, TEXT_REGRESSION, IMAGE_CLASSIFICATION)

# Offline data sets (see data.py) a family trains on when the user names none.
ROTTEN_TOMATOES_NAME = "rotten_tomatoes_offline"
VADER_NAME = "vader_offline"
FASHION_MNIST_NAME = "fashion_mnist_offline"

# Attention projections of the encoders transformers ships (BERT/MiniLM/RoBERTa: query/key/value; DistilBERT:
# q_lin/k_lin/v_lin; DeBERTa-v2: query_proj/key_proj/value_proj; most others: q_proj/k_proj/v_proj).
ENCODER_ATTENTION_PROJECTIONS = (
    "query",
    "key",
    "value",
    "q_lin",
    "k_lin",
    "v_lin",
    "query_proj",
    "key_proj",
    "value_proj",
    "q_proj",
    "k_proj",
    "v_proj",
)


@dataclass(frozen=True)
class ModelFamily:
    """One model family: a config class, its body and task model, and what the tooling around them needs.

    Attributes:
        config_class: the family's `PreTrainedConfig`; its `model_type` keys the family.
        body_class / model_class: the `AutoModel` body and the task model.
        auto_class: the `Auto*` class that loads the task model.
        task: one of `TASKS`.
        presets: `--model_type` name -> the config arguments that define it (`{}`: the config's defaults).
        describe: `config -> (architecture summary, one-paragraph description, tags)` for the model card (tags
            besides `custom_code`).
        lora_target_modules: module names (or dotted name suffixes) inside the LoRA body (the encoder for text
            families, the whole network for image families) that get adapters by default.
        default_dataset: the offline data set trained on when no data is given.
        default_label_columns: regression targets of `default_dataset` (text regression only).
        image_processor_class: the processor saved with an image model.
        trainer_label_smoothing: `--label_smoothing_factor` when it is not given: for families whose loss has no
            label smoothing of its own (the ResNet), the Trainer's keeps the image recipe the same for every family.
        trainer_learning_rate: `--learning_rate` when it is not given, for a family the image recipe's learning rate
            does not train (None: the recipe's, `IMAGE_LEARNING_RATE`). Chosen on the validation split
            (benchmarks/results/image_classification.md).
        renamed_presets: earlier `--model_type` names -> today's preset names; still accepted, with a warning.
    """

    config_class: type[PreTrainedConfig]
    body_class: type
    model_class: type
    auto_class: type
    task: str
    presets: dict[str, dict]
    describe: Callable[[PreTrainedConfig], tuple[str, str, tuple[str, ...]]]
    lora_target_modules: tuple[str, ...]
    default_dataset: str
    default_label_columns: tuple[str, ...] = ()
    image_processor_class: type | None = None
    trainer_label_smoothing: float = 0.0
    trainer_learning_rate: float | None = None
    renamed_presets: dict[str, str] = field(default_factory=dict)

    @property
    def model_type(self) -> str:
        return self.config_class.model_type

    @property
    def is_image(self) -> bool:
        return self.task == IMAGE_CLASSIFICATION


# ---- the card's description of each family --------------------------------------------------------------------


def describe_amsdff(config: AmsdffConfig) -> tuple[str, str, tuple[str, ...]]:
    """The card's summary, description and tags: the modules this model has, and those it has switched off."""
    switches = (
        ("a feature enhancer", "the feature enhancer", config.use_feature_enhancer),
        (
            f"multi-scale attention (windows {tuple(config.scales)})",
            "the multi-scale attention",
            config.use_multi_scale_attention,
        ),
        (
            f"dynamic expert fusion ({config.num_experts} experts)",
            "the dynamic expert fusion",
            config.use_dynamic_fusion,
        ),
    )
    modules = [name for name, _, on in switches if on]
    off = [name for _, name, on in switches if not on]
    sizes = config.classifier_layer_sizes()
    pooling = f"{config.pooling_modes}" + (f" ({config.pooling_fusion})" if len(config.pooling_modes) > 1 else "")
    summarised = " + ".join(name.removeprefix("a ") for name in modules) or "no AMSDFF modules"
    summary = (
        f"{config.backbone_config.model_type} encoder ({config.hidden_size} hidden) + {summarised} + "
        f"pooling {pooling} + "
        f"{'MLP classifier ' + str(sizes) if sizes else 'linear classifier'}; loss {config.classification_loss}"
    )
    head = f"an MLP classifier (hidden sizes {sizes})" if sizes else "a linear classifier"
    pooled = (
        " + ".join(config.pooling_modes)
        + " pooling"
        + (f" ({config.pooling_fusion} fusion)" if len(config.pooling_modes) > 1 else "")
    )
    if not modules:
        baseline = tuple(config.pooling_modes) == ("cls",) and not sizes
        what = "the AMSDFF baseline: every AMSDFF module off" if baseline else "every AMSDFF module off"
        return (
            summary,
            f"A text classifier: a pretrained encoder, {pooled} and {head} ({what}).",
            ("text-classification",),
        )
    description = (
        "An **AMSDFF** (Advanced Multi-Scale Dynamic Feature Fusion) text classifier: a pretrained encoder with "
        f"{', '.join(modules)}, {pooled} and {head}."
    )
    if off:
        description += f" Switched off in this model: {' and '.join(off)}."
    return summary, description, ("amsdff", "text-classification")


def describe_emotion_regression(config: EmotionRegressionConfig) -> tuple[str, str, tuple[str, ...]]:
    head = {
        "base": "the base MLP head",
        "gated": f"a gated head ({config.gate_activation} gate)",
        "moe": f"a mixture of {config.num_experts} experts",
    }[config.head_type]
    summary = (
        f"{config.backbone_config.model_type} encoder ({config.hidden_size} hidden), pooling {config.pooling}, "
        f"{head}; loss {config.regression_loss}"
    )
    return (
        summary,
        f"A multi-dimensional regression model: a pretrained encoder with {head}, predicting {config.num_labels} "
        "continuous score(s) in the targets' original units.",
        ("emotion-regression", "regression", f"head-{config.head_type}"),
    )


def describe_amsra_net(config: AmsraNetConfig) -> tuple[str, str, tuple[str, ...]]:
    ablations = [
        name
        for name, off in (
            ("no LGSA", not config.use_lgsa),
            ("single-scale MSFD", not config.use_multi_scale),
            ("no LGSA gate", config.use_lgsa and not config.use_lgsa_gate),
        )
        if off
    ]
    summary = (
        f"AMSRA-Net, {config.num_channels}x{config.image_size}x{config.image_size} input, stem "
        f"{config.stem_channels}, stages {tuple(config.hidden_sizes)} x depths {tuple(config.depths)}, MSFD "
        f"{config.msfd_groups} groups (dilations {tuple(config.msfd_dilations)}) x {config.decouplers_per_unit} per "
        f"unit, LGSA reduction {config.lgsa_reduction}, keys/values "
        f"{'at full resolution' if config.lgsa_key_value_size is None else f'pooled to {config.lgsa_key_value_size}'}"
        f"{'; ablation: ' + ', '.join(ablations) if ablations else ''}; loss "
        f"{config.classification_loss}"
    )
    decouplers = (
        "multi-scale feature decouplers (channel groups convolved at different dilations)"
        if config.use_multi_scale
        else "single-scale feature decouplers (every channel group a 3x3 convolution without dilation)"
    )
    attention = (
        "no self-attention (the ablation without the gated self-attention engine)"
        if not config.use_lgsa
        else "a lightweight gated self-attention engine"
        if config.use_lgsa_gate
        else "a lightweight self-attention engine without its gate"
    )
    return (
        summary,
        f"An **AMSRA-Net** image classifier: a 3x3 stem and {len(config.hidden_sizes)} hierarchical multimodal "
        f"residual attention blocks, each made of {decouplers} and {attention}.",
        ("amsra-net", "image-classification"),
    )


def describe_cifar_resnet(config: CifarResNetConfig) -> tuple[str, str, tuple[str, ...]]:
    summary = (
        f"ResNet ({config.layer_type} blocks, depths {tuple(config.depths)}, widths {tuple(config.hidden_sizes)}) "
        f"with the CIFAR stem (3x3 stride-1 convolution, no max-pool), {config.num_channels} input channel(s)"
    )
    resnet18 = (
        config.layer_type == "basic"
        and tuple(config.depths) == (2, 2, 2, 2)
        and tuple(config.hidden_sizes) == (64, 128, 256, 512)
    )
    return (
        summary,
        f"A **{'ResNet-18' if resnet18 else 'ResNet'}** for small images (the CIFAR variant: 3x3 stem, no max-pool), "
        "built from transformers' ResNet blocks; the baseline of AMSRA-Net.",
        ("resnet", "image-classification"),
    )


def describe_cct(config: CctConfig) -> tuple[str, str, tuple[str, ...]]:
    summary = (
        f"CCT-{config.num_hidden_layers}/{config.tokenizer_kernel_size}x1: convolutional tokenizer "
        f"({config.num_tokens()} tokens of width {config.hidden_size}), {config.num_hidden_layers} transformer layers "
        f"({config.num_attention_heads} heads, MLP ratio {config.mlp_ratio:g}), sequence pooling, "
        f"{config.num_channels} input channel(s); loss {config.classification_loss}"
    )
    return (
        summary,
        "A **Compact Convolutional Transformer** (Hassani et al., 2021) for small images: a convolutional tokenizer, "
        "a small transformer encoder and sequence pooling; the transformer baseline of "
        "AMSRA-Net.",
        ("cct", "vision-transformer", "image-classification"),
    )


# ---- the families ----------------------------------------------------------------------------------------------

# Every AMSDFF module off: "encoder + CLS pooling + linear head" trained with cross-entropy, the baseline of the paper.
AMSDFF_BASELINE_ARGUMENTS = {
    "use_feature_enhancer": False,
    "use_multi_scale_attention": False,
    "use_dynamic_fusion": False,
    "pooling_modes": ("cls",),
    "classifier_hidden_sizes": (),
    "classifier_dropout": 0.1,
    "classification_loss": "cross_entropy",
}
# Every AMSDFF module on: the defaults until 0.4.0 (the dynamic fusion is off by default since).
AMSDFF_EVERY_MODULE_ARGUMENTS = {
    "use_feature_enhancer": True,
    "use_multi_scale_attention": True,
    "use_dynamic_fusion": True,
}

BUILT_IN_FAMILIES = (
    ModelFamily(
        config_class=AmsdffConfig,
        body_class=AmsdffModel,
        model_class=AmsdffForSequenceClassification,
        auto_class=AutoModelForSequenceClassification,
        task=TEXT_CLASSIFICATION,
        presets={"amsdff": {}, "baseline": AMSDFF_BASELINE_ARGUMENTS},
        describe=describe_amsdff,
        lora_target_modules=ENCODER_ATTENTION_PROJECTIONS,
        default_dataset=ROTTEN_TOMATOES_NAME,
    ),
    ModelFamily(
        config_class=EmotionRegressionConfig,
        body_class=EmotionRegressionModel,
        model_class=EmotionRegressionForSequenceClassification,
        auto_class=AutoModelForSequenceClassification,
        task=TEXT_REGRESSION,
        presets={
            "base_regression": {"head_type": "base"},
            "gated_regression": {"head_type": "gated"},
            "moe_regression": {"head_type": "moe"},
        },
        # the seed's names, which said BERT although the default encoder is MiniLM (any encoder works)
        renamed_presets={"bert_regression": "base_regression", "gated_bert": "gated_regression"},
        describe=describe_emotion_regression,
        lora_target_modules=ENCODER_ATTENTION_PROJECTIONS,
        default_dataset=VADER_NAME,
        default_label_columns=("valence_mean", "valence_std"),
    ),
    ModelFamily(
        config_class=AmsraNetConfig,
        body_class=AmsraNetModel,
        model_class=AmsraNetForImageClassification,
        auto_class=AutoModelForImageClassification,
        task=IMAGE_CLASSIFICATION,
        presets={"amsra_net": {}},
        describe=describe_amsra_net,
        lora_target_modules=("query", "key", "value"),  # LGSA's 1x1 projections
        default_dataset=FASHION_MNIST_NAME,
        image_processor_class=AmsraNetImageProcessor,
    ),
    ModelFamily(
        config_class=CctConfig,
        body_class=CctModel,
        model_class=CctForImageClassification,
        auto_class=AutoModelForImageClassification,
        task=IMAGE_CLASSIFICATION,
        presets={"cct": {}},
        describe=describe_cct,
        lora_target_modules=("qkv", "proj"),  # the attention's projections
        default_dataset=FASHION_MNIST_NAME,
        image_processor_class=CctImageProcessor,
        # The recipe's learning rate leaves CCT near chance; 1e-3 was chosen on the validation split among 5e-4,
        # 1e-3 and 2e-3 (benchmarks/results/image_classification.md).
        trainer_learning_rate=1e-3,
    ),
    ModelFamily(
        config_class=CifarResNetConfig,
        body_class=CifarResNetModel,
        model_class=CifarResNetForImageClassification,
        auto_class=AutoModelForImageClassification,
        task=IMAGE_CLASSIFICATION,
        presets={"resnet18": {}},
        describe=describe_cifar_resnet,
        # No attention: every convolution, i.e. the blocks' and shortcuts' `convolution`s and the CIFAR stem's.
        lora_target_modules=("convolution", "embedder.embedder.0"),
        default_dataset=FASHION_MNIST_NAME,
        image_processor_class=CifarResNetImageProcessor,
        trainer_label_smoothing=0.1,
    ),
)

FAMILIES: list[ModelFamily] = []
FAMILIES_BY_MODEL_TYPE: dict[str, ModelFamily] = {}
# `--model_type` name -> (family, config arguments of that preset)
MODEL_TYPES: dict[str, tuple[ModelFamily, dict]] = {}
RENAMED_MODEL_TYPES: dict[str, str] = {}  # an earlier `--model_type` name -> today's


def register_family(family: ModelFamily) -> None:
    """Make `family` one of the package's: known to `train.py --model_type` (its presets), to the card, LoRA, export
    and serving (`family_for`), registered with the `Auto*` classes, and its classes marked for saving with their
    code. Refused when its model type or a preset name is taken, or its task is unknown."""
    if family.task not in TASKS:
        raise ValueError(f"ModelFamily {family.model_type!r}: task must be one of {TASKS}, got {family.task!r}.")
    if family.model_type in FAMILIES_BY_MODEL_TYPE:
        raise ValueError(f"A model family {family.model_type!r} is registered already.")
    names = [*family.presets, *family.renamed_presets]
    taken = sorted(set(names) & (set(MODEL_TYPES) | set(RENAMED_MODEL_TYPES))) or sorted(
        set(family.presets) & set(family.renamed_presets)
    )
    if taken or not family.presets:
        raise ValueError(f"ModelFamily {family.model_type!r}: its presets must be new names, {taken} are taken.")
    unknown = sorted(set(family.renamed_presets.values()) - set(family.presets))
    if unknown:
        raise ValueError(f"ModelFamily {family.model_type!r}: renamed_presets point to {unknown}, not its presets.")
    FAMILIES.append(family)
    FAMILIES_BY_MODEL_TYPE[family.model_type] = family
    MODEL_TYPES.update({name: (family, arguments) for name, arguments in family.presets.items()})
    RENAMED_MODEL_TYPES.update(family.renamed_presets)
    AutoConfig.register(family.model_type, family.config_class, exist_ok=True)
    AutoModel.register(family.config_class, family.body_class, exist_ok=True)
    family.auto_class.register(family.config_class, family.model_class, exist_ok=True)
    family.config_class.register_for_auto_class()
    family.body_class.register_for_auto_class("AutoModel")
    family.model_class.register_for_auto_class(family.auto_class.__name__)
    if family.image_processor_class is not None:
        AutoImageProcessor.register(
            family.config_class, image_processor_classes={"pil": family.image_processor_class}, exist_ok=True
        )
        family.image_processor_class.register_for_auto_class("AutoImageProcessor")


def unregister_family(model_type: str) -> None:
    """Forget a family that `register_family` added (its `Auto*` registration stays, as transformers has no undo)."""
    family = FAMILIES_BY_MODEL_TYPE.pop(model_type)
    FAMILIES.remove(family)
    for name in family.presets:
        MODEL_TYPES.pop(name, None)
    for name in family.renamed_presets:
        RENAMED_MODEL_TYPES.pop(name, None)


for _family in BUILT_IN_FAMILIES:
    register_family(_family)
del _family


def family_for(config_or_model_type: PreTrainedConfig | str | dict) -> ModelFamily:
    """The family of a config, a config dict (`config.json`) or a config `model_type`."""
    if isinstance(config_or_model_type, str):
        model_type = config_or_model_type
    elif isinstance(config_or_model_type, dict):
        model_type = config_or_model_type.get("model_type")
    else:
        model_type = config_or_model_type.model_type
    if model_type not in FAMILIES_BY_MODEL_TYPE:
        raise ValueError(
            f"{model_type!r} is not a model family of this package (known: {sorted(FAMILIES_BY_MODEL_TYPE)})."
        )
    return FAMILIES_BY_MODEL_TYPE[model_type]


def model_types_for(task: str) -> str:
    """The `--model_type` names of a task, for messages: "a, b or c"."""
    names = [name for name, (family, _) in MODEL_TYPES.items() if family.task == task]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def preset(model_type_name: str) -> tuple[ModelFamily, dict]:
    """(family, config arguments) of a `--model_type` name (an earlier name of a preset too, with a warning)."""
    if model_type_name in RENAMED_MODEL_TYPES:
        logger.warning(
            f"--model_type {model_type_name} is now called {RENAMED_MODEL_TYPES[model_type_name]} (the same model); "
            "the old name still works."
        )
        model_type_name = RENAMED_MODEL_TYPES[model_type_name]
    if model_type_name not in MODEL_TYPES:
        raise ValueError(f"--model_type must be one of {sorted(MODEL_TYPES)}, got {model_type_name!r}.")
    family, arguments = MODEL_TYPES[model_type_name]
    return family, dict(arguments)
