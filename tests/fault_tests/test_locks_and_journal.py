"""Locks a killed process held, and a journal line it left half-written."""

import signal
import subprocess
import sys
import threading

import optuna
from optuna.trial import TrialState

from pruneshift.queue import queue_lock_for
from pruneshift.storage import open_storage

HOLD = """
import sys, time
from pruneshift.queue import queue_lock_for
from pruneshift.storage import KernelFileLock
path = sys.argv[2]
lock = queue_lock_for("journal:" + path, None, "x") if sys.argv[1] == "queue" else None
if lock is not None:
    lock.__enter__()
else:
    KernelFileLock(path + ".flock").acquire()
print("held", flush=True)
time.sleep(120)
"""


def _killed_while_holding(kind, journal):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, kind, str(journal)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()


def _within(seconds, action):
    done = threading.Event()

    def run():
        action()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done.wait(seconds)


def test_a_queue_lock_held_by_a_killed_process_is_free_at_once(tmp_path):
    journal = tmp_path / "journal.log"
    _killed_while_holding("queue", journal)

    def take_lock():
        with queue_lock_for(f"journal:{journal}", None, "x"):
            pass

    assert _within(5, take_lock), "the rerun waited on a dead process's lock"


def test_a_journal_append_lock_held_by_a_killed_process_is_free_at_once(tmp_path):
    journal = tmp_path / "journal.log"
    _killed_while_holding("journal", journal)
    assert _within(5, lambda: optuna.create_study(storage=open_storage(str(journal)),
                                                  study_name="s"))


def test_a_torn_last_journal_line_is_cut_before_the_next_append(tmp_path):
    journal = tmp_path / "journal.log"
    study = optuna.create_study(storage=open_storage(str(journal)), study_name="s")
    study.enqueue_trial({"x": 1.0})
    with journal.open("ab") as file:  # a writer killed mid-line
        file.write(b'{"op_code": 5, "worker_id": "dead", "study_id": 0, "datetime_st')
    again = optuna.load_study(storage=open_storage(str(journal)), study_name="s")
    again.enqueue_trial({"x": 2.0})
    reread = optuna.load_study(storage=open_storage(str(journal)), study_name="s")
    assert [t.system_attrs["fixed_params"] for t in reread.get_trials()] == [{"x": 1.0},
                                                                             {"x": 2.0}]
    assert all(t.state == TrialState.WAITING for t in reread.get_trials())
    assert journal.read_bytes().endswith(b"\n")
