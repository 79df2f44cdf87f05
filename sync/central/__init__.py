"""The reference central service (``terminal central``): what the terminals sync with.

Layers, one idea each: :mod:`~sync.central.engines` (SQLite or PostgreSQL
connections), :mod:`~sync.central.storage` (the data model and every
statement), :mod:`~sync.central.ingest` and :mod:`~sync.central.auth` (reading
and authenticating requests), :mod:`~sync.central.app` (the FastAPI routes),
:mod:`~sync.central.cli` (the commands).  It imports nothing from the device
side: only :mod:`sync.wire`, the contract both sides share.
"""
