# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Hugging Face-native implementations of AMSDFF (and, as they land, the other model families of this package).

Importing the package registers every config and model with the `Auto*` classes and marks them for saving with
their code, so that `save_pretrained` writes a folder that `AutoModelFor<Task>.from_pretrained(folder,
trust_remote_code=True)` loads where this package is not installed. This file is never copied to the Hub.
"""

from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification

from .configuration_amsdff import AmsdffConfig
from .configuration_emotion_regression import EmotionRegressionConfig
from .modeling_amsdff import AmsdffForSequenceClassification, AmsdffModel, AmsdffPreTrainedModel
from .modeling_emotion_regression import (
    EmotionRegressionForSequenceClassification,
    EmotionRegressionModel,
    EmotionRegressionPreTrainedModel,
)


__version__ = "0.1.0"

for config_class, body_class, task_class in (
    (AmsdffConfig, AmsdffModel, AmsdffForSequenceClassification),
    (EmotionRegressionConfig, EmotionRegressionModel, EmotionRegressionForSequenceClassification),
):
    AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
    AutoModel.register(config_class, body_class, exist_ok=True)
    AutoModelForSequenceClassification.register(config_class, task_class, exist_ok=True)
    config_class.register_for_auto_class()
    body_class.register_for_auto_class("AutoModel")
    task_class.register_for_auto_class("AutoModelForSequenceClassification")

__all__ = [
    "AmsdffConfig",
    "AmsdffForSequenceClassification",
    "AmsdffModel",
    "AmsdffPreTrainedModel",
    "EmotionRegressionConfig",
    "EmotionRegressionForSequenceClassification",
    "EmotionRegressionModel",
    "EmotionRegressionPreTrainedModel",
]
