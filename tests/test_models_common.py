"""Checks that every model class of the package passes, on tiny configurations (see `model_cases.py`)."""

import json

import pytest
import torch
from transformers import Trainer, TrainingArguments

from helpers import LOAD_AND_RUN, run_without_package
from model_cases import MODEL_CASES, labels_for


CASES = {case.name: case for case in MODEL_CASES}
HEAD_CASES = [name for name, case in CASES.items() if case.problem_types]
CLASSIFIER_CASES = [name for name in HEAD_CASES if "single_label_classification" in CASES[name].problem_types]
PROBLEM_CASES = [(name, problem) for name in HEAD_CASES for problem in CASES[name].problem_types]


def build(case, seed=0, **config_kwargs):
    torch.manual_seed(seed)
    return case.model_class(case.config(**config_kwargs))


@pytest.mark.parametrize("name", CASES)
def test_forward_shapes_and_finite(name):
    case = CASES[name]
    model = build(case).eval()
    inputs = case.make_inputs()
    with torch.no_grad():
        output = model(**inputs)[case.output_key]
    batch = next(iter(inputs.values())).shape[0]
    expected_width = model.config.num_labels if case.output_key == "logits" else model.config.hidden_size
    assert output.shape == (batch, expected_width)
    assert torch.isfinite(output).all()


@pytest.mark.parametrize("name,problem_type", PROBLEM_CASES)
def test_loss_from_labels_and_every_parameter_gets_a_gradient(name, problem_type):
    case = CASES[name]
    model = build(case, problem_type=problem_type).train()
    labels = labels_for(problem_type, model.config.num_labels)
    output = model(**case.make_inputs(), labels=labels)
    assert output.loss.dim() == 0 and torch.isfinite(output.loss)
    output.loss.backward()
    missing = [
        n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.isfinite().all())
    ]
    assert not missing, f"parameters without a finite gradient: {missing}"


@pytest.mark.parametrize("name", CLASSIFIER_CASES)
def test_problem_type_inferred_like_transformers(name):
    """With problem_type unset: integer labels -> single-label, float vectors -> multi-label, num_labels=1 -> MSE."""
    case = CASES[name]
    inputs = case.make_inputs(batch=4)
    # A fresh model for each label type: transformers' own heads (ResNet) store the inferred type in their config.
    single = build(case).eval()(**inputs, labels=torch.tensor([0, 1, 2, 1])).loss
    multi = build(case).eval()(**inputs, labels=torch.tensor([[0.0, 1.0, 1.0]] * 4)).loss
    assert torch.isfinite(single) and torch.isfinite(multi) and not torch.isclose(single, multi)
    regression = build(case, num_labels=1, focal_alpha=None).eval()
    assert torch.isfinite(regression(**inputs, labels=torch.randn(4)).loss)


@pytest.mark.parametrize("name", CASES)
def test_return_dict_false_gives_the_same_tensors(name):
    case = CASES[name]
    model = build(case).eval()
    inputs = case.make_inputs()
    with torch.no_grad():
        as_dict = model(**inputs)
        as_tuple = model(**inputs, return_dict=False)
    assert isinstance(as_tuple, tuple)
    torch.testing.assert_close(as_tuple[0], as_dict.to_tuple()[0])


@pytest.mark.parametrize("name", CASES)
def test_save_and_load_give_equal_outputs(name, tmp_path):
    case = CASES[name]
    model = build(case).eval()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    reloaded = case.model_class.from_pretrained(tmp_path).eval()
    inputs = case.make_inputs()
    with torch.no_grad():
        torch.testing.assert_close(model(**inputs)[case.output_key], reloaded(**inputs)[case.output_key])


@pytest.mark.parametrize("name", CASES)
def test_config_round_trip(name, tmp_path):
    case = CASES[name]
    config = case.config()
    again = type(config).from_dict(config.to_dict())
    assert again.to_dict() == config.to_dict()
    config.save_pretrained(tmp_path)
    from_file = type(config).from_pretrained(tmp_path)
    assert from_file.to_dict() == config.to_dict()
    assert from_file == config or from_file.to_json_string() == config.to_json_string()


