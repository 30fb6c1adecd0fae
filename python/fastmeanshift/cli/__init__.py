"""The ``fastmeanshift`` command: ``cluster`` a data file, or run the ``demo``.

Beside the library, not part of it: the library never imports this package.
``main`` is the console script's entry point (also ``python -m fastmeanshift``).
"""

from .main import main

__all__ = ["main"]
