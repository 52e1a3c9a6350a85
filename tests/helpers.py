"""Test helpers: running code in a fresh Python process in which this package cannot be imported, and a training
script's command line in this one."""

import os
import socket
import subprocess
import sys
import textwrap


# train.py arguments for the quickest real run: one epoch, short texts, no saving or reporting.
FAST = [
    "--num_train_epochs",
    "1",
    "--per_device_train_batch_size",
    "8",
    "--max_seq_length",
    "32",
    "--report_to",
    "none",
    "--save_strategy",
    "no",
    "--logging_steps",
    "2",
    "--use_cpu",
    "--no_plots",  # the runs that check plots turn them back on with PLOTS
]
PLOTS = ["--no_plots", "false"]

BLOCK_PACKAGE = textwrap.dedent(
    """
    import importlib.abc, sys

    class BlockPackage(importlib.abc.MetaPathFinder):
        # A saved folder must load with plain transformers: make this package unimportable in this process.
        def find_spec(self, name, path=None, target=None):
            if name == "modeling_amsdff" or name.startswith("modeling_amsdff."):
                raise ImportError("modeling_amsdff is blocked in this process")

    sys.meta_path.insert(0, BlockPackage())
    """
)

# argv: a JSON list of [folder, auto_class, output_key]; for each, reads folder/inputs.json and runs the model that
# `auto_class.from_pretrained(folder, trust_remote_code=True)` loads; prints the output tensors as one JSON list.
LOAD_AND_RUN = textwrap.dedent(
    """
    import json, sys, torch
    import transformers
    outputs = []
    for folder, auto_class, output_key in json.loads(sys.argv[1]):
        inputs = {k: torch.tensor(v) for k, v in json.load(open(folder + "/inputs.json")).items()}
        model = getattr(transformers, auto_class).from_pretrained(folder, trust_remote_code=True).eval()
        assert model.__class__.__module__.startswith("transformers_modules."), model.__class__.__module__
        with torch.no_grad():
            outputs.append(model(**inputs)[output_key].tolist())
    print(json.dumps(outputs))
    """
)


def run_without_package(script: str, args: list[str], cwd, env: dict | None = None) -> str:
    """Run `script` with `args` in a new interpreter where `import modeling_amsdff` fails; return its stdout. `env`
    adds to (or replaces) the environment, which is offline by default."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        "HF_MODULES_CACHE": str(cwd / "hf_modules"),
        "HF_HUB_OFFLINE": "1",
        **(env or {}),
    }
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_PACKAGE + script, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def command_line_error(main, argv: list[str], capsys) -> str:
    """Run a training script's `main` on `argv` as `python train.py ...` runs it (`run_command_line` around it), in
    this process (a fresh interpreter costs seconds): it must end with exit code 2 and no traceback. Returns stderr."""
    import pytest

    from modeling_amsdff.runner import run_command_line

    with pytest.raises(SystemExit) as exited:
        run_command_line(lambda: main(argv))
    stderr = capsys.readouterr().err
    assert exited.value.code == 2, stderr[-2000:]
    assert "Traceback" not in stderr
    return stderr


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
