"""Federation application: records, attestations, recognitions and agreements as events."""

from hub.adapters.store.federation_store import federation_environment
from hub.service_layer.federation.app import FederationApp, IssuedRecord

__all__ = ["FederationApp", "IssuedRecord", "federation_environment"]
