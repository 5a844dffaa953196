"""The one module that reaches into pygls beyond its documented API.

Everything else in the server uses pygls's public surface (``LanguageServer``, its
``feature``/``command`` decorators and client methods, ``pygls.uris``). What the transport
and the shutdown fix need of pygls's internals is here, behind four names:

- :meth:`AnvilProtocol.attach` (the writer), :meth:`AnvilProtocol.parse` (JSON to
  lsprotocol types, raising on parameters that do not validate), :meth:`AnvilProtocol.dispatch`
  (to the registered handlers) and :attr:`AnvilProtocol.shut_down`;
- the shutdown handler: pygls cancels the other requests' futures while iterating over the
  dictionary they live in ("dictionary changed size during iteration" answered the client's
  shutdown with an internal error while a check was running); this one iterates over a copy.

``tests/lsp/test_pygls_seam.py`` checks that the pygls internals used here still exist and
behave, so a pygls upgrade that moves them fails there, by name, not in an editor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from typing import Any, Protocol

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

#: pygls's logger for messages it cannot structure (the transport answers those itself)
PYGLS_RPC_LOGGER = "pygls.protocol.json_rpc"

#: the private attributes of pygls's protocol this module relies on (checked by a test)
PYGLS_INTERNALS = ("_shutdown", "_request_futures", "msg_id", "fm", "set_writer", "structure_message",
                   "handle_message")


class Writer(Protocol):
    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class _QuietDeserialize(logging.Filter):
    """pygls logs a full traceback for every message it cannot structure; the transport says it
    in one line (and answers the request), so those records are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unable to deserialize message")


logging.getLogger(PYGLS_RPC_LOGGER).addFilter(_QuietDeserialize())


class AnvilProtocol(LanguageServerProtocol):
    # -- the transport's view ------------------------------------------------------------------

    @property
    def shut_down(self) -> bool:
        """Whether the client has sent ``shutdown``."""
        return bool(self._shutdown)

    def attach(self, writer: Writer) -> None:
        """Send the server's output through ``writer``."""
        self.set_writer(writer)

    def parse(self, body: bytes) -> Any:
        """One message as lsprotocol types; raises when it does not validate (the exception's
        cause says why)."""
        return json.loads(body, object_hook=self.structure_message)

    def dispatch(self, message: Any) -> None:
        """Hand a parsed message to the server's handlers (requests are answered by pygls)."""
        self.handle_message(message)

    # -- shutdown, made safe ---------------------------------------------------------------------

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current_id = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None
