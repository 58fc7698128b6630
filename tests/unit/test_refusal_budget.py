"""The refusal budget: per address and in total per window, the first refusals are recorded
one by one; the rest are counted into one summary per address and window, handed out once
the window has ended."""

from __future__ import annotations

from hub.service_layer.citizen.refusal_budget import OTHER_CLIENTS, RefusalBudget


def budget(now: list[float], *, per_client: int = 3, total: int = 5,
           max_clients: int = 100) -> RefusalBudget:
    return RefusalBudget(per_client=per_client, total=total, window_s=60,
                         max_clients=max_clients, clock=lambda: now[0])


def test_one_address_beyond_its_budget_is_counted_and_summarised_when_the_window_ends() -> None:
    """3 recorded, 4 counted (with their codes), retry after the window's end; the summary
    is handed out once, after the window, and a new window has a fresh budget."""
    now = [6_000.0 + 15]
    check = budget(now)
    admitted = [check.admit("127.0.0.1", code) for code in ("a", "a", "b", "a", "b", "b", "c")]
    assert admitted[:3] == [None, None, None]
    assert admitted[3:] == [45.0] * 4
    assert check.ended() == []  # the window is still open
    now[0] = 6_060.0
    (summary,) = check.ended()
    assert (summary.client, summary.window_start, summary.window_end) == (
        "127.0.0.1", 6_000.0, 6_060.0)
    assert (summary.count, summary.codes) == (4, {"a": 1, "b": 2, "c": 1})
    assert check.ended() == []
    assert check.admit("127.0.0.1", "a") is None  # the new window's budget


def test_the_total_budget_binds_every_address_and_each_gets_its_own_summary() -> None:
    """Total 5: two addresses use 3 + 2; a third address is counted from its first refusal."""
    now = [0.0]
    check = budget(now)
    assert [check.admit("10.0.0.1", "x") for _ in range(3)] == [None] * 3
    assert [check.admit("10.0.0.2", "x") for _ in range(2)] == [None] * 2
    assert check.admit("10.0.0.3", "y") is not None
    assert check.admit("10.0.0.2", "y") is not None
    drained = {s.client: s.count for s in check.drain()}
    assert drained == {"10.0.0.3": 1, "10.0.0.2": 1}
    assert check.drain() == []


def test_addresses_beyond_those_told_apart_share_one_entry() -> None:
    """With 2 addresses told apart per window, a thousand more make one summary, not 1,000."""
    now = [0.0]
    check = budget(now, per_client=0, total=0, max_clients=2)
    for n in range(1002):
        check.admit(f"10.0.{n // 256}.{n % 256}", "x")
    now[0] = 60.0
    counted = {s.client: s.count for s in check.ended()}
    assert counted == {"10.0.0.0": 1, "10.0.0.1": 1, OTHER_CLIENTS: 1000}
