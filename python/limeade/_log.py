"""The ``"limeade"`` logger for the modules ``import limeade`` loads, without importing
:mod:`logging` then.

``import limeade`` only sets up the import hook; importing ``logging`` (with ``traceback``,
``string``, ``threading``...) would cost a program that never configures it several
milliseconds of start-up. :data:`logger` stands for ``logging.getLogger("limeade")``: a debug
record is dropped while :mod:`logging` was never imported (nothing could show it: no handler was
configured, and the last-resort handler shows WARNING and above), and anything else imports
:mod:`logging` and logs as usual."""

from __future__ import annotations

import sys

#: `typing` is imported for type checking only: `import limeade` must not pay for it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


#: The name of limeade's logger.
NAME = "limeade"


class _Logger:
    """Stands for ``logging.getLogger("limeade")``; :mod:`logging` is imported on first use."""

    __slots__ = ()

    def debug(self, msg: str, *args: Any) -> None:
        logging = sys.modules.get("logging")
        if logging is not None:
            logging.getLogger(NAME).debug(msg, *args)

    def __getattr__(self, name: str) -> Any:
        import logging

        return getattr(logging.getLogger(NAME), name)


#: ``logging.getLogger("limeade")``, imported when first needed.
logger: Any = _Logger()
