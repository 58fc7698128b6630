"""The demo through the real command line: summary, recorded data, clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.printed_case import printed_case
from tests.waiting import wait_until

CLI = str(Path(sys.executable).parent / "interop-hub")
CITIZEN = "19751224-5678"  # the scenario's consenting citizen, whose certificate it supplies


def _nats_servers_using(folder: Path) -> list[int]:
    """PIDs of live nats-server processes whose config lives under ``folder``."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "status").read_text()
        except OSError:
            continue
        if "nats-server" in cmdline and str(folder) in cmdline and "zombie" not in state:
            pids.append(int(proc.name))
    return pids


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_LOG_FORMAT": "json"}
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data = tmp_path_factory.mktemp("demo") / "data"
    result = _run("demo", "--data", str(data))
    assert result.returncode == 0, result.stdout + result.stderr
    return data, result.stdout


def test_demo_prints_endpoints_summary_and_final_line(demo_data: tuple[Path, str]) -> None:
    """The demo says where it listens and ends with the outcome line, every step as expected."""
    _, stdout = demo_data
    assert "hub: http://127.0.0.1:" in stdout
    assert "latency p95" in stdout
    assert stdout.strip().splitlines()[-1] == "exchanges: 13 completed, 8 rejected, 0 failed"


def test_demo_shows_refusals_consent_and_the_data_use_report(
    demo_data: tuple[Path, str],
) -> None:
    """No right and a forged purpose are refused; consent allows, its revocation refuses;
    the citizen's data-use report lists each disclosure with its purpose and basis."""
    _, stdout = demo_data
    assert "403 access-denied" in stdout
    assert "403 purpose-not-granted" in stdout
    assert stdout.count("403 consent-required") == 2
    assert "data-use report of ds-" in stdout
    report = stdout[stdout.index("data-use report of ds-"):]
    for purpose in ("benefit-eligibility", "tax-assessment", "income-verification"):
        assert purpose in report
    assert "consent " in report and "Tax Procedure Act" in report


def test_subject_report_command_replays_the_disclosures(demo_data: tuple[Path, str]) -> None:
    """`subject report ID --json` lists the demo citizen's disclosures, oldest first: three
    exchanges to the tax office, the certificate's three (social security and tax read it,
    the education department received it in the diploma-verification exchange), then that
    exchange's answer to social security."""
    data, _ = demo_data
    result = _run("subject", "report", "19751224-5678", "--data", str(data), "--json")
    assert result.returncode == 0, result.stderr
    uses = [json.loads(line) for line in result.stdout.splitlines()]
    documents = [u for u in uses if u["fields"][0].startswith("document ")]
    exchanges = [u for u in uses if u not in documents]
    assert [u["purpose"] for u in exchanges] == [
        "benefit-eligibility", "tax-assessment", "income-verification", "benefit-eligibility"]
    assert [u["basis"] for u in exchanges] == [
        "legal-basis", "legal-basis", "consent", "legal-basis"]
    assert all(u["recipient"] == "north/tax" for u in exchanges[:3])
    assert "periods.employer_name" not in exchanges[1]["fields"]
    assert (exchanges[3]["recipient"], exchanges[3]["service"]) == (
        "north/social-security", "north/education/diploma-verification")
    assert [(u["recipient"], u["purpose"], u["basis"]) for u in documents] == [
        ("north/social-security", "benefit-eligibility", "party"),
        ("north/tax", "tax-assessment", "legal-basis"),
        ("north/education", "benefit-eligibility", "legal-basis")]
    assert len({u["fields"][0] for u in documents}) == 1  # the one certificate, three times
    assert documents[2]["exchange_id"] == exchanges[3]["exchange_id"] != ""
    assert "19751224-5678" not in result.stdout  # only the pseudonymous reference


