"""The reference central's routes, one module per endpoint group; :func:`sync.central.app.create_app` mounts them.

- :mod:`~sync.central.routes.common` -- the state every route shares and the one signed-request helper;
- :mod:`~sync.central.routes.enroll` -- ``POST /v1/enroll``;
- :mod:`~sync.central.routes.events` -- ``POST /v1/events`` (signed);
- :mod:`~sync.central.routes.reference` -- ``GET /v1/reference/{dataset}`` (signed);
- :mod:`~sync.central.routes.feed` -- ``GET /v1/feed`` (consumer token);
- :mod:`~sync.central.routes.status` -- ``GET /v1/status``, ``GET /status``, ``GET /healthz``.
"""
