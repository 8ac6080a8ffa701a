"""The package's public surface."""

import chatroute


def _isort_style(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, names only things that exist, and every public class is in it."""
    assert list(chatroute.__all__) == sorted(chatroute.__all__, key=_isort_style)
    for name in chatroute.__all__:
        assert hasattr(chatroute, name), name
    public = {n for n in dir(chatroute) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(chatroute.__all__)


def test_py_typed_is_shipped() -> None:
    """The package is marked as typed (PEP 561)."""
    from importlib.resources import files

    assert files("chatroute").joinpath("py.typed").is_file()
