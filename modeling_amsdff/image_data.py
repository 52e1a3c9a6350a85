# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Image data for the training scripts: `prepare_image_data` turns the data arguments into ready splits (Hub image
datasets, local image folders in `imagefolder` layout, or the offline Fashion-MNIST) and their `DataFacts`; decoding
with errors that name the broken file; per-channel statistics of the training images for the image processor;
processing once into fixed-size tensors; and the CIFAR augmentation (random crop with padding, horizontal flip)
applied on the fly to training batches only. Not copied to the Hub with a model."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence

import datasets
import numpy as np
import torch
import torch.nn.functional as F
from datasets import DatasetDict, load_dataset
from PIL import Image, UnidentifiedImageError

from .data import (
    DataError,
    DataFacts,
    collect_labels,
    column_values,
    describe_source,
    encode_labels,
    label_kind,
    load_named_or_local,
    rename_label_column,
    split_names,
    standard_splits,
    truncate_splits,
)
from .registry import ModelFamily


IMAGE_COLUMN_CANDIDATES = ("image", "img")  # `image`: imagefolder, Fashion-MNIST; `img`: uoft-cs/cifar10
# Every image family's cost grows with the pixel count (the CIFAR stem at full resolution; CCT: a token per 4 pixels)
MAX_DEFAULT_IMAGE_SIZE = 64
GREYSCALE_MODES = ("1", "L", "LA", "I", "I;16", "F", "P;L")


def load_image_folders(dirs: dict[str, str], cache_dir: str | None = None) -> DatasetDict:
    """Local folders of class sub-folders (`train_dir/<label>/<image>`), as transformers' `run_image_classification.py`
    reads them with `imagefolder`."""
    if "train" not in dirs:
        raise DataError("--validation_dir/--test_dir need --train_dir too (or a --dataset_name).")
    for split, path in dirs.items():
        if not os.path.isdir(path):
            raise DataError(f"--{split}_dir {path!r} does not exist or is not a folder.")
    data_files = {split: os.path.join(path, "**") for split, path in dirs.items()}
    try:
        return load_dataset("imagefolder", data_files=data_files, cache_dir=cache_dir)
    except Exception as error:  # datasets raises many types for folders it cannot use
        raise DataError(
            f"Could not read the image folder(s) {list(dirs.values())}: {type(error).__name__}: {error}"
        ) from error


def check_class_folders(dirs: dict[str, str]) -> None:
    """Refuse a class folder that only the validation or test folder has (imagefolder would make it a class of the
    model that never trains on it)."""
    classes = {
        split: {entry for entry in os.listdir(path) if os.path.isdir(os.path.join(path, entry))}
        for split, path in dirs.items()
    }
    for split, names in classes.items():
        unseen = sorted(names - classes["train"])
        if unseen:
            raise DataError(
                f"Class folder(s) {unseen[:10]} of --{split}_dir {dirs[split]} are not in --train_dir: the model "
                "would get a class it never trains on. Fix the folders, or pass every class with --class_names."
            )


def prepare_image_data(
    data_args, family: ModelFamily, need_test: bool, cache_dir: str | None = None, token: str | None = None
) -> tuple[DatasetDict, DataFacts]:
    """The ready splits of an image run (the image column and the encoded `labels`) and their `DataFacts`.

    Loads `--dataset_name` (a Hub image dataset such as `uoft-cs/cifar10`, a local dataset folder, or an offline data
    set), the image folders, or, with neither, the family's offline default (Fashion-MNIST); renames and cuts the
    splits, finds the image column, truncates to the --max_*_samples and encodes the labels.
    """
    dirs = {"train": data_args.train_dir, "validation": data_args.validation_dir, "test": data_args.test_dir}
    dirs = {split: path for split, path in dirs.items() if path is not None}
    dataset_name = data_args.dataset_name or (None if dirs else family.default_dataset)
    raw = load_named_or_local(dataset_name, data_args, lambda: load_image_folders(dirs, cache_dir), cache_dir, token)
    raw = standard_splits(raw, data_args, need_test, validation_fraction=data_args.train_val_split)
    raw = rename_label_column(raw, data_args.label_column_name or "label")
    image_column = find_image_column(raw["train"], data_args.image_column_name)
    kind = label_kind(raw, False)
    if kind != "single_label_classification":
        raise DataError(f"Image models classify one label per image; the 'label' column looks {kind}.")
    if dirs and not data_args.class_names:
        check_class_folders(dirs)
    raw = truncate_splits(raw, data_args)
    label_names = collect_labels(raw, kind, split_names(data_args.class_names), dirs)
    splits = encode_labels(raw, kind, {name: i for i, name in enumerate(label_names)})
    sizes = {name: len(split) for name, split in splits.items()}
    source = describe_source(dataset_name, data_args.train_dir)
    return splits, DataFacts(
        **source, problem_type=kind, label_names=label_names, num_examples=sizes, image_column=image_column
    )


