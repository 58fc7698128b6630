"""Reading mapping files: every mistake in the file's shape is named with its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from translation.mapping import MappingFileError, load_spec

HEAD = """
[mapping]
service = "tax/tax-clearance"
request = "tax.clearance-query@1.0"
response = "tax.clearance@1.0"
native = "json"

[json]
request = "GET /v2/taxpayers/{tin}/clearance?year={year}"
"""


def spec_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> dict[str, str]:
    with pytest.raises(MappingFileError) as caught:
        load_spec(spec_file(tmp_path, text))
    return {issue.path.split(":", 1)[1]: issue.reason for issue in caught.value.issues}


def test_rules_read_as_written(tmp_path: Path) -> None:
    """A bare string is a path; an inline table carries transforms; order is kept."""
    spec = load_spec(spec_file(tmp_path, HEAD + """
[response.fields]
national_id = "/tin"
status = { path = "/state", codes = { OK = "cleared" }, lossy = false }
end = { path = "/end", date = "%d.%m.%Y", null = ["00.00.0000", ""] }
"""))
    rules = {rule.field: rule for rule in spec.response.rules}
    assert list(rules) == ["national_id", "status", "end"]
    assert rules["national_id"].paths == ("/tin",)
    assert rules["status"].codes == {"OK": "cleared"}
    assert rules["end"].null == ("00.00.0000", "")
    assert spec.json is not None and spec.json.placeholders == ("tin", "year")


def test_list_blocks_nest(tmp_path: Path) -> None:
    """[[response.list]] blocks carry their own fields and nested lists."""
    spec = load_spec(spec_file(tmp_path, HEAD + """
[[response.list]]
field = "periods"
each = "/periods"
[response.list.fields]
start = "/from"
[[response.list.list]]
field = "notes"
each = "/notes"
"""))
    (block,) = spec.response.lists
    assert (block.field, block.each, [r.field for r in block.rules]) == (
        "periods", "/periods", ["start"])
    assert block.lists[0].field == "notes"


def test_not_toml_is_named(tmp_path: Path) -> None:
    """A file that is not TOML is refused with the parser's reason."""
    assert "not valid TOML" in problems(tmp_path, "[mapping\n")["$"]


def test_missing_header_and_unknown_native(tmp_path: Path) -> None:
    """The header's required keys and native technology are checked."""
    found = problems(tmp_path, '[mapping]\nnative = "corba"\n')
    assert found["mapping.native"].startswith("must be 'soap' or 'json'")
    assert {"mapping.service", "mapping.request", "mapping.response"} <= found.keys()


def test_unknown_keys_are_named_with_what_is_known(tmp_path: Path) -> None:
    """A misspelt key is refused, listing the keys that exist."""
    found = problems(tmp_path, HEAD + '[response.fields]\nx = { pth = "/x" }\n[reponse]\n')
    assert "unknown key(s) pth" in found['response.fields."x"']
    assert "reponse" in found


def test_soap_header_is_required_for_soap(tmp_path: Path) -> None:
    """native = "soap" needs [soap] with wsdl and operation; [json] is then out of place."""
    found = problems(tmp_path, HEAD.replace('native = "json"', 'native = "soap"'))
    assert "soap" in found and "json" in found


@pytest.mark.parametrize(("rule", "reason"), [
    ('{ path = "/a", date = "%d", scale = 2 }', "cannot be combined"),
    ('{ paths = ["/a", "/b"] }', "join"),
    ('{ path = "/a", split = ", " }', "split and part go together"),
    ('{ const = "EUR", path = "/a" }', "const takes no path"),
    ('{ date = "%d.%m.%Y" }', "needs a path"),
    ('{ path = "/a", codes = {} }', "non-empty table"),
    ('{ path = "/a", scale = "2" }', "whole number"),
])
def test_contradictory_rules_are_refused(tmp_path: Path, rule: str, reason: str) -> None:
    """Rules whose keys contradict each other are refused at load."""
    found = problems(tmp_path, HEAD + f"[response.fields]\nx = {rule}\n")
    assert any(reason in text for text in found.values()), found


def test_bad_field_path_is_refused(tmp_path: Path) -> None:
    """A field key that is not a dotted name is refused."""
    found = problems(tmp_path, HEAD + '[response.fields]\n"person..name" = "/x"\n')
    assert "dotted names" in found['response.fields."person..name"']


def test_bad_request_line_is_refused(tmp_path: Path) -> None:
    """The JSON request line must be METHOD /path."""
    found = problems(tmp_path, HEAD.replace("GET /v2", "FETCH v2"))
    assert "METHOD /path" in found["json.request"]
