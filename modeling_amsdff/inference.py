# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Inference on a saved model folder of any family, shared by the ONNX export, the REST server and the inference
benchmark: load the model with its tokenizer or image processor, turn raw texts or images into model inputs, and
turn logits into readable predictions (label and scores, the labels above 0.5, or named regression values). Not
copied to the Hub with a model."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass

import torch
from PIL import Image
from safetensors import SafetensorError
from transformers import (
    AutoImageProcessor,
    AutoModelForImageClassification,
    AutoModelForSequenceClassification,
    AutoTokenizer,
)

from .registry import FAMILIES_BY_MODEL_TYPE, TEXT_REGRESSION
from .text_cleaning import check_steps, clean_text


class InferenceInputError(ValueError):
    """Raised for inputs a model cannot take (empty text, an image of the wrong kind ...); the message names it."""


class InputTooLargeError(InferenceInputError):
    """Raised for an input over a size limit (a text too long, an image with too many pixels)."""


# The formats an image model is fed. Others are refused before Pillow parses them: an ICO, for one, decodes the
# largest image it holds inside `Image.open`, before any size can be checked.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")


def check_frames(image: Image.Image, where: str, max_pixels: int) -> None:
    """Refuse an image with a frame over `max_pixels`, read from the headers before any pixel is decoded: the first
    frame (the canvas of an animated GIF or PNG, whose frames are drawn into it), and every page of a TIFF, whose pages
    may each be of any size (seeking to a TIFF page reads its header only)."""
    sizes = [image.size]
    if image.format == "TIFF":
        for page in range(1, getattr(image, "n_frames", 1)):
            image.seek(page)
            sizes.append(image.size)
        image.seek(0)
    for page, (width, height) in enumerate(sizes):
        if width * height > max_pixels:
            frame = f" (frame {page})" if page else ""
            raise InputTooLargeError(
                f"{where} is a {width}x{height} image{frame} ({width * height:,} pixels); the limit is "
                f"{max_pixels:,} pixels per image."
            )


def open_image(item, index: int, max_pixels: int | None = None) -> Image.Image:
    """Item `index` as a decoded PIL image: a PIL image, a path, or an open binary file of one of `IMAGE_FORMATS`. The
    size of every frame is read from the headers and checked against `max_pixels` before any pixel is decoded (PIL's
    decompression-bomb check as well); only the first frame is decoded."""
    if isinstance(item, Image.Image):
        return item
    if not isinstance(item, (str, os.PathLike, io.IOBase)):
        raise InferenceInputError(f"Item {index} is a {type(item).__name__}, not an image.")
    where = f"Item {index}" + (f" ({item})" if isinstance(item, (str, os.PathLike)) else "")
    try:
        image = Image.open(item, formats=IMAGE_FORMATS)
        if max_pixels is not None:
            check_frames(image, where, max_pixels)
        image.load()
    except InputTooLargeError:
        raise
    except Image.DecompressionBombError as error:
        raise InputTooLargeError(f"{where} is too large to decode safely: {error}") from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:  # UnidentifiedImageError is an OSError
        raise InferenceInputError(
            f"{where} is not an image file that PIL can read in a format the model takes "
            f"({', '.join(IMAGE_FORMATS)}): {error}"
        ) from error
    return image


class SavedModelError(ValueError):
    """Raised for a saved model folder that cannot be loaded (missing, truncated or foreign); names the folder."""


