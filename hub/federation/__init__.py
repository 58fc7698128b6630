"""Federation application: records, attestations, recognitions and agreements as events."""

from hub.federation.app import FederationApp, IssuedRecord
from hub.federation.store import federation_environment

__all__ = ["FederationApp", "IssuedRecord", "federation_environment"]
