"""Pipeline metrics: stage counts, the reached-stage funnel, win rates and velocity.

Every figure is a plain Python number, and a figure with nothing to divide by is
None (shown blank, never 0). Deals in an unknown stage are only counted.

Conventions:

- Closed in the period: won or lost with a close date from ``period_start`` to
  ``as_of``. A close date after ``as_of`` is not in the period, because the
  deal cannot have closed yet (the checks report it). Without a period start
  every closed deal on the pipeline tab counts, with or without a close date
  or with a wrong one, as the Definitions tab's "all closed deals on the
  pipeline tab" states. Won and lost counts,
  values, win rates, the average won amount and the average cycle use only
  these deals.
- Win rate = won ÷ (won + lost), by count and by amount.
- Weighted pipeline = Σ amount × probability over open deals. A row's own
  probability overrides its stage's. A deal adds 0 when it has no amount, or
  when neither its row nor its stage gives a probability.
- Funnel: with no stage history, a deal reached its current stage and every
  open or won stage before it. Lost deals reached the stage the stage log shows
  them lost at (``lost_at``), else the first stage. A filled
  field named in a stage's ``reached_if_filled`` proves that the deal reached
  that stage, and so every stage before it.
- Average cycle = mean of close date − created date, in days, leaving out deals
  closed before they were created or after ``as_of`` (the checks report those).
- Sales velocity = open deals × average won amount × win rate ÷ average cycle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter

import numpy as np
import pandas as pd

from config.models import OWNER_FIELD, Outcome, Pipeline, Stage
from rules.cells import display_value
from rules.deals import ColumnMap, Deal, ParsedValue
from rules.grid import is_blank
from rules.text_forms import owner_key, tidy_spaces

_CLOSE_DATE = "close_date"
# Fields whose parsed values the frame's columns are computed from.
_VALUE_FIELDS = ["amount", "probability", _CLOSE_DATE, "created_date"]

# The value of each outcome, looked up because reading ``.value`` calls a
# Python property once per deal.
_OUTCOME_VALUES = {outcome: outcome.value for outcome in Outcome}

# Columns summed per group: see _add_sum_columns.
_SUM_COLUMNS = [
    "is_open",
    "open_amount",
    "weighted",
    "won_closed",
    "lost_closed",
    "won_amount",
    "lost_amount",
]


@dataclass(frozen=True)
class StageMetrics:
    """Deals in one stage now, and the funnel through it.

    ``reached``, ``conversion`` and ``cumulative`` are None for lost stages,
    which are not part of the funnel. ``conversion`` is reached next ÷ reached
    here (None at the last funnel stage) and ``cumulative`` reached here ÷
    reached the first stage.
    """

    name: str
    outcome: Outcome
    deals: int
    value: float
    reached: int | None
    conversion: float | None
    cumulative: float | None


@dataclass(frozen=True)
class GroupMetrics:
    """Totals of the deals sharing one value of a field ("" for blank)."""

    group: str
    open_deals: int
    open_value: float
    weighted: float
    won: int
    lost: int
    won_value: float
    win_rate: float | None


@dataclass(frozen=True)
class Breakdown:
    """Group totals by one field, in name order with the blank group last."""

    field: str
    groups: tuple[GroupMetrics, ...]


@dataclass(frozen=True)
class PipelineMetrics:
    """Every figure of the Funnel tab for one day.

    ``deals`` counts deals in a known stage. ``unknown_stage`` counts the others,
    which no other figure includes. ``sales_velocity`` is in amount per day.
    """

    as_of: dt.date
    period_start: dt.date | None
    deals: int
    unknown_stage: int
    stages: tuple[StageMetrics, ...]
    open_deals: int
    open_value: float
    open_without_amount: int
    weighted_pipeline: float
    won: int
    lost: int
    won_value: float
    lost_value: float
    win_rate: float | None
    win_rate_by_value: float | None
    average_won_amount: float | None
    average_cycle_days: float | None
    closed_with_cycle: int
    sales_velocity: float | None
    by_owner: Breakdown
    breakdowns: tuple[Breakdown, ...]


def compute_metrics(
    deals: list[Deal],
    pipeline: Pipeline,
    as_of: dt.date,
    *,
    period_start: dt.date | None = None,
    lost_at: Mapping[str, str] | None = None,
) -> PipelineMetrics:
    """Compute the funnel, win rates and breakdowns of the deals on ``as_of``.

    Before: deals A (Lead), B (Proposal), C (Closed Won), D (Closed Lost). After:
    Lead reached by 4, Proposal by 2 and Closed Won by 1, with win rate 1 ÷ 2.

    :param lost_at: the stage each lost deal was lost at, by deal ID, where the
        stage log shows it.
    """
    # The frame leaves out deals in an unknown stage, so its rows are the others.
    frame = build_deal_frame(deals, pipeline, period_start, lost_at, as_of=as_of)
    totals = _sum_frame(frame)

    won_amounts = frame.loc[frame["won_closed"], "amount"].dropna()
    cycle_days = frame.loc[frame["won_closed"] | frame["lost_closed"], "cycle_days"]
    average_won_amount = _mean(won_amounts)
    average_cycle_days = _mean(cycle_days.dropna())
    win_rate = _ratio(
        totals["won_closed"], totals["won_closed"] + totals["lost_closed"]
    )

    return PipelineMetrics(
        as_of=as_of,
        period_start=period_start,
        deals=len(frame),
        unknown_stage=len(deals) - len(frame),
        stages=tuple(_stage_metrics(frame, pipeline)),
        open_deals=int(totals["is_open"]),
        open_value=totals["open_amount"],
        open_without_amount=int((frame["is_open"] & frame["amount"].isna()).sum()),
        weighted_pipeline=totals["weighted"],
        won=int(totals["won_closed"]),
        lost=int(totals["lost_closed"]),
        won_value=totals["won_amount"],
        lost_value=totals["lost_amount"],
        win_rate=win_rate,
        win_rate_by_value=_ratio(
            totals["won_amount"], totals["won_amount"] + totals["lost_amount"]
        ),
        average_won_amount=average_won_amount,
        average_cycle_days=average_cycle_days,
        closed_with_cycle=int(cycle_days.notna().sum()),
        sales_velocity=_sales_velocity(
            int(totals["is_open"]), average_won_amount, win_rate, average_cycle_days
        ),
        by_owner=_breakdown(frame, OWNER_FIELD),
        # The owner breakdown is always there, so group_by: [owner] adds none.
        breakdowns=tuple(
            _breakdown(frame, name)
            for name in dict.fromkeys(pipeline.outputs.group_by)
            if name != OWNER_FIELD
        ),
    )


def win_rate_period_start(
    pipeline: Pipeline, as_of: dt.date, columns: ColumnMap | None = None
) -> dt.date | None:
    """Return the first day of the win-rate period, or None for every closed deal.

    ``metrics.win_rate_days: 30`` as of 2025-09-30 gives 2025-09-01, so the
    period is 30 days with ``as_of`` the last of them. When ``columns`` shows
    no close-date column, it returns None too, because no deal could be placed
    in a period. The run warns of the missing column.
    """
    days = pipeline.metrics.win_rate_days
    if days is None or (columns is not None and _CLOSE_DATE not in columns.fields):
        return None
    return as_of - dt.timedelta(days=days - 1)


def funnel_stages(pipeline: Pipeline) -> list[Stage]:
    """Return the open and won stages in definition order: the funnel's steps."""
    return [stage for stage in pipeline.stages if stage.outcome is not Outcome.LOST]


