"""A stack's freed memory: kept for its next step while it trains, handed back after."""

import platform
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from pruneshift.train._memory import freed_memory_kept

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="the allocator's thresholds are glibc's")
BLOCK = 48 << 20  # a stack's activations at full width: above glibc's largest mmap threshold


FAULTS = """
import resource, torch
from pruneshift.train._memory import freed_memory_kept

def faults(steps=20):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        torch.ones({block} // 4)  # written, then freed
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

default = faults()
with freed_memory_kept():
    kept = faults()
print(default, kept)
"""


def _resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()


def test_a_step_reuses_what_the_last_one_freed():
    """In a fresh process (the thresholds stay raised once a stack has trained): by default
    each block is mapped afresh and faulted in page by page; kept, only the first is."""
    done = subprocess.run([sys.executable, "-c", FAULTS.format(block=BLOCK)],
                          capture_output=True, text=True, check=True)
    default, kept = map(int, done.stdout.split())
    assert default >= 20  # at least a fault a step, whatever the page size (huge pages too)
    assert kept < default / 4  # about one step's faults against twenty


def test_what_was_kept_is_handed_back_at_the_end():
    with freed_memory_kept():
        torch.ones(BLOCK // 4)  # the heap now holds it, freed
        held = _resident_bytes()
    assert _resident_bytes() < held - BLOCK // 2
