"""Each pruned model as it will run: exported to ONNX (and, with the litert extra, to
LiteRT), checked against PyTorch, and timed in its runtime and in PyTorch on one CPU thread."""

from ._litert import export_litert, litert_agreement, time_litert
from ._onnx import ExportStackMissing, agreement, export_onnx
from ._timing import Timing, time_onnx, time_torch

__all__ = ["ExportStackMissing", "Timing", "agreement", "export_litert", "export_onnx",
           "litert_agreement", "time_litert", "time_onnx", "time_torch"]
