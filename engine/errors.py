"""Errors the engine raises for bad input: each message is one line a user can act on."""


class NNPlayError(Exception):
    """Base for user-facing errors; the CLI prints `str(err)` and exits 2."""


class DataError(NNPlayError):
    """A data file or dataset request is malformed, missing or corrupted."""


class BackendError(NNPlayError):
    """The requested array backend (e.g. CuPy on a GPU) is unavailable."""


class ModelFileError(NNPlayError):
    """A saved model file cannot be read or does not fit the model."""


class UsageError(NNPlayError):
    """A command line that makes no sense (an unknown option, a missing argument, a bad number)."""


class OutputError(NNPlayError):
    """A file nnplay was asked to write (a model, preset, screenshot, recording) cannot be written there."""