def find_image_column(dataset: datasets.Dataset, requested: str | None) -> str:
    """The image column: the one asked for, else `image`, else `img`; a clear error naming the columns otherwise."""
    candidates = [requested] if requested else list(IMAGE_COLUMN_CANDIDATES)
    for name in candidates:
        if name in dataset.column_names:
            if not isinstance(dataset.features[name], datasets.Image):
                raise DataError(f"Column {name!r} holds {dataset.features[name]}, not images.")
            return name
    raise DataError(
        f"No image column {' or '.join(map(repr, candidates))}; the columns are {dataset.column_names}. "
        "Choose it with --image_column_name."
    )


def open_image(value: dict | Image.Image, where: str) -> Image.Image:
    """Decode one image of an undecoded `datasets.Image` column, fully, so a truncated file fails here.

    Raises:
        DataError: naming `where` (split and row) and the file, if the bytes are not a readable image.
    """
    if isinstance(value, Image.Image):
        return value
    path = value.get("path")
    try:
        image = Image.open(io.BytesIO(value["bytes"])) if value.get("bytes") else Image.open(path)
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        source = f" ({path})" if path else ""
        raise DataError(f"Image at {where}{source} cannot be read: {error}. Remove or replace the file.") from error
    return image


def _sample_images(dataset: datasets.Dataset, image_column: str, limit: int, split: str) -> list[Image.Image]:
    undecoded = dataset.cast_column(image_column, datasets.Image(decode=False))
    count = min(limit, len(undecoded))
    return [open_image(undecoded[i][image_column], f"row {i} of the {split!r} split") for i in range(count)]


def image_names(dataset: datasets.Dataset, image_column: str) -> list[str]:
    """What names each image of a split for a person: its file (relative to the working folder when inside it), or
    its row when the images have no files (an in-memory data set such as Fashion-MNIST)."""
    values = column_values(dataset.cast_column(image_column, datasets.Image(decode=False)), image_column)
    names = []
    for index, value in enumerate(values):
        path = value.get("path") if isinstance(value, dict) else None
        if path and os.path.isabs(path) and os.path.commonpath([path, os.getcwd()]) == os.getcwd():
            path = os.path.relpath(path)
        names.append(path or f"row {index} of the test split")
    return names


def infer_image_geometry(train: datasets.Dataset, image_column: str, sample: int = 64) -> tuple[int, int]:
    """(channels, side) for a new model from the first training images: 1 channel if they are all greyscale, else 3;
    side = the smallest image side, capped at `MAX_DEFAULT_IMAGE_SIZE` (28 for Fashion-MNIST, 32 for CIFAR-10)."""
    images = _sample_images(train, image_column, sample, "train")
    channels = 1 if all(image.mode in GREYSCALE_MODES for image in images) else 3
    side = min(min(image.size) for image in images)
    return channels, min(side, MAX_DEFAULT_IMAGE_SIZE)


def channel_statistics(
    train: datasets.Dataset, image_column: str, num_channels: int, size: int, max_images: int = 10_000
) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation of (up to `max_images`) training images in [0, 1], after conversion to
    `num_channels` and resizing to `size` x `size`, for the image processor's normalisation."""
    total = np.zeros(num_channels)
    total_sq = np.zeros(num_channels)
    pixels = 0
    for image in _sample_images(train, image_column, max_images, "train"):
        image = image.convert("L" if num_channels == 1 else "RGB").resize((size, size), Image.BILINEAR)
        array = np.asarray(image, dtype=np.float64).reshape(size * size, num_channels) / 255.0
        total += array.sum(0)
        total_sq += (array**2).sum(0)
        pixels += len(array)
    mean = total / pixels
    std = np.sqrt(np.maximum(total_sq / pixels - mean**2, 0.0))
    if not (std > 0).all():
        raise DataError(
            f"The training images have constant channel(s) (std {std.round(4).tolist()}); nothing to learn."
        )
    return [round(float(v), 4) for v in mean], [round(float(v), 4) for v in std]


