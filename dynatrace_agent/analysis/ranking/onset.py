"""Late onset: failures that begin minutes after the problem's first ones did not start it."""

from __future__ import annotations

from datetime import datetime

from dynatrace_agent.analysis.ranking.context import RankContext

#: Failures that start this long after the problem opened did not start it.
LATE_ONSET_MINUTES = 4.0


def late_onset(ctx: RankContext) -> None:
    """Failures that began well after the others (and after the problem opened) did not start it.

    The reference is the earliest onset of new failures among the candidates (or the
    problem's start when that is later): a concurrent, unrelated failure that begins minutes
    later is a separate issue or a consequence, however loud.
    """
    start = ctx.evidence.problem.start
    onsets: dict[str, datetime] = {}
    for cid, st in ctx.states.items():
        t = st.traces
        if t is None or t.first_incident_failure is None or t.incident.failures < 3:
            continue
        if t.incident.failure_rate < 2.0 * t.baseline.failure_rate + 0.01:
            continue  # no new failures: its first failure says nothing about an onset
        onsets[cid] = t.first_incident_failure
    if not onsets:
        return
    reference = min(onsets.values())
    if start is not None:
        reference = max(reference, start)
    for cid, onset in onsets.items():
        late = (onset - reference).total_seconds() / 60.0
        if late > LATE_ONSET_MINUTES:
            st = ctx.states[cid]
            st.late = True
            st.explain(
                ("origin", "failure_rate", "failure_metric", "logs", "dependency", "davis_evidence"),
                0.4,
                None,
                f"its failures began {late:.0f} min after the first failures of this problem: "
                "a consequence or a separate issue",
            )
