"""The package as a user gets it from a wheel (a regular `pip install`, no editable install, no checkout on
`sys.path`): the model card templates and the `evaluate` metric modules travel as package data, so the installed
package writes a model card and computes its metrics."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# argv: the folder the wheel was installed into, the checkout, an output folder. Hides the checkout and the editable
# install of this environment, imports the installed package, writes a model card and computes a metric with it.
USE_INSTALLED = textwrap.dedent(
    """
    import json, os, sys
    target, checkout, out = sys.argv[1:4]
    sys.path = [p for p in sys.path if os.path.abspath(p or ".") != checkout]
    sys.meta_path = [f for f in sys.meta_path if "editable" not in type(f).__module__ + getattr(f, "__name__", "")]
    sys.path.insert(0, target)
    import modeling_amsdff
    from modeling_amsdff.hub import write_model_card
    from modeling_amsdff.metrics import classification_metrics
    import numpy as np

    os.makedirs(out)
    card = write_model_card(
        out, template="text-model", model_name="m", base_model=None, dataset_id="rotten_tomatoes",
        dataset_name="Rotten Tomatoes", task_type="text-classification", pipeline_tag="text-classification",
        metrics={"predict_accuracy": 0.5}, metric_names={"predict_accuracy": "accuracy"}, repo_id="me/m",
        model_description="d", base_model_url="u", regression=False, id2label={0: "a"}, eval_split="test",
        num_eval_examples=2, confusion_matrix=None, num_train_examples=4, architecture_summary="s",
        num_parameters="1", lora=None, lora_base=None, hyperparameters="{}", machine="x", limitations="l",
    )
    logits, labels = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 0])
    metrics = classification_metrics(logits, labels, "single_label_classification")
    print(json.dumps({"package": modeling_amsdff.__file__, "card": card.data.to_dict(), "metrics": metrics}))
    """
)


@pytest.mark.slow
def test_a_wheel_install_writes_model_cards_and_computes_metrics(tmp_path):
    source = tmp_path / "source"  # build from a copy: nothing is written into the checkout
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(os.path.join(ROOT, name), source / name)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(os.path.join(ROOT, "modeling_amsdff"), source / "modeling_amsdff", ignore=ignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    command = [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(source)]
    build = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("modeling_amsdff-*.whl")
    contents = zipfile.ZipFile(wheel).namelist()
    package_data = (
        "model_cards/text-model.md",
        "model_cards/image-model.md",
        "evaluate_metrics/classification_metrics/classification_metrics.py",
        "evaluate_metrics/regression_metrics/regression_metrics.py",
    )
    for data in package_data:
        assert f"modeling_amsdff/{data}" in contents, data
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in contents)

    target = tmp_path / "site"
    command = [*pip, "install", "--no-deps", "--target", str(target), str(wheel)]
    install = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-3000:]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_MODULES_CACHE": str(tmp_path / "modules")}
    env.pop("PYTHONPATH", None)
    command = [sys.executable, "-c", USE_INSTALLED, str(target), ROOT, str(tmp_path / "card")]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["package"].startswith(str(target)), report["package"]  # the wheel's copy, not the checkout
    assert report["card"]["library_name"] == "transformers" and "custom_code" in report["card"]["tags"]
    assert (tmp_path / "card" / "README.md").read_text().count("Rotten Tomatoes") >= 1
    metrics = report["metrics"]
    assert metrics["accuracy"] == 0.5 and metrics["f1_macro"] == pytest.approx(1 / 3)
    assert metrics["precision_macro"] == 0.5 and metrics["recall_macro"] == 0.25
    assert "roc_auc" not in metrics  # one class in the references: nothing to rank
