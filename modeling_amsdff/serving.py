# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""A small REST server over any saved model folder of this package (FastAPI + uvicorn):

    amsdff-serve SAVED_FOLDER [--host 127.0.0.1] [--port 8000] [--max_batch_size 32] [--max_wait_ms 5]

- `GET /health`: {"status": "ok"} once the model is loaded.
- `GET /info`: model type, task, labels, parameters, backend (pytorch, or onnxruntime with --onnx), and the server's
  batching counters.
- `POST /predict` with {"inputs": [...]}: texts for the text models, base64-encoded image files (PNG, JPEG ...)
  for the image models; answers {"predictions": [...]} in the same order (label and scores, labels above 0.5 for
  multi-label models, or named values for regression).

Items of concurrent requests are batched together: a worker takes up to --max_batch_size items, waiting at most
--max_wait_ms for more to arrive, runs the model once and answers each request. Decoding and tokenising run in worker
threads, never on the event loop. Malformed input gets a 422 answer and input over a limit (`ServerLimits`: body
bytes, items, characters per text, pixels per image and per request) a 413, each with a message that names the
problem.

The server has no authentication and binds to 127.0.0.1 by default: to serve other machines, put it behind a reverse
proxy that authenticates (and terminates TLS), rather than binding it to a public address. Not copied to the Hub with
a model."""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import io
import json
import os
import time
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from .export import ONNX_NAME, onnx_session, run_onnx
from .inference import InferenceInputError, InputTooLargeError, LoadedModel, load_for_inference, open_image


@dataclass(frozen=True)
class ServerLimits:
    """What one request may ask of the server, with defaults that fit a 2-core, 8 GB machine (measured in
    benchmarks/results/serving_limits.md). Each has an `amsdff-serve` flag of the same name."""

    max_body_bytes: int = 16 * 2**20  # the JSON body; base64 images take 4/3 of their file size
    max_items: int = 256  # texts or images per request
    max_text_chars: int = 50_000  # per text
    max_image_pixels: int = 4096 * 4096  # per image, read from its header before it is decoded
    max_request_pixels: int = 32 * 2**20  # all the images of a request together (96 MB of decoded RGB)


# Texts are cut to this many characters per token of --max_length before tokenising (the tokenizer truncates to
# --max_length tokens anyway): a megabyte of text then costs no more than a page.
CHARACTERS_PER_TOKEN = 32


class BodySizeLimit:
    """ASGI middleware: answers 413 to a request whose body is over `max_bytes`, by its Content-Length or, for a
    streamed body, as soon as that many bytes have arrived; the body is read here (at most `max_bytes`) and handed on
    whole, so nothing downstream ever holds more."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send, int(declared))
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await self._refuse(send, size)
            if not message.get("more_body"):
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send, size: int) -> None:
        detail = f"The request body is {size:,} bytes or more; the limit is {self.max_bytes:,} (--max_body_bytes)."
        body = json.dumps({"detail": detail}).encode()
        # Connection: close, so that the server does not read (and the client stops sending) the rest of the body.
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def prepare(loaded: LoadedModel, items: list, limits: ServerLimits) -> dict[str, torch.Tensor]:
    """Model inputs for one request's items, every limit checked first (run in a worker thread: decoding and
    tokenising never block the event loop)."""
    if loaded.kind == "text":
        cut = CHARACTERS_PER_TOKEN * loaded.max_length
        for index, text in enumerate(items):
            if isinstance(text, str) and len(text) > limits.max_text_chars:
                raise InputTooLargeError(
                    f"Item {index} has {len(text):,} characters; the limit is {limits.max_text_chars:,} per text "
                    "(--max_text_chars)."
                )
        return loaded.preprocess([text[:cut] if isinstance(text, str) else text for text in items])
    images, pixels = [], 0
    for index, item in enumerate(items):
        image = open_image(_decode_base64(item, index), index, limits.max_image_pixels)
        pixels += image.width * image.height
        if pixels > limits.max_request_pixels:
            raise InputTooLargeError(
                f"The images of this request have more than {limits.max_request_pixels:,} pixels together "
                "(--max_request_pixels); send fewer or smaller images per request."
            )
        images.append(image)
    return loaded.preprocess(images)