def process_images(
    raw: DatasetDict,
    processor,
    image_column: str,
    num_channels: int,
    size: int,
    num_proc: int | None = None,
    load_from_cache_file: bool = True,
) -> DatasetDict:
    """Decode, convert, resize and normalise every image once with `processor`, keeping `pixel_values` (a fixed-size
    float32 array) and `labels`; the random augmentation happens later, per batch, in `ImageAugmentationCollator`."""
    features = datasets.Features(
        {
            "pixel_values": datasets.Array3D(shape=(num_channels, size, size), dtype="float32"),
            "labels": raw["train"].features["labels"],
        }
    )
    out = DatasetDict()
    for split, dataset in raw.items():
        dataset = dataset.cast_column(image_column, datasets.Image(decode=False))

        def transform(batch, indices, split=split):
            images = [
                open_image(value, f"row {i} of the {split!r} split") for i, value in zip(indices, batch[image_column])
            ]
            pixel_values = processor(images, num_channels=num_channels, return_tensors="np")["pixel_values"]
            return {"pixel_values": pixel_values.astype(np.float32), "labels": batch["labels"]}

        out[split] = dataset.map(
            transform,
            with_indices=True,
            batched=True,
            remove_columns=dataset.column_names,
            features=features,
            num_proc=num_proc,
            load_from_cache_file=load_from_cache_file,
            desc=f"processing images ({split})",
        ).with_format("torch")
    return out


class ImageAugmentationCollator:
    """Stacks processed images and applies the CIFAR training augmentation per batch: pad by `padding` black pixels
    and crop back at a random offset, then flip horizontally with probability 0.5.

    Black is pixel value 0 before normalisation, i.e. `-mean / std` per channel after it (torchvision's
    `RandomCrop(padding=4)` pads before normalising): padding with the normalised zero would frame Fashion-MNIST's
    black background in grey, a border no test image has. Uses torch's global generator, which `Trainer` seeds
    (`--seed`), so runs are repeatable.

    Args:
        padding: pixels added on each side before the random crop (0: no crop).
        horizontal_flip: flip half of the images left-right.
        image_mean, image_std: the normalisation of the processed images, one value per channel.
    """

    def __init__(
        self,
        padding: int = 4,
        horizontal_flip: bool = True,
        image_mean: Sequence[float] = (0.0,),
        image_std: Sequence[float] = (1.0,),
    ):
        if padding < 0:
            raise ValueError(f"Random-crop padding must be >= 0, got {padding}.")
        self.padding = padding
        self.horizontal_flip = horizontal_flip
        self.fill = -torch.tensor(image_mean, dtype=torch.float32) / torch.tensor(image_std, dtype=torch.float32)

    def describe(self) -> str:
        """What the training batches go through, in words (for the model card)."""
        steps = [f"random crop after {self.padding}-pixel black padding"] if self.padding else []
        steps += ["horizontal flip with probability 0.5"] if self.horizontal_flip else []
        return ", then ".join(steps) if steps else "none"

    def __call__(self, features: Sequence[dict]) -> dict[str, torch.Tensor]:
        pixel_values = torch.stack([torch.as_tensor(f["pixel_values"]) for f in features])  # (bs, C, H, W)
        labels = torch.as_tensor(np.array([f["labels"] for f in features]))
        bs, _, height, width = pixel_values.shape
        if self.padding:
            padded = F.pad(pixel_values, (self.padding,) * 4)  # (bs, C, H + 2p, W + 2p)
            border = torch.ones_like(padded[0, :1], dtype=torch.bool)  # (1, H + 2p, W + 2p)
            border[:, self.padding : self.padding + height, self.padding : self.padding + width] = False
            padded = torch.where(border, self.fill.view(1, -1, 1, 1).to(padded.dtype), padded)
            rows = torch.randint(0, 2 * self.padding + 1, (bs,))
            cols = torch.randint(0, 2 * self.padding + 1, (bs,))
            pixel_values = torch.stack(
                [
                    padded[i, :, r : r + height, c : c + width]
                    for i, (r, c) in enumerate(zip(rows.tolist(), cols.tolist()))
                ]
            )
        if self.horizontal_flip:
            flip = torch.rand(bs) < 0.5
            pixel_values = torch.where(flip[:, None, None, None], pixel_values.flip(-1), pixel_values)
        return {"pixel_values": pixel_values, "labels": labels}
