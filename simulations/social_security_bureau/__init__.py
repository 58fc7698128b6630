"""An emulated Social Security Bureau: a legacy SOAP 1.1 document/literal service."""

from simulations.social_security_bureau.app import BureauBehaviour, create_app
from simulations.social_security_bureau.data import (
    EmploymentPeriod,
    InsuredPerson,
    seed_register,
)

__all__ = [
    "BureauBehaviour",
    "EmploymentPeriod",
    "InsuredPerson",
    "create_app",
    "seed_register",
]
