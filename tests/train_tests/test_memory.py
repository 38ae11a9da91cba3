"""A stack's freed memory: kept for its next step while it trains, handed back after."""

import platform
import resource
from pathlib import Path

import pytest
import torch

from pruneshift.train._memory import freed_memory_kept

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="the allocator's thresholds are glibc's")
BLOCK = 48 << 20  # a stack's activations at full width: above glibc's largest mmap threshold


def _page_faults(steps: int) -> int:
    """Minor page faults of ``steps`` allocations of a block, each written and freed."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        torch.ones(BLOCK // 4)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()


def test_a_step_reuses_what_the_last_one_freed():
    faulting = _page_faults(20)  # each block mapped afresh, faulted in page by page
    with freed_memory_kept():
        kept = _page_faults(20)
    assert faulting > 20 * BLOCK // resource.getpagesize() // 2
    assert kept < faulting / 5


def test_what_was_kept_is_handed_back_at_the_end():
    with freed_memory_kept():
        torch.ones(BLOCK // 4)  # the heap now holds it, freed
        held = _resident_bytes()
    assert _resident_bytes() < held - BLOCK // 2
