# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Inference on a saved model folder of any family, shared by the ONNX export, the REST server and the inference
benchmark: load the model with its tokenizer or image processor, turn raw texts or images into model inputs, and
turn logits into readable predictions (label and scores, the labels above 0.5, or named regression values). Not
copied to the Hub with a model."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import torch
from PIL import Image
from transformers import AutoConfig, AutoImageProcessor, AutoTokenizer

from .registry import TEXT_REGRESSION, family_for


class InferenceInputError(ValueError):
    """Raised for inputs a model cannot take (empty text, an image of the wrong kind ...); the message names it."""


@dataclass
class LoadedModel:
    model: torch.nn.Module
    processor: object  # tokenizer or image processor
    kind: str  # "text" or "image"
    folder: str
    max_length: int = 128

    @property
    def config(self):
        return self.model.config

    @property
    def problem_type(self) -> str:
        if family_for(self.config).task == TEXT_REGRESSION:
            return "regression"
        return self.config.problem_type or "single_label_classification"

    @property
    def input_names(self) -> list[str]:
        return ["pixel_values"] if self.kind == "image" else ["input_ids", "attention_mask"]

    def info(self) -> dict:
        return {
            "model_type": self.config.model_type,
            "architectures": self.config.architectures,
            "kind": self.kind,
            "problem_type": self.problem_type,
            "labels": [self.config.id2label[i] for i in range(self.config.num_labels)],
            "num_parameters": sum(p.numel() for p in self.model.parameters()),
            "folder": self.folder,
        }

    def preprocess(self, items: list, padding: bool | str = True) -> dict[str, torch.Tensor]:
        """Model inputs for a batch of texts (str) or images (PIL images, paths to image files, or open binary
        files such as `io.BytesIO`). `padding` is the tokenizer's: to the longest text, or "max_length"."""
        if not items:
            raise InferenceInputError("The batch is empty: send at least one text or image.")
        if self.kind == "text":
            for i, text in enumerate(items):
                if not isinstance(text, str) or not text.strip():
                    found = "an empty text" if isinstance(text, str) else f"of type {type(text).__name__}"
                    raise InferenceInputError(f"Item {i} is {found}: every item must be a non-empty string.")
            encoded = self.processor(
                items, padding=padding, truncation=True, max_length=self.max_length, return_tensors="pt"
            )
            return {name: encoded[name] for name in self.input_names}
        images = []
        for i, item in enumerate(items):
            if isinstance(item, (str, os.PathLike, io.IOBase)):
                where = f" ({item})" if isinstance(item, (str, os.PathLike)) else ""
                try:
                    item = Image.open(item)
                    item.load()
                except (OSError, ValueError) as error:  # UnidentifiedImageError is an OSError
                    raise InferenceInputError(f"Item {i}{where} is not an image file PIL can read: {error}") from error
            if not isinstance(item, Image.Image):
                raise InferenceInputError(f"Item {i} is a {type(item).__name__}, not an image.")
            images.append(item)
        return {"pixel_values": self.processor(images, return_tensors="pt")["pixel_values"]}

    def postprocess(self, logits: torch.Tensor) -> list[dict]:
        """One readable prediction per row of `logits`."""
        labels = [self.config.id2label[i] for i in range(self.config.num_labels)]
        logits = torch.as_tensor(logits).float()
        if self.problem_type == "regression":
            return [{"values": dict(zip(labels, row.tolist()))} for row in logits]
        if self.problem_type == "multi_label_classification":
            scores = torch.sigmoid(logits)
            return [
                {
                    "labels": [labels[j] for j in range(len(labels)) if row[j] > 0.5],
                    "scores": dict(zip(labels, row.tolist())),
                }
                for row in scores
            ]
        scores = torch.softmax(logits, dim=-1)
        return [
            {"label": labels[int(row.argmax())], "score": float(row.max()), "scores": dict(zip(labels, row.tolist()))}
            for row in scores
        ]

    @torch.no_grad()
    def predict(self, items: list) -> list[dict]:
        return self.postprocess(self.model(**self.preprocess(items)).logits)


def load_for_inference(folder: str, max_length: int = 128) -> LoadedModel:
    """The model saved in `folder` (any family of this package) in eval mode, with its tokenizer or image processor."""
    if not os.path.isfile(os.path.join(folder, "config.json")):
        raise FileNotFoundError(f"{folder!r} holds no saved model (no config.json).")
    config = AutoConfig.from_pretrained(folder, trust_remote_code=True)
    family = family_for(config)
    model = family.auto_class.from_pretrained(folder, trust_remote_code=True)
    if family.is_image:
        processor, kind = AutoImageProcessor.from_pretrained(folder, trust_remote_code=True), "image"
    else:
        processor, kind = AutoTokenizer.from_pretrained(folder, trust_remote_code=True), "text"
    return LoadedModel(model.eval(), processor, kind, folder, max_length)
