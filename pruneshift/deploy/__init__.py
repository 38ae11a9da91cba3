"""Each pruned model as it will run: exported to ONNX, checked against PyTorch, and timed in
ONNX Runtime and PyTorch on one CPU thread."""

from ._onnx import OnnxMissing, agreement, export_onnx
from ._timing import Timing, time_onnx, time_torch

__all__ = ["OnnxMissing", "Timing", "agreement", "export_onnx", "time_onnx", "time_torch"]
