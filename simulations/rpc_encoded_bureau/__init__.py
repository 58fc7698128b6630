"""An emulated rpc/encoded provider: the Pension Fund's contribution register (Axis 1 style)."""

from simulations.rpc_encoded_bureau.app import ENDPOINT_PATH, PensionFundBehaviour, create_app

__all__ = ["ENDPOINT_PATH", "PensionFundBehaviour", "create_app"]
