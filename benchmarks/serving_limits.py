#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Hostile requests against the REST server (`amsdff-serve`) with its default limits (`ServerLimits`): what each is
answered, how long it takes, whether /health stays responsive meanwhile, and the server process's peak memory.

The models: AMSDFF on the offline all-MiniLM-L6-v2 (22.7M parameters) and AMSRA-Net for 28x28 greyscale images, both
untrained (memory and refusals do not depend on the weights). The requests are those of issue 11 (a 20 MB text,
256 texts of 1 MB, eight 10000x10000 PNGs, a 20000x20000 PNG) and the largest requests the limits allow.

Usage:
    python benchmarks/serving_limits.py

Writes benchmarks/results/serving_limits.md and .json.
"""

from __future__ import annotations

import base64
import io
import json
import os
import tempfile
import threading
import time

import numpy as np
from common import RESULTS_DIR, machine, start_server, write_results


def memory_mib(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MiB, from /proc (Linux)."""
    values = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values["VmRSS"], values["VmHWM"]


def png(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    from PIL import Image

    Image.fromarray(array).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def save_models(folder: str) -> dict[str, str]:
    from transformers import AutoTokenizer

    from modeling_amsdff import (
        AmsdffForSequenceClassification,
        AmsraNetConfig,
        AmsraNetForImageClassification,
        AmsraNetImageProcessor,
    )
    from modeling_amsdff.offline_data import minilm_path

    text, image = os.path.join(folder, "amsdff"), os.path.join(folder, "amsra")
    AmsdffForSequenceClassification.from_pretrained_backbone(minilm_path(), num_labels=2).save_pretrained(text)
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(text)
    config = AmsraNetConfig(num_channels=1, image_size=28, num_labels=10)
    AmsraNetForImageClassification(config).save_pretrained(image)
    AmsraNetImageProcessor(num_channels=1, size={"height": 28, "width": 28}).save_pretrained(image)
    return {"AMSDFF (MiniLM)": text, "AMSRA-Net (28x28)": image}


def scenarios(kind: str) -> list[tuple[str, dict]]:
    from modeling_amsdff.serving import ServerLimits

    limits = ServerLimits()
    if kind == "text":
        return [
            ("one text of 20 MB", {"inputs": ["word " * 4_000_000]}),
            ("256 texts of 1 MB", {"inputs": ["word " * 200_000] * 256}),
            ("one text over --max_text_chars (60,000 characters)", {"inputs": ["word " * 12_000]}),
            (
                f"largest allowed: {limits.max_items} texts of {limits.max_text_chars:,} characters",
                {"inputs": ["word " * (limits.max_text_chars // 5)] * limits.max_items},
            ),
        ]
    bomb = png(np.zeros((10_000, 10_000), dtype=np.uint8))
    side = int(limits.max_image_pixels**0.5)
    largest = png(np.zeros((side, side, 3), dtype=np.uint8))
    count = limits.max_request_pixels // limits.max_image_pixels
    return [
        (f"eight 10000x10000 PNGs ({len(bomb) * 8 / 1e6:.2f} MB of base64)", {"inputs": [bomb] * 8}),
        ("one 20000x20000 PNG", {"inputs": [png(np.zeros((20_000, 20_000), dtype=np.uint8))]}),
        (f"largest allowed: {count} RGB PNGs of {side}x{side}", {"inputs": [largest] * count}),
    ]


def run_scenarios(name: str, folder: str, kind: str) -> list[dict]:
    import httpx

    server, url = start_server(folder)
    rows = []
    try:
        idle_rss, _ = memory_mib(server.pid)
        for label, payload in scenarios(kind):
            health = []

            def probe(stop: threading.Event, health: list):
                while not stop.is_set():
                    start = time.perf_counter()
                    httpx.get(url + "/health", timeout=120)
                    health.append(time.perf_counter() - start)
                    time.sleep(0.05)

            body = json.dumps(payload).encode()  # encoded before the clock starts: the client's cost is not measured
            stop = threading.Event()
            prober = threading.Thread(target=probe, args=(stop, health))
            prober.start()
            start = time.perf_counter()
            headers = {"Content-Type": "application/json"}
            answer = httpx.post(url + "/predict", content=body, headers=headers, timeout=600)
            seconds = time.perf_counter() - start
            stop.set()
            prober.join()
            rss, peak = memory_mib(server.pid)
            rows.append(
                {
                    "model": name,
                    "request": label,
                    "status": answer.status_code,
                    "answer": answer.json().get("detail", "predictions")[:120],
                    "seconds": seconds,
                    "slowest_health_ms": 1000 * max(health) if health else None,
                    "rss_mib": rss,
                    "peak_rss_mib": peak,
                    "idle_rss_mib": idle_rss,
                }
            )
            print(rows[-1], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, path in save_models(folder).items():
            rows += run_scenarios(name, path, "image" if "AMSRA" in name else "text")
    lines = [
        f"Machine: {machine()}. Server: `amsdff-serve` with its default limits, one uvicorn worker, PyTorch backend; "
        "client on the same machine. /health was polled every 50 ms during each request; memory is the server "
        "process's resident set (peak since it started).",
        "",
        "| model | request | answer | seconds | slowest /health (ms) | memory after (MiB) | peak so far (MiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        health = f"{row['slowest_health_ms']:.0f}" if row["slowest_health_ms"] is not None else ""
        lines.append(
            f"| {row['model']} | {row['request']} | {row['status']} | {row['seconds']:.2f} | {health} | "
            f"{row['rss_mib']:.0f} | {row['peak_rss_mib']:.0f} |"
        )
    table = "\n".join(lines)
    print(table)
    write_results(os.path.join(RESULTS_DIR, "serving_limits"), "REST server under hostile requests", table, rows)


if __name__ == "__main__":
    main()
