"""Export to LiteRT (TensorFlow Lite) with litert-torch, check it, and time it in the LiteRT
interpreter (XNNPACK, one thread).

A LiteRT model has a fixed input shape, so each batch size timed is a conversion of its own;
the file kept (``models/r=<ratio>.tflite``) is the batch-1 one, the form a microcontroller or
phone runs. The converters print to the process's own output streams (C++ logging included),
so they run with those silenced.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ._onnx import ExportStackMissing, written_whole
from ._timing import Timing, measure

CHECKED = 1000  # validation examples compared one by one (a batch-1 model runs one at a time)


def _require() -> None:
    for name in ("litert_torch", "ai_edge_litert"):
        try:
            __import__(name)
        except ImportError:
            raise ExportStackMissing(name, "litert") from None


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """File descriptors 1 and 2 to /dev/null for the block (C++ logs bypass Python's)."""
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null:
        try:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def export_litert(model: nn.Module, input_shape: tuple[int, ...], path: Path,
                  batch: int = 1) -> Path:
    """Write ``model`` as a LiteRT flatbuffer for inputs of ``batch`` examples; whole or not at
    all. The model's mode is left as it was."""
    _require()
    import litert_torch

    with written_whole(path, model) as partial, _silenced():
        converted = litert_torch.convert(model.cpu().eval(), (torch.zeros(batch, *input_shape),))
        converted.export(str(partial))
    return path


def interpreter(path: Path):
    """A LiteRT interpreter on one thread, its tensors allocated."""
    from ai_edge_litert.interpreter import Interpreter

    with _silenced():
        runner = Interpreter(model_path=str(path), num_threads=1)
        runner.allocate_tensors()
    return runner


def litert_agreement(path: Path, model: nn.Module, x: torch.Tensor) -> tuple[float, float]:
    """Over the first ``CHECKED`` examples of ``x``: the largest logit difference to PyTorch
    and the share of equal predicted classes."""
    runner = interpreter(path)
    source, target = runner.get_input_details()[0], runner.get_output_details()[0]
    was_training = model.training
    model.cpu().eval()
    examples = x[:CHECKED].cpu()
    largest, agree = 0.0, 0
    try:
        with torch.inference_mode():
            expected = model(examples).numpy()
        for example, logits in zip(examples, expected, strict=True):
            runner.set_tensor(source["index"], example[None].numpy())
            runner.invoke()
            got = runner.get_tensor(target["index"])[0]
            largest = max(largest, float(np.max(np.abs(got - logits))))
            agree += int(got.argmax() == logits.argmax())
    finally:
        model.train(was_training)
    return largest, agree / max(1, len(examples))


def time_litert(model: nn.Module, input_shape: tuple[int, ...], batch: int, runs: int,
                path: Path | None = None) -> Timing:
    """The LiteRT interpreter at ``batch`` (converted for it, unless ``path`` is that model)."""
    with tempfile.TemporaryDirectory() as folder:
        model_path = path or export_litert(model, input_shape, Path(folder) / "m.tflite", batch)
        runner = interpreter(model_path)
        source = runner.get_input_details()[0]
        x = np.random.default_rng(0).standard_normal((batch, *input_shape)).astype(np.float32)

        def forward() -> None:
            runner.set_tensor(source["index"], x)
            runner.invoke()

        return measure(forward, runs, batch)
