"""pruneshift: how structured pruning shifts a network's optimal training hyperparameters."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pruneshift")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
