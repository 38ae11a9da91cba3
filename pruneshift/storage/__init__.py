"""Storage URL -> Optuna storage, one per process, with passwords kept out of every message;
the journal file; the artifact store; and the schema of what an experiment stores.

The local default is an Optuna journal file (``runs/<experiment>/journal.log``): Optuna
recommends JournalFileBackend for several processes on one machine, while SQLite serialises
writers on one database lock and Optuna's FAQ advises against it for parallel optimisation. Any
Optuna RDB URL (``postgresql://``, ``mysql://``, ``sqlite:///``) is taken as is; PostgreSQL is
what many machines share.
"""

from ._artifacts import artifact_store
from ._journal import LOCK_SUFFIX, KernelFileLock
from ._open import (
    JOURNAL_NAME,
    default_storage_url,
    journal_path,
    open_storage,
    public_config,
    redact,
)
from ._schema import (
    REFERENCE_TASK,
    DeployedRecord,
    HPOTrial,
    PrunedRecord,
    ReferenceRecord,
    RunRecord,
    StudyKey,
    TrialKey,
    cell_key,
    cell_of,
    deploy_task,
    deployed_records,
    experiments_in,
    grid_ratios,
    grid_study_name,
    hpo_study_name,
    key_of,
    prune_task,
    pruned_records,
    ratio_key,
    stages_study_name,
    ticket_key,
    ticket_of,
)

__all__ = ["DeployedRecord", "HPOTrial", "JOURNAL_NAME", "KernelFileLock", "LOCK_SUFFIX",
           "PrunedRecord", "REFERENCE_TASK", "ReferenceRecord", "RunRecord", "StudyKey",
           "TrialKey", "artifact_store", "cell_key", "cell_of", "default_storage_url",
           "deploy_task", "deployed_records", "experiments_in", "grid_ratios", "grid_study_name",
           "hpo_study_name", "journal_path", "key_of", "open_storage", "prune_task",
           "pruned_records", "public_config", "ratio_key", "redact", "stages_study_name",
           "ticket_key", "ticket_of"]
