"""Errors the CLI reports in one line, without a traceback."""


class UserError(Exception):
    """Bad input from the user: the CLI prints the message and exits with 2."""

    exit_code = 2


class ScaffoldFailure(Exception):
    """Something other than the input went wrong: the CLI prints it and exits with 1."""

    exit_code = 1
