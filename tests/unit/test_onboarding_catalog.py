"""The OASIS XML catalog maps URLs onto local files, and refuses anything that would fetch."""

from __future__ import annotations

from pathlib import Path

import pytest

from translation.onboarding import CatalogError, XmlCatalog, catalog_line

NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"


def _catalog(folder: Path, body: str, name: str = "catalog.xml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'<?xml version="1.0"?>\n<catalog xmlns="{NS}">{body}</catalog>')
    return path


def test_uri_entry_resolves_relative_to_the_catalog(tmp_path: Path) -> None:
    """A ``uri`` entry maps a URL onto a file next to the catalog."""
    path = _catalog(tmp_path / "cat", '<uri name="http://a.example/s.xsd" uri="local/s.xsd"/>')
    catalog = XmlCatalog.load(path)
    assert catalog.resolve("http://a.example/s.xsd") == tmp_path / "cat" / "local" / "s.xsd"
    assert catalog.resolve("http://a.example/other.xsd") is None
    assert catalog.files == (path,)


def test_longest_rewrite_prefix_wins(tmp_path: Path) -> None:
    """``rewriteURI`` rewrites by the longest matching start string, as the spec says."""
    path = _catalog(
        tmp_path,
        '<rewriteURI uriStartString="http://a.example/" rewritePrefix="all/"/>'
        '<rewriteURI uriStartString="http://a.example/xsd/" rewritePrefix="xsd/"/>',
    )
    catalog = XmlCatalog.load(path)
    assert catalog.resolve("http://a.example/xsd/x.xsd") == tmp_path / "xsd" / "x.xsd"
    assert catalog.resolve("http://a.example/y.xsd") == tmp_path / "all" / "y.xsd"


def test_suffix_group_base_and_system_fallback(tmp_path: Path) -> None:
    """``uriSuffix``, ``group xml:base`` and ``system`` entries resolve too (uri first)."""
    path = _catalog(
        tmp_path,
        '<group xml:base="grouped/"><uriSuffix uriSuffix="/common.xsd" uri="common.xsd"/></group>'
        '<system systemId="http://b.example/s.xsd" uri="sys.xsd"/>'
        '<uri name="http://b.example/s.xsd" uri="uri.xsd"/>'
        '<system systemId="http://c.example/only-system.xsd" uri="only.xsd"/>',
    )
    catalog = XmlCatalog.load(path)
    assert catalog.resolve("http://x.example/a/common.xsd") == tmp_path / "grouped" / "common.xsd"
    assert catalog.resolve("http://b.example/s.xsd") == tmp_path / "uri.xsd"
    assert catalog.resolve("http://c.example/only-system.xsd") == tmp_path / "only.xsd"


def test_next_catalog_is_followed_once(tmp_path: Path) -> None:
    """``nextCatalog`` chains a local catalog; a cycle does not loop."""
    second = _catalog(
        tmp_path / "two",
        '<uri name="http://two.example/t.xsd" uri="t.xsd"/><nextCatalog catalog="../catalog.xml"/>',
    )
    first = _catalog(tmp_path, '<nextCatalog catalog="two/catalog.xml"/>')
    catalog = XmlCatalog.load(first)
    assert catalog.files == (first, second)
    assert catalog.resolve("http://two.example/t.xsd") == tmp_path / "two" / "t.xsd"


def test_a_catalog_that_maps_onto_a_url_is_refused(tmp_path: Path) -> None:
    """A target that is not a local file is refused when the catalog loads (it would fetch)."""
    path = _catalog(tmp_path, '<uri name="http://a.example/s.xsd" uri="https://mirror.example/s"/>')
    with pytest.raises(CatalogError) as caught:
        XmlCatalog.load(path)
    assert "not a local file" in caught.value.message
    assert caught.value.issues[0].path == f"{path}:2"


def test_a_catalog_with_a_doctype_is_refused_with_a_hint(tmp_path: Path) -> None:
    """Catalogs often carry the OASIS DOCTYPE; the hardened parser refuses it and says why."""
    path = tmp_path / "catalog.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE catalog PUBLIC "-//OASIS//DTD XML Catalogs V1.1//EN" '
        '"http://www.oasis-open.org/committees/entity/release/1.1/catalog.dtd">\n'
        f'<catalog xmlns="{NS}"/>'
    )
    with pytest.raises(CatalogError) as caught:
        XmlCatalog.load(path)
    assert "remove its DOCTYPE line" in caught.value.message
    assert caught.value.issues[0].code == "dtd-forbidden"


@pytest.mark.parametrize(
    ("content", "code"),
    [(None, "catalog-missing"), ("<notacatalog/>", "not-a-catalog"), ("<<", "not-well-formed")],
)
def test_unusable_catalog_files_are_named(tmp_path: Path, content: str | None, code: str) -> None:
    """A missing, foreign or broken catalog file is refused with a specific code."""
    path = tmp_path / "catalog.xml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CatalogError) as caught:
        XmlCatalog.load(path)
    assert caught.value.issues[0].code == code


def test_catalog_line_names_the_url_and_a_local_file() -> None:
    """The suggested entry maps the URL onto a file named like its last path segment."""
    assert catalog_line("http://x-road.ee/xsd/x-road.xsd") == (
        '<uri name="http://x-road.ee/xsd/x-road.xsd" uri="x-road.xsd"/>'
    )
