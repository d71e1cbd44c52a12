"""Groups: construction, partition checks, maps."""

import numpy as np
import pytest

import sparseinv as si


def test_from_sizes_layout():
    g = si.Groups.from_sizes([3, 1, 2])
    assert g.n_groups == 3 and g.n_features == 6
    assert g.sizes.tolist() == [3, 1, 2]
    assert g.offsets.tolist() == [0, 3, 4, 6]
    assert g.membership.tolist() == [0, 0, 0, 1, 2, 2]
    assert g.group(2).tolist() == [4, 5]
    assert g.labels == (0, 1, 2)


def test_from_labels_orders_groups_by_first_appearance():
    g = si.Groups.from_labels(["b", "a", "b", "c", "a"])
    assert g.labels == ("b", "a", "c")
    assert g.group(0).tolist() == [0, 2]
    assert g.group(1).tolist() == [1, 4]
    assert g.expand([1.0, 2.0, 3.0]).tolist() == [1.0, 2.0, 1.0, 3.0, 2.0]


def test_from_labels_accepts_numpy_and_tuples():
    g = si.Groups.from_labels(np.array([2, 2, 7]))
    assert g.labels == (2, 7)
    g = si.Groups.from_labels([(0, 1), (0, 1), (1, 0)])
    assert g.sizes.tolist() == [2, 1]


def test_expand_and_sum_and_norms_agree_with_loops():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 50)
    labels[:4] = [0, 1, 2, 3]
    g = si.Groups.from_labels(labels)
    x = rng.standard_normal(50) + 1j * rng.standard_normal(50)
    for k, lab in enumerate(g.labels):
        members = np.flatnonzero(labels == lab)
        assert g.group(k).tolist() == members.tolist()
        assert np.isclose(g.sum(x)[k], x[members].sum())
        assert np.isclose(g.norms(x)[k], np.linalg.norm(x[members]))
    values = np.arange(4.0)
    assert np.array_equal(g.expand(values), values[g.membership])


@pytest.mark.parametrize(
    ("groups", "match"),
    [
        ([[0, 1], [1, 2]], "partition"),  # overlap
        ([[0], [2]], "partition"),  # gap
        ([[0, 1], []], "empty"),
        ([[0, 1], [5]], "partition"),  # out of range
    ],
)
def test_from_indices_rejects_non_partitions(groups, match):
    with pytest.raises(ValueError, match=match):
        si.Groups.from_indices(groups)


@pytest.mark.parametrize("sizes", [[], [2, 0], [3, -1]])
def test_from_sizes_rejects_non_positive(sizes):
    with pytest.raises(ValueError, match="sizes"):
        si.Groups.from_sizes(sizes)


def test_rejects_bad_types_and_lengths():
    with pytest.raises(TypeError, match="sizes"):
        si.Groups.from_sizes([1.5, 2])
    with pytest.raises(ValueError, match="labels"):
        si.Groups.from_labels([])
    with pytest.raises(ValueError, match="one label per group"):
        si.Groups([0, 2], [0, 1], labels=["a", "b"])
    with pytest.raises(ValueError, match="one value per group"):
        si.Groups.from_sizes([2, 2]).expand([1.0, 2.0, 3.0])


def test_arrays_are_read_only_and_equality():
    g = si.Groups.from_sizes([2, 2])
    with pytest.raises(ValueError):
        g.indices[0] = 3
    assert g == si.Groups.from_labels([0, 0, 1, 1])
    assert g != si.Groups.from_labels([0, 1, 0, 1])
    assert hash(g) == hash(si.Groups.from_sizes([2, 2]))


# ------------------------------------------------------------------ issue 8 item 11
@pytest.mark.parametrize(
    "labels",
    [
        [np.nan, np.nan, 1.0],  # one NaN object twice: a dict made them one group
        np.array([np.nan, np.nan, 1.0]),  # .tolist() makes two NaN objects: two groups
        [float("nan"), 1.0, float("nan")],
        [complex("nan"), 1.0],
        [np.float32("nan"), 1.0],
    ],
    ids=["list", "ndarray", "distinct-nan-objects", "complex", "float32"],
)
def test_from_labels_rejects_nan_whatever_the_container(labels):
    # sizes were [2, 1] from the list and [1, 1, 1] from the array of the same values
    with pytest.raises(ValueError, match="labels must not be NaN"):
        si.Groups.from_labels(labels)


def test_from_labels_agrees_between_list_and_ndarray():
    values = [2.5, -1.0, 2.5, 0.0, -1.0]
    assert si.Groups.from_labels(values) == si.Groups.from_labels(np.array(values))


@pytest.mark.parametrize(
    "make",
    [
        lambda: si.Groups.from_indices([[0], [1]], labels=["a", "a"]),
        lambda: si.Groups.from_indices([[0], [1], [2]], labels=[1, 2, 1.0]),
        lambda: si.Groups([0, 1, 2], [0, 1], labels=["x", "x"]),
    ],
    ids=["from_indices", "equal-numbers", "constructor"],
)
def test_duplicate_group_labels_are_rejected(make):
    with pytest.raises(ValueError, match="labels must be distinct"):
        make()


def test_nan_and_unhashable_group_labels_are_rejected():
    with pytest.raises(ValueError, match="labels must not be NaN"):
        si.Groups.from_indices([[0], [1]], labels=["a", np.nan])
    with pytest.raises(TypeError, match="labels must be hashable"):
        si.Groups.from_indices([[0], [1]], labels=[[0], [1]])


def test_from_indices_names_a_repeated_index():
    # used to say "coefficients in several groups: [0], in none: [2]" of a single group
    with pytest.raises(ValueError, match=r"groups\[0\] must list each coefficient once.*\[0\]"):
        si.Groups.from_indices([[0, 0], [1]])
    with pytest.raises(ValueError, match=r"groups\[1\] must list each coefficient once"):
        si.Groups.from_indices([[0], [1, 2, 1]])


@pytest.mark.parametrize("g", [5, 1, -1, -3])
def test_group_out_of_range_is_a_clear_error(g):
    # 5 raised a bare IndexError; -1 silently returned an empty group
    with pytest.raises(ValueError, match=r"g must satisfy 0 <= g < n_groups = 1"):
        si.Groups.from_sizes([2]).group(g)


@pytest.mark.parametrize("g", [0.0, "0", None, True])
def test_group_number_must_be_an_integer(g):
    with pytest.raises(TypeError, match="g must be an integer"):
        si.Groups.from_sizes([2]).group(g)


def test_group_accepts_numpy_integers():
    assert si.Groups.from_sizes([2, 1]).group(np.int64(1)).tolist() == [2]


@pytest.mark.parametrize("sizes", [5, None, 2.0, "12"])
def test_from_sizes_needs_an_iterable_and_names_sizes(sizes):
    # 5 and None gave "'int' object is not iterable"
    with pytest.raises(TypeError, match="sizes must be"):
        si.Groups.from_sizes(sizes)


def test_from_labels_and_from_indices_need_iterables():
    with pytest.raises(TypeError, match="labels must be"):
        si.Groups.from_labels(5)
    with pytest.raises(TypeError, match="groups must be"):
        si.Groups.from_indices(None)
    with pytest.raises(ValueError, match="labels must be 1-D"):
        si.Groups.from_labels(np.zeros((2, 2)))


def test_negative_index_is_a_partition_error():
    # found by tests/test_fuzz.py: np.bincount's "'list' argument must have no negative
    # elements" did not say which argument
    with pytest.raises(ValueError, match=r"groups must partition 0\.\.2.*\[-1, 1\]"):
        si.Groups.from_indices([[0, -1], [1]])
