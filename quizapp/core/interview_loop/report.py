"""A finished loop's report: the concept round's scores (the mock report), the coding round's
result, and a plain verdict per area ("INT8 math: strong; PTQ workflow: revise calibration")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from quizapp.core.interview_loop.loop import InterviewLoop
from quizapp.core.mock.report import (
    MockReport,
    build_report,
    format_points,
    questions_markdown,
    scores_markdown,
)
from quizapp.core.mock.scoring import MockStateError
from quizapp.core.time_format import format_duration_seconds

STRONG = 0.8  # share of the concept points in a deck that reads as "strong"
FAIR = 0.5


@dataclass(frozen=True)
class AreaVerdict:
    area: str  # a deck's title, or the exercise's
    verdict: str  # "strong", "fair", "revise <topic>", "passed", "not passed: <check>"

    def __str__(self) -> str:
        return f"{self.area}: {self.verdict}"


@dataclass(frozen=True)
class CodingSummary:
    exercise_id: str
    title: str
    passed: bool
    checks: tuple[dict[str, Any], ...]  # the final grade's checks, as the grader gave them
    grades_run: int
    hints_shown: int
    hint_count: int
    time_used_s: float
    time_limit_s: float
    ended_by: str | None
    interruptions: int


@dataclass(frozen=True)
class LoopReport:
    loop_id: str
    started_at: datetime | None
    finished_at: datetime | None
    concepts: MockReport
    coding: CodingSummary
    areas: tuple[AreaVerdict, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> str:
        return "; ".join(map(str, self.areas))


def _revise_topic(report: MockReport, deck: str) -> str:
    """The tag most missed in a deck (ties: alphabetical), else the deck itself."""
    tags: Counter[str] = Counter()
    for result in report.results:
        if result.question.deck == deck and result.score < 1.0:
            tags.update(result.question.tags)
    if not tags:
        return "this deck"
    best = max(tags.values())
    return min(tag for tag, count in tags.items() if count == best)


def area_verdicts(report: MockReport, coding: CodingSummary) -> tuple[AreaVerdict, ...]:
    verdicts = []
    for topic in report.topics:
        share = topic.score / topic.max_score if topic.max_score else 0.0
        if share >= STRONG:
            verdict = "strong"
        elif share >= FAIR:
            verdict = f"fair, revise {_revise_topic(report, topic.deck)}"
        else:
            verdict = f"revise {_revise_topic(report, topic.deck)}"
        verdicts.append(AreaVerdict(topic.title, verdict))
    if coding.passed:
        verdicts.append(AreaVerdict(coding.title, "passed"))
    else:
        failed = [str(c.get("name")) for c in coding.checks if not c.get("passed")]
        verdicts.append(
            AreaVerdict(
                coding.title, f"not passed ({', '.join(failed)})" if failed else "not passed"
            )
        )
    return tuple(verdicts)


def build_loop_report(
    loop: InterviewLoop,
    loop_id: str,
    exercise_title: str,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    deck_titles: Mapping[str, str] | None = None,
) -> LoopReport:
    if loop.phase != "done":
        raise MockStateError("the report is ready once both rounds are over and judged")
    concepts = build_report(loop.concepts, loop_id, started_at, finished_at, deck_titles)
    round_ = loop.coding
    final = round_.final
    outcome = final.outcome if final and final.outcome else {}
    coding = CodingSummary(
        exercise_id=round_.exercise_id,
        title=exercise_title,
        passed=bool(outcome.get("passed")),
        checks=tuple(outcome.get("checks", ())),
        grades_run=round_.grades_run,
        hints_shown=round_.hints_shown,
        hint_count=round_.hint_count,
        time_used_s=round_.elapsed_s,
        time_limit_s=round_.time_limit_s,
        ended_by=round_.ended_by,
        interruptions=round_.interruptions,
    )
    return LoopReport(
        loop_id=loop_id,
        started_at=started_at,
        finished_at=finished_at,
        concepts=concepts,
        coding=coding,
        areas=area_verdicts(concepts, coding),
    )


def _ended(ended_by: str | None) -> str:
    return {"time": " (the time ran out)", "submit": " (submitted)"}.get(ended_by or "", "")


def loop_report_markdown(report: LoopReport) -> str:
    """The report as Markdown (`quizapp interview --report ID --markdown` writes it)."""
    concepts, coding = report.concepts, report.coding
    when = report.started_at.strftime("%Y-%m-%d %H:%M UTC") if report.started_at else "unknown"
    lines = [
        f"# Interview loop {report.loop_id}: concepts {format_points(concepts.score)} / "
        f"{format_points(concepts.max_score)} ({concepts.percent:.0f}%), coding "
        f"{'passed' if coding.passed else 'not passed'}",
        "",
        f"Started {when}.",
        "",
        "## Summary",
        "",
        *[f"- {area}" for area in report.areas],
        f"- {concepts.review_note()}",
        "",
        "## Concept round",
        "",
        f"- Time used {format_duration_seconds(concepts.elapsed_s)} of "
        f"{format_duration_seconds(concepts.time_limit_s)}{_ended(concepts.ended_by)}",
        *scores_markdown(concepts, "###"),
        "",
        f"## Coding round: {coding.title} (`{coding.exercise_id}`)",
        "",
        f"- Result: {'passed' if coding.passed else 'not passed'}",
        f"- Time used {format_duration_seconds(coding.time_used_s)} of "
        f"{format_duration_seconds(coding.time_limit_s)}{_ended(coding.ended_by)}",
        f"- Grades run: {coding.grades_run}; hints used: {coding.hints_shown} of "
        f"{coding.hint_count}",
    ]
    if coding.interruptions:
        lines.append(f"- Interrupted {coding.interruptions} time(s) and resumed")
    if coding.checks:
        lines += ["", "| Check | Result | Value | Threshold |", "|---|---|---|---|"]
        for check in coding.checks:
            lines.append(
                f"| {check.get('name', '')} | {'pass' if check.get('passed') else 'FAIL'} | "
                f"{check.get('value', '')} | {check.get('threshold', '')} |"
            )
    lines += ["", "## Concept questions", *questions_markdown(concepts, "###")]
    return "\n".join(lines) + "\n"
