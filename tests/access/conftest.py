"""The API tests' clients on the tiny bundle, for the access tests too."""

from ..api.conftest import client, client_as  # noqa: F401  (fixtures)
