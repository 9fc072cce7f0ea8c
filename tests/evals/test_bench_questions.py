"""The question-level benchmark: each answer holds the fact its question needs, in fewer tokens."""

from __future__ import annotations

from evals.bench.bench_questions import render, run


async def test_every_answer_holds_its_fact_in_fewer_tokens_than_raw_records() -> None:
    rows = await run()
    assert len(rows) == 5
    for row in rows:
        assert row["fact_in_ours"], row
    assert sum(r["our_tokens"] for r in rows) * 5 < sum(r["raw_tokens"] for r in rows)
    table = render(rows)
    assert "facts present in ours" in table and "When did the payment errors begin?" in table
