# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Hugging Face-native implementations of AMSDFF (and, as they land, the other model families of this package).

Importing the package registers every config and model with the `Auto*` classes and marks them for saving with
their code, so that `save_pretrained` writes a folder that `AutoModelFor<Task>.from_pretrained(folder,
trust_remote_code=True)` loads where this package is not installed. This file is never copied to the Hub.
"""

from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification

from .configuration_amsdff import AmsdffConfig
from .modeling_amsdff import AmsdffForSequenceClassification, AmsdffModel, AmsdffPreTrainedModel


__version__ = "0.1.0"

AutoConfig.register(AmsdffConfig.model_type, AmsdffConfig, exist_ok=True)
AutoModel.register(AmsdffConfig, AmsdffModel, exist_ok=True)
AutoModelForSequenceClassification.register(AmsdffConfig, AmsdffForSequenceClassification, exist_ok=True)

AmsdffConfig.register_for_auto_class()
AmsdffModel.register_for_auto_class("AutoModel")
AmsdffForSequenceClassification.register_for_auto_class("AutoModelForSequenceClassification")

__all__ = [
    "AmsdffConfig",
    "AmsdffForSequenceClassification",
    "AmsdffModel",
    "AmsdffPreTrainedModel",
]
