"""A hand-written week of daily runs over a changing pipeline tab.

One run a day from Monday 2025-09-01 (the log's first run) to Sunday
2025-09-07, over the stages of ``tests.rules.builders``: Lead, Qualified,
Proposal, Closed Won, Closed Lost. What happens to each deal:

- D-01 moves forward one stage at a time: Lead, Qualified on 09-03, Proposal
  on 09-05.
- D-02 skips Qualified on 09-02 (Lead → Proposal), moves back to Lead on 09-04
  and skips again to Proposal on 09-06.
- D-03 wins from Qualified on 09-03, skipping Proposal.
- D-04 is a new row from 09-03, in Lead.
- D-05 sits in Proposal until its row is deleted on 09-04.
- D-06 is lost from Lead on 09-05.
- D-07 goes back from Closed Won to Proposal on 09-02.
"""

from __future__ import annotations

import datetime as dt

from rules.deals import Deal
from rules.history import Transition
from rules.transitions import diff_snapshots, snapshot_deals
from tests.rules.builders import build_deal, build_pipeline

PIPELINE = build_pipeline()
LOG_STARTED_ON = dt.date(2025, 9, 1)
WEEK = [LOG_STARTED_ON + dt.timedelta(days=offset) for offset in range(7)]
SUNDAY = WEEK[-1]

LEAD, QUALIFIED, PROPOSAL = "Lead", "Qualified", "Proposal"
WON, LOST = "Closed Won", "Closed Lost"

# Each deal's stage on each day of the week, in sheet order. None means no row.
# D-04 is added below the others, and deleting D-05 moves the rows under it up.
STAGES_BY_DAY: dict[str, list[str | None]] = {
    "D-01": [LEAD, LEAD, QUALIFIED, QUALIFIED, PROPOSAL, PROPOSAL, PROPOSAL],
    "D-02": [LEAD, PROPOSAL, PROPOSAL, LEAD, LEAD, PROPOSAL, PROPOSAL],
    "D-03": [QUALIFIED, QUALIFIED, WON, WON, WON, WON, WON],
    "D-05": [PROPOSAL, PROPOSAL, PROPOSAL, None, None, None, None],
    "D-06": [LEAD, LEAD, LEAD, LEAD, LOST, LOST, LOST],
    "D-07": [WON, PROPOSAL, PROPOSAL, PROPOSAL, PROPOSAL, PROPOSAL, PROPOSAL],
    "D-04": [None, None, LEAD, LEAD, LEAD, LEAD, LEAD],
}
HEADER_ROW = 3


def deals_on(day: dt.date) -> list[Deal]:
    """Return the deals on the sheet the run of ``day`` reads, from row 4 down."""
    index = WEEK.index(day)
    on_sheet = [
        (deal_id, stages[index])
        for deal_id, stages in STAGES_BY_DAY.items()
        if stages[index] is not None
    ]
    return [
        build_deal(PIPELINE, HEADER_ROW + 1 + position, deal_id, stage)
        for position, (deal_id, stage) in enumerate(on_sheet)
    ]


def run_week(until: dt.date = SUNDAY) -> list[Transition]:
    """Snapshot and diff each day of the week up to ``until``, as the runs would."""
    transitions: list[Transition] = []
    previous = None
    for day in WEEK:
        if day > until:
            break
        current = snapshot_deals(deals_on(day))
        transitions.extend(diff_snapshots(previous, current, day))
        previous = current
    return transitions
