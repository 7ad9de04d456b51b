"""The peer of the assessment benchmark: a plain polars script computing the same metrics.

    python benchmarks/peer_polars.py BUNDLE

It computes what a report holds: the framework metrics and the program indicators (retention,
closures, lengths, initiators, rematches, contact completion, survival, duplicate contacts).
It is written the way an analyst would write it with polars and no mentorstd: read each table
with its dates parsed by polars, then one expression pipeline per metric (joins, group-bys,
the month of a match from the dates' year, month and day). It validates nothing and writes
no report; it prints each metric's headline figure as JSON so a run can be checked by eye
against mentorstd's report. ``benchmarks/run.py`` times it in a fresh process beside
``mentorstd validate`` on the same bundle.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import polars as pl
import yaml

DATES = {
    "matches": ["start_date", "planned_end_date", "end_date"],
    "contacts": ["date"],
    "training": ["date"],
    "screening": ["application_date", "interview_date", "background_check_date"],
    "surveys": ["date"],
    "outcomes": [],
}


def read(folder: Path) -> tuple[dict[str, pl.DataFrame], dt.date]:
    manifest = yaml.safe_load((folder / "bundle.yaml").read_text(encoding="utf-8"))
    period_end = manifest["program"]["period"]["end"]
    tables = {}
    for name, rel in manifest["data"].items():
        tables[name] = pl.read_csv(
            folder / rel, schema_overrides=dict.fromkeys(DATES[name], pl.Date)
        )
    return tables, period_end


def months_between(start: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Whole calendar months from start to day (day of month clamped to the month's end)."""
    k = (day.dt.year() - start.dt.year()) * 12 + day.dt.month().cast(pl.Int32) - start.dt.month()
    short = day.dt.day() < pl.min_horizontal(start.dt.day(), day.dt.month_end().dt.day())
    return k - short.cast(pl.Int32)


