#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Train an image model of this package with the `transformers` Trainer: AMSRA-Net, or the CIFAR ResNet-18 it is
compared against. `train.py` runs this for the image `--model_type`s; it also runs on its own with the same arguments.

Arguments follow the transformers example `run_image_classification.py`, plus every `TrainingArguments` flag and
LoRA (on a trained network). Models train from scratch, or continue a saved model (`--model_name_or_path`). With no
data arguments they train on the offline Fashion-MNIST (28x28 greyscale); `--dataset_name` takes a Hub image dataset
(e.g. `uoft-cs/cifar10`, 32x32 colour) and `--train_dir` local image folders, on the same code path.

The training defaults (`ImageTrainingArguments` in modeling_amsdff/arguments.py) suit short and long budgets: AdamW
at learning rate 4e-3 (1e-3 for CCT, `ModelFamily.trainer_learning_rate`) with weight decay 0.05, batch 64, 5% warm-up
then cosine decay, label smoothing 0.1, and horizontal flips of training images for colour data (not for greyscale
data, which are often digits or letters); the CIFAR random crop only when asked for (`--random_crop_padding 4`). Any
flag replaces its default.
Images are converted to the model's channel count and size and normalised with the mean/std of the training images,
which the saved image processor keeps.

Examples:

    # AMSRA-Net on the offline Fashion-MNIST (28x28 greyscale), and the paper's ablations by config flags
    python train.py --model_type amsra_net --output_dir outputs/amsra-fmnist --num_train_epochs 10
    python train.py --model_type amsra_net --config_overrides use_lgsa=False --output_dir outputs/amsra-no-lgsa

    # the CIFAR ResNet-18 baseline on CIFAR-10 from the Hub (online), with the classic CIFAR recipe instead (SGD)
    python train.py --model_type resnet18 --dataset_name uoft-cs/cifar10 --image_column_name img \\
        --optim sgd --optim_args momentum=0.9,nesterov=True --learning_rate 0.1 --weight_decay 5e-4 \\
        --per_device_train_batch_size 128 --num_train_epochs 200 --output_dir outputs/resnet18-cifar10

    # local image folders (train_dir/<label>/<image>.png) of colour images where left and right differ: no flips
    python train.py --model_type amsra_net --train_dir photos/train --validation_dir photos/val \\
        --no_horizontal_flip --output_dir outputs/amsra-photos
