# amsdff-serve in a container: CPU PyTorch, this package with its [serve] extra, a non-root user and a health check.
#
#   docker build -t amsdff-serve .
#   docker run --rm -p 127.0.0.1:8000:8000 -v "$PWD/my-model:/model:ro" amsdff-serve      # a mounted model folder
#   docker run ... -v "$PWD/my-model-onnx:/model-onnx:ro" amsdff-serve /model --host 0.0.0.0 --onnx /model-onnx
#
# A model baked into an image of its own: a two-line Dockerfile `FROM amsdff-serve` + `COPY my-model /model`.
# Arguments after the image name replace CMD (the folder and the server's flags; see `amsdff-serve --help`).
# The server listens on 0.0.0.0:8000 inside the container (it has no authentication): publish it on the host's loopback
# as above and put a proxy that authenticates and terminates TLS in front, as for amsdff-serve outside a container.

ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

# The CPU build of PyTorch from its own index (PyPI's default build for Linux carries CUDA: several GB more).
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HF_HUB_OFFLINE=1 \
    HF_HOME=/home/amsdff/.cache/huggingface

RUN python3 -m venv /opt/venv \
    && pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}" --extra-index-url https://pypi.org/simple

WORKDIR /src
COPY pyproject.toml setup.cfg README.md ./
COPY modeling_amsdff ./modeling_amsdff
RUN pip install ".[serve]" \
    && cd / && rm -rf /src \
    && python -c "import modeling_amsdff.serving, torch; print('torch', torch.__version__)"

RUN useradd --create-home --uid 10001 --user-group amsdff
USER amsdff
WORKDIR /home/amsdff

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
ENTRYPOINT ["amsdff-serve"]
CMD ["/model", "--host", "0.0.0.0", "--port", "8000"]
