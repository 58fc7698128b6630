"""X-Road identifiers: a client (member or subsystem) and a service, as X-Road writes them.

``INSTANCE/CLASS/CODE[/SUBSYSTEM]`` for a client and
``SERVICE:INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION]`` for a service; the
latter (without ``SERVICE:``) is how services.toml declares the X-Road id a hub
service answers to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# An identifier code: what X-Road's own identifiers never contain, and no separator of ours.
_IDENTIFIER = re.compile(r"[^\s/:;%\\]{1,255}")


@dataclass(frozen=True, order=True)
class XRoadClientId:
    """An X-Road member or subsystem: ``INSTANCE/CLASS/CODE[/SUBSYSTEM]``."""

    instance: str
    member_class: str
    member_code: str
    subsystem_code: str | None = None

    @classmethod
    def parse(cls, text: str) -> XRoadClientId:
        """Read ``DEV/COM/4321`` or ``DEV/COM/4321/TestClient``."""
        parts = text.split("/")
        if len(parts) not in (3, 4) or not all(parts):
            raise ValueError(f"{text!r} is not an X-Road client id INSTANCE/CLASS/CODE[/SUBSYSTEM]")
        return cls(*parts)

    @property
    def object_type(self) -> str:
        return "SUBSYSTEM" if self.subsystem_code else "MEMBER"

    def __str__(self) -> str:
        return "/".join(p for p in self._codes() if p)

    def _codes(self) -> tuple[str | None, ...]:
        return (self.instance, self.member_class, self.member_code, self.subsystem_code)


@dataclass(frozen=True, order=True)
class XRoadServiceId:
    """An X-Road service: a provider (member or subsystem), a service code, maybe a version."""

    instance: str
    member_class: str
    member_code: str
    subsystem_code: str | None
    service_code: str
    service_version: str | None = None

    @property
    def provider(self) -> XRoadClientId:
        return XRoadClientId(
            self.instance, self.member_class, self.member_code, self.subsystem_code
        )

    @classmethod
    def parse(cls, text: str) -> XRoadServiceId:
        """Read ``INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION]`` (``SERVICE:`` optional).

        A service is provided by a subsystem, so five parts are a service without a
        version and six one with it; ValueError names what is wrong.
        """
        parts = text.removeprefix("SERVICE:").split("/")
        if len(parts) not in (5, 6):
            raise ValueError(
                f"{text!r} is not an X-Road service id "
                "INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION]")
        bad = [p for p in parts if not _IDENTIFIER.fullmatch(p)]
        if bad:
            raise ValueError(
                f"{text!r}: {bad[0]!r} is not an X-Road identifier code "
                "(non-empty, no spaces, ':', ';', '%' or '\\')")
        return cls(*parts[:5], parts[5] if len(parts) == 6 else None)

    @property
    def path(self) -> str:
        """``INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION]``, as services.toml writes it."""
        return str(self).removeprefix("SERVICE:")

    def unversioned(self) -> XRoadServiceId:
        """The same service without its version (how the hub routes: any version)."""
        return XRoadServiceId(
            self.instance,
            self.member_class,
            self.member_code,
            self.subsystem_code,
            self.service_code,
        )

    def __str__(self) -> str:
        version = f"/{self.service_version}" if self.service_version else ""
        return f"SERVICE:{self.provider}/{self.service_code}{version}"
