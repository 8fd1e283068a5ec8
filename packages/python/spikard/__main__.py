"""``python -m spikard serve module:app``: see ``spikard.cli``."""

from spikard.cli import main

main()