def main(folder: Path) -> dict[str, object]:
    t, period_end = read(folder)
    m, c, tr, sc, sv, oc = (
        t["matches"],
        t["contacts"],
        t["training"],
        t["screening"],
        t["surveys"],
        t["outcomes"],
    )
    ended = pl.col("end_date").is_not_null() & (pl.col("end_date") <= period_end)
    out: dict[str, object] = {}

    scope = m.filter(ended | (pl.col("planned_end_date") < period_end))
    completed = scope.filter(ended & (pl.col("closure_reason") == "completed")).height
    out["pair-completion-rate"] = completed / scope.height if scope.height else None

    for role in ("mentor", "mentee", "parent"):
        answered = sv.filter((pl.col("role") == role) & pl.col("satisfaction").is_not_null())
        good = answered.filter(pl.col("satisfaction") >= 4).height
        out[f"satisfaction-rate-{role}"] = good / answered.height if answered.height else None
        answered = sv.filter((pl.col("role") == role) & pl.col("reports_success").is_not_null())
        good = answered.filter(pl.col("reports_success") == "yes").height
        out[f"success-rate-{role}"] = good / answered.height if answered.height else None

    for measure in ("attendance", "behaviour", "attitude", "attainment"):
        rows = oc.filter((pl.col("measure") == measure) & pl.col("improved").is_not_null())
        good = rows.filter(pl.col("improved") == "yes").height
        out[f"outcome-{measure}"] = good / rows.height if rows.height else None

    with_plan = m.filter(pl.col("planned_end_date").is_not_null() & ended)
    reached = with_plan.filter(pl.col("end_date") >= pl.col("planned_end_date")).height
    out["planned-end-reached-rate"] = reached / with_plan.height if with_plan.height else None

    for role, column in (("mentor", "mentor_id"), ("mentee", "mentee_id")):
        first = m.group_by(column).agg(pl.col("start_date").min().alias("first"))
        hours = (
            tr.filter((pl.col("role") == role) & (pl.col("phase") == "pre-match"))
            .join(first, left_on="person_id", right_on=column)
            .filter(pl.col("date") <= pl.col("first"))
            .group_by("person_id")
            .agg(pl.col("hours").sum())
        )
        per_person = first.join(hours, left_on=column, right_on="person_id", how="left")
        out[f"pre-match-training-hours-{role}"] = (
            per_person.filter(pl.col("hours").fill_null(0) >= 6).height / per_person.height
        )

    first = m.group_by("mentor_id").agg(pl.col("start_date").min().alias("first"))
    screened = first.join(sc, on="mentor_id", how="left")
    for column in ("interview_date", "background_check_date"):
        done = screened.filter(pl.col(column) <= pl.col("first")).height
        out[f"{column}-before-match"] = done / screened.height
    refs = screened.filter(pl.col("references_checked").fill_null(0) >= 2).height
    out["references-checked"] = refs / screened.height

    commitment = m.select(
        months_between(pl.col("start_date"), pl.col("planned_end_date")).fill_null(0)
    ).to_series()
    out["planned-commitment-months"] = (commitment >= 12).mean()

    last = (
        pl.when(pl.col("end_date").is_null() | (pl.col("end_date") > period_end))
        .then(pl.lit(period_end))
        .otherwise(pl.col("end_date"))
    )
    judged = m.select(
        "match_id",
        "start_date",
        months_between(pl.col("start_date"), last + pl.duration(days=1)).alias("judged"),
    )
    # a contact entered twice (same match, day and person) counts once
    distinct = c.unique(["match_id", "date", "with"])
    out["duplicate-contacts"] = c.height - distinct.height
    due = done = 0
    for party in ("mentor", "mentee", "parent"):
        counts = (
            distinct.filter(pl.col("with") == party)
            .join(judged, on="match_id")
            .with_columns(months_between(pl.col("start_date"), pl.col("date")).alias("month"))
            .group_by("match_id", "month")
            .agg(pl.len().alias("n"), pl.col("judged").first())
        )
        met = (
            counts.filter(
                ((pl.col("month") == 0) & (pl.col("n") >= 2))
                | (
                    (pl.col("month") > 0)
                    & (pl.col("month") < pl.col("judged"))
                    & (pl.col("n") >= 1)
                )
            )
            .group_by("match_id")
            .agg(pl.len().alias("met"))
        )
        share = (
            judged.filter(pl.col("judged") > 0)
            .join(met, on="match_id", how="left")
            .select(pl.col("met").fill_null(0) / pl.col("judged"))
            .to_series()
        )
        out[f"staff-contact-cadence-{party}"] = (share >= 1).mean()
        if party != "parent":  # scheduled contacts completed (eepm4: 2, then 1 a month)
            judged_months = judged.filter(pl.col("judged") > 0)
            due += int(judged_months["judged"].sum()) + judged_months.height
            done += int(
                counts.filter(pl.col("month") < pl.col("judged"))
                .select(
                    pl.col("n").clip(upper_bound=pl.when(pl.col("month") == 0).then(2).otherwise(1))
                )
                .sum()
                .item()
            )
    out["contacts-completed"] = done / due if due else None

    # program indicators
    anniversary = pl.col("start_date").dt.offset_by("12mo")
    closed_before = ended & (pl.col("end_date") < anniversary)
    could = m.filter(anniversary <= period_end)
    out["retention-12m"] = (
        could.group_by(pl.col("start_date").dt.year())
        .agg(pl.len(), (~closed_before).sum().alias("kept"))
        .sort("start_date")
        .rows()
    )
    planned = pl.coalesce("planned_end_date", anniversary)
    known = m.filter(ended | (planned < period_end))
    out["premature-closure"] = known.select((ended & (pl.col("end_date") < planned)).mean()).item()
    three = pl.col("start_date").dt.offset_by("3mo")
    early = m.filter(three <= period_end)
    out["early-closure"] = early.select((ended & (pl.col("end_date") < three)).mean()).item()
    days = (pl.col("end_date") - pl.col("start_date")).dt.total_days() / 30.44
    out["median-length-closed"] = m.filter(ended).select(days.median()).item()
    so_far = (pl.lit(period_end) - pl.col("start_date")).dt.total_days() / 30.44
    started = pl.col("start_date") <= period_end
    out["median-length-active"] = m.filter(~ended & started).select(so_far.median()).item()
    out["initiators"] = dict(m.filter(ended).group_by("closure_reason").len().rows())
    out["rematched-mentees"] = m.group_by("mentee_id").len().filter(pl.col("len") > 1).height
    # Kaplan-Meier by start year over calendar months
    stop = pl.when(ended).then(pl.col("end_date")).otherwise(pl.lit(period_end))
    times = m.filter(started).select(
        cohort=pl.col("start_date").dt.year(),
        time=months_between(pl.col("start_date"), stop) + ended.cast(pl.Int32),
        event=ended.cast(pl.Int32),
    )
    survival = (
        times.group_by("cohort", "time")
        .agg(pl.col("event").sum(), pl.len())
        .sort("cohort", "time")
        .with_columns(
            at_risk=pl.col("len").sum().over("cohort")
            - (pl.col("len").cum_sum() - pl.col("len")).over("cohort")
        )
        .with_columns(s=(1 - pl.col("event") / pl.col("at_risk")).cum_prod().over("cohort"))
    )
    out["survival-rows"] = survival.height

    lengths = m.filter(ended).select(
        (pl.col("end_date") - pl.col("start_date")).dt.total_days() / 30.44
    )
    out["match-length-mean"] = lengths.to_series().mean()
    reasons = m.filter(ended).group_by("closure_reason").len().sort("len", descending=True)
    out["closure-reasons"] = dict(reasons.iter_rows())
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), default=str))
