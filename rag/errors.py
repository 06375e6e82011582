"""The common base of every error this package raises on purpose.

``except rag.RagError`` catches them all; each also keeps the built-in base it had
(``ValueError``, ``FileNotFoundError``, ``RuntimeError``), so existing handlers still work.
"""


class RagError(Exception):
    """Base class of party-rag's own errors; ``str(error)`` says what to do."""
