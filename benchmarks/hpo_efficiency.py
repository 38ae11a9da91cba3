"""How much training each HPO method needs: best accuracy reached versus epochs spent.

    python benchmarks/hpo_efficiency.py [--config examples/digits.yaml] [--trials 30]
                                        [--seeds 0 1 2] [--methods bohb tpe bo random]

Every method gets the same number of trials on the same experiment, for several sampler seeds.
The script prints, per method, the mean best validation accuracy and the mean epochs spent,
and for BOHB the epochs it needs to reach random search's final best accuracy, as a share of
random search's epochs (target <= 1/3). The best so far counts only trials that trained to the
full budget (stopped BOHB trials report a low-budget accuracy).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import optuna
from _common import describe_machine
from optuna.trial import TrialState

from pruneshift.config import load_config
from pruneshift.pipeline import run_hpo
from pruneshift.storage import default_storage_url, hpo_study_name, open_storage

ROOT = Path(__file__).resolve().parents[1]


def curve(config, seed: int, method: str, trials: int) -> list[tuple[int, float]]:
    """(epochs spent so far, best full-budget accuracy so far) after every trial."""
    config = config.model_copy(update={"hpo": config.hpo.model_copy(
        update={"method": method, "seed": seed, "n_trials": trials})})
    with tempfile.TemporaryDirectory() as out:
        run_hpo(config, out=Path(out))
        study = optuna.load_study(study_name=hpo_study_name(config.experiment),
                                  storage=open_storage(default_storage_url(Path(out))))
        spent, best, points = 0, 0.0, []
        for trial in sorted(study.trials, key=lambda t: t.number):
            spent += int(trial.user_attrs.get("epochs", 0))
            if trial.state == TrialState.COMPLETE:
                best = max(best, trial.value)
            points.append((spent, best))
    return points


def epochs_to_reach(points: list[tuple[int, float]], target: float) -> int | None:
    return next((spent for spent, best in points if best >= target), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "examples" / "digits.yaml")
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=["bohb", "tpe", "bo", "random"])
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    describe_machine()
    config = load_config(args.config)
    print(f"{config.data.name}, {config.model.name}, {config.training.epochs} epochs per full "
          f"trial, {args.trials} trials, sampler seeds {args.seeds}")
    curves = {m: {s: curve(config, s, m, args.trials) for s in args.seeds} for m in args.methods}
    for method, by_seed in curves.items():
        finals = [points[-1] for points in by_seed.values()]
        print(f"{method:7s}: best accuracy {statistics.mean(b for _, b in finals):.4f}, "
              f"epochs {statistics.mean(e for e, _ in finals):6.1f} (means over seeds)")
    if "bohb" in curves and "random" in curves:
        shares = []
        for seed in args.seeds:
            spent, target = curves["random"][seed][-1]
            reached = epochs_to_reach(curves["bohb"][seed], target)
            shares.append(None if reached is None else reached / spent)
            print(f"seed {seed}: random reaches {target:.4f} in {spent} epochs; BOHB "
                  + ("never does" if reached is None else f"in {reached} ({reached / spent:.2f})"))
        within = sum(1 for share in shares if share is not None and share <= 1 / 3)
        print(f"BOHB reaches random's best with <= 1/3 of its epochs on {within} of "
              f"{len(shares)} seeds (target: all)")


if __name__ == "__main__":
    main()
