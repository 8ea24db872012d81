"""adinfer.validate: one message style, "<name> must be <expected>, got <given>.",
TypeError for the wrong kind of value, ValueError for a bad value of the right kind.
"""

import numpy as np
import pytest

from adinfer import validate

CASES = [  # (check, value, error, message)
    (
        lambda v: validate.integer(v, "n_iter", minimum=0),
        -1,
        ValueError,
        "n_iter must be a non-negative int, got -1.",
    ),
    (
        lambda v: validate.integer(v, "batch_size", allow_none=True),
        True,
        TypeError,
        "batch_size must be an int or None, got bool True.",
    ),
    (lambda v: validate.integer(v, "k"), 2.5, TypeError, "k must be an int, got float 2.5."),
    (
        lambda v: validate.positive(v, "clip"),
        0.0,
        ValueError,
        "clip must be a finite positive number, got 0.0.",
    ),
    (
        lambda v: validate.nonnegative(v, "weight"),
        float("nan"),
        ValueError,
        "weight must be a finite non-negative number, got nan.",
    ),
    (
        lambda v: validate.number(v, "d", low=0, high=1, low_open=True, high_open=True),
        1,
        ValueError,
        "d must be a number in (0, 1), got 1.0.",
    ),
    (
        lambda v: validate.number(v, "s", low=0, high=1, allow_none=True),
        "a",
        TypeError,
        "s must be a number in [0, 1] or None, got str 'a'.",
    ),
    (
        lambda v: validate.boolean(v, "one_sided"),
        1,
        TypeError,
        "one_sided must be a bool, got int 1.",
    ),
    (
        lambda v: validate.function(v, "evaluate", "fn(inference)"),
        3,
        TypeError,
        "evaluate must be a callable fn(inference), got int 3.",
    ),
    (
        lambda v: validate.one_of(v, "split", ("train", "test")),
        "valid",
        ValueError,
        "split must be one of 'train', 'test', got 'valid'.",
    ),
    (
        lambda v: validate.binding(v, "data", "{fake: x}"),
        [],
        TypeError,
        "data must have type dict, {fake: x}, got list.",
    ),
    (
        lambda v: validate.binding(v, "data", "{fake: x}"),
        {},
        ValueError,
        "data must hold exactly one pair, {fake: x}, got 0 pairs.",
    ),
    (
        lambda v: validate.path(v, "logdir"),
        b"x",
        TypeError,
        "logdir must be a path (str or os.PathLike) or None, got bytes.",
    ),
]


@pytest.mark.parametrize("check, value, error, message", CASES)
def test_message_style(check, value, error, message):
    with pytest.raises(error) as raised:
        check(value)
    assert str(raised.value) == message


def test_values_pass_through_normalised():
    assert (
        validate.integer(np.int64(3), "n") == 3 and type(validate.integer(np.int64(3), "n")) is int
    )
    assert validate.positive(None, "clip") is None
    assert validate.number(np.float32(0.5), "d", low=0, high=1) == 0.5


def test_finite_names_the_first_bad_entry():
    with pytest.raises(ValueError, match=r"x holds 2 non-finite entries .* of 4, .*index \(1,\)"):
        validate.finite(np.array([0.0, np.nan, 1.0, np.inf]), "x")
    validate.finite(np.arange(3), "integers pass")


def test_writable_directory_refuses_a_file(tmp_path):
    file = tmp_path / "f"
    file.write_text("")
    with pytest.raises(ValueError, match="logdir must be a directory, got"):
        validate.writable_directory(file, "logdir")
    assert validate.writable_directory(tmp_path / "new", "logdir") == str(tmp_path / "new")
