"""Export to ONNX, and how far ONNX Runtime's outputs are from PyTorch's."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn

INPUT, OUTPUT = "input", "logits"


class ExportStackMissing(ImportError):
    """A runtime's export stack is not installed; the message names the extra to install."""

    def __init__(self, missing: str, extra: str):
        super().__init__(f"{missing} is not installed: pip install 'pruneshift[{extra}]' to "
                         "export and time the pruned models in it")


def _require() -> None:
    for name in ("onnx", "onnxruntime", "onnxscript"):
        try:
            __import__(name)
        except ImportError:
            raise ExportStackMissing(name, "deploy") from None


def export_onnx(model: nn.Module, example: torch.Tensor, path: Path) -> Path:
    """Write ``model`` (in eval mode, on the CPU) as ONNX with a dynamic batch axis; whole or
    not at all (through a temporary file). The model is left as it was."""
    _require()
    batch = torch.export.Dim("batch", min=1, max=65536)
    with written_whole(path, model) as partial, warnings.catch_warnings(), \
            contextlib.redirect_stdout(io.StringIO()), \
            _quiet("torch.onnx", "torch.export", "torch._dynamo", "onnxscript"):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model.cpu().eval(), (example.cpu()[:1],), dynamo=True,
                                    input_names=[INPUT], output_names=[OUTPUT],
                                    dynamic_shapes=({0: batch},), verbose=False)
        program.save(str(partial))
    return path


@contextlib.contextmanager
def written_whole(path: Path, model: nn.Module) -> Iterator[Path]:
    """A temporary path to export ``model`` to, moved onto ``path`` only once the export
    succeeded; the model's train/eval mode is restored either way."""
    was_training = model.training
    partial = path.with_name(f".{path.name}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield partial
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
        model.train(was_training)


@contextlib.contextmanager
def _quiet(*names: str):
    """Raise the named loggers to ERROR for the block (the exporter narrates every step)."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def session(path: Path, threads: int = 1):
    """An ONNX Runtime CPU session with ``threads`` intra-op threads."""
    _require()
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def agreement(path: Path, model: nn.Module, x: torch.Tensor, batch: int = 256
              ) -> tuple[float, float]:
    """Over ``x``: the largest absolute difference between ONNX Runtime's and PyTorch's
    logits, and the share of examples whose predicted class agrees."""
    runner = session(path, threads=1)
    was_training = model.training
    model.cpu().eval()
    largest, agree = 0.0, 0
    try:
        with torch.inference_mode():
            for start in range(0, len(x), batch):
                chunk = x[start:start + batch].cpu()
                expected = model(chunk).numpy()
                got = runner.run([OUTPUT], {INPUT: chunk.numpy()})[0]
                largest = max(largest, float(np.max(np.abs(got - expected))))
                agree += int(np.sum(got.argmax(1) == expected.argmax(1)))
    finally:
        model.train(was_training)
    return largest, agree / max(1, len(x))
