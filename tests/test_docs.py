"""The documentation is true: every Python block in docs/ runs with its shown output, and the site builds.

Each page of ``docs/`` is one test. Its Python code blocks run in order in one namespace
(a page is one story: the tutorial builds its desk block by block). A block written as a
``>>>`` session is checked with :mod:`doctest` against the output shown on the page;
any other Python block is executed and must not raise. ``README.md`` is doctested by
pytest itself (``--doctest-glob=README.md`` in pyproject.toml); a test here makes sure
that setting stays and that every README block is a session it can check.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
PYTHON = {"python", "py", "pycon"}
OPTIONS = doctest.ELLIPSIS

# A fenced block: opening fence (``` or ~~~, possibly indented), info string, body, same fence.
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)[^\n]*\n"
    r"(?P<body>.*?)"
    r"^(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def code_blocks(text: str) -> Iterator[tuple[str, int, str]]:
    """Every fenced block of a Markdown text as (language, line of its first body line, body)."""
    for match in FENCE.finditer(text):
        indent = match["indent"]
        lines = match["body"].splitlines(keepends=True)
        body = "".join(line.removeprefix(indent) for line in lines)
        first_line = text.count("\n", 0, match.start("body")) + 1
        yield match["lang"].lower(), first_line, body


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """The Python blocks of a page, as (line, body)."""
    return [(line, body) for lang, line, body in code_blocks(path.read_text("utf-8")) if lang in PYTHON]


def run_page(path: Path, root: Path = ROOT) -> list[str]:
    """Run a page's Python blocks in one namespace; the failure reports, empty when all pass."""
    name = str(path.relative_to(root))
    namespace: dict[str, Any] = {"__name__": "__main__"}  # as in a pasted session
    parser = doctest.DocTestParser()
    failures: list[str] = []
    for line, body in python_blocks(path):
        where = f"{name}:{line}"
        if ">>>" in body:
            test = parser.get_doctest(body, namespace, where, name, line - 1)
            test.globs = namespace  # DocTest copies its globals; the page shares one namespace
            report: list[str] = []
            runner = doctest.DocTestRunner(optionflags=OPTIONS)
            runner.run(test, out=report.append, clear_globs=False)
            failures.extend(report)
        else:
            try:
                exec(compile(body, where, "exec"), namespace)
            except Exception as exc:
                failures.append(f"{where}: the block raised {type(exc).__name__}: {exc}")
    return failures


def test_the_docs_have_pages_with_code() -> None:
    """The page glob finds the tutorial and the how-to guides, and they hold Python blocks to check."""
    names = {str(page.relative_to(DOCS)) for page in PAGES}
    assert {"index.md", "tutorial.md", "design.md", "changelog.md"} <= names
    guides = [page for page in PAGES if page.parent.name == "how-to"]
    assert len(guides) >= 7
    for page in [DOCS / "tutorial.md", *guides]:
        assert python_blocks(page), f"{page.name} shows no Python"


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(DOCS)))
def test_every_python_block_of_a_page_runs_and_shows_its_real_output(page: Path) -> None:
    """The page's blocks run in order in one namespace, and each ``>>>`` result is what the page shows."""
    failures = run_page(page)
    assert not failures, "\n".join(failures)


def test_the_collector_catches_a_wrong_output(tmp_path: Path) -> None:
    """A page whose shown output differs from the real one, or whose block raises, fails."""
    page = tmp_path / "page.md"
    page.write_text(
        "Text.\n\n```python\n>>> x = 2\n>>> x + 2\n5\n\n```\n\n"
        "  ```py\n  raise RuntimeError('boom')\n  ```\n\n```sh\nnot python\n```\n",
        "utf-8",
    )
    assert [line for line, _ in python_blocks(page)] == [4, 11]
    failures = run_page(page, root=tmp_path)
    assert len(failures) == 2
    assert "Expected:\n    5\nGot:\n    4" in failures[0]
    assert "RuntimeError: boom" in failures[1]


def test_the_readme_is_doctested_by_pytest_and_every_block_is_a_session() -> None:
    """pytest doctests README.md, and each of its Python blocks is a ``>>>`` session doctest can check."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    options = config["tool"]["pytest"]["ini_options"]
    assert "--doctest-glob=README.md" in options["addopts"].split()
    assert "README.md" in options["testpaths"]
    blocks = python_blocks(ROOT / "README.md")
    assert blocks, "the README shows no Python"
    for line, body in blocks:
        examples = doctest.DocTestParser().get_examples(body)
        assert examples, f"README.md:{line}: a Python block without >>> would not be checked"
        assert body.lstrip().startswith(">>>"), f"README.md:{line}: code before the first >>> is not run"


def public_modules() -> list[str]:
    """The public modules and packages of chatroute: every name under src/chatroute without a leading _."""
    package = ROOT / "src" / "chatroute"
    found = [path.stem for path in package.glob("*.py")]
    found += [path.name for path in package.iterdir() if (path / "__init__.py").is_file()]
    return sorted(name for name in found if not name.startswith("_"))


def test_every_public_module_has_a_reference_page() -> None:
    """Each public module has its page in docs/reference/, rendered from its docstrings by mkdocstrings."""
    modules = public_modules()
    assert {"router", "model", "rules", "strategies"} <= set(modules)
    for name in modules:
        page = DOCS / "reference" / f"{name}.md"
        assert page.is_file(), f"chatroute.{name} has no reference page: add {page.relative_to(ROOT)}"
        assert f"::: chatroute.{name}" in page.read_text("utf-8")


def test_every_example_says_what_it_shows() -> None:
    """Each script in examples/ opens with a docstring that says what it shows."""
    scripts = sorted((ROOT / "examples").glob("*.py"))
    assert scripts
    for script in scripts:
        source = script.read_text("utf-8")
        assert re.match(r'\s*"""\S', source), f"{script.name} has no module docstring"
        assert "sys.path" not in source, f"{script.name} must run against the installed package"


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """``mkdocs build --strict`` (what ``make docs`` runs) succeeds: no broken link, reference or page."""
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "WARNING" not in log, log
    built = tmp_path / "site"
    assert (built / "index.html").is_file()
    assert (built / "tutorial" / "index.html").is_file()
    router_page = (built / "reference" / "router" / "index.html").read_text("utf-8")
    assert "Decide where a new dialog goes" in router_page  # mkdocstrings rendered Router.route
    changelog = (built / "changelog" / "index.html").read_text("utf-8")
    assert "Keep a Changelog" in changelog  # CHANGELOG.md is included, not copied
