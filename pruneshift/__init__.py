"""pruneshift: how structured pruning shifts a network's optimal training hyperparameters."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pruneshift")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

STORAGE_ENV = "PRUNESHIFT_STORAGE"  # the storage URL, kept off command lines and out of files

__all__ = ["STORAGE_ENV", "__version__"]