def _decode_base64(item, index: int) -> io.BytesIO:
    """The image file a request carries as a base64 string (a `data:` URL prefix is allowed)."""
    if not isinstance(item, str):
        raise InferenceInputError(
            f"Item {index} is a {type(item).__name__}; image models take base64-encoded image files as strings."
        )
    try:
        return io.BytesIO(
            base64.b64decode(item.split(",", 1)[-1] if item.startswith("data:") else item, validate=True)
        )
    except binascii.Error as error:
        raise InferenceInputError(f"Item {index} is not valid base64: {error}") from error


class PredictRequest(BaseModel):
    inputs: list = Field(..., description="Texts, or base64-encoded image files, to predict.")


class Batcher:
    """Collects the items of concurrent requests into batches for one model call each."""

    def __init__(self, loaded: LoadedModel, max_batch_size: int, max_wait_ms: float, onnx_session=None):
        self.loaded, self.max_batch_size, self.max_wait = loaded, max_batch_size, max_wait_ms / 1000
        self.onnx_session = onnx_session  # run the exported graph with ONNX Runtime instead of the PyTorch model
        self.queue: asyncio.Queue = asyncio.Queue()
        self.batches = self.items = 0
        self.largest_batch = 0
        self._worker: asyncio.Task | None = None

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    async def predict(self, model_inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits for one request's (already preprocessed) inputs, computed in a shared batch."""
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((model_inputs, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            pending = [await self.queue.get()]
            size = len(next(iter(pending[0][0].values())))
            deadline = loop.time() + self.max_wait
            while size < self.max_batch_size:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    request = await asyncio.wait_for(self.queue.get(), timeout)
                except asyncio.TimeoutError:
                    break
                pending.append(request)
                size += len(next(iter(request[0].values())))
            try:
                logits = await loop.run_in_executor(None, self._forward, [inputs for inputs, _ in pending])
            except Exception as error:  # noqa: BLE001 - answer every waiting request with the failure
                for _, future in pending:
                    if not future.done():
                        future.set_exception(error)
                continue
            start = 0
            for inputs, future in pending:
                rows = len(next(iter(inputs.values())))
                if not future.done():
                    future.set_result(logits[start : start + rows])
                start += rows
            self.batches += 1
            self.items += size
            self.largest_batch = max(self.largest_batch, size)

    @torch.no_grad()
    def _forward(self, requests: list[dict[str, torch.Tensor]]) -> torch.Tensor:
        if self.loaded.kind == "image":
            batch = {"pixel_values": torch.cat([r["pixel_values"] for r in requests])}
        else:  # pad every request's tokens to the longest in the batch
            length = max(r["input_ids"].shape[1] for r in requests)
            tokenizer = self.loaded.processor
            pad_id = tokenizer.pad_token_id or 0

            def pad(tensor: torch.Tensor, value: int) -> torch.Tensor:  # on the tokenizer's padding side
                missing = length - tensor.shape[1]
                return F.pad(tensor, (missing, 0) if tokenizer.padding_side == "left" else (0, missing), value=value)

            batch = {
                "input_ids": torch.cat([pad(r["input_ids"], pad_id) for r in requests]),
                "attention_mask": torch.cat([pad(r["attention_mask"], 0) for r in requests]),
            }
        # At most max_batch_size rows per model call, so that one large request cannot take more activation memory
        # than a full batch of small ones.
        rows = len(next(iter(batch.values())))
        logits = []
        for start in range(0, rows, self.max_batch_size):
            chunk = {name: tensor[start : start + self.max_batch_size] for name, tensor in batch.items()}
            if self.onnx_session is not None:
                logits.append(torch.from_numpy(run_onnx(self.onnx_session, chunk)))
            else:
                logits.append(self.loaded.model(**chunk).logits)
        return torch.cat(logits)


def create_app(
    folder: str,
    max_batch_size: int = 32,
    max_wait_ms: float = 5.0,
    max_length: int = 128,
    onnx: str | None = None,
    limits: ServerLimits = ServerLimits(),
    trust_remote_code: bool = False,
) -> FastAPI:
    """The FastAPI application serving the model saved in `folder`; with `onnx` (a model.onnx that `amsdff-export`
    wrote for it, or its folder), the predictions come from that graph through ONNX Runtime. `limits` bound what one
    request may ask; the folder's own code runs only with `trust_remote_code` (see `load_for_inference`)."""
    loaded = load_for_inference(folder, max_length=max_length, trust_remote_code=trust_remote_code)
    session = None
    if onnx is not None:
        path = os.path.join(onnx, ONNX_NAME) if os.path.isdir(onnx) else onnx
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No ONNX model at {path!r}; write one with `amsdff-export {folder} OUT`.")
        try:
            session = onnx_session(path)
        except Exception as error:  # noqa: BLE001 - onnxruntime's InvalidProtobuf, Fail ...: not a loadable graph
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ValueError(
                f"--onnx {path!r} is not an ONNX model that ONNX Runtime can load ({message}); pass the model.onnx "
                f"(or its folder) that `amsdff-export {folder} OUT` writes."
            ) from error
        expected = [i.name for i in session.get_inputs()]
        if expected != loaded.input_names or session.get_outputs()[0].name != "logits":
            raise ValueError(f"{path!r} takes {expected}, not the {loaded.input_names} of the model in {folder!r}.")
    batcher = Batcher(loaded, max_batch_size, max_wait_ms, session)

    @asynccontextmanager
    async def lifespan(app):
        batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(title=f"modeling_amsdff: {loaded.config.model_type}", lifespan=lifespan)
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes)
    started = time.time()

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/info")
    def info() -> dict:
        return {
            **loaded.info(),
            "backend": "onnxruntime" if session is not None else "pytorch",
            "max_batch_size": max_batch_size,
            "max_wait_ms": max_wait_ms,
            "limits": asdict(limits),
            "batches": batcher.batches,
            "items": batcher.items,
            "largest_batch": batcher.largest_batch,
            "uptime_s": round(time.time() - started, 1),
        }

    @app.post("/predict")
    async def predict(request: PredictRequest) -> dict:
        items = request.inputs
        if not items:
            raise HTTPException(422, "`inputs` is empty: send at least one text or image.")
        if len(items) > limits.max_items:
            raise HTTPException(
                413, f"{len(items)} inputs in one request; the limit is {limits.max_items} (--max_items)."
            )
        try:
            model_inputs = await asyncio.get_running_loop().run_in_executor(None, prepare, loaded, items, limits)
        except InputTooLargeError as error:
            raise HTTPException(413, str(error)) from error
        except InferenceInputError as error:
            raise HTTPException(422, str(error)) from error
        logits = await batcher.predict(model_inputs)
        return {"predictions": loaded.postprocess(logits)}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="amsdff-serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="Saved model folder (train.py output or save_pretrained).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--max_batch_size", type=int, default=32, help="Most items per model call.")
    parser.add_argument("--max_wait_ms", type=float, default=5.0, help="Longest wait for a batch to fill.")
    parser.add_argument("--max_length", type=int, default=128, help="Tokens per text after truncation.")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's).")
    parser.add_argument(
        "--onnx",
        default=None,
        help="Serve this ONNX export of the model (model.onnx or "
        "model_int8.onnx from amsdff-export, or its folder) with ONNX Runtime instead of PyTorch.",
    )
    parser.add_argument(
        "--trust_remote_code",
        action="store_true",
        help="Run the Python code of a folder whose model type is not one of this package's (as in transformers).",
    )
    defaults = ServerLimits()
    for name, value in asdict(defaults).items():
        parser.add_argument(f"--{name}", type=int, default=value, help=f"Request limit (default {value:,}).")
    args = parser.parse_args(argv)
    import uvicorn

    if args.threads:
        torch.set_num_threads(args.threads)
    limits = ServerLimits(**{name: getattr(args, name) for name in asdict(defaults)})
    try:
        app = create_app(
            args.folder,
            args.max_batch_size,
            args.max_wait_ms,
            args.max_length,
            args.onnx,
            limits=limits,
            trust_remote_code=args.trust_remote_code,
        )
    except (FileNotFoundError, ValueError, OSError) as error:
        raise SystemExit(f"error: {error}") from error
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
