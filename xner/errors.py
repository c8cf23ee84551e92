"""Expected failures: one error type, and how `xner` reports it (one line, exit status 2).

A user who gives a wrong file, key or number gets `xner <command>: error: <where>: <what> (<what
to do>)`. Tracebacks are for bugs: any other exception keeps its traceback, and `--debug` (or
XNER_DEBUG=1) shows one for expected failures too.
"""

import argparse
import contextlib
import os
import signal
import sys

EXIT_STATUS = 2  # argparse's status for a bad command line; the same for bad files
# What a shell reports for a process ended by SIGINT (Ctrl-C) or SIGPIPE (a reader such as `head` gone).
SIGINT_STATUS, SIGPIPE_STATUS = 128 + signal.SIGINT, 128 + signal.SIGPIPE


class XnerError(ValueError):
    """A failure the user can fix. `where` is a file (with :line), a config key or an option."""

    def __init__(self, where, what: str, fix: str = ""):
        self.where, self.what, self.fix = str(where), what, fix
        super().__init__(f"{self.where}: {what}" + (f" ({fix})" if fix else ""))


def debug_requested(flag: bool = False) -> bool:
    return flag or os.environ.get("XNER_DEBUG", "") not in ("", "0")


@contextlib.contextmanager
def reported(prog: str, debug: bool = False):
    """Turn an XnerError, or an OSError about a named file, into one line on stderr and exit 2.

    Ctrl-C and a closed output pipe end quietly, with the status a shell gives those signals;
    outputs are atomic (xner.io), so neither leaves a file that looks finished."""
    try:
        yield
    except KeyboardInterrupt:
        if debug_requested(debug):
            raise
        print(f"{prog}: interrupted", file=sys.stderr)
        raise SystemExit(SIGINT_STATUS) from None
    except BrokenPipeError:
        if debug_requested(debug):
            raise
        # Python would flush stdout once more at exit and report the broken pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(SIGPIPE_STATUS) from None
    except XnerError as e:
        if debug_requested(debug):
            raise
        _exit(prog, str(e))
    except OSError as e:
        if e.filename is None or debug_requested(debug):
            raise
        _exit(prog, f"{e.filename}: {e.strerror or e} (check the path and its permissions)")


def _exit(prog: str, message: str):
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_STATUS)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is the one line `prog: error: ...` (`--help` shows the usage)."""

    def error(self, message):
        self.exit(EXIT_STATUS, f"{self.prog}: error: {message} (see {self.prog} --help)\n")