def test_remote_code_round_trip_without_the_package(tmp_path):
    """Every case of every family saved, then loaded and run in one fresh interpreter where this package cannot be
    imported: the same outputs. (One interpreter for all: each costs seconds to start; every folder still loads its
    own copy of the code, under its own module name.)"""
    jobs, expected = [], []
    for name, case in CASES.items():
        model = build(case).eval()
        folder = tmp_path / name
        model.save_pretrained(folder)
        saved = json.loads((folder / "config.json").read_text())
        assert case.auto_class in saved["auto_map"] and "AutoConfig" in saved["auto_map"], name
        assert "AutoModel" in saved["auto_map"], name
        inputs = case.make_inputs()
        (folder / "inputs.json").write_text(json.dumps({k: v.tolist() for k, v in inputs.items()}))
        with torch.no_grad():
            expected.append(model(**inputs)[case.output_key])
        jobs.append([str(folder), case.auto_class, case.output_key])
    remote = json.loads(run_without_package(LOAD_AND_RUN, [json.dumps(jobs)], tmp_path))
    for name, output, reference in zip(CASES, remote, expected, strict=True):
        torch.testing.assert_close(torch.tensor(output), reference, rtol=1e-5, atol=1e-5, msg=name)


class _ListDataset(torch.utils.data.Dataset):
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]


@pytest.mark.parametrize("name", HEAD_CASES)
def test_gradient_accumulation_matches_one_large_batch(name, tmp_path):
    """4 micro-batches of 2 with accumulation must give the same update as one batch of 8 (mean loss, Trainer)."""
    case = CASES[name]
    if case.batch_statistics:
        pytest.skip("BatchNorm uses each micro-batch's statistics: accumulation is a different function by design")
    inputs = case.make_inputs(batch=8, seed=1)
    labels = labels_for(case.problem_types[0], case.config().num_labels, batch=8, seed=1)
    rows = [{**{k: v[i] for k, v in inputs.items()}, "labels": labels[i]} for i in range(8)]

    def one_step(batch_size, accumulation):
        # No dropout (the two runs must see the same function) and no load-balance term (a batch-level statistic
        # that is not additive over micro-batches).
        model = build(case, seed=3, router_aux_loss_coef=0.0, classifier_dropout=0.0)
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
        args = TrainingArguments(
            output_dir=str(tmp_path / f"run{batch_size}"),
            per_device_train_batch_size=batch_size,
            gradient_accumulation_steps=accumulation,
            max_steps=1,
            learning_rate=0.1,
            optim="sgd",
            lr_scheduler_type="constant",
            max_grad_norm=0.0,
            report_to="none",
            save_strategy="no",
            use_cpu=True,
            seed=0,
            dataloader_drop_last=False,
        )
        Trainer(model=model, args=args, train_dataset=_ListDataset(rows)).train()
        return {n: p.detach().clone() for n, p in model.named_parameters()}

    large = one_step(8, 1)
    accumulated = one_step(2, 4)
    for param_name, value in large.items():
        torch.testing.assert_close(accumulated[param_name], value, rtol=1e-4, atol=1e-6, msg=param_name)


RESAVE = """
import json, os, sys
import transformers
folder, again = sys.argv[1:3]
model = transformers.AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=True)
model.save_pretrained(again)
reloaded = transformers.AutoModelForSequenceClassification.from_pretrained(again, trust_remote_code=True)
print(json.dumps({"files": sorted(os.listdir(again)), "auto_map": json.load(open(again + "/config.json"))["auto_map"],
                  "class": type(reloaded).__name__}))
"""


def test_a_remote_loaded_model_saves_again_with_its_code(tmp_path):
    """A user who loads the model from the Hub, fine-tunes it and shares it again must get a complete repo."""
    case = CASES["amsdff-classifier"]
    build(case).save_pretrained(tmp_path / "first")
    result = json.loads(run_without_package(RESAVE, [str(tmp_path / "first"), str(tmp_path / "again")], tmp_path))
    assert {
        "configuration_amsdff.py",
        "modeling_amsdff.py",
        "losses.py",
        "pretrained_encoder.py",
        "model.safetensors",
    } <= set(result["files"])
    assert set(result["auto_map"]) == {"AutoConfig", "AutoModel", "AutoModelForSequenceClassification"}
    assert result["class"] == "AmsdffForSequenceClassification"
