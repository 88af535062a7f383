"""A finished mock's report: scores by topic, the slowest questions, each answer with its
verdict; and the same report as Markdown (saved next to the mock)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fsrs import Rating

from quizapp.core.mock.run import MockRun
from quizapp.core.mock.scoring import MockStateError, VerdictName, describe_response
from quizapp.core.questions import Question
from quizapp.core.time_format import format_duration_seconds

SLOWEST_SHOWN = 3


@dataclass(frozen=True)
class QuestionResult:
    position: int  # 1-based, as shown
    question: Question
    given: str
    verdict: VerdictName
    score: float
    time_s: float
    over_budget: bool
    judgment: dict[str, Any] | None = None
    rating: Rating | None = None  # what it sent to the review queue (None: right)

    @property
    def expected(self) -> str:
        return self.question.answer_text


@dataclass(frozen=True)
class TopicScore:
    deck: str
    title: str
    score: float
    max_score: float
    questions: int

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


@dataclass(frozen=True)
class MockReport:
    mock_id: str
    started_at: datetime | None
    finished_at: datetime | None
    time_limit_s: float
    per_question_s: float | None
    elapsed_s: float
    ended_by: str | None
    interruptions: int
    score: float
    max_score: float
    topics: tuple[TopicScore, ...]
    results: tuple[QuestionResult, ...]
    slowest: tuple[QuestionResult, ...] = field(default_factory=tuple)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def misses(self) -> tuple[QuestionResult, ...]:
        """Back into the review queue as Again."""
        return tuple(r for r in self.results if r.rating == Rating.Again)

    @property
    def partly_right(self) -> tuple[QuestionResult, ...]:
        """Back into the review queue as Hard."""
        return tuple(r for r in self.results if r.rating == Rating.Hard)

    def review_note(self) -> str:
        """What the mock sent to the review queue, in a sentence."""
        misses, partly = len(self.misses), len(self.partly_right)
        parts = []
        if misses:
            parts.append(
                f"{misses} missed question{'s' * (misses != 1)} went back into your review "
                "queue as Again"
            )
        if partly:
            went = "" if misses else " went back into your review queue"
            parts.append(f"{partly} partly right{went} as Hard")
        return ("; ".join(parts) + ".") if parts else "Nothing missed."


def build_report(
    run: MockRun,
    mock_id: str,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    deck_titles: Mapping[str, str] | None = None,
) -> MockReport:
    if run.status != "finished":
        raise MockStateError("the report is ready once grading is complete")
    titles = deck_titles or {}
    results = []
    for i, question in enumerate(run.questions):
        verdict, score = run.result(i)
        results.append(
            QuestionResult(
                position=i + 1,
                question=question,
                given=describe_response(question, run.responses[i]),
                verdict=verdict,
                score=score,
                time_s=run.time_spent[i],
                over_budget=run.over_budget(i),
                judgment=run.judgments[i],
                rating=run.rating(i),
            )
        )
    topics: dict[str, list[QuestionResult]] = {}
    for result in results:
        topics.setdefault(result.question.deck, []).append(result)
    topic_scores = tuple(
        TopicScore(
            deck=deck,
            title=titles.get(deck, deck),
            score=sum(r.score for r in rows),
            max_score=float(len(rows)),
            questions=len(rows),
        )
        for deck, rows in sorted(topics.items(), key=lambda item: item[0])
    )
    slowest = tuple(
        sorted((r for r in results if r.time_s > 0), key=lambda r: (-r.time_s, r.position))[
            :SLOWEST_SHOWN
        ]
    )
    return MockReport(
        mock_id=mock_id,
        started_at=started_at,
        finished_at=finished_at,
        time_limit_s=run.time_limit_s,
        per_question_s=run.per_question_s,
        elapsed_s=run.elapsed,
        ended_by=run.ended_by,
        interruptions=run.interruptions,
        score=run.score,
        max_score=run.max_score,
        topics=topic_scores,
        results=tuple(results),
        slowest=slowest,
    )


def format_points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown"


def _indent_block(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def result_markdown(r: QuestionResult) -> str:
    """One question's review in Markdown: the prompt, the learner's answer, the expected one,
    key points (ticked as judged), working, explanation and source. The report file and the
    report screen both show it."""
    question = r.question
    lines = [_indent_block(question.prompt)]
    if question.options:
        lines.append("")
        lines += [f"{i}. {option}" for i, option in enumerate(question.options, 1)]
    lines += ["", "**Your answer:**", "", _indent_block(r.given), "", "**Expected:**", ""]
    lines.append(_indent_block(r.expected))
    if question.key_points:
        covered = set((r.judgment or {}).get("covered", ()))
        lines += ["", "**Key points:**", ""]
        lines += [
            f"- [{'x' if i in covered else ' '}] {point}"
            for i, point in enumerate(question.key_points)
        ]
    if question.working:
        lines += ["", "**Working:**", "", question.working.strip()]
    if question.explanation:
        lines += ["", "**Explanation:**", "", question.explanation.strip()]
    if question.source:
        lines += ["", f"Source: {question.source.strip()}"]
    return "\n".join(lines)


def report_markdown(report: MockReport) -> str:
    """The report as a Markdown document (what `quizapp mock --report ID --markdown` writes)."""
    lines = [
        f"# Mock interview {report.mock_id}: "
        f"{format_points(report.score)} / {format_points(report.max_score)} "
        f"({report.percent:.0f}%)",
        "",
        f"- Started {_when(report.started_at)}, finished {_when(report.finished_at)}",
        f"- Time used {format_duration_seconds(report.elapsed_s)} of "
        f"{format_duration_seconds(report.time_limit_s)}"
        + (
            " (ended when the time ran out)"
            if report.ended_by == "time"
            else " (submitted)"
            if report.ended_by == "submit"
            else ""
        ),
    ]
    if report.per_question_s is not None:
        over = sum(r.over_budget for r in report.results)
        lines.append(
            f"- Per-question limit {format_duration_seconds(report.per_question_s)}; "
            f"{over} question{'s' * (over != 1)} over it"
        )
    if report.interruptions:
        times = "once" if report.interruptions == 1 else f"{report.interruptions} times"
        lines.append(
            f"- Interrupted {times} and resumed (the clock stopped while the mock was closed)"
        )
    lines.append(f"- {report.review_note()}")
    lines += scores_markdown(report, "##")
    lines += ["", "## Questions"]
    lines += questions_markdown(report, "###")
    return "\n".join(lines) + "\n"


def scores_markdown(report: MockReport, heading: str) -> list[str]:
    """The scores by topic and the slowest questions (also in an interview loop's report)."""
    lines = ["", f"{heading} Scores by topic", "", "| Topic | Score | Questions |", "|---|---|---|"]
    for topic in report.topics:
        lines.append(
            f"| {topic.title} | {format_points(topic.score)} / {format_points(topic.max_score)} "
            f"({topic.percent:.0f}%) | {topic.questions} |"
        )
    if report.slowest:
        lines += ["", f"{heading} Slowest questions", ""]
        for r in report.slowest:
            lines.append(
                f"- Q{r.position} {r.question.key}: {format_duration_seconds(r.time_s)} ({r.verdict})"
            )
    return lines


def questions_markdown(report: MockReport, heading: str) -> list[str]:
    lines = []
    for r in report.results:
        flag = ", over the per-question limit" if r.over_budget else ""
        lines += [
            "",
            f"{heading} {r.position}. {r.question.key}: {r.verdict} "
            f"({format_points(r.score)} / 1), {format_duration_seconds(r.time_s)}{flag}",
            "",
            result_markdown(r),
        ]
    return lines
