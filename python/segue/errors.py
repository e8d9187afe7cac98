"""The exceptions of Segue: one class per kind of engine error, all ``SegueError``.

Bad input is also a ``ValueError`` and an operating-system failure also an ``OSError``, so code
that already catches those keeps working. Each message is the engine's own (the file, row and
field for catalogue rows; the path for a damaged file).
"""

__all__ = [
    "SegueError",
    "BadInputError",
    "NotALibraryError",
    "CorruptLibraryError",
    "IncompatibleFormatError",
    "LibraryLockedError",
    "SegueIOError",
    "ModelError",
    "CancelledError",
]


class SegueError(Exception):
    """Any error of the engine."""


class BadInputError(SegueError, ValueError):
    """The input is wrong: an argument, a request, a filter, a catalogue row, a video, unknown
    track ids. Fix it and try again."""


class NotALibraryError(SegueError, FileNotFoundError):
    """The path is not a Segue library (missing, empty, or something else)."""


class CorruptLibraryError(SegueError):
    """A file of the library does not hold what its header, checksum or manifest says."""


class IncompatibleFormatError(SegueError):
    """A file in a format this build does not understand (usually written by a newer Segue)."""


class LibraryLockedError(SegueError):
    """Another process is writing the library (it holds the writer lock)."""


class SegueIOError(SegueError, OSError):
    """The operating system refused a read or a write."""


class ModelError(SegueError):
    """An encoder or policy model (or ONNX Runtime) cannot be loaded or run."""


class CancelledError(SegueError):
    """An ingest stopped by its progress callback; nothing was published."""
