"""Data-parallel training with the launchers users run, unchanged: `torchrun --nproc_per_node 2 train.py ...` and
`accelerate launch --multi_gpu --num_processes 2 train.py ...`, on CPU (gloo). Each process must see its own share
of the training data, all processes must end with the same weights, and the saved model must load."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from distributed_probe import weights_digest
from safetensors.torch import load_file

from modeling_amsdff import AmsdffForSequenceClassification

from helpers import free_port


HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHERS = {
    "torchrun": ["torchrun", "--nproc_per_node", "2", "--master_port", "{port}"],
    "accelerate": [
        "accelerate",
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        "{port}",
    ],
}


def read_records(path) -> tuple[list[dict], list[str]]:
    batches, weights = [], []
    for line in open(path):
        item = json.loads(line)
        if "batch" in item:
            batches.append(item["batch"])
        else:
            weights.append(item["weights"])
    return batches, weights


@pytest.mark.slow
@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_two_processes_split_the_data_and_save_one_model(launcher, tiny_encoder, tmp_path):
    executable = shutil.which(LAUNCHERS[launcher][0], path=os.path.dirname(sys.executable))
    if executable is None:
        pytest.skip(f"{LAUNCHERS[launcher][0]} is not installed next to {sys.executable}")
    data = tmp_path / "data.csv"
    data.write_text(
        "text,label\n" + "\n".join(f'"review number {i} was {"good" if i % 2 else "bad"}",{i % 2}' for i in range(64))
    )
    record_dir, out = tmp_path / "records", tmp_path / "out"
    record_dir.mkdir()
    port = str(free_port())
    launcher_args = [arg.replace("{port}", port) for arg in LAUNCHERS[launcher][1:]]
    command = [
        executable,
        *launcher_args,
        os.path.join(HERE, "distributed_probe.py"),
        str(record_dir),
        "--model_name_or_path",
        tiny_encoder,
        "--train_file",
        str(data),
        "--output_dir",
        str(out),
        "--num_train_epochs",
        "1",
        "--per_device_train_batch_size",
        "4",
        "--max_seq_length",
        "16",
        "--report_to",
        "none",
        "--save_strategy",
        "no",
        "--use_cpu",
        "--no_plots",
        "--do_train",
        "--do_eval",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]

    (batches0, weights0), (batches1, weights1) = (read_records(record_dir / f"rank{r}.jsonl") for r in (0, 1))
    assert {b["world_size"] for b in batches0 + batches1} == {2}
    assert len(batches0) == len(batches1) > 0

    def examples(batches):
        return [tuple(token for token in ids if token != 0) for b in batches for ids in b["input_ids"]]

    seen0, seen1 = examples(batches0), examples(batches1)
    train_samples = json.loads((out / "all_results.json").read_text())["train_samples"]
    # Each process gets its own half; only the last batch may repeat a few examples to keep the batches even.
    assert len(set(seen0) | set(seen1)) == train_samples
    assert len(set(seen0) & set(seen1)) < 4 * 2
    # Gradients were all-reduced: both processes end with the same weights, and that is the model saved.
    assert weights0 == weights1 and len(weights0) == 1
    model = AmsdffForSequenceClassification.from_pretrained(out)
    assert weights_digest(model) == weights0[0]
    assert set(load_file(out / "model.safetensors")) == set(model.state_dict())
    assert (out / "README.md").is_file() and (out / "tokenizer.json").is_file()
