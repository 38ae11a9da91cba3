"""``python -m pruneshift`` runs the command line."""

from .cli import main

main()
