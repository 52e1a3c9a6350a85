# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Hugging Face-native implementations of AMSDFF (and, as they land, the other model families of this package).

Importing the package registers every config and model with the `Auto*` classes and marks them for saving with
their code, so that `save_pretrained` writes a folder that `AutoModelFor<Task>.from_pretrained(folder,
trust_remote_code=True)` loads where this package is not installed. This file is never copied to the Hub.
"""

from transformers import (
    AutoConfig,
    AutoImageProcessor,
    AutoModel,
    AutoModelForImageClassification,
    AutoModelForSequenceClassification,
)

from .configuration_amsdff import AmsdffConfig
from .configuration_amsra_net import AmsraNetConfig
from .configuration_emotion_regression import EmotionRegressionConfig
from .image_processing_amsra_net import AmsraNetImageProcessor
from .modeling_amsdff import AmsdffForSequenceClassification, AmsdffModel, AmsdffPreTrainedModel
from .modeling_amsra_net import AmsraNetForImageClassification, AmsraNetModel, AmsraNetPreTrainedModel
from .modeling_cifar_resnet import (
    CifarResNetConfig,
    CifarResNetForImageClassification,
    CifarResNetModel,
    resnet18_cifar_config,
)
from .modeling_emotion_regression import (
    EmotionRegressionForSequenceClassification,
    EmotionRegressionModel,
    EmotionRegressionPreTrainedModel,
)


__version__ = "0.1.0"

for config_class, body_class, task_class, task_auto in (
    (AmsdffConfig, AmsdffModel, AmsdffForSequenceClassification, AutoModelForSequenceClassification),
    (EmotionRegressionConfig, EmotionRegressionModel, EmotionRegressionForSequenceClassification,
     AutoModelForSequenceClassification),
    (AmsraNetConfig, AmsraNetModel, AmsraNetForImageClassification, AutoModelForImageClassification),
    (CifarResNetConfig, CifarResNetModel, CifarResNetForImageClassification, AutoModelForImageClassification),
):  # fmt: skip
    AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
    AutoModel.register(config_class, body_class, exist_ok=True)
    task_auto.register(config_class, task_class, exist_ok=True)
    config_class.register_for_auto_class()
    body_class.register_for_auto_class("AutoModel")
    task_class.register_for_auto_class(task_auto.__name__)

AutoImageProcessor.register(AmsraNetConfig, image_processor_classes={"pil": AmsraNetImageProcessor}, exist_ok=True)
AmsraNetImageProcessor.register_for_auto_class("AutoImageProcessor")

__all__ = [
    "AmsdffConfig",
    "AmsraNetConfig",
    "AmsraNetForImageClassification",
    "AmsraNetImageProcessor",
    "AmsraNetModel",
    "AmsraNetPreTrainedModel",
    "CifarResNetConfig",
    "CifarResNetForImageClassification",
    "CifarResNetModel",
    "AmsdffForSequenceClassification",
    "AmsdffModel",
    "AmsdffPreTrainedModel",
    "EmotionRegressionConfig",
    "EmotionRegressionForSequenceClassification",
    "EmotionRegressionModel",
    "EmotionRegressionPreTrainedModel",
    "resnet18_cifar_config",
]
