import threading

import numpy as np
import pytest

from bmexp.streams import Ahead, fill_uniforms, logit_inplace, split_streams


def test_fill_uniforms_matches_the_sequential_stream():
    a = np.empty((301, 997))
    r1, r2 = np.random.default_rng(5), np.random.default_rng(5)
    fill_uniforms(r1, a)
    np.testing.assert_array_equal(a, r2.random((301, 997)))
    assert r1.random() == r2.random()


def test_split_streams_continue_the_stream_at_their_offsets():
    rng, ref = np.random.default_rng(2), np.random.default_rng(2)
    a, b = split_streams(rng, [5, 7])
    expected = ref.random(12)
    np.testing.assert_array_equal(a.random(5), expected[:5])
    np.testing.assert_array_equal(b.random(7), expected[5:])
    assert rng.random() == ref.random()


def test_logit_thresholds():
    u = np.array([[0.0, 0.25, 0.5, 0.75]])
    logit_inplace(u)
    np.testing.assert_allclose(u[0, 1:], [np.log(1 / 3), 0.0, np.log(3)], rtol=1e-15)
    assert u[0, 0] == -np.inf


def test_ahead_reraises_the_error_of_its_thread():
    def boom(_):
        raise RuntimeError("in the thread")

    job = Ahead(boom, None)
    with pytest.raises(RuntimeError, match="in the thread"):
        job.join()
    assert threading.active_count() >= 1
