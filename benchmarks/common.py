# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""What every benchmark script shares: the offline environment and the repository on the import path (set when this
module is imported, so import it before the package), the folders, the machine line, mean ± std of seeds, and
writing the results table (.md) and the raw runs (.json) that docs/results.md includes (scripts/build_docs.py)."""

from __future__ import annotations

import collections
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import torch


os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the offline data and encoder; nothing tries the network
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)  # the package and train.py, run from anywhere
RESULTS_DIR = os.path.join(ROOT, "benchmarks", "results")
MODELS_DIR = os.path.join(ROOT, "benchmarks", "models")  # models benchmarks/inference.py trains and reuses
# train.py arguments the text benchmarks share: the schedule (cosine, 10% warm-up, weight decay 0.01) ...
TEXT_SCHEDULE = ["--lr_scheduler_type", "cosine", "--warmup_steps", "0.1", "--weight_decay", "0.01"]
# ... and a quiet CPU run: no evaluation during training, no checkpoints, no reporting, no progress bars.
QUIET_CPU_RUN = [
    "--eval_strategy",
    "no",
    "--save_strategy",
    "no",
    "--report_to",
    "none",
    "--use_cpu",
    "--disable_tqdm",
    "true",
]


def start_server(folder: str, *flags: str):
    """`amsdff-serve folder *flags` on a free loopback port, once /health answers: returns (process, url)."""
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "modeling_amsdff.serving", folder, "--port", str(port), *flags]
    errors = tempfile.TemporaryFile()  # a file, not a pipe: a long run's messages never fill it and block the server
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
    deadline = time.time() + 180
    while True:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                errors.seek(0)
                message = errors.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"the server for {folder} did not start: {message}") from None
            time.sleep(0.5)


def cpu_model() -> str:
    """The CPU's model name (`/proc/cpuinfo` on Linux), or its architecture where that is all there is to tell:
    machines of the same kind can carry different CPUs, and their timings differ by more than the models compared."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return f"{platform.machine()} ({line.split(':', 1)[1].strip()})"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """The machine a result was measured on: CPU, cores, torch version and the GPU if there is one."""
    gpu = f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    threads = torch.get_num_threads()
    return f"{cpu_model()}, {os.cpu_count()} CPU cores, torch {torch.__version__} ({threads} threads){gpu}"


def machines_line(runs: list[dict], unrecorded: str | None = None) -> str:
    """The machine(s) a table's runs trained on, for its header: results files gather runs of several sessions, and
    each run records its own (`machine`). `unrecorded`: what is known of the runs stored before runs recorded theirs
    (the machine the file named when they were written)."""
    counts = collections.Counter(run["machine"] for run in runs if run.get("machine"))
    missing = sum(not run.get("machine") for run in runs)
    if len(counts) == 1 and not missing:
        return f"Machine: {next(iter(counts))}."
    parts = [f"{name} ({count} run{'s' if count != 1 else ''})" for name, count in sorted(counts.items())]
    if missing:
        parts.append(f"{missing} earlier runs did not record theirs" + (f" ({unrecorded})" if unrecorded else ""))
    return f"Machines: {'; '.join(parts)}." if parts else f"Machine: {machine()}."


def mean_std(values: list[float], digits: int = 4) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def write_results(output: str, title: str, text: str, data) -> None:
    """`output`.md with a title and `text` (the table), `output`.json with `data`."""
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output + ".md", "w") as handle:
        handle.write(f"# {title}\n\n{text}\n")
    with open(output + ".json", "w") as handle:
        json.dump(data, handle, indent=1)
