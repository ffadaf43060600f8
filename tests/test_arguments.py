"""bmexp.arguments.path(kind="out_file"): a file a command will write, checked before anything runs."""

import os

import pytest

from bmexp import InputError, arguments


def test_an_out_file_is_checked_and_the_check_leaves_nothing_behind(tmp_path):
    new = tmp_path / "sub" / "plot.png"
    assert arguments.path(new, "plot", kind="out_file", suffixes=arguments.PLOT_SUFFIXES) == new
    assert not (tmp_path / "sub").exists()  # (its directory proved creatable, then removed)
    here = tmp_path / "plot.png"
    assert arguments.path(here, "plot", kind="out_file") == here and not here.exists()
    here.write_bytes(b"old")
    arguments.path(here, "plot", kind="out_file")
    assert here.read_bytes() == b"old"  # an existing file is probed, not changed


@pytest.mark.parametrize("kind", ["fifo", "dangling link", "trailing slash", "directory", "suffix"])
def test_an_out_file_that_cannot_be_written_as_a_file_is_refused(tmp_path, kind):
    """A FIFO blocked the probe forever; a dangling link lost itself and left its target created;
    'x.png/' wrote x.png (outside tester)."""
    p = tmp_path / "x.png"
    if kind == "fifo":
        os.mkfifo(p)
    elif kind == "dangling link":
        p.symlink_to(tmp_path / "nowhere" / "y.png")
    elif kind == "directory":
        p.mkdir()
    value = str(p) + "/" if kind == "trailing slash" else str(p.with_suffix(".txt") if kind == "suffix" else p)
    with pytest.raises(InputError, match=r"^plot must"):
        arguments.path(value, "plot", kind="out_file", suffixes=arguments.PLOT_SUFFIXES)
    assert not (tmp_path / "nowhere").exists() and (kind != "dangling link" or p.is_symlink())
