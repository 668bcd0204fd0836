from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The fuzzer's figures (operations, requests, server errors) at the end of every run that fuzzed."""
    from wangge.core.tests import test_schemathesis

    line = test_schemathesis.pytest_terminal_summary_line()
    if line:
        terminalreporter.write_sep("=", line)
