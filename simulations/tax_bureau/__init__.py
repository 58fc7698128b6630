"""An emulated Tax Bureau: a modern JSON/HTTP service with its own JSON shape."""

from simulations.tax_bureau.app import TaxBehaviour, create_app
from simulations.tax_bureau.data import Assessment, TaxAccount, seed_accounts

__all__ = ["Assessment", "TaxAccount", "TaxBehaviour", "create_app", "seed_accounts"]
