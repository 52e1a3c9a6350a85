#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Load test of the REST server (`amsdff-serve`): the server runs in its own process on loopback over a saved model,
and a second process sends /predict requests (one real test text or image each) from N concurrent clients for a
fixed time. Reports requests/s, latency p50/p95/p99 and the server's mean batch size, per concurrency level.

Usage:
    python benchmarks/serving_load.py                              # the models benchmarks/inference.py trained
    python benchmarks/serving_load.py --folders path/to/model --concurrency 1 8 --seconds 10

Writes benchmarks/results/serving_load.md and .json.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import threading
import time

import numpy as np
from common import MODELS_DIR, RESULTS_DIR, cpu_model, start_server, write_results


def payloads(folder: str, count: int = 256) -> list[dict]:
    """One-item request bodies from the real test split that matches the model's kind."""
    from modeling_amsdff.offline_data import load_fashion_mnist, load_rotten_tomatoes
    from modeling_amsdff.registry import family_for

    config = json.load(open(os.path.join(folder, "config.json")))
    if family_for(config).is_image:
        images = load_fashion_mnist()["test"]["image"][:count]
        encoded = []
        for image in images:
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            encoded.append(base64.b64encode(buffer.getvalue()).decode())
        return [{"inputs": [item]} for item in encoded]
    return [{"inputs": [text]} for text in load_rotten_tomatoes()["test"]["text"][:count]]


def load(url: str, bodies: list[dict], concurrency: int, seconds: float) -> dict:
    """Closed-loop load: `concurrency` clients, each sending its next request when the last one is answered."""
    import httpx

    latencies, errors = [], []
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def client(index: int) -> None:
        with httpx.Client(timeout=60) as session:
            i = index
            while time.perf_counter() < stop:
                start = time.perf_counter()
                answer = session.post(url + "/predict", json=bodies[i % len(bodies)])
                elapsed = time.perf_counter() - start
                with lock:
                    (latencies if answer.status_code == 200 else errors).append(elapsed)
                i += concurrency

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    ms = np.array(latencies) * 1000
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": len(errors),
        "requests_per_s": len(latencies) / wall,
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
    }


def serve_and_load(folder: str, args, backend: str) -> list[dict]:
    import httpx

    # The ONNX backend serves the export benchmarks/inference.py wrote next to the model (FOLDER-onnx/model.onnx).
    onnx = ["--onnx", os.path.normpath(folder) + "-onnx"] if backend == "onnx" else []
    flags = ["--max_batch_size", str(args.max_batch_size), "--max_wait_ms", str(args.max_wait_ms), *onnx]
    server, url = start_server(folder, *flags)
    try:
        bodies = payloads(folder)
        # The load generator is a separate process from the server (this one); warm up first.
        load(url, bodies, 2, 2.0)
        rows = []
        for concurrency in args.concurrency:
            before = httpx.get(url + "/info").json()
            row = load(url, bodies, concurrency, args.seconds)
            after = httpx.get(url + "/info").json()
            batches = after["batches"] - before["batches"]
            row.update(
                model=os.path.basename(os.path.normpath(folder)),
                kind=after["kind"],
                backend=after["backend"],
                mean_batch=(after["items"] - before["items"]) / batches if batches else 0.0,
            )
            print(json.dumps(row), flush=True)
            rows.append(row)
        return rows
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = [os.path.join(MODELS_DIR, name) for name in ("amsdff", "amsra-net")]
    parser.add_argument("--folders", nargs="+", default=default)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max_batch_size", type=int, default=32)
    parser.add_argument("--max_wait_ms", type=float, default=5.0)
    parser.add_argument("--backends", nargs="+", default=["pytorch", "onnx"], choices=["pytorch", "onnx"])
    parser.add_argument("--output", default=os.path.join(RESULTS_DIR, "serving_load"))
    args = parser.parse_args()
    rows = [
        row for folder in args.folders for backend in args.backends for row in serve_and_load(folder, args, backend)
    ]
    lines = [
        f"Machine: {cpu_model()}, {os.cpu_count()} CPU cores (server and load generator share them). "
        f"Server: amsdff-serve, --max_batch_size {args.max_batch_size}, --max_wait_ms {args.max_wait_ms}, one "
        f"uvicorn worker. Each request carries one real test item (a Rotten Tomatoes snippet, or a "
        f"Fashion-MNIST PNG); closed loop, {args.seconds:g} s per level.",
        "",
        "| model | backend | clients | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | mean batch | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['model']} | {row['backend']} | {row['concurrency']} | {row['requests_per_s']:.1f} | "
            f"{row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {row['mean_batch']:.1f} | "
            f"{row['errors']} |"
        )
    text = "\n".join(lines)
    print(text)
    write_results(args.output, "REST server under load", text, rows)


if __name__ == "__main__":
    main()
