"""Central's fixtures: the same tests run on SQLite and on a throwaway PostgreSQL cluster.

The cluster (Debian's postgresql binaries, from apt-packages.txt) starts on
first use, once per test session, on a free loopback port; every test gets a
fresh database in it, and the cluster is stopped and deleted at the end.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time

import pytest

ENGINES = ["sqlite", "postgresql"]
_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster():
    from sync.central.pgcluster import ThrowawayCluster

    cluster = ThrowawayCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=ENGINES)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "central.db")
    return request.getfixturevalue("pg_cluster").create_database(f"central_t{next(_names)}")


@pytest.fixture
def storage(db_url):
    from sync.central.storage import open_storage

    s = open_storage(db_url)
    yield s
    s.close()


class RunningCentral:
    """A real uvicorn server on loopback around one app (in a thread of the test process)."""

    def __init__(self, app, storage, limits=None):
        import uvicorn

        from sync.central.server import server_config

        self.app, self.storage = app, storage
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._sock = sock
        config = server_config(app, limits=limits)
        self.limits = config.connection_limits
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("central test server did not start")
            time.sleep(0.01)

    def consumer_token(self, name: str = "ops") -> str:
        return self.storage.create_consumer_token(name)

    def status(self, path: str = "/v1/status"):
        """GET a status page with a consumer token (they need one unless public_status)."""
        import requests

        return requests.get(self.url + path, headers={"Authorization": f"Bearer {self.consumer_token()}"},
                            timeout=10)

    def device(self, device_id: str = "KSK-T-0001"):
        """An enrolled device client."""
        from sync.central.client import DeviceClient

        return DeviceClient.enroll(self.url, device_id, self.storage.create_token(device_id, ttl_s=600))

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self._sock.close()


@pytest.fixture
def make_central(storage):
    from sync.central.app import create_app

    started = []

    def make(limits=None, **options) -> RunningCentral:
        """``limits``: a sync.central.server.ConnectionLimits; ``options`` go to create_app."""
        c = RunningCentral(create_app(storage, **options), storage, limits)
        started.append(c)
        return c

    yield make
    for c in started:
        c.stop()


@pytest.fixture
def reference_central(make_central) -> RunningCentral:
    return make_central()
