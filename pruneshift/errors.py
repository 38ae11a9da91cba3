"""One exception family: the CLI prints any of these as a single line."""


class PruneshiftError(Exception):
    """Base of every error pruneshift raises on purpose."""


class ConfigError(PruneshiftError):
    """An experiment configuration (file, field or override) is invalid."""


class DataError(PruneshiftError):
    """A dataset cannot be found, read or verified."""


class StorageError(PruneshiftError):
    """The Optuna storage cannot be reached or holds something unexpected."""


class CheckpointError(PruneshiftError):
    """A stored model checkpoint is missing or corrupt."""


class AnalysisError(PruneshiftError):
    """A question the stored results cannot answer (e.g. a ratio beyond what was trained)."""