"""

from __future__ import annotations

import logging
import sys

import torch
from transformers import AutoImageProcessor, default_data_collator, set_seed

from modeling_amsdff import ChannelConvertingImageProcessor
from modeling_amsdff.arguments import (
    IMAGE_LEARNING_RATE,
    UNTRAINED_HEAD,
    ImageDataArguments,
    ImageTrainingArguments,
    LoraArguments,
    ModelArguments,
    StrategyArguments,
    TextDataArguments,
    apply_default_stages,
    parse_arguments,
    parse_config_overrides,
)
from modeling_amsdff.data import DataError, DataFacts
from modeling_amsdff.hub import hub_id
from modeling_amsdff.image_data import (
    ImageAugmentationCollator,
    channel_statistics,
    image_names,
    infer_image_geometry,
    prepare_image_data,
    process_images,
)
from modeling_amsdff.inference import load_saved
from modeling_amsdff.lora import check_lora_arguments
from modeling_amsdff.registry import ModelFamily, preset
from modeling_amsdff.runner import (
    config_arguments,
    continue_saved_model,
    cross_validate_folds,
    cross_validation_folds,
    input_paths,
    label_arguments,
    run_command_line,
    search_hyperparameters,
    start_run,
    train_evaluate_predict,
    writing_output_dir,
)
from modeling_amsdff.tracking import log_run_outputs, tracked_runs


logger = logging.getLogger("train")

IMAGE_ARGUMENTS = (ModelArguments, ImageDataArguments, LoraArguments, ImageTrainingArguments)
TEXT_ONLY_HINT = (
    "to the text models (a pretrained encoder and text data); image models read --dataset_name or "
    "--train_dir/--validation_dir/--test_dir, not *_file, and train from scratch."
)


def build_image_model(
    model_args: ModelArguments,
    family: ModelFamily,
    preset_arguments: dict,
    facts: DataFacts,
    train,
    overrides: dict,
    trains: bool = True,
    image_processor_name: str | None = None,
):
    """A new model sized for the data (channels and side of the training images) with an image processor that
    normalises with the training images' statistics (or the --image_processor_name one), or a saved model of this
    family checked against the data. Returns (model, image processor). A new model is refused when the run does not
    train."""
    path = model_args.model_name_or_path
    remote = {"trust_remote_code": model_args.trust_remote_code, **model_args.hub_kwargs()}
    if path:
        model = continue_saved_model(model_args, family, path, facts, overrides)
        return model, load_saved(AutoImageProcessor.from_pretrained, path, **remote)

    if not trains:
        raise ValueError(UNTRAINED_HEAD)
    if model_args.config_name:
        preset_arguments = config_arguments(model_args, family)
    processor = None
    if image_processor_name:
        processor = load_saved(AutoImageProcessor.from_pretrained, image_processor_name, **remote)
        if not isinstance(processor, ChannelConvertingImageProcessor):
            raise DataError(
                f"--image_processor_name {image_processor_name!r} holds a {type(processor).__name__}; image models "
                "of this package need one of their own processors (it converts images to the model's channels)."
            )
        channels, side = processor.num_channels, processor.size["height"]
    else:
        channels, side = infer_image_geometry(train, facts.image_column)
    arguments = {**preset_arguments, "num_channels": channels, **overrides}
    if "image_size" in family.config_class.__dataclass_fields__:  # a model built for one input side
        side = arguments.setdefault("image_size", side)
    if arguments["num_channels"] not in (1, 3):
        raise ValueError(f"num_channels must be 1 (greyscale) or 3 (RGB), got {arguments['num_channels']}.")
    config = family.config_class(**label_arguments(family, facts), **arguments)
    if processor is None:
        mean, std = channel_statistics(train, facts.image_column, config.num_channels, side)
        logger.info(f"Images: {config.num_channels} channel(s), {side}x{side}; training mean {mean}, std {std}")
        processor = family.image_processor_class(
            num_channels=config.num_channels, size={"height": side, "width": side}, image_mean=mean, image_std=std
        )
    return family.model_class(config), processor


# oneDNN's backward pass of a strided 1x1 convolution in channels_last writes past its buffer when the convolution has
# fewer input channels than oneDNN's channel block (16 with AVX-512, 8 with AVX2): https://github.com/uxlfoundation/
# oneDNN/issues/6035. With torch 2.13.0+cpu on an AVX-512 CPU it crashed for 5 to 15 input channels (the ResNet's
# shortcut of a model whose first stage has 8 channels); the issue reports wrong gradients as well.
ONEDNN_CHANNEL_BLOCK = 16


def in_memory_format(model, channels_last: bool, device: torch.device):
    """The model with its 4-D (convolution) weights in channels_last memory format when asked (--channels_last), else
    as it is. Batches need no conversion: a convolution whose weight is channels_last computes in that layout. On the
    CPU a model with a strided 1x1 convolution of fewer than 16 input channels is refused (the oneDNN bug above)."""
    if not channels_last:
        return model
    if device.type == "cpu":
        for name, module in model.named_modules():
            if (
                isinstance(module, torch.nn.Conv2d)
                and module.kernel_size == (1, 1)
                and module.stride != (1, 1)
                and module.in_channels < ONEDNN_CHANNEL_BLOCK
            ):
                raise ValueError(
                    f"--channels_last is refused on the CPU for this model: {name} is a strided 1x1 convolution with "
                    f"{module.in_channels} input channels, and oneDNN's channels_last backward pass for such "
                    f"convolutions (fewer than {ONEDNN_CHANNEL_BLOCK} input channels) corrupts memory: crashes or "
                    "wrong gradients (https://github.com/uxlfoundation/oneDNN/issues/6035). Train without "
                    f"--channels_last, or give the model's stages at least {ONEDNN_CHANNEL_BLOCK} channels."
                )
    return model.to(memory_format=torch.channels_last)


def parse_image_arguments(argv: list[str]) -> tuple:
    """The arguments of an image run, with the defaults that depend on the family filled in; returns them with the
    family and its preset arguments."""
    model_args, data_args, lora_args, training_args = parse_arguments(
        IMAGE_ARGUMENTS, argv, (TextDataArguments, StrategyArguments), TEXT_ONLY_HINT
    )
    apply_default_stages(training_args)
    family, preset_arguments = preset(model_args.model_type)
    if not family.is_image:
        raise ValueError(f"--model_type {model_args.model_type} is a text model: run train.py or train_text.py.")
    if training_args.label_smoothing_factor is None:
        training_args.label_smoothing_factor = family.trainer_label_smoothing
    if training_args.learning_rate is None:
        family_rate = family.trainer_learning_rate
        training_args.learning_rate = IMAGE_LEARNING_RATE if family_rate is None else family_rate
    return model_args, data_args, lora_args, training_args, family, preset_arguments


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    model_args, data_args, lora_args, training_args, family, preset_arguments = parse_image_arguments(argv)
    overrides = parse_config_overrides(model_args.config_overrides, family.config_class)
    check_lora_arguments(
        lora_args, training_args, is_image=True, continues_a_model=bool(model_args.model_name_or_path)
    )
    inputs = input_paths(model_args, data_args, training_args)
    training_args, push_to_hub = start_run(training_args, family, lora_args, inputs)

    with training_args.main_process_first(desc="loading the data"):  # the other processes read the first's cache
        raw, facts = prepare_image_data(
            data_args, family, training_args.do_predict, cache_dir=model_args.cache_dir, token=model_args.token
        )
    logger.info(f"Data: {facts.num_examples}, labels: {facts.label_names}")
    model, processor = build_image_model(
        model_args,
        family,
        preset_arguments,
        facts,
        raw["train"],
        overrides,
        training_args.do_train,
        data_args.image_processor_name,
    )
    model = in_memory_format(model, training_args.channels_last, training_args.device)
    side = processor.size["height"]

    base_config = model.config.to_dict()

    def new_model(config_arguments: dict):
        """A new model of this run with `config_arguments` over the run's (a search trial, a fold)."""
        if model_args.model_name_or_path:
            path = model_args.model_name_or_path
            fresh = continue_saved_model(model_args, family, path, facts, {**overrides, **config_arguments})
        else:
            fresh = family.model_class(family.config_class.from_dict({**base_config, **config_arguments}))
        return in_memory_format(fresh, training_args.channels_last, training_args.device)

    with training_args.main_process_first(desc="processing images"):
        splits = process_images(
            raw,
            processor,
            facts.image_column,
            model.config.num_channels,
            side,
            data_args.preprocessing_num_workers,
            load_from_cache_file=not data_args.overwrite_cache,
        )
    flip = data_args.horizontal_flip
    if flip is None:  # mirrored photos are still photos; mirrored digits and letters are not
        flip = model.config.num_channels == 3
    augmentation = ImageAugmentationCollator(
        data_args.random_crop_padding, flip, processor.image_mean, processor.image_std
    )
    trainer_kwargs = {
        "data_collator": default_data_collator,
        "train_data_collator": augmentation,
        "metric_name": data_args.metric_name,
    }
    card = {
        "base_model": hub_id(model_args.model_name_or_path),
        "hyperparameters": {
            "random_crop_padding": data_args.random_crop_padding,
            "horizontal_flip": flip,
            "label_smoothing_factor": training_args.label_smoothing_factor,
        },
        "template_values": {
            "augmentation": augmentation.describe(),
            "image_size": side,
            "num_channels": model.config.num_channels,
            "continued_from": model_args.model_name_or_path,
        },
    }
    test_images = image_names(raw["test"], facts.image_column) if "test" in raw else None  # for predictions.csv

    folds = cross_validation_folds(training_args, splits, facts)  # refused here, before anything is written
    results, experiments = {}, {}
    with writing_output_dir(training_args), tracked_runs(training_args) as runs:
        if training_args.do_train and training_args.hyperparameter_search_trials:
            training_args, best_config, experiments["search"] = search_hyperparameters(
                new_model, family, facts, splits, processor, training_args, **trainer_kwargs
            )
            results["hyperparameter_search_best"] = experiments["search"]
            overrides.update(best_config)  # every later model of the run takes the best trial's config values
            base_config.update(best_config)
            if best_config and not training_args.hyperparameter_search_only:
                set_seed(training_args.seed)
                model = new_model({})
        if folds and not training_args.hyperparameter_search_only:
            cross_validation, experiments["cross_validation"] = cross_validate_folds(
                new_model, facts, splits, processor, training_args, folds, **trainer_kwargs
            )
            results.update(cross_validation)
        if not training_args.hyperparameter_search_only:
            results = train_evaluate_predict(
                model,
                family,
                facts,
                splits,
                processor,
                training_args,
                lora_args,
                results,
                experiments=experiments,
                card=card,
                push_to_hub=push_to_hub,
                predict_inputs=test_images,
                **trainer_kwargs,
            )
        log_run_outputs(runs, training_args.output_dir, results, training_args.mlflow_registered_model_name)
    return results


if __name__ == "__main__":
    run_command_line(main)
