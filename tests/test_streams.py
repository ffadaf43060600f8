import threading

import numpy as np
import pytest

from bmexp.streams import Ahead, fill_uniforms, logit_inplace, split_streams, thresholds_inplace


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


def _ulps(got, exact):
    """|got - exact| in units of got's last place (exact in long double: 64-bit mantissa on x86)."""
    return np.abs(got.astype(np.longdouble) - exact) / np.spacing(np.abs(got))


@pytest.mark.parametrize("logistic", [True, False])
def test_compiled_thresholds_are_within_one_ulp_and_touch_only_their_block(logistic):
    # fdlibm's log has error < 1 ulp: over 10^6 of numpy's uniforms and the extreme ones
    # (2**-53, 1 - 2**-53, either side of the sqrt(2)/2 reduction boundary), every threshold is
    # within one ulp of log of the same float64 argument computed in long double, as numpy's is.
    if np.finfo(np.longdouble).nmant < 63:
        pytest.skip("needs x87 long double for the reference")
    rng = np.random.default_rng(11)
    buf = rng.random((500, 2_010))
    buf[0, 5:10] = [2**-53, 0.5, 1 - 2**-53, 0.7071067811865476, 0.7071067811865475]
    before = buf.copy()
    block = buf[:, 5:2_005]  # rows contiguous, row stride longer than the block
    thresholds_inplace(block, logistic=logistic)
    u = before[:, 5:2_005]
    arg = u / (1 - u) if logistic else u
    assert _ulps(block, np.log(arg.astype(np.longdouble))).max() < 1.0
    assert _ulps(np.log(arg), np.log(arg.astype(np.longdouble))).max() < 1.0  # numpy's, the reference
    np.testing.assert_array_equal(buf[:, :5], before[:, :5])
    np.testing.assert_array_equal(buf[:, 2_005:], before[:, 2_005:])


def test_compiled_thresholds_refuse_what_they_cannot_address():
    with pytest.raises(ValueError, match="contiguous"):
        thresholds_inplace(np.zeros((3, 8))[:, ::2])
    with pytest.raises(ValueError, match="2-D"):
        thresholds_inplace(np.zeros(4))


def test_ahead_reraises_the_error_of_its_thread():
    def boom(_):
        raise RuntimeError("in the thread")

    job = Ahead(boom, None)
    with pytest.raises(RuntimeError, match="in the thread"):
        job.join()
    assert threading.active_count() >= 1