@dataclass
class LoadedModel:
    model: torch.nn.Module
    processor: object  # tokenizer or image processor
    kind: str  # "text" or "image"
    folder: str
    max_length: int = 128
    problem_type: str = "single_label_classification"
    text_cleaning: list[str] | None = None  # the config's cleaning steps (`text_cleaning.clean_text`), for texts

    @property
    def config(self):
        return self.model.config

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
            "model": os.path.basename(os.path.normpath(self.folder)),  # not the server's own file system path
            **({"text_cleaning": self.text_cleaning} if self.kind == "text" else {}),
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
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError as error:  # a lone surrogate ("\ud800"): no character, and no token
                    raise InferenceInputError(
                        f"Item {i} is not valid Unicode text: {error.object[error.start : error.end]!r} at position "
                        f"{error.start} is half of a surrogate pair, not a character."
                    ) from None
            if self.text_cleaning:
                items = [clean_text(text, self.text_cleaning) for text in items]
                for i, text in enumerate(items):
                    if not text:
                        raise InferenceInputError(
                            f"Item {i} is empty after the model's text cleaning ({', '.join(self.text_cleaning)}): "
                            "nothing of it is left for the model to read."
                        )
            encoded = self.processor(
                items, padding=padding, truncation=True, max_length=self.max_length, return_tensors="pt"
            )
            return {name: encoded[name] for name in self.input_names}
        images = [open_image(item, i) for i, item in enumerate(items)]
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


WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


def load_saved(load, path: str, **kwargs):
    """`load(path, **kwargs)` (a `from_pretrained`), with an error that names the folder and its weights file when the
    saved model cannot be read (a truncated `model.safetensors`, a missing file ...)."""
    try:
        return load(path, **kwargs)
    except (OSError, RuntimeError, json.JSONDecodeError, SafetensorError) as error:  # not a config's ValueError
        weights = [name for name in WEIGHT_FILES if os.path.isfile(os.path.join(str(path), name))]
        where = f" ({', '.join(weights)})" if weights else ""
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SavedModelError(
            f"Cannot load the model saved in {path!r}{where}: {type(error).__name__}: {message}"
        ) from error


def load_for_inference(folder: str, max_length: int = 128, trust_remote_code: bool = False) -> LoadedModel:
    """The model saved in `folder` in eval mode, with its tokenizer or image processor.

    A model of one of this package's families loads with this package's classes: the folder's Python files are not
    run. Any other model type runs the folder's own code, which needs `trust_remote_code=True`, as in transformers.
    """
    config_path = os.path.join(folder, "config.json")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(f"{folder!r} holds no saved model (no config.json).")
    try:
        with open(config_path) as handle:
            config = json.load(handle)
    except (OSError, ValueError) as error:
        raise SavedModelError(f"{config_path!r} cannot be read as JSON: {error}") from error
    if not isinstance(config, dict):
        raise SavedModelError(f"{config_path!r} holds a JSON {type(config).__name__}, not a model config (an object).")
    try:
        cleaning = check_steps(config.get("text_cleaning"), f"text_cleaning in {config_path}")
    except ValueError as error:
        raise SavedModelError(str(error)) from None
    model_type = config.get("model_type")
    if model_type in FAMILIES_BY_MODEL_TYPE:
        family = FAMILIES_BY_MODEL_TYPE[model_type]
        is_image, auto_class = family.is_image, family.auto_class
        trust_remote_code = False  # this package's own classes
    elif not trust_remote_code:
        raise SavedModelError(
            f"{folder!r} holds a {model_type!r} model, not one of this package's ({sorted(FAMILIES_BY_MODEL_TYPE)}); "
            "loading it would run the Python code in that folder: pass --trust_remote_code if you trust it."
        )
    else:
        is_image = os.path.isfile(os.path.join(folder, "preprocessor_config.json"))
        auto_class = AutoModelForImageClassification if is_image else AutoModelForSequenceClassification
    model = load_saved(auto_class.from_pretrained, folder, trust_remote_code=trust_remote_code)
    if is_image:
        processor, kind = AutoImageProcessor.from_pretrained(folder, trust_remote_code=trust_remote_code), "image"
    else:
        processor, kind = AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code), "text"
    problem_type = model.config.problem_type or "single_label_classification"
    if model_type in FAMILIES_BY_MODEL_TYPE and FAMILIES_BY_MODEL_TYPE[model_type].task == TEXT_REGRESSION:
        problem_type = "regression"
    return LoadedModel(model.eval(), processor, kind, folder, max_length, problem_type, cleaning)
