import numpy as np
import pytest

from pruneshift.analysis import grid_ground_metric, softmax_distribution, wasserstein_on_grid


def point_mass(shape, index):
    p = np.zeros(shape)
    p[index] = 1.0
    return p


@pytest.mark.parametrize("k", [1, 2, 4])
def test_a_point_mass_moved_by_k_cells_has_w1_k(k):
    shape = (5, 5)
    assert wasserstein_on_grid(point_mass(shape, (0, 2)), point_mass(shape, (k, 2))) == \
        pytest.approx(k)
    assert wasserstein_on_grid(point_mass(shape, (2, 0)), point_mass(shape, (2, k))) == \
        pytest.approx(k)


def test_identical_distributions_are_at_distance_zero_and_w1_is_symmetric():
    rng = np.random.default_rng(0)
    p, q = rng.random((3, 4)), rng.random((3, 4))
    p, q = p / p.sum(), q / q.sum()
    assert wasserstein_on_grid(p, p) == pytest.approx(0.0, abs=1e-12)
    assert wasserstein_on_grid(p, q) == pytest.approx(wasserstein_on_grid(q, p))


def test_ground_metric_is_euclidean_in_grid_steps():
    metric = grid_ground_metric((2, 3))
    assert metric.shape == (6, 6)
    assert metric[0, 5] == pytest.approx(np.sqrt(1 + 4))


def test_softmax_puts_no_mass_on_missing_points_and_sharpens_with_lower_temperature():
    mean = np.array([[0.9, 0.8], [np.nan, 0.9]])
    p = softmax_distribution(mean, temperature=0.01)
    assert p.sum() == pytest.approx(1.0) and p[1, 0] == 0.0
    assert p[0, 0] == pytest.approx(p[1, 1])
    assert p[0, 1] / p[0, 0] == pytest.approx(np.exp(-10))
    assert softmax_distribution(mean, temperature=1.0)[0, 1] > p[0, 1]
