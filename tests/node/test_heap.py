"""The node's start-up heap is frozen out of the garbage collector's sight (node/runtime.py)."""

from __future__ import annotations

import gc

from node.runtime import freeze_startup_heap


def test_freeze_startup_heap__moves_the_heap_out_of_collections_and_collects_young_objects_less_often():
    """After start-up the objects alive are frozen (full collections skip them) and the young generation is
    collected every 2,000 allocations instead of 700."""
    before = gc.get_threshold()
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 1000  # this test process's modules, at least
        assert gc.get_threshold() == (2000, before[1], before[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
