"""Typed settings: the one place that reads the environment (``HUB_*`` variables)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from contracts.errors import HubError
from contracts.identity import REGION_CODE_PATTERN


class HubSettings(BaseSettings):
    """Settings of one region's hub. Every field can be set as ``HUB_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    data: Path = Field(
        default=Path("hub-data"),
        description="The region's data folder: event store, NATS store, keys",
    )
    region: str = Field(default="north", pattern=REGION_CODE_PATTERN)
    nats_url: str | None = Field(
        default=None, description="External NATS server; unset: start an embedded nats-server"
    )
    store: str | None = Field(
        default=None,
        description="postgresql://... for PostgreSQL; unset: SQLite in the data folder",
    )
    key_store: str | None = Field(
        default=None,
        description="Subject key store (sqlite:///... or postgresql://...); unset: beside "
        "the event store (DIR/keys/subject-keys.sqlite3, or schema hub_privacy in PostgreSQL)",
    )
    kek: SecretStr | None = Field(
        default=None, description="Key-encryption key (base64, 32 bytes); unset: kek_file"
    )
    kek_file: Path | None = Field(
        default=None, description="Key-encryption key file; unset: DIR/keys/kek (made 0600)"
    )
    backup_key: SecretStr | None = Field(
        default=None, description="Backup key (base64, >= 32 bytes) for `interop-hub backup`; "
        "never the KEK; unset: --key-file",
    )
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")
    max_payload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # --- TLS (hub.entrypoints.http.tls_listener): the hub terminates TLS itself when both are set
    # ---
    tls_certfile: Path | None = Field(default=None, description="Server certificate (PEM)")
    tls_keyfile: Path | None = Field(default=None, description="Server private key (PEM)")
    tls_client_ca: Path | None = Field(
        default=None, description="CA bundle that verifies client certificates (optional: "
        "unset, none is asked for; set, a certificate bound to a department proves it)",
    )
    # --- end TLS ---
    catalog: Path | None = Field(default=None, description="OASIS XML catalog: URLs -> local")
    xroad_clients: dict[str, str] = Field(
        default_factory=dict,
        description="X-Road client INSTANCE/CLASS/CODE[/SUBSYSTEM] -> region/department (JSON)",
    )
    store_lock_timeout_s: int = Field(
        default=10, ge=1, le=600,
        description="SQLite ledger: how long a write waits for a lock another program holds "
        "(an operator's sqlite3 shell, a backup tool) before the query is refused with 503 "
        "and Retry-After",
    )
    group_commit_window_ms: float = Field(
        default=0.5, ge=0, le=50,
        description="How long the ledger's writer holds a transaction open for other "
        "exchanges' events once the first arrived: longer batches more exchanges per commit "
        "(less CPU per query under load) and adds up to twice as much to each query's "
        "latency (a query waits for two commits)",
    )
    reply_timeout_s: float = Field(default=30.0, gt=0)
    provider_timeout_s: float = Field(default=10.0, gt=0)
    inline_delivery: bool = Field(
        default=True,
        description="The process that accepts a query for this region's provider delivers it "
        "itself (false: every exchange goes through the relay and JetStream to the delivery "
        "workers, e.g. where ingress processes cannot reach the providers)",
    )
    projections_process: bool = Field(
        default=True,
        description="The read store's projections follow the ledger in a child process of "
        "the hub that holds their lease, off the event loop that answers queries (false: in "
        "the hub's own process)",
    )
    audit_process: bool = Field(
        default=True,
        description="The periodic audit checkpoints are signed in a child process of the hub "
        "that holds the relay lease, off the event loop that answers queries (false: in the "
        "hub's own process; the last checkpoint at shutdown is always the hub's)",
    )
    max_deliver: int = Field(default=5, ge=1, description="Delivery attempts before dead-letter")
    ack_wait_s: float = Field(default=30.0, gt=0)
    retry_backoff_s: float = Field(default=0.2, ge=0, description="First redelivery delay")
    relay_poll_s: float = Field(default=0.05, gt=0, description="Outbox poll interval when idle")
    audit_checkpoint_interval_s: float = Field(default=60.0, gt=0, description="Checkpoint period")
    retention_interval_s: float = Field(
        default=3600.0, gt=0,
        description="How often the retention enforcer destroys the keys of expired buckets",
    )
    # --- region links (hub.adapters.peers): unset, the region runs on its own exactly as before ---
    leaf_port: int | None = Field(
        default=None, ge=1, le=65535,
        description="Accept leaf-node links from other regions on this port (embedded server)",
    )
    leaf_remotes: list[str] = Field(
        default_factory=list, description="nats-leaf:// URLs of regions to dial (JSON list)"
    )
    peers: list[Annotated[str, Field(pattern=REGION_CODE_PATTERN)]] = Field(
        default_factory=list, description="Peer regions to federate with (JSON list)"
    )
    link_timeout_s: float = Field(default=15.0, gt=0, description="Wait for a peer hub's answer")
    gossip_interval_s: float = Field(
        default=30.0, gt=0, description="How often peers' latest checkpoints are pulled"
    )
    # --- identity on NATS (hub.adapters.nats.accounts) ---
    nats_creds: Path | None = Field(
        default=None, description="With HUB_NATS_URL: the hub's NATS .creds file (JWT + seed)"
    )
    nats_seed_file: Path | None = Field(
        default=None, description="With HUB_NATS_URL: the hub's NATS nkey seed file"
    )
    pool_parent: int | None = Field(
        default=None, description="Set by `serve --workers N` for its workers: the parent's "
        "pid, which holds the SQLite data folder's lock for them (not an operator setting)",
    )
    nats_hub_user: bool = Field(
        default=False, description="With HUB_NATS_URL: connect as the hub's own nkey user, "
        "whose seed the region's key store holds (a server whose users the hub wrote: the "
        "embedded one that `serve --workers N` runs on SQLite)",
    )
    leaf_password: SecretStr | None = Field(
        default=None,
        description="Password of the 'leaf' user on region leaf-node links (embedded server)",
    )
    nats_users_refresh_s: float = Field(
        default=2.0, gt=0, description="How often the embedded server's NATS users are re-read"
    )
    # --- reliability (hub.adapters.nats.durability, hub.service_layer.exchanges.dead_letters) ---
    stream_replicas: int = Field(
        default=1, ge=1, le=5, description="Replicas of the hub's streams (3 on a cluster)"
    )
    durability_min_replicas: int = Field(
        default=1, ge=1, le=5, description="Policy: fewest stream replicas accepted at start-up"
    )
    durability_strict: bool = Field(
        default=False, description="Refuse to start (not only warn) below the durability policy"
    )
    nats_monitor_url: str | None = Field(
        default=None, description="nats-server monitoring URL (http://host:port), to read "
        "sync_interval from /varz; unset: the embedded server's, else not checked",
    )
    # --- end reliability ---
    # --- documents (hub.service_layer.documents) ---
    document_max_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0,
        description="Largest document a service accepts unless its [[documents]] table says",
    )
    # --- end documents ---
    # --- ingest (hub.service_layer.ingest): used only when the services file declares [[ingest]]
    # sources ---
    ingest_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=0, le=64,
        description="Ingest worker processes (default: one per core); 0 runs one in the hub",
    )
    ingest_batch: int = Field(default=256, ge=1, le=4096, description="Submissions per batch")
    ingest_max_bytes: int = Field(default=1024 * 1024, gt=0, description="Largest submission")
    ingest_ack_wait_s: float = Field(
        default=30.0, gt=0, description="Redeliver an ingest batch not acked within this"
    )
    # --- citizen API (hub.adapters.id_tokens, hub.service_layer.citizen) ---
    citizen_issuers: dict[str, Path] = Field(
        default_factory=dict,
        description="Trusted identity providers: issuer (iss) -> its JWKS file (JSON); "
        "empty: every citizen token is refused as from an untrusted issuer",
    )
    citizen_audience: str | None = Field(
        default=None, description="The aud citizen tokens must name; unset: "
        "urn:interop-hub:<region>:citizen",
    )
    citizen_id_claim: str = Field(
        default="national_id", min_length=1,
        description="The ID token claim holding the person's national id",
    )
    citizen_leeway_s: int = Field(default=30, ge=0, le=300, description="Clock skew allowed")
    citizen_max_token_lifetime_s: int = Field(
        default=3600, gt=0, le=86400, description="Longest exp - iat accepted",
    )
    citizen_replay_capacity: int = Field(
        default=100_000, gt=0, description="Most unexpired token ids remembered per process",
    )
    citizen_refusal_window_s: float = Field(
        default=60.0, gt=0, le=3600,
        description="The window refused citizen requests are budgeted over (seconds)",
    )
    citizen_refusals_per_client: int = Field(
        default=20, ge=0, description="Refusals per window recorded one by one for one client "
        "address; beyond: 429 and one summary event per address and window",
    )
    citizen_refusals_total: int = Field(
        default=200, ge=0, description="Refusals per window recorded one by one for all "
        "addresses together (per hub process); beyond: as above",
    )
    # --- end citizen API ---
    # --- one-stop cases (hub.service_layer.cases): unset, the hub runs no cases ---
    cases: Path | None = Field(
        default=None, description="Folder of case-type files (*.toml) this hub runs; each is "
        "checked against the contracts and services at start",
    )
    case_webhooks: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Portal department -> {\"url\": ..., \"secret\": ...}: "
        "every change of the cases it filed is POSTed there, signed (docs/cases.md)",
    )
    case_webhook_attempts: int = Field(
        default=8, ge=1, le=50, description="Attempts of one portal notification before it "
        "is given up (recorded as CaseNotice.Abandoned)",
    )
    case_webhook_backoff_s: float = Field(
        default=1.0, gt=0, le=60, description="Wait after a portal notification's first failed "
        "attempt; doubled after each (at most 30 s)",
    )
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"


class SettingsInvalidError(HubError):
    """Raised when a ``HUB_*`` variable cannot be read as its setting; names the variable
    and why, never its value (it may be a key or a password in a URL)."""

    code = "bad-setting"
    status = 500


def read_settings() -> HubSettings:
    """The settings from the environment; :class:`SettingsInvalidError` when one is unusable."""
    try:
        return HubSettings()
    except ValidationError as exc:
        problems = [f"HUB_{str(e['loc'][0]).upper()}: {e['msg']}" if e["loc"] else e["msg"]
                    for e in exc.errors(include_input=False)]
        raise SettingsInvalidError("; ".join(problems)) from None
    except SettingsError as exc:
        found = re.search(r'field "(\w+)"', str(exc))
        name = f"HUB_{found.group(1).upper()}" if found else "a HUB_ variable"
        why = exc.__cause__ if isinstance(exc.__cause__, ValueError) else "unreadable"
        raise SettingsInvalidError(f"{name} is not valid JSON: {why}") from None
