"""The package's public surface."""

import subprocess
import sys

import pytest

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


def test_documented_submodules_are_reachable_after_import_chatroute() -> None:
    """chatroute.serialize.to_dict and chatroute.simulate.simulate work without importing them first."""
    code = (
        "import chatroute; "
        "assert chatroute.serialize.to_dict(chatroute.Target.everyone())['kind'] == 'everyone'; "
        "assert callable(chatroute.simulate.simulate) and callable(chatroute.cli.main)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_import_chatroute_stays_cheap() -> None:
    """Importing the package loads no database driver, plotting, console, schema or cattrs library."""
    heavy = ("psycopg", "matplotlib", "rich", "jsonschema", "geoip2", "numpy", "cattrs", "chatroute.simulate")
    code = f"import sys, chatroute; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    """Lazy submodules do not turn typos into imports."""
    with pytest.raises(AttributeError, match="serialise"):
        chatroute.serialise  # noqa: B018
