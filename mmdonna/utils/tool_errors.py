"""The one place tools turn a user error into one line.

Deep code raises a typed error (a ``ValueError`` subclass such as
``DonnaConfigError`` or ``ArtifactError``, a registry ``KeyError``, a
``FileNotFoundError``) whose message names the config key or file; every
tool in ``tools/`` runs its work inside :func:`user_errors`, which prints
``error: <message>`` on stderr and exits with status 2 (``--debug``: the
traceback too)::

    with user_errors(args.debug):
        run_stages(cfg, work_dir)
"""
import contextlib
import pickle
import sys
import traceback
from typing import Iterator

#: What a user can fix: a config, a path, a file (not a bug of mmdonna).
USER_ERRORS = (ValueError, KeyError, OSError, SyntaxError,
               pickle.UnpicklingError)
#: Exit status of a user error (argparse's too).
EXIT_STATUS = 2


def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line (a ``KeyError``'s without its
    quotes; a multi-line message joined)."""
    if isinstance(error, KeyError) and error.args:
        msg = str(error.args[0])
    elif isinstance(error, OSError) and error.filename is not None:
        msg = f'{error.strerror or error} ({error.filename})'
    else:
        msg = str(error)
    if isinstance(error, pickle.UnpicklingError):
        # torch's advice about weights_only is not the user's fix
        msg = (f'a checkpoint is corrupt or not a PyTorch checkpoint '
               f'({msg.splitlines()[0] if msg else "unpickling failed"}): '
               f'save it again or point to the right file')
    lines = [line.strip() for line in msg.splitlines() if line.strip()]
    return ' '.join(lines) or error.__class__.__name__


@contextlib.contextmanager
def user_errors(debug: bool = False) -> Iterator[None]:
    """Run a tool's work; a user error becomes ``error: <message>`` on
    stderr and exit status 2.

    Args:
        debug (bool): Print the traceback too. Defaults to False.
    """
    try:
        yield
    except USER_ERRORS as e:
        if debug:
            traceback.print_exc()
        print(f'error: {one_line(e)}', file=sys.stderr, flush=True)
        sys.exit(EXIT_STATUS)
