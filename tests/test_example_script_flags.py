"""The flags of transformers' run_classification.py and run_image_classification.py that users already know work the
same way here: --shuffle_train_dataset/--shuffle_seed (with --max_train_samples a seeded random sample),
--remove_splits, --remove_columns, --metric_name, --overwrite_cache, --config_name, --ignore_mismatched_sizes, a bare
--do_regression, and for images --train_val_split and --image_processor_name."""

import json
import os
import sys
import textwrap
from types import SimpleNamespace

import datasets
import numpy as np
import pytest
from transformers import AutoTokenizer

from modeling_amsdff import AmsdffConfig, AmsdffForSequenceClassification, AmsraNetImageProcessor
from modeling_amsdff.data import truncate_splits

from helpers import FAST


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from test_train_image import QUICK, TINY_AMSRA, write_image_folder  # noqa: E402

import train  # noqa: E402
import train_text  # noqa: E402


WORDS = ["warm", "dull", "sharp", "slow", "funny", "tedious"]
SUM_OF_PREDICTIONS = textwrap.dedent(
    """
    import datasets
    import evaluate


    class SumOfPredictions(evaluate.Metric):
        def _info(self):
            features = {"predictions": datasets.Value("float64"), "references": datasets.Value("float64")}
            return evaluate.MetricInfo(description="", citation="", features=datasets.Features(features))

        def _compute(self, predictions, references):
            return {"prediction_sum": float(sum(predictions))}
    """
)


def write_csv(path, rows: int = 30, extra: bool = False, labels=lambda i: i % 2) -> str:
    header = "text,label" + (",noise" if extra else "")
    lines = [f"a {WORDS[i % 6]} film number {i},{labels(i)}" + (",x" if extra else "") for i in range(rows)]
    path.write_text(header + "\n" + "\n".join(lines))
    return str(path)


def test_shuffled_training_sample_is_seeded():
    train_split = datasets.Dataset.from_dict({"text": [str(i) for i in range(50)], "label": [0] * 50})
    raw = datasets.DatasetDict({"train": train_split, "validation": train_split.select(range(5))})
    args = SimpleNamespace(
        shuffle_train_dataset=True,
        shuffle_seed=3,
        max_train_samples=8,
        max_eval_samples=None,
        max_predict_samples=None,
    )
    sample = truncate_splits(raw, args)["train"]["text"]
    assert sample == train_split.shuffle(seed=3).select(range(8))["text"] and sample != [str(i) for i in range(8)]
    args.shuffle_train_dataset = False
    assert truncate_splits(raw, args)["train"]["text"] == [str(i) for i in range(8)]


def test_splits_columns_regression_and_an_extra_metric(tiny_encoder, tmp_path):
    train_file = write_csv(tmp_path / "train.csv", 40, extra=True)
    validation_file = write_csv(tmp_path / "dev.csv", 6, extra=True)
    metric = tmp_path / "sum_of_predictions"  # a local `evaluate` module, as --metric_name may name one
    metric.mkdir()
    (metric / "sum_of_predictions.py").write_text(SUM_OF_PREDICTIONS)
    out = tmp_path / "run"
    common = ["--model_name_or_path", tiny_encoder, "--train_file", train_file, "--validation_file", validation_file]
    flags = [
        "--remove_splits",
        "validation",
        "--remove_columns",
        "noise",
        "--do_regression",
        "--metric_name",
        str(metric),
    ]
    results = train.main([*common, *flags, "--output_dir", str(out), *FAST])
    assert json.loads((out / "config.json").read_text())["problem_type"] == "regression"  # a bare --do_regression
    assert results["eval_samples"] == 4  # dev.csv (6 rows) was removed: validation is cut from the 40 training rows
    assert "eval_prediction_sum" in results and "predict_prediction_sum" in results and "predict_rmse" in results
    with pytest.raises(ValueError, match="--remove_columns: \\['absent'\\] not in"):
        train.main([*common, "--remove_columns", "absent", "--output_dir", str(tmp_path / "a"), *FAST])
    with pytest.raises(ValueError, match="--metric_name 'no_such_metric_here' cannot be loaded"):
        train.main([*common, "--metric_name", "no_such_metric_here", "--output_dir", str(tmp_path / "b"), *FAST])
    # A removed test split is never cut again from the training data: the run says it has none to predict on.
    with_test = [*common, "--test_file", write_csv(tmp_path / "test.csv", 6), "--remove_splits", "test"]
    with pytest.raises(ValueError, match="--remove_splits test removes the test split, but the run predicts on one"):
        train.main([*with_test, "--output_dir", str(tmp_path / "c"), *FAST])
    results = train.main([*with_test, "--do_train", "--do_eval", "--output_dir", str(tmp_path / "d"), *FAST])
    assert "eval_samples" in results and not any(key.startswith("predict_") for key in results)


