import numpy as np
import pytest

from bmexp import ExactDistribution, InputError, seed_target
from bmexp.data import as_convention_of, empirical_distribution, load_vectors, sample_visible
from bmexp.validation import gof_test


def test_sample_visible_follows_the_teacher_marginal():
    t = seed_target()
    v = sample_visible(t, 20000, rng=np.random.default_rng(0))
    assert v.shape == (20000, 2)
    assert not gof_test(
        np.round(empirical_distribution(v, "binary") * 20000).astype(int), ExactDistribution.of(t).visible_p()
    ).reject
    np.testing.assert_array_equal(v, sample_visible(t, 20000, rng=np.random.default_rng(0)))


def test_load_npy_and_csv_in_either_convention(tmp_path):
    data = np.array([[0, 1], [1, 1], [0, 0]])
    np.save(tmp_path / "d.npy", data)
    np.savetxt(tmp_path / "d.csv", 2 * data - 1, delimiter=",", fmt="%d")
    np.testing.assert_array_equal(load_vectors(tmp_path / "d.npy", 2, "spin"), 2 * data - 1)
    np.testing.assert_array_equal(load_vectors(tmp_path / "d.csv", 2, "binary"), data)


def test_pickled_files_are_refused(tmp_path):
    path = tmp_path / "evil.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="could not be read as numbers without pickle"):
        load_vectors(path, 2, "binary")


@pytest.mark.parametrize(
    "content, message",
    [
        ("0,1,1\n1,0,0\n", r"must have shape \(n_vectors, 2\) to match n_visible = 2; received shape \(2, 3\)"),
        ("0,2\n1,0\n", r"must hold unit values \{0, 1\} or \{-1, 1\}; found \[2.0\]"),
        ("0,nan\n1,0\n", r"must be finite; found nan"),
        ("0,x\n", r"could not be read as numbers"),
    ],
)
def test_bad_csv_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        load_vectors(path, 2, "binary")


def test_missing_or_wrong_suffix(tmp_path):
    with pytest.raises(InputError, match=r"path must be a .npy or .csv file; received '.*x.pkl'"):
        load_vectors(tmp_path / "x.pkl", 2, "binary")
    with pytest.raises(InputError, match=r"does not exist"):
        load_vectors(tmp_path / "none.csv", 2, "binary")


def test_mixed_conventions_in_one_array_are_refused():
    with pytest.raises(
        InputError, match=r"data must use one convention, \{0, 1\} or \{-1, 1\}; found all of \[-1.0, 0.0, 1.0\]"
    ):
        as_convention_of([[0, 1], [-1, 1]], 2, "binary")


def test_heldout_split_is_deterministic_disjoint_and_complete():
    from bmexp.data import split_heldout

    v = np.arange(50)[:, None] * np.ones((1, 3))
    a_train, a_held = split_heldout(v, 0.2, rng=np.random.default_rng(7))
    b_train, b_held = split_heldout(v, 0.2, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a_held, b_held)
    assert len(a_held) == 10 and len(a_train) == 40
    assert sorted(np.concatenate([a_train[:, 0], a_held[:, 0]])) == list(range(50))
    with pytest.raises(InputError, match="heldout = 0.99 of 50 vectors leaves none to train on"):
        split_heldout(v, 0.99, rng=np.random.default_rng(7))


def test_an_empty_csv_is_one_clear_error_and_no_numpy_warning(tmp_path):
    import warnings

    path = tmp_path / "empty.csv"
    path.write_text("")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "input contained no data" would be a second stderr line
        with pytest.raises(InputError, match=r"must have shape \(n_vectors, 2\)"):
            load_vectors(path, 2, "binary")


def test_a_npy_header_is_checked_before_numpy_allocates_what_it_declares(tmp_path):
    """A 64-byte file whose header declares 10**12 x 4 int64s: numpy.load allocated 29 TiB first and failed
    with a MemoryError (outside tester).  The declared array is now refused on memory, and a file shorter
    than its header's array is named as cut short."""
    from numpy.lib import format as npy

    from bmexp.data import load_vectors

    for name, shape in (("huge.npy", (10**12, 4)), ("short.npy", (100, 4))):
        with open(tmp_path / name, "wb") as f:
            npy.write_array_header_1_0(f, {"descr": "<i8", "fortran_order": False, "shape": shape})
            f.write(b"\0" * 64)
    with pytest.raises(
        InputError, match=r"^path = '.*huge.npy' would need 96 TB of memory for the \(1000000000000, 4\)"
    ):
        load_vectors(tmp_path / "huge.npy", 4, "binary")
    with pytest.raises(
        InputError, match=r"is cut short: its header declares a \(100, 4\) array of int64 \(3,200 bytes\)"
    ):
        load_vectors(tmp_path / "short.npy", 4, "binary")
    np.save(tmp_path / "ok.npy", np.eye(4, dtype=np.int8))
    np.testing.assert_array_equal(load_vectors(tmp_path / "ok.npy", 4, "binary"), np.eye(4))


def test_a_csv_header_row_and_a_byte_order_mark_are_read_as_such(tmp_path):
    """A first line of names ("v1,v2") and a spreadsheet's UTF-8 byte-order mark were refused as 'not numbers'
    (outside tester); a bad cell, or a first line mixing names and numbers, still is."""
    (tmp_path / "header.csv").write_text("v1,v2\n0,1\n1,0\n")
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf0,1\n1,0\n")
    (tmp_path / "mixed.csv").write_text("v1,2\n1,0\n")
    expected = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(load_vectors(tmp_path / "header.csv", 2, "binary"), expected)
    np.testing.assert_array_equal(load_vectors(tmp_path / "bom.csv", 2, "binary"), expected)
    with pytest.raises(InputError, match="could not be read as numbers"):
        load_vectors(tmp_path / "mixed.csv", 2, "binary")
