"""Pausing Python's cyclic garbage collector while a run builds its data.

A run keeps millions of objects alive until it ends: cells, deals, findings and
the rows of the generated tabs. Hardly any of them are in reference cycles, but
CPython's collector walks all of them at every full collection, and a growing
heap keeps triggering such collections. On the 100,000-row workbook of
``bench/generate.py`` that was 4.0 s of a 9.7 s dry run, measured with
``gc.callbacks`` on CPython 3.11 with the default thresholds. A whole run left
about 5,000 objects in cycles.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_cycle_collection() -> Iterator[None]:
    """Turn automatic cyclic garbage collection off for a block, then on again.

    Reference counting still frees every object outside a cycle at once; the
    few cycles wait until collection resumes. Only the block that found
    collection on turns it back on, so nested blocks keep it off until the
    outermost one ends. Usable as a decorator too.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
