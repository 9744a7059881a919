"""The meta-test: a list of realistic mistakes (``boundary_cases.MISTAKES``), none of which
may end in a raw Python or numpy error escaping the public API."""

import re

import pytest
from boundary_cases import MISTAKES, raw_reason


def test_the_list_is_long_and_its_names_are_unique():
    names = [name for name, _, _ in MISTAKES]
    assert len(names) >= 100
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("call, fragment", [(call, fragment) for _, call, fragment in MISTAKES],
                         ids=[name for name, _, _ in MISTAKES])
def test_a_mistake_gets_a_clear_error_or_is_accepted(call, fragment, tmp_path, capsys):
    if fragment is None:  # the framework accepts this input
        call(tmp_path)
        return
    with pytest.raises(BaseException) as caught:
        call(tmp_path)
    reason = raw_reason(caught.value)
    assert reason is None, f"{reason}: {type(caught.value).__name__}: {caught.value}"
    message = str(caught.value) + capsys.readouterr().err
    assert re.search(re.escape(fragment), message, re.IGNORECASE), message


def test_the_classifier_tells_raw_errors_from_clear_ones():
    import numpy as np

    def raw():
        return np.ones(3) @ np.ones(4)

    with pytest.raises(ValueError) as caught:
        raw()
    assert "inside" in raw_reason(caught.value)
    with pytest.raises(KeyError) as caught:
        {}["x"]
    assert "inside" in raw_reason(caught.value)
    with pytest.raises(AttributeError) as caught:
        np.ones(2).no_such_attribute  # noqa: B018
    assert raw_reason(caught.value) == "raw AttributeError"
    from tinygrad_edu.nn import Dense

    with pytest.raises(ValueError) as caught:
        Dense(0)
    assert raw_reason(caught.value) is None
