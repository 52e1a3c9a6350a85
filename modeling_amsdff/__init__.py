# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Hugging Face-native implementations of AMSDFF, the emotion-regression heads (base, gated, mixture of experts),
AMSRA-Net and its CIFAR ResNet baseline.

Importing the package registers every family of `registry.FAMILIES` with the `Auto*` classes and marks its classes
for saving with their code, so that `save_pretrained` writes a folder that `AutoModelFor<Task>.from_pretrained(folder,
trust_remote_code=True)` loads where this package is not installed. This file is never copied to the Hub.
"""

from transformers import AutoConfig, AutoImageProcessor, AutoModel

from .configuration_amsdff import AmsdffConfig
from .configuration_amsra_net import AmsraNetConfig
from .configuration_cifar_resnet import CifarResNetConfig
from .configuration_emotion_regression import EmotionRegressionConfig
from .configuration_versions import PACKAGE_VERSION
from .image_processing_amsra_net import AmsraNetImageProcessor
from .image_processing_channel_conversion import ChannelConvertingImageProcessor
from .image_processing_cifar_resnet import CifarResNetImageProcessor
from .modeling_amsdff import AmsdffForSequenceClassification, AmsdffModel, AmsdffPreTrainedModel
from .modeling_amsra_net import AmsraNetForImageClassification, AmsraNetModel, AmsraNetPreTrainedModel
from .modeling_cifar_resnet import CifarResNetForImageClassification, CifarResNetModel
from .modeling_emotion_regression import (
    EmotionRegressionForSequenceClassification,
    EmotionRegressionModel,
    EmotionRegressionPreTrainedModel,
)
from .registry import FAMILIES


__version__ = PACKAGE_VERSION

for _family in FAMILIES:
    AutoConfig.register(_family.model_type, _family.config_class, exist_ok=True)
    AutoModel.register(_family.config_class, _family.body_class, exist_ok=True)
    _family.auto_class.register(_family.config_class, _family.model_class, exist_ok=True)
    _family.config_class.register_for_auto_class()
    _family.body_class.register_for_auto_class("AutoModel")
    _family.model_class.register_for_auto_class(_family.auto_class.__name__)
    if _family.image_processor_class is not None:
        AutoImageProcessor.register(
            _family.config_class, image_processor_classes={"pil": _family.image_processor_class}, exist_ok=True
        )
        _family.image_processor_class.register_for_auto_class("AutoImageProcessor")
del _family

__all__ = [
    "AmsdffConfig",
    "AmsdffForSequenceClassification",
    "AmsdffModel",
    "AmsdffPreTrainedModel",
    "AmsraNetConfig",
    "AmsraNetForImageClassification",
    "AmsraNetImageProcessor",
    "AmsraNetModel",
    "AmsraNetPreTrainedModel",
    "ChannelConvertingImageProcessor",
    "CifarResNetConfig",
    "CifarResNetForImageClassification",
    "CifarResNetImageProcessor",
    "CifarResNetModel",
    "EmotionRegressionConfig",
    "EmotionRegressionForSequenceClassification",
    "EmotionRegressionModel",
    "EmotionRegressionPreTrainedModel",
]
