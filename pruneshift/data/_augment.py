"""Training-time augmentation on tensors, on the training device (no loader, no PIL).

``crop-flip`` is the standard CIFAR augmentation: pad 4 pixels, crop a random 32x32 window,
flip horizontally with probability 1/2. Its random numbers come from the run's data-order
generator (on the CPU), so a run is reproducible and a stacked member augments exactly as the
same run alone would.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..catalog import AUGMENTATIONS
from ..errors import DataError

Augmentation = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
CROP_PADDING = 4  # pixels of zero padding (the training mean, after standardisation)


def crop_flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Randomly cropped (after padding) and horizontally flipped copies of images (n, c, h, w)."""
    n, _, h, w = x.shape
    shifts = torch.randint(0, 2 * CROP_PADDING + 1, (2, n), generator=generator).to(x.device)
    flips = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    padded = F.pad(x, (CROP_PADDING,) * 4)
    rows = shifts[0][:, None] + torch.arange(h, device=x.device)
    cols = shifts[1][:, None] + torch.arange(w, device=x.device)
    examples = torch.arange(n, device=x.device)[:, None, None]
    cropped = padded[examples, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    return torch.where(flips[:, None, None, None], cropped.flip(-1), cropped).contiguous()


def augmentation(name: str, default: str, input_shape: tuple[int, ...]) -> Augmentation | None:
    """The augmentation ``name`` (``auto``: the dataset's ``default``) for inputs of that shape."""
    chosen = default if name == "auto" else name
    if chosen == "crop-flip" and len(input_shape) != 3:
        raise DataError(f"data.augment: crop-flip needs images (channels, height, width), "
                        f"got inputs shaped {input_shape}; use none")
    return None if chosen == "none" else AUGMENTATIONS.load(chosen)