def test_demo_certificate_is_supplied_once_and_read_by_two_departments(
    demo_data: tuple[Path, str]
) -> None:
    """The demo's certificate: one supply, one read each by social security and tax."""
    data, stdout = demo_data
    line = next(x for x in stdout.splitlines() if x.startswith("documents: "))
    assert "supplied once" in line and line.count(" ok (") == 2
    result = _run("documents", "list", "--subject", CITIZEN, "--data", str(data), "--json")
    assert result.returncode == 0, result.stderr
    certificate, _ = json.loads(result.stdout)
    assert certificate["supplier"] == "north/social-security"
    assert certificate["document_id"] in line


def test_demo_sends_the_same_certificate_to_a_soap_provider_as_mtom(
    demo_data: tuple[Path, str]
) -> None:
    """The same certificate goes to the emulated Diploma Registry as an MTOM part: the demo
    prints the registry's decision document, which the hub stored as supplied by the education
    department, and that the bytes' SHA-256 matched at the registry; the printed data-use
    report lists the disclosure to the education department."""
    data, stdout = demo_data
    line = next(x for x in stdout.splitlines() if x.startswith("documents to a SOAP provider:"))
    assert "MTOM attachment" in line and "SHA-256 matched at the provider" in line, line
    decision_id = line.split("its decision ")[1].split(",")[0]
    listed = _run("documents", "list", "--subject", CITIZEN, "--data", str(data), "--json")
    certificate, decision = json.loads(listed.stdout)
    assert (decision["document_id"], decision["supplier"], decision["service"]) == (
        decision_id, "north/education", "north/education/diploma-verification")
    assert decision["subject"] == certificate["subject"]
    report = stdout[stdout.index("data-use report of ds-"):]
    assert "north/education" in report


def test_demo_runs_a_business_opening_case_and_prints_its_timeline(
    demo_data: tuple[Path, str]
) -> None:
    """North's business opening completes as scripted: the identity document supplied, the
    business register asks for more (its second page), gets it and approves, the tax office
    decides after a delay, and only the self-employed insurance runs overdue."""
    data, stdout = demo_data
    case = printed_case(stdout.splitlines(), "north", steps=3)
    assert case.head.endswith("(business-opening-demo@1.0) in north: completed, "
                              "1 step overdue (self-employed-insurance)"), case.head
    assert list(case.steps) == ["tax-registration", "business-registration",
                                "self-employed-insurance"]
    assert all(" approved " in x for x in case.steps.values()), case.steps
    register = case.stories["business-registration"]
    assert "more-information-needed (the passport's second page is missing)" in register
    assert register.index("more-information-needed") < register.index("acknowledged BR-000002")
    delayed = float(case.stories["tax-registration"].split(", ")[-1].split("s ")[0])
    assert case.stories["tax-registration"].endswith(" approved") and delayed >= 2.0
    assert [s for s in case.stories if "OVERDUE" in case.stories[s]] == [
        "self-employed-insurance"]
    assert case.transparency.startswith("http://127.0.0.1:")
    assert case.transparency.endswith("/transparency")
    assert case.overdue_in(data) == ["self-employed-insurance"]


