"""The test suite.  A package so that ``from tests.helpers... import ...`` works the same under
``pytest`` and ``python -m pytest`` (pytest puts the repo root on sys.path for a package's tests)."""