def furthest_funnel_step(deal: Deal, funnel: list[Stage]) -> int:
    """Return the index in ``funnel`` of the furthest stage the deal reached.

    Before: a Closed Lost deal with a filled field that Demo's
    ``reached_if_filled`` names, in funnel Lead, Qualified, Demo, Won. After: 2.
    A deal in an unknown stage reached nothing: -1.
    """
    return _FunnelSteps(funnel).furthest([deal])[0]


def build_deal_frame(
    deals: list[Deal],
    pipeline: Pipeline,
    period_start: dt.date | None,
    lost_at: Mapping[str, str] | None = None,
    *,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Return one row per deal in a known stage, with the columns metrics sum.

    Amount and probability are NaN when missing. ``cycle_days`` is NaN unless
    both the created and the close date are filled, and NaN when the close date
    is before the created date or after ``as_of``.
    """
    known = [deal for deal in deals if deal.stage is not None]
    group_fields = list(dict.fromkeys([OWNER_FIELD, *pipeline.outputs.group_by]))
    values = _field_values(known, [*_VALUE_FIELDS, *group_fields])
    data = _deal_columns(known, values, pipeline, period_start, lost_at, as_of)
    for name, column in zip(group_fields, _group_columns(group_fields), strict=True):
        key_of = owner_key if name == OWNER_FIELD else str
        data[column] = _group_keys(values[name], key_of)

    # Built from columns because per-deal records took most of the metrics'
    # time at 100k deals. Missing numbers arrive as None and become NaN here.
    # With no deals every column gets dtype object, as an empty frame from
    # records has.
    frame = pd.DataFrame(data, dtype=None if known else object).astype(
        {
            "amount": "float64",
            "probability": "float64",
            "cycle_days": "float64",
            "furthest": "int64",
            "in_period": "bool",
        }
    )
    return _add_sum_columns(frame)


class _FunnelSteps:
    """Where each stage sits in the funnel, and which fields prove a stage."""

    def __init__(self, funnel: list[Stage]) -> None:
        self.positions = {stage.name: index for index, stage in enumerate(funnel)}
        self.proofs = [
            (index, stage.reached_if_filled)
            for index, stage in enumerate(funnel)
            if stage.reached_if_filled
        ]

    def furthest(
        self,
        deals: list[Deal],
        lost_at: Mapping[str, str] | None = None,
        *,
        stage_names: list[str] | None = None,
    ) -> list[int]:
        """Return the funnel index of the furthest stage each deal reached.

        A lost stage is not in the funnel, so a lost deal reached the stage
        ``lost_at`` names for it, else the first one. ``stage_names`` are the
        names of the deals' stages, given when every deal is in a known stage.
        """
        if stage_names is None:
            steps = [
                -1 if deal.stage is None else self.positions.get(deal.stage.name, 0)
                for deal in deals
            ]
        else:
            # ``map`` looks the names up in C, in 2.5 ms instead of 6.1 ms for
            # the 100k deals of the benchmark sheet (2-core VM).
            steps = list(map(self.positions.get, stage_names, repeat(0)))
        if lost_at:
            lost_steps = {
                deal_id: self.positions[stage]
                for deal_id, stage in lost_at.items()
                if stage in self.positions
            }
            steps = [
                lost_steps.get(deal.deal_id or "", step)
                if deal.stage is not None and deal.stage.outcome is Outcome.LOST
                else step
                for step, deal in zip(steps, deals, strict=True)
            ]
        # A deal in an unknown stage reached nothing, whatever it has filled.
        for index, names in self.proofs:
            steps = [
                index
                if step < index
                and deal.stage is not None
                and _is_any_filled(deal, names)
                else step
                for step, deal in zip(steps, deals, strict=True)
            ]
        return steps


def _field_values(
    deals: list[Deal], field_names: list[str]
) -> dict[str, Sequence[ParsedValue | None]]:
    """Return the parsed value of each named field of every deal, by field.

    Each field is read from the deals' value dicts in one ``map`` call, which
    runs in C: 37 ms for five fields of 100k deals, against 46 ms for one
    Python loop that read all five.
    """
    value_dicts = list(map(attrgetter("values"), deals))
    return {
        name: list(map(dict.get, value_dicts, repeat(name)))
        for name in dict.fromkeys(field_names)
    }


def _deal_columns(
    deals: list[Deal],
    values: dict[str, Sequence[ParsedValue | None]],
    pipeline: Pipeline,
    period_start: dt.date | None,
    lost_at: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
) -> dict[str, Sequence[object] | np.ndarray | pd.Categorical[str]]:
    """Return the frame's columns except the group keys, for deals in known stages.

    ``values`` are those of :func:`_field_values`, with the ``_VALUE_FIELDS``.
    """
    stages = [deal.stage for deal in deals if deal.stage is not None]
    names = list(map(attrgetter("name"), stages))
    probabilities = _numbers(values["probability"])

    # Numbers go in as arrays, so that pandas need not infer their type. NumPy
    # turns None into NaN in a float array. The stages' names and outcomes are
    # read with ``map`` and ``attrgetter``, which run in C without a Python call.
    return {
        "stage": _stage_column(names, pipeline),
        "outcome": list(
            map(_OUTCOME_VALUES.__getitem__, map(attrgetter("outcome"), stages))
        ),
        "amount": np.array(_numbers(values["amount"]), dtype=np.float64),
        "probability": np.array(
            [
                stage.probability if probability is None else probability
                for stage, probability in zip(stages, probabilities, strict=True)
            ],
            dtype=np.float64,
        ),
        "cycle_days": _cycle_days(values["created_date"], values["close_date"], as_of),
        "furthest": np.array(
            _FunnelSteps(funnel_stages(pipeline)).furthest(
                deals, lost_at, stage_names=names
            ),
            dtype=np.int64,
        ),
        "in_period": _in_period(values["close_date"], period_start, as_of),
    }


def _stage_column(
    names: list[str], pipeline: Pipeline
) -> pd.Categorical[str] | list[str]:
    """Return the stage names as a categorical column, coded by definition order.

    With the codes given, the grouping by stage need not find the distinct
    names itself: 2.4 ms instead of 7.2 ms for 100k deals (2-core VM). The
    definition's stage names are unique, as its model checks. A name that is
    not one of them keeps the plain column of names.
    """
    categories = [stage.name for stage in pipeline.stages]
    positions = {name: index for index, name in enumerate(categories)}
    try:
        codes = np.fromiter(map(positions.__getitem__, names), np.int64, len(names))
    except KeyError:
        return names
    return pd.Categorical.from_codes(codes, pd.Index(categories))


def _cycle_days(
    created: Sequence[ParsedValue | None],
    closed: Sequence[ParsedValue | None],
    as_of: dt.date | None = None,
) -> np.ndarray:
    """Return the days from each created date to its close date, NaN if one is missing.

    A close date before the created date also gives NaN, because a negative
    cycle is a typing error that would pull the average below the truth. So
    does a close date after ``as_of``, because a deal cannot have closed later
    than today and the cycle counted to it would run too long.

    Few distinct dates repeat on many deals, so each date's day number is found
    once and the arrays are subtracted: 7 ms instead of 12 ms for 100k deals
    (2-core VM). A datetime takes the per-deal path, whose ``.days`` also
    counts the times of day.
    """
    distinct = {*created, *closed}
    if any(isinstance(value, dt.datetime) for value in distinct):
        created_dates, close_dates = _dates(created), _dates(closed)
        days = np.array(_days_between(created_dates, close_dates), dtype=np.float64)
        if as_of is not None:
            close_days = [
                np.nan if day is None else day.toordinal() for day in close_dates
            ]
            days[np.array(close_days, dtype=np.float64) > as_of.toordinal()] = np.nan
        return _drop_negative(days)

    ordinals = {
        value: float(value.toordinal()) if isinstance(value, dt.date) else np.nan
        for value in distinct
    }
    count = len(created)
    ends = np.fromiter(map(ordinals.__getitem__, closed), np.float64, count)
    starts = np.fromiter(map(ordinals.__getitem__, created), np.float64, count)
    days = ends - starts
    if as_of is not None:
        days[ends > as_of.toordinal()] = np.nan
    return _drop_negative(days)


def _drop_negative(days: np.ndarray) -> np.ndarray:
    days[days < 0] = np.nan
    return days


def _in_period(
    closed: Sequence[ParsedValue | None],
    period_start: dt.date | None,
    as_of: dt.date | None = None,
) -> np.ndarray:
    """Return for each deal whether it closed in the period (see the module doc)."""
    if period_start is None:
        return np.ones(len(closed), dtype=np.bool_)
    period_end = dt.date.max if as_of is None else as_of
    return np.array(
        [
            close is not None and period_start <= close <= period_end
            for close in _dates(closed)
        ],
        dtype=np.bool_,
    )


def _dates(values: Sequence[ParsedValue | None]) -> list[dt.date | None]:
    # What Deal.date returns for each value.
    return [value if isinstance(value, dt.date) else None for value in values]


def _numbers(values: Sequence[ParsedValue | None]) -> list[float | None]:
    # What Deal.number returns for each value: a bool is not a float, so it
    # gives None as there.
    return [value if isinstance(value, float) else None for value in values]


def _add_sum_columns(frame: pd.DataFrame) -> pd.DataFrame:
    # Each column is zero (or False) outside the deals it describes, so a plain
    # sum per group gives that group's figure. The columns are computed on NumPy
    # arrays, which took 6 ms at 100k deals against 11 ms with pandas' text
    # comparisons (pandas 3.1, CPython 3.11).
    outcome = frame["outcome"].to_numpy(dtype=object)
    in_period = frame["in_period"].to_numpy()
    amount = frame["amount"].fillna(0.0).to_numpy()
    probability = frame["probability"].fillna(0.0).to_numpy()
    is_open = outcome == Outcome.OPEN.value
    won_closed = (outcome == Outcome.WON.value) & in_period
    lost_closed = (outcome == Outcome.LOST.value) & in_period

    return frame.assign(
        is_open=is_open,
        open_amount=np.where(is_open, amount, 0.0),
        weighted=np.where(is_open, amount * probability, 0.0),
        won_closed=won_closed,
        lost_closed=lost_closed,
        won_amount=np.where(won_closed, amount, 0.0),
        lost_amount=np.where(lost_closed, amount, 0.0),
    )


def _sum_frame(frame: pd.DataFrame) -> dict[str, float]:
    sums = frame[_SUM_COLUMNS].sum()
    return {name: float(sums[name]) for name in _SUM_COLUMNS}


def _stage_metrics(frame: pd.DataFrame, pipeline: Pipeline) -> list[StageMetrics]:
    # One grouping for both figures: grouping the stage names is most of the work.
    by_stage = frame.groupby("stage", observed=True)["amount"]
    counts, values = by_stage.size(), by_stage.sum()
    funnel = _funnel_counts(frame, funnel_stages(pipeline))
    first = next(iter(funnel.values()))[0]

    metrics: list[StageMetrics] = []
    for stage in pipeline.stages:
        reached, reached_next = funnel.get(stage.name, (None, None))
        metrics.append(
            StageMetrics(
                name=stage.name,
                outcome=stage.outcome,
                deals=int(counts.get(stage.name, 0)),
                value=float(values.get(stage.name, 0.0)),
                reached=reached,
                conversion=_optional_ratio(reached_next, reached),
                cumulative=_optional_ratio(reached, first),
            )
        )
    return metrics


def _funnel_counts(
    frame: pd.DataFrame, funnel: list[Stage]
) -> dict[str, tuple[int, int | None]]:
    # Per funnel stage: deals that reached it, and deals that reached the next one.
    reached = [int((frame["furthest"] >= index).sum()) for index in range(len(funnel))]
    reached_next: list[int | None] = [*reached[1:], None]
    return {
        stage.name: (count, after)
        for stage, count, after in zip(funnel, reached, reached_next, strict=True)
    }


def _breakdown(frame: pd.DataFrame, field_name: str) -> Breakdown:
    column = _group_columns([field_name])[0]
    # Each group's sums become a dict, because ``.loc`` of one row builds a Series.
    sums = frame.groupby(column, observed=True)[_SUM_COLUMNS].sum().to_dict("index")
    keys = sorted(sums, key=lambda key: (key == "", str(key).casefold(), key))

    groups = [_group_metrics(str(key), sums[key]) for key in keys]
    return Breakdown(field=field_name, groups=tuple(groups))


def _group_metrics(key: str, sums: Mapping[Hashable, float]) -> GroupMetrics:
    won, lost = int(sums["won_closed"]), int(sums["lost_closed"])
    return GroupMetrics(
        group=key,
        open_deals=int(sums["is_open"]),
        open_value=float(sums["open_amount"]),
        weighted=float(sums["weighted"]),
        won=won,
        lost=lost,
        won_value=float(sums["won_amount"]),
        win_rate=_ratio(won, won + lost),
    )


def _group_columns(fields: list[str]) -> list[str]:
    # Prefixed so a group_by field can never clash with a computed column.
    return [f"group:{name}" for name in fields]


def _group_keys(
    values: Sequence[ParsedValue | None], key_of: Callable[[str], str]
) -> pd.Categorical[str]:
    # Group values repeat on many deals, so each distinct text is keyed once.
    # The groups go to pandas as category codes, so the grouping need not find
    # the distinct groups itself: 4 ms instead of 9 ms per breakdown of 100k
    # deals (2-core VM). A group is named as its first value spells it.
    names: list[str] = []
    codes_by_key: dict[str, int] = {}
    codes_by_text: dict[str, int] = {}
    codes: list[int] = []
    for value in values:
        code = codes_by_text.get(value) if type(value) is str else None
        if code is None:
            name = _group_name(value)
            code = codes_by_key.setdefault(key_of(name), len(names))
            if code == len(names):
                names.append(name)
            if type(value) is str:
                codes_by_text[value] = code
        codes.append(code)
    codes_array = np.array(codes, dtype=np.int64)
    return pd.Categorical.from_codes(codes_array, pd.Index(names, dtype=object))


def _group_name(value: ParsedValue | None) -> str:
    if value is None or is_blank(value):
        return ""
    return tidy_spaces(display_value(value))


def _is_any_filled(deal: Deal, field_names: list[str]) -> bool:
    # A loop, not any() over a generator, because it runs once per deal before
    # a ``reached_if_filled`` stage. With it, furthest took 1.1 ms instead of
    # 2.0 ms for the 8,800 deals of the Maven CRM workbook (2-core VM).
    values = deal.values
    for name in field_names:
        if name in values or not is_blank(deal.raw.get(name)):
            return True
    return False


def _days_between(
    starts: list[dt.date | None], ends: list[dt.date | None]
) -> list[int | None]:
    """Return the days from each start to its end, None where one is missing."""
    return [
        None if start is None or end is None else (end - start).days
        for start, end in zip(starts, ends, strict=True)
    ]


def _sales_velocity(
    open_deals: int,
    average_won_amount: float | None,
    win_rate: float | None,
    average_cycle_days: float | None,
) -> float | None:
    if average_won_amount is None or win_rate is None or average_cycle_days is None:
        return None
    if average_cycle_days <= 0:
        return None
    return open_deals * average_won_amount * win_rate / average_cycle_days


def _mean(values: pd.Series) -> float | None:
    return float(values.mean()) if len(values) else None


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _optional_ratio(part: int | None, whole: int | None) -> float | None:
    if part is None or whole is None:
        return None
    return _ratio(part, whole)