def test_recorded_exchanges_can_be_listed_afterwards(demo_data: tuple[Path, str]) -> None:
    """`exchanges list --data DIR` reads back every exchange the demo recorded."""
    data, _ = demo_data
    result = _run("exchanges", "list", "--data", str(data), "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 21  # the scenario's 17, the case's steps' 4
    assert sorted(r["status"] for r in rows) == ["completed"] * 13 + ["rejected"] * 8
    assert {r["ingress"] for r in rows} == {"json", "soap", "case"}


def test_one_exchange_shows_as_a_timeline(demo_data: tuple[Path, str]) -> None:
    """`exchanges show PREFIX` prints every step of one exchange in order."""
    data, _ = demo_data
    first = json.loads(_run("exchanges", "list", "--data", str(data), "--json")
                       .stdout.splitlines()[0])
    result = _run("exchanges", "show", first["id"][:8], "--data", str(data))
    assert result.returncode == 0, result.stderr
    steps = [s for s in ("Received", "Translated", "Routed", "Delivered", "Responded",
                         "Completed") if s in result.stdout]
    assert len(steps) == 6
    assert result.stdout.index("Received") < result.stdout.index("Completed")


def test_no_nats_server_outlives_the_demo(demo_data: tuple[Path, str]) -> None:
    """After the demo exits, no nats-server started for its data folder is alive."""
    data, _ = demo_data
    assert _nats_servers_using(data) == []


def test_unknown_exchange_is_a_clear_error(demo_data: tuple[Path, str]) -> None:
    """Asking for an exchange that does not exist exits non-zero with a message."""
    data, _ = demo_data
    result = _run("exchanges", "show", "ffffffff", "--data", str(data))
    assert result.returncode == 1
    assert "no exchange" in result.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_keep_running_stops_cleanly_on_signal(tmp_path: Path, sig: signal.Signals) -> None:
    """--keep-running stays up until SIGTERM/SIGINT, then stops nats-server and exits."""
    data = tmp_path / "data"
    env = {**os.environ, "HUB_LOG_FORMAT": "json"}
    proc = subprocess.Popen([CLI, "demo", "--data", str(data), "--keep-running"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        deadline = time.monotonic() + 90
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith("running; press Ctrl-C") or time.monotonic() > deadline:
                break
        assert _nats_servers_using(data), "the embedded nats-server should be running"
        proc.send_signal(sig)
        assert proc.wait(30) == 130
    finally:
        proc.kill()
    assert _nats_servers_using(data) == []


def test_keep_running_prints_a_console_a_person_can_log_in_to(tmp_path: Path) -> None:
    """`demo --keep-running` prints `console: http://127.0.0.1:PORT/` and a login; with them
    a person logs in (password and TOTP) and sees the demo's exchanges, metrics, audit
    and federation state — the issue's "done when", checked through the printed lines."""
    import re

    import httpx
    import pyotp

    data = tmp_path / "data"
    env = {**os.environ, "HUB_LOG_FORMAT": "json", "COLUMNS": "200"}
    proc = subprocess.Popen([CLI, "demo", "--data", str(data), "--keep-running"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    printed: list[str] = []
    try:
        deadline = time.monotonic() + 120
        for line in proc.stdout:  # type: ignore[union-attr]
            printed.append(line.rstrip("\n"))
            if line.startswith("running; press Ctrl-C") or time.monotonic() > deadline:
                break
        text = "\n".join(printed)
        [url] = re.findall(r"^console: (http://127\.0\.0\.1:\d+/)$", text, re.MULTILINE)
        login = re.search(r"log in as (\S+) \(role operator\), password (\S+)", text)
        secret = re.search(r"TOTP secret ([A-Z2-7]+):", text)
        assert login and secret, text
        completed = int(re.search(r"^exchanges: (\d+) completed", text, re.MULTILINE)[1])

        with httpx.Client(base_url=url, timeout=30, follow_redirects=False) as http:
            opened = http.post("/console/login", data={
                "name": login[1], "password": login[2],
                "code": pyotp.TOTP(secret[1]).now(), "next": "/console/"})
            assert opened.status_code == 303, opened.text

            def all_shown() -> bool:
                rows = http.get("/console/exchanges", params={"outcome": "completed"}).text
                return rows.count('<span class="status status-completed">') == completed

            wait_until(all_shown, timeout_s=5,  # the exchange index follows the ledger
                       message=f"the console listing all {completed} completed exchanges")
            for page, shows in (("/console/services", "Latency percentiles"),
                                ("/console/audit", "verify"),
                                ("/console/federation", "Agreements")):
                answer = http.get(page)
                assert answer.status_code == 200 and shows in answer.text, page
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 130
    finally:
        proc.kill()
    assert _nats_servers_using(data) == []
