"""pygls's protocol with its shutdown made safe: cancelling the other requests' futures changes
the dictionary pygls iterates over ("dictionary changed size during iteration" answered the
client's shutdown with an internal error while a check was running)."""

from __future__ import annotations

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method


class AnvilProtocol(LanguageServerProtocol):
    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args):
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current_id = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None