def test_config_name_and_ignore_mismatched_sizes(tiny_encoder, tmp_path):
    data = write_csv(tmp_path / "data.csv")
    saved_config = tmp_path / "config"
    AmsdffConfig(num_experts=2, scales=(3,), pooling_modes=("mean",), num_labels=5).save_pretrained(saved_config)
    out = tmp_path / "from-config"
    train.main(
        [
            "--model_name_or_path",
            tiny_encoder,
            "--train_file",
            data,
            "--config_name",
            str(saved_config),
            "--output_dir",
            str(out),
            *FAST,
        ]
    )
    config = json.loads((out / "config.json").read_text())
    assert config["num_experts"] == 2 and config["scales"] == [3] and config["pooling_modes"] == ["mean"]
    assert (
        config["backbone_config"]["hidden_size"] == 32 and len(config["id2label"]) == 2
    )  # encoder and labels: the run's

    three = tmp_path / "three-labels"
    AmsdffForSequenceClassification.from_pretrained_backbone(tiny_encoder, num_labels=3).save_pretrained(three)
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(three)
    with pytest.raises(ValueError, match="predicts 3 labels .* Pass --ignore_mismatched_sizes to give it a new head"):
        train.main(
            ["--model_name_or_path", str(three), "--train_file", data, "--output_dir", str(tmp_path / "x"), *FAST]
        )
    out = tmp_path / "reheaded"
    results = train.main(
        [
            "--model_name_or_path",
            str(three),
            "--train_file",
            data,
            "--ignore_mismatched_sizes",
            "--output_dir",
            str(out),
            *FAST,
        ]
    )
    assert json.loads((out / "config.json").read_text())["id2label"] == {"0": "0", "1": "1"}
    assert "predict_accuracy" in results


def test_overwrite_cache_recomputes_the_tokenised_splits(tiny_encoder, tmp_path):
    data = datasets.load_dataset("csv", data_files=write_csv(tmp_path / "data.csv"), cache_dir=str(tmp_path / "cache"))
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    training_args = SimpleNamespace(main_process_first=lambda desc: _nothing())
    args = SimpleNamespace(max_seq_length=16, pad_to_max_length=False, overwrite_cache=False, augmentation=None)

    def cache_time():
        splits = train_text.tokenize_splits(datasets.DatasetDict(data), tokenizer, args, training_args)
        return max(os.path.getmtime(f["filename"]) for f in splits["train"].cache_files)

    first = cache_time()
    assert cache_time() == first  # reused
    args.overwrite_cache = True
    assert cache_time() > first  # recomputed


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_image_train_val_split_and_processor_name(tmp_path):
    train_dir = write_image_folder(tmp_path / "train", 20)
    results = train.main(
        [
            "--model_type",
            "amsra_net",
            "--train_dir",
            train_dir,
            "--train_val_split",
            "0.5",
            "--config_overrides",
            TINY_AMSRA,
            "--output_dir",
            str(tmp_path / "a"),
            *QUICK,
        ]
    )
    assert results["eval_samples"] == 20  # half of the 40 images
    processor_dir = tmp_path / "processor"
    AmsraNetImageProcessor(
        num_channels=1, size={"height": 12, "width": 12}, image_mean=[0.3], image_std=[0.2]
    ).save_pretrained(processor_dir)
    out = tmp_path / "b"
    train.main(
        [
            "--model_type",
            "amsra_net",
            "--train_dir",
            train_dir,
            "--image_processor_name",
            str(processor_dir),
            "--config_overrides",
            TINY_AMSRA,
            "--output_dir",
            str(out),
            *QUICK,
        ]
    )
    config = json.loads((out / "config.json").read_text())
    processor = json.loads((out / "preprocessor_config.json").read_text())
    assert config["num_channels"] == 1 and config["image_size"] == 12
    assert processor["image_mean"] == [0.3] and processor["size"] == {"height": 12, "width": 12}
    np.testing.assert_allclose(processor["image_std"], [0.2])
