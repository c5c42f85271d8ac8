"""The app served over a real socket by waitress, in a thread of the test process.

    served = ServedApp(app)          # listening on 127.0.0.1:<free port> at once
    requests.get(served.url + "/api/3/action/status_show")
    served.close()                   # the loop thread has ended when this returns
"""

from __future__ import annotations

import threading

from waitress import wasyncore
from waitress.server import create_server


class ServedApp:
    def __init__(self, app, *, threads: int = 2, **adjustments):
        self._map: dict = {}  # every socket of this server: the listener, the wake-up pipe, the connections
        self.server = create_server(app, map=self._map, host="127.0.0.1", port=0, threads=threads, **adjustments)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self._thread = threading.Thread(target=self.server.run, daemon=True, name=f"waitress-{self.url}")
        self._thread.start()

    def close(self) -> None:
        """Finish the requests in flight, then close every socket from inside the server's loop, which then
        ends. (`server.close()` closes the listener only: the connections a client keeps alive, a requests
        session or ckanapi's, kept the loop running until they timed out, and a join waited its timeout.)"""
        self.server.task_dispatcher.shutdown(timeout=5)
        try:
            self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self._map))
        except OSError:
            # The wake-up pipe is gone (seen once in 1,800 tests: EBADF on the trigger): the loop has stopped
            # polling, so its sockets can be closed from here without racing it.
            self._thread.join(timeout=5)
            wasyncore.close_all(self._map, ignore_all=True)
        self._thread.join(timeout=5)
        assert not self._thread.is_alive(), f"the server loop of {self.url} did not end"
