import subprocess
import sys

import numpy as np
import pytest

from pruneshift.analysis import grid_ground_metric, to_distribution, wasserstein_on_grid


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
    p = to_distribution(mean, "softmax", temperature=0.01, delta=0.0)
    assert p.sum() == pytest.approx(1.0) and p[1, 0] == 0.0
    assert p[0, 0] == pytest.approx(p[1, 1])
    assert p[0, 1] / p[0, 0] == pytest.approx(np.exp(-10))
    assert to_distribution(mean, "softmax", temperature=1.0, delta=0.0)[0, 1] > p[0, 1]


def test_disjoint_point_masses_are_maximally_apart_in_every_shape_divergence():
    from pruneshift.analysis import shape_divergences

    shape = (3, 3)
    far = shape_divergences(point_mass(shape, (0, 0)), point_mass(shape, (2, 2)))
    assert far == pytest.approx({"js": 1.0, "hellinger": 1.0, "tv": 1.0})
    same = shape_divergences(point_mass(shape, (1, 1)), point_mass(shape, (1, 1)))
    assert same == pytest.approx({"js": 0.0, "hellinger": 0.0, "tv": 0.0}, abs=1e-12)


def test_half_overlap_by_hand():
    from pruneshift.analysis import shape_divergences

    p = np.array([0.5, 0.5, 0.0])
    q = np.array([0.0, 0.5, 0.5])
    divergences = shape_divergences(p, q)
    assert divergences["tv"] == pytest.approx(0.5)
    assert divergences["hellinger"] == pytest.approx(np.sqrt(0.5))
    # JS divergence (base 2) = 0.5, so the JS distance is its square root
    assert divergences["js"] == pytest.approx(np.sqrt(0.5))


def test_marginal_w1_along_each_axis():
    from pruneshift.analysis import marginal_wasserstein

    p, q = point_mass((4, 5), (0, 1)), point_mass((4, 5), (3, 1))
    assert marginal_wasserstein(p, q, axis=0) == pytest.approx(3.0)
    assert marginal_wasserstein(p, q, axis=1) == pytest.approx(0.0)
    positions = np.log10([1e-3, 1e-2, 1e-1, 1.0])
    assert marginal_wasserstein(p, q, axis=0, positions=positions) == pytest.approx(3.0)


@pytest.mark.parametrize("normalisation", ["softmax", "proportional", "top"])
def test_every_normalisation_is_a_distribution_that_ignores_missing_points(normalisation):
    mean = np.array([[0.9, 0.5], [np.nan, 0.88]])
    p = to_distribution(mean, normalisation, temperature=0.01, delta=0.05)
    assert p.sum() == pytest.approx(1.0) and p[1, 0] == 0.0 and np.all(p >= 0)
    assert p[0, 0] >= p[1, 1] >= p[0, 1]


def test_top_is_uniform_over_points_within_delta_of_the_best():
    mean = np.array([0.90, 0.89, 0.80, 0.895])
    p = to_distribution(mean, "top", temperature=0.01, delta=0.01)
    assert p == pytest.approx([1 / 3, 1 / 3, 0.0, 1 / 3])


def test_the_optimal_transport_imports_no_other_array_library():
    """POT loads a backend for every array library it finds, JAX among them (the LiteRT export
    stack installs it): over a second per analysing process, for NumPy arrays. In a fresh
    process, since another test may have imported JAX here."""
    script = ("import sys, numpy as np\n"
              "from pruneshift.analysis import wasserstein_on_grid\n"
              "wasserstein_on_grid(np.eye(2) / 2, np.eye(2)[::-1] / 2)\n"
              "print(sorted({'jax', 'tensorflow', 'cupy'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-1000:]
    assert done.stdout.strip() == "[]"


def test_a_stack_of_pairs_measures_each_pair_as_the_libraries_one_pair_calls_do():
    """The null replicates are measured as one stack: each pair's distances equal SciPy's and
    POT's one-pair answers, on a three-axis grid with uneven positions and a point with no
    mass."""
    import ot
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import wasserstein_distance

    from pruneshift.analysis._distance import distances_batch, marginal, marginal_wasserstein_batch

    rng = np.random.default_rng(3)
    shape = (3, 4, 2)
    p, q = rng.random((6, *shape)), rng.random((6, *shape))
    p[0, 1, 2, 0] = 0.0
    p /= p.sum(axis=(1, 2, 3), keepdims=True)
    q /= q.sum(axis=(1, 2, 3), keepdims=True)
    metric = grid_ground_metric(shape)
    batch = distances_batch(p, q, metric)
    positions = np.log10([1e-4, 3e-3, 1e-2, 1.0])
    along = marginal_wasserstein_batch(p, q, axis=1, positions=positions)
    for i in range(len(p)):
        a, b = p[i].ravel(), q[i].ravel()
        assert batch["wasserstein"][i] == pytest.approx(ot.emd2(a, b, metric), abs=1e-12)
        assert batch["js"][i] == pytest.approx(jensenshannon(a, b, base=2), abs=1e-12)
        assert batch["tv"][i] == pytest.approx(0.5 * np.abs(a - b).sum(), abs=1e-12)
        assert along[i] == pytest.approx(wasserstein_distance(
            positions, positions, marginal(p[i], 1), marginal(q[i], 1)), abs=1e-12)


def test_distributions_of_unequal_mass_are_refused():
    p = np.array([[0.5, 0.5]])
    with pytest.raises(ValueError, match="equal mass"):
        wasserstein_on_grid(p, 2 * p)
