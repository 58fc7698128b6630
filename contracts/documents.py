"""A document named inside a contract: the field holds the id of a document the hub stores.

A contract declares a field a document reference by typing it :data:`DocumentRef`. Between
the hub and a department's system such a field travels as an attachment part (SOAP with
Attachments or MTOM), as the department's mapping says; inside the hub it is the document's
id, and the bytes stay in the region's document store.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

DOCUMENT_REF = "x-document-ref"
"""The JSON Schema keyword that marks a field as a document reference."""

DocumentRef = Annotated[str, Field(
    pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    description="the id of a document supplied to the hub", json_schema_extra={DOCUMENT_REF: True},
)]
