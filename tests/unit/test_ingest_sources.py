"""Ingest sources: read from the services file, compiled once, refused when they cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import default_registry
from hub.service_layer.ingest.errors import IngestConfigError, UnknownIngestSource
from hub.service_layer.ingest.sources import IngestSource, SourceBook, load_ingest_sources
from hub.service_layer.ingest.subjects import ingest_subject, parse_ingest_subject
from simulations.ingest_records import CONTRACT, SOURCES, RecordFactory


def test_ingest_tables_are_read_with_mappings_beside_the_file(tmp_path: Path) -> None:
    """A relative mapping resolves beside the services file; a missing key is named."""
    file = tmp_path / "services.toml"
    file.write_text(f'[[ingest]]\ndepartment = "tax"\ncontract = "{CONTRACT}"\n'
                    'format = "soap"\nmapping = "m/x.toml"\n', encoding="utf-8")
    [source] = load_ingest_sources(file)
    assert source == IngestSource("tax", CONTRACT, "soap", str((tmp_path / "m/x.toml").resolve()))
    file.write_text('[[ingest]]\ndepartment = "tax"\n', encoding="utf-8")
    with pytest.raises(IngestConfigError, match="ingest\\[0\\] lacks 'contract'"):
        load_ingest_sources(file)


def test_a_source_book_decodes_each_format_and_names_unknown_sources() -> None:
    """SOAP and JSON decode into the contract; an unknown pair lists the known ones."""
    book = SourceBook(SOURCES, default_registry(), max_bytes=1 << 20)
    factory = RecordFactory()
    soap = book.get("social-security", CONTRACT).decode(factory.soap(7))
    pensions = book.get("pensions", CONTRACT).decode(factory.json(7))
    assert soap.person.national_id == pensions.person.national_id
    with pytest.raises(UnknownIngestSource, match="known sources: pensions/"):
        book.get("tax", CONTRACT)


def test_sources_that_cannot_work_are_refused_at_start() -> None:
    """A soap source without a mapping, an unknown format, a duplicate, an unknown contract."""
    registry = default_registry()
    for sources, match in (
        ([IngestSource("tax", CONTRACT, "soap")], "needs a mapping"),
        ([IngestSource("tax", CONTRACT, "csv")], "format 'csv'"),
        ([IngestSource("tax", CONTRACT), IngestSource("tax", CONTRACT)], "declared twice"),
        ([IngestSource("tax", "no.such@1.0")], "no.such@1.0"),
    ):
        with pytest.raises(IngestConfigError, match=match):
            SourceBook(sources, registry, max_bytes=1024)


def test_ingest_subjects_keep_the_contract_spelling() -> None:
    """The contract spans the subject's remaining tokens; foreign subjects are not ours."""
    subject = ingest_subject("north", "tax", CONTRACT)
    assert subject == f"hub.north.ingest.tax.{CONTRACT}"
    address = parse_ingest_subject("north", subject)
    assert address is not None and (address.department, address.contract) == ("tax", CONTRACT)
    assert parse_ingest_subject("south", subject) is None
    assert parse_ingest_subject("north", "hub.north.ingest.tax") is None
