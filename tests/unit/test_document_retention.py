"""A document kind's retention in the services file, and documents recorded before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.domain.document import Document
from hub.service_layer.documents.policy import (
    DocumentPolicy,
    DocumentPolicyError,
    load_document_policies,
)

SERVICE = "north/social-security/benefit-claim"


def _services(tmp_path: Path, retention: str) -> Path:
    path = tmp_path / "north.toml"
    path.write_text(f'[[documents]]\nservice = "{SERVICE}"\n{retention}\n')
    return path


def test_retention_is_read_and_absent_means_the_purposes(tmp_path: Path) -> None:
    """``retention = "P2Y"`` is read; a table without one leaves it to the purpose ("")."""
    policies = load_document_policies(_services(tmp_path, 'retention = "P2Y"'),
                                      DocumentPolicy())
    assert policies.of(SERVICE).retention == "P2Y"
    assert policies.of("north/tax/other").retention == ""
    plain = load_document_policies(_services(tmp_path, ""), DocumentPolicy())
    assert plain.of(SERVICE).retention == ""


@pytest.mark.parametrize(("line", "reason"), [
    ('retention = "2 years"', "is not an ISO 8601 duration"),
    ('retention = "P0D"', "is not a positive duration"),
    ("retention = 5", "retention must be a string"),
])
def test_a_bad_retention_is_refused_naming_file_table_and_field(
    tmp_path: Path, line: str, reason: str
) -> None:
    """The same parser and messages as a purpose's retention, naming where it is."""
    with pytest.raises(DocumentPolicyError) as caught:
        load_document_policies(_services(tmp_path, line), DocumentPolicy())
    assert "north.toml: documents[0]: retention" in caught.value.message
    assert reason in caught.value.message
    assert [issue.field for issue in caught.value.issues] == ["retention"]


def test_a_version_1_supplied_document_is_kept_until_forgotten() -> None:
    """Supplied v1 (sealed under the subject's own key) upcasts to no retention, no scope."""
    state: dict[str, Any] = {"document_id": "d", "kid": "k-1"}
    Document.Supplied.upcast_v1_v2(state)
    assert (state["retention"], state["expiry_bucket"], state["kept_until"]) == ("", "", "")
    document = Document(document_id="6d3f6b0e-7c0f-4d0a-9a53-3a1f2d7b8c9e", service=SERVICE,
                        supplier="north/tax", purpose="benefit", data_subject="ds-1",
                        media_type="application/pdf", declared_type="", size=1,
                        sha256="00", kid="k-1", bucket="hub-north-documents",
                        retention=state["retention"], expiry_bucket=state["expiry_bucket"],
                        kept_until=state["kept_until"])
    assert document.key_scope() is None
    assert not document.expired
