"""Storage URL -> Optuna storage, one per process, with passwords kept out of every message;
the journal file; the artifact store; and the schema of what an experiment stores.

The local default is an Optuna journal file (``runs/<experiment>/journal.log``): Optuna
recommends JournalFileBackend for several processes on one machine, while SQLite serialises
writers on one database lock and Optuna's FAQ advises against it for parallel optimisation. Any
Optuna RDB URL (``postgresql://``, ``mysql://``, ``sqlite:///``) is taken as is; PostgreSQL is
what many machines share.
"""

from ._artifacts import artifact_store
from ._deployment import Deployment, Export, Timing, file_digest
from ._journal import LOCK_SUFFIX, KernelFileLock
from ._open import (
    JOURNAL_NAME,
    database_reason,
    default_storage_url,
    journal_path,
    open_storage,
    public_config,
    redact,
)
from ._schema import (
    REFERENCE_TASK,
    SCHEMA_VERSION,
    SETTLE_POINTS,
    HPOTrial,
    PrunedRecord,
    ReferenceRecord,
    RunRecord,
    SettlePlan,
    StudyKey,
    TrialKey,
    cell_key,
    cell_of,
    check_schema,
    deploy_task,
    deployed_records,
    experiments_in,
    grid_ratios,
    grid_study_name,
    hpo_study_name,
    key_of,
    pack_outcomes,
    prune_task,
    pruned_records,
    ratio_key,
    settle_key,
    settle_plans,
    settle_ratios,
    settle_study_name,
    stages_study_name,
    ticket_key,
    ticket_of,
    unpack_outcomes,
)

__all__ = ["Deployment", "Export", "HPOTrial", "JOURNAL_NAME", "KernelFileLock", "LOCK_SUFFIX",
           "PrunedRecord", "REFERENCE_TASK", "ReferenceRecord", "RunRecord", "SCHEMA_VERSION",
           "SETTLE_POINTS",
           "SettlePlan", "StudyKey", "Timing", "TrialKey", "artifact_store", "cell_key", "cell_of",
           "check_schema", "database_reason",
           "default_storage_url", "deploy_task", "deployed_records", "experiments_in",
           "file_digest", "grid_ratios", "grid_study_name", "hpo_study_name", "journal_path",
           "key_of", "open_storage", "pack_outcomes", "prune_task", "pruned_records",
           "public_config", "ratio_key", "redact", "settle_key", "settle_plans", "settle_ratios",
           "settle_study_name", "stages_study_name", "ticket_key", "ticket_of", "unpack_outcomes"]
