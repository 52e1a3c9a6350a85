"""train.py: an end-to-end run on real data with the real MiniLM encoder, the other problem types on a tiny encoder,
and a clear error for every kind of bad input."""

import csv
import json
import os
import sys
import textwrap

import pytest
from huggingface_hub import ModelCard
from transformers import AutoTokenizer

from modeling_amsdff import AmsdffForSequenceClassification
from modeling_amsdff.data import DataError
from modeling_amsdff.inference import SavedModelError
from modeling_amsdff.output_dir import OutputDirError

from helpers import FAST, PLOTS, command_line_error, run_without_package
from model_cases import tiny_amsdff_config


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import train  # noqa: E402


def write_jsonl(path, rows):
    with open(path, "w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return str(path)


SENTENCES = [
    "a warm and funny film",
    "dull, slow and far too long",
    "the cast is wonderful",
    "a tedious mess",
    "sharp writing and great pacing",
    "I wanted my money back",
]


@pytest.mark.slow
def test_end_to_end_on_rotten_tomatoes_with_minilm(minilm_path, rotten_tomatoes_available, tmp_path):
    out = tmp_path / "amsdff-rt"
    results = train.main(
        [
            "--output_dir",
            str(out),
            "--max_train_samples",
            "160",
            "--max_eval_samples",
            "64",
            "--max_predict_samples",
            "96",
            "--learning_rate",
            "1e-4",
            "--config_overrides",
            "use_dynamic_fusion=True",  # every module on, so that every AMSDFF plot is drawn
            *FAST,
            *PLOTS,
            "--report_to",
            "tensorboard",
        ]
    )

    all_results = json.loads((out / "all_results.json").read_text())
    for key in (
        "train_samples_per_second",
        "train_loss",
        "eval_accuracy",
        "eval_f1_macro",
        "predict_accuracy",
        "predict_f1_macro",
        "predict_samples",
    ):
        assert key in all_results, key
    assert all_results["predict_samples"] == 96 and 0.0 <= all_results["predict_accuracy"] <= 1.0
    assert results["predict_accuracy"] == all_results["predict_accuracy"]
    predicted = json.loads((out / "predict_results.json").read_text())
    matrix = predicted["predict_confusion_matrix"]
    assert len(matrix) == 2 and sum(map(sum, matrix)) == 96
    # Precision, recall, F1 three ways, ROC-AUC and average precision; a report per class.
    for key in ("precision_macro", "recall_weighted", "f1_micro", "roc_auc", "average_precision"):
        assert 0.0 <= all_results[f"predict_{key}"] <= 1.0, key
    assert set(predicted["predict_per_class"]) == {"fresh", "rotten"}
    assert sum(row["support"] for row in predicted["predict_per_class"].values()) == 96

    # The plots: PNG files of the size their figures ask for, embedded in the card.
    from PIL import Image

    expected = {
        "learning_curves.png": (1200, 400),  # training loss and components; validation metrics
        "confusion_matrix.png": (1000, 500),
        "roc_precision_recall.png": (1300, 550),
        "expert_usage.png": (1200, 450),  # the dynamic fusion's gate per class
        "amsdff_attention.png": (1400, 2080),  # 4 texts x (scales, pooling)
    }
    for name, size in expected.items():
        with Image.open(out / "plots" / name) as image:
            assert image.format == "PNG" and image.size == size, (name, image.size)
        assert f"](plots/{name})" in (out / "README.md").read_text(), name

    # Loss components reached the Trainer's log history.
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    assert any({"loss_ce", "loss_focal", "loss_label_smoothing", "loss_load_balance"} <= set(h) for h in history)
    # ... and TensorBoard.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tags = set()
    for root, _, files in os.walk(out / "runs"):
        if any(name.startswith("events.out.tfevents") for name in files):
            tags |= set(EventAccumulator(root).Reload().Tags()["scalars"])
    assert {"train/loss", "train/loss_ce", "train/loss_focal", "train/loss_load_balance"} <= tags, tags

    # A complete Hub repo: weights, config with auto_map, code, tokenizer, model card with model-index.
    for name in (
        "model.safetensors",
        "config.json",
        "modeling_amsdff.py",
        "configuration_amsdff.py",
        "losses.py",
        "pooling.py",
        "pretrained_encoder.py",
        "tokenizer.json",
        "tokenizer_config.json",
        "README.md",
    ):
        assert (out / name).is_file(), name
    card = ModelCard.load(out / "README.md")
    assert card.data.library_name == "transformers" and "custom_code" in card.data.tags
    assert card.data.pipeline_tag == "text-classification"
    parsed = {result.metric_type: result.metric_value for result in card.data.eval_results}
    assert parsed["accuracy"] == round(all_results["predict_accuracy"], 4)
    assert parsed["roc_auc"] == round(all_results["predict_roc_auc"], 4)
    assert parsed["precision"] == round(all_results["predict_precision_macro"], 4)
    f1 = next(result for result in card.data.eval_results if result.metric_type == "f1")
    assert f1.metric_args == {"average": "macro"} and f1.metric_name == "F1 (macro)"  # which F1 it is
    assert card.data.language == "en" and card.data.model_name == "amsdff-rt"
    assert all(result.dataset_split == "test" for result in card.data.eval_results)
    assert "Measured by `train.py` on the **test** split (96 examples)" in card.text

    # Reload with trust_remote_code in a process without this package, and classify real sentences.
    script = textwrap.dedent(
        """
        import json, sys
        from transformers import pipeline
        classifier = pipeline("text-classification", model=sys.argv[1], trust_remote_code=True)
        print(json.dumps(classifier(json.loads(sys.argv[2]))))
        """
    )
    predictions = json.loads(run_without_package(script, [str(out), json.dumps(SENTENCES)], tmp_path))
    assert len(predictions) == len(SENTENCES)
    assert {p["label"] for p in predictions} <= {"fresh", "rotten"}


@pytest.mark.slow
def test_baseline_model_type_on_real_data(tiny_encoder, rotten_tomatoes_available, tmp_path):
    out = tmp_path / "baseline"
    train.main(
        [
            "--model_type",
            "baseline",
            "--model_name_or_path",
            tiny_encoder,  # the preset's switches are what is checked; MiniLM trains in the end-to-end test above
            "--output_dir",
            str(out),
            "--max_train_samples",
            "64",
            "--max_eval_samples",
            "32",
            "--do_train",
            "--do_eval",  # no --do_predict: the card reports the validation split
            *FAST,
        ]
    )
    config = json.loads((out / "config.json").read_text())
    assert not config["use_multi_scale_attention"] and not config["use_dynamic_fusion"]
    assert config["pooling_modes"] == ["cls"] and config["classifier_hidden_sizes"] == []
    card = ModelCard.load(out / "README.md")
    assert "amsdff" not in card.data.tags and "(the AMSDFF baseline: every AMSDFF module off)" in card.text
    assert "Measured by `train.py` on the **validation** split (32 examples)" in card.text
    assert all(result.dataset_split == "validation" for result in card.data.eval_results)


def test_multi_label_from_jsonl_with_several_text_columns(tiny_encoder, tmp_path):
    tag_sets = [["pos"], ["neg", "long"], ["pos"], ["neg"], ["pos", "long"], []] * 4
    rows = [{"title": s.split()[0], "body": s, "tags": tags} for s, tags in zip(SENTENCES * 4, tag_sets)]
    train_file = write_jsonl(tmp_path / "train.jsonl", rows)
    test_file = write_jsonl(tmp_path / "test.jsonl", rows[:8])
    out = tmp_path / "multi"
    results = train.main(
        [
            "--model_name_or_path",
            tiny_encoder,
            "--train_file",
            train_file,
            "--validation_file",
            test_file,
            "--test_file",
            test_file,
            "--text_column_names",
            "title,body",
            "--label_column_name",
            "tags",
            "--output_dir",
            str(out),
            *FAST,
            *PLOTS,  # the multi-label plots: one ROC and precision-recall curve per label
        ]
    )
    config = json.loads((out / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert sorted(config["id2label"].values()) == ["long", "neg", "pos"]
    assert {"predict_f1_micro", "predict_f1_macro", "predict_accuracy"} <= set(results)
    with open(out / "predictions.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8 and rows[1]["input"] == "dull, dull, slow and far too long"  # the two text columns joined
    assert rows[1]["labels"] == "long|neg" and set(rows[1]) >= {"predicted_labels", "probability_pos"}


def test_regression_from_csv(tiny_encoder, tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("text,score\n" + "\n".join(f'"{s}",{i * 0.5 - 1.0}' for i, s in enumerate(SENTENCES * 4)))
    out = tmp_path / "regression"
    results = train.main(
        [
            "--model_name_or_path",
            tiny_encoder,
            "--train_file",
            str(path),
            "--label_column_name",
            "score",
            "--output_dir",
            str(out),
            *FAST,
        ]
    )
    assert json.loads((out / "config.json").read_text())["problem_type"] == "regression"
    assert {"predict_rmse", "predict_mae", "predict_pearson"} <= set(results)
    with open(out / "predictions.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == results["predict_samples"] and set(rows[0]) == {"index", "input", "score", "predicted_score"}
    errors = [float(row["predicted_score"]) - float(row["score"]) for row in rows]
    assert (sum(error**2 for error in errors) / len(errors)) ** 0.5 == pytest.approx(results["predict_rmse"], rel=1e-4)


# ---- bad input: each names the problem --------------------------------------------------------------------------


@pytest.fixture
def csv_data(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("text,label\n" + "\n".join(f'"{s}",{i % 2}' for i, s in enumerate(SENTENCES * 3)))
    return str(path)


@pytest.mark.parametrize(
    "extra,error,message",
    [
        (["--label_column_name", "sentiment"], DataError, "Label column 'sentiment' not found"),
        (["--text_column_names", "review"], DataError, r"Text column\(s\) \['review'\] not found"),
        (["--validation_file", "/nonexistent/dev.csv"], DataError, "does not exist"),
        (["--config_overrides", "num_experts=1"], ValueError, "`num_experts` must be at least 2"),
        (["--config_overrides", "num_expert=4"], ValueError, "unknown AmsdffConfig argument"),
        (["--config_overrides", "loss_type=focal"], ValueError, "loss_type is now classification_loss"),
        (["--config_overrides", "num_experts=abc"], ValueError, "num_experts must be int, got 'abc'"),
        (["--model_type", "bert"], ValueError, "--model_type must be one of"),
    ],
)
def test_bad_arguments_and_data_are_named(tiny_encoder, csv_data, tmp_path, extra, error, message):
    with pytest.raises(error, match=message):
        train.main(
            [
                "--model_name_or_path",
                tiny_encoder,
                "--train_file",
                csv_data,
                "--output_dir",
                str(tmp_path / "out"),
                *extra,
                *FAST,
            ]
        )


def test_unreadable_and_unsupported_files(tiny_encoder, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"text": "fine", "label": 1}\n{"text": unquoted garbage\n')
    with pytest.raises(DataError, match="Could not read json file"):
        train.main(
            [
                "--model_name_or_path",
                tiny_encoder,
                "--train_file",
                str(broken),
                "--output_dir",
                str(tmp_path / "out"),
                *FAST,
            ]
        )
    (tmp_path / "data.xlsx").write_text("x")
    with pytest.raises(DataError, match="unsupported extension '.xlsx'"):
        train.main(["--train_file", str(tmp_path / "data.xlsx"), "--output_dir", str(tmp_path / "out"), *FAST])


def test_empty_split_and_empty_text(tiny_encoder, csv_data, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("text,label\n")
    with pytest.raises(DataError, match=r"'validation' split \(.*empty.csv\) is empty"):
        train.main(
            [
                "--model_name_or_path",
                tiny_encoder,
                "--train_file",
                csv_data,
                "--validation_file",
                str(empty),
                "--output_dir",
                str(tmp_path / "out"),
                *FAST,
            ]
        )
    blank = tmp_path / "blank.csv"
    blank.write_text(open(csv_data).read() + '\n"   ",1\n')
    with pytest.raises(DataError, match=r"have an empty text"):
        train.main(
            [
                "--model_name_or_path",
                tiny_encoder,
                "--train_file",
                str(blank),
                "--output_dir",
                str(tmp_path / "out"),
                *FAST,
            ]
        )


def test_the_card_states_the_budget_that_ran(tiny_encoder, csv_data, tmp_path, caplog):
    # 18 rows: 14 train (batch 4: 4 steps an epoch); --max_steps 2 ends the run at half an epoch of the 3 asked.
    out = tmp_path / "cut"
    budget = [
        "--num_train_epochs",
        "3",
        "--max_steps",
        "2",
        "--max_seq_length",
        "1024",
        "--lr_scheduler_type",
        "cosine",
    ]
    args = ["--model_name_or_path", tiny_encoder, "--train_file", csv_data, "--output_dir", str(out), *FAST, *budget]
    with caplog.at_level("WARNING", logger="train"):
        train.main([*args, "--per_device_train_batch_size", "4"])
    assert "--max_seq_length 1024 is longer than the model takes (512 tokens): using 512." in caplog.text
    line = next(line for line in (out / "README.md").read_text().splitlines() if line.startswith("- hyperparameters"))
    ran = json.loads(line.split(": ", 1)[1])
    assert ran["epochs"] == 0.5 and ran["steps"] == 2 and ran["max_seq_length"] == 512, ran
    assert ran["lr_scheduler"] == "cosine" and ran["total_batch_size"] == 4, ran


def test_output_folder_holding_a_model_is_never_overwritten(tiny_encoder, csv_data, tmp_path):
    out = tmp_path / "taken"
    AmsdffForSequenceClassification(tiny_amsdff_config()).save_pretrained(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(OutputDirError, match="already holds a model"):
        train.main(["--model_name_or_path", tiny_encoder, "--train_file", csv_data, "--output_dir", str(out), *FAST])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_saved_model_with_other_labels_is_refused(tiny_encoder, csv_data, tmp_path):
    saved = tmp_path / "three_labels"
    AmsdffForSequenceClassification(tiny_amsdff_config(num_labels=3)).save_pretrained(saved)
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(saved)
    with pytest.raises(DataError, match="predicts 3 labels"):
        train.main(
            [
                "--model_name_or_path",
                str(saved),
                "--train_file",
                csv_data,
                "--output_dir",
                str(tmp_path / "out"),
                *FAST,
            ]
        )


def test_command_line_error_is_one_clear_line(tmp_path, capsys):
    argv = ["--train_file", str(tmp_path / "no.csv"), "--output_dir", str(tmp_path / "out")]
    stderr = command_line_error(train.main, argv, capsys)
    assert "error: --train_file" in stderr and "does not exist" in stderr


@pytest.mark.parametrize(
    "flags",
    [["--label_column_names", "label"], ["--label_column_name", "label"], []],
    ids=["names", "name", "default"],
)
def test_regression_target_column_named_label(flags, tiny_encoder, csv_data, tmp_path):
    # A single target whose column is called `label` must be kept, not dropped as a leftover label column, however
    # it is named (or by default).
    out = tmp_path / "label-target"
    command = ["--model_type", "moe_regression", "--model_name_or_path", tiny_encoder, "--train_file", csv_data]
    results = train.main([*command, *flags, "--output_dir", str(out), *FAST])
    assert json.loads((out / "config.json").read_text())["id2label"] == {"0": "label"}
    assert "predict_rmse" in results


def test_a_label_only_the_test_file_has_is_refused_unless_listed(tiny_encoder, tmp_path):
    train_file = tmp_path / "train.csv"
    train_file.write_text(
        "text,label\n" + "\n".join(f'"{s}",{"pos" if i % 2 else "neg"}' for i, s in enumerate(SENTENCES * 2))
    )
    test_file = tmp_path / "test.csv"
    test_file.write_text('text,label\n"fine",pos\n"meh",neutral\n"bad",neg\n')
    common = ["--model_name_or_path", tiny_encoder, "--train_file", str(train_file), "--test_file", str(test_file)]
    with pytest.raises(DataError, match=r"Label\(s\) \['neutral'\] of the 'test' split \(test.csv\) never occur"):
        train.main([*common, "--output_dir", str(tmp_path / "a"), *FAST])
    out = tmp_path / "listed"
    results = train.main([*common, "--class_names", "neg,neutral,pos", "--output_dir", str(out), *FAST])
    assert json.loads((out / "config.json").read_text())["id2label"] == {"0": "neg", "1": "neutral", "2": "pos"}
    assert results["predict_samples"] == 3
    with pytest.raises(DataError, match=r"label\(s\) \['neutral'\] that --class_names \['neg', 'pos'\] does not list"):
        train.main([*common, "--class_names", "neg,pos", "--output_dir", str(tmp_path / "b"), *FAST])


def test_class_ids_with_a_blank_cell_are_named_as_a_missing_label(tiny_encoder, tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text(
        "text,label\n" + "\n".join(f'"{s}",{"" if i == 3 else i % 2}' for i, s in enumerate(SENTENCES * 2))
    )
    with pytest.raises(DataError, match=r"The label of row 4 of ids.csv is missing \(1 row\(s\) of the 'train' split"):
        train.main(
            [
                "--model_name_or_path",
                tiny_encoder,
                "--train_file",
                str(path),
                "--output_dir",
                str(tmp_path / "o"),
                *FAST,
            ]
        )


def test_broken_files_are_named_in_one_line(tiny_encoder, csv_data, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes('text,label\n"café crème",1\n"fine",0\n'.encode("latin-1"))
    for path, message in [(empty, "the file is empty"), (latin1, "the file is not UTF-8 text")]:
        with pytest.raises(DataError, match=message):
            train.main(
                [
                    "--model_name_or_path",
                    tiny_encoder,
                    "--train_file",
                    str(path),
                    "--output_dir",
                    str(tmp_path / "o"),
                    *FAST,
                ]
            )
    saved = tmp_path / "saved"
    labels = {"id2label": {0: "0", 1: "1"}, "label2id": {"0": 0, "1": 1}}
    AmsdffForSequenceClassification(tiny_amsdff_config(num_labels=2, **labels)).save_pretrained(saved)
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(saved)
    weights = saved / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])
    with pytest.raises(SavedModelError, match=r"Cannot load the model saved in .*saved.* \(model.safetensors\)"):
        train.main(
            ["--model_name_or_path", str(saved), "--train_file", csv_data, "--output_dir", str(tmp_path / "p"), *FAST]
        )
