"""The command line: turns arguments into a config and calls the pipeline; nothing more.

Heavy modules (torch, optuna) are imported inside the commands, so ``--help`` is instant and a
config error is reported before they load.
"""

from ._commands import app, main

__all__ = ["app", "main"]
