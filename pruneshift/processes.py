"""Which process this is, across machines and containers, and whether another is still alive.

A process is named by its host name, the kernel's boot id, its PID namespace, its pid and its
start time. Whether it is alive can only be told from the same host: there, a different boot id
means the machine restarted since (so the process is gone), and a pid is checked only inside the
PID namespace it belongs to (containers on one machine share the host name and boot id but not
their pids). Elsewhere the answer is "cannot tell", left to the storage's heartbeats.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (Linux), which tells a reused pid apart."""
    stat = _read(Path(f"/proc/{pid}/stat"))
    return None if stat is None else stat.rsplit(")", 1)[1].split()[19]


def current_process() -> dict[str, Any]:
    """This process, as recorded by the trials and locks it holds."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "boot": _read(BOOT_ID), "pidns": _pid_namespace(),
            "pid": pid, "start": _process_start(pid)}


def _pid_alive(pid: int, start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return start is None or _process_start(pid) == start


def is_gone(owner: dict[str, Any]) -> bool | None:
    """True if ``owner`` has certainly exited, False if it is alive, None if this host cannot
    tell (another machine, or another PID namespace on this one)."""
    here = current_process()
    if owner.get("host") != here["host"]:
        return None
    if owner.get("boot") and here["boot"] and owner["boot"] != here["boot"]:
        return True  # this machine restarted since the owner wrote its name
    if "pidns" in owner and owner["pidns"] != here["pidns"]:  # older records lack it
        return None
    return not _pid_alive(int(owner["pid"]), owner.get("start"))
