"""Scheduling: FSRS through `fsrs`, the session queue, leeches and the interview date."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State
from hypothesis import given
from hypothesis import strategies as st

from quizapp.core.drill_queue import DrillSession, QueueCounts
from quizapp.core.due_cards import due_outlook, parse_learn_ahead
from quizapp.core.fsrs_scheduler import (
    LEECH_LAPSES,
    CardState,
    became_leech,
    fsrs_card_id,
    preview,
    review,
)
from quizapp.core.interview_pacing import (
    interview_plan,
    new_card_quota,
    parse_interview_date,
    review_cutoff,
)
from quizapp.core.models import FlashCard, GeneratedCard
from quizapp.core.study_days import day_start, study_day
from quizapp.core.time_format import format_interval

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def flash(card_id: str) -> FlashCard:
    return FlashCard(id=card_id, type="flashcard", prompt=f"{card_id}?", answer=card_id)


def test_review_equals_fsrs_itself_for_a_long_sequence() -> None:
    scheduler = Scheduler(desired_retention=0.9, enable_fuzzing=False)
    card = FsrsCard(card_id=fsrs_card_id("d/c"), due=NOW)
    state = None
    moment = NOW
    for i, rating in enumerate([3, 3, 1, 2, 3, 4, 4, 1, 1, 3, 3, 2, 3]):
        # review sometimes late, sometimes early
        card, _ = scheduler.review_card(card, Rating(rating), moment)
        state = review(state, "d", "c", rating, moment)
        assert (state.due, state.state, state.step) == (card.due, card.state, card.step)
        assert state.stability == pytest.approx(card.stability, rel=1e-12)
        moment = card.due + timedelta(hours=(i % 3) * 5 - 3)


def test_preview_gives_the_interval_of_each_rating() -> None:
    intervals = preview(None, "d", "c", NOW)
    assert intervals == {
        Rating.Again: timedelta(minutes=1),
        Rating.Hard: timedelta(minutes=5, seconds=30),
        Rating.Good: timedelta(minutes=10),
        Rating.Easy: timedelta(days=8),
    }
    graduated = review(review(None, "d", "c", 3, NOW), "d", "c", 3, NOW + timedelta(minutes=10))
    at_due = preview(graduated, "d", "c", graduated.due)
    # The figures of flashcards.md (fuzz off): Again 10 min, Hard 8 d, Good 11 d, Easy 19 d.
    assert [format_interval(at_due[r]) for r in Rating] == ["10m", "8d", "11d", "19d"]


def test_state_round_trips_through_json() -> None:
    state = review(None, "d", "c", 3, NOW)
    assert CardState.from_dict(state.to_dict()) == state


def test_lapses_and_leeches() -> None:
    state = review(None, "d", "c", Rating.Easy, NOW)
    assert state.state == State.Review
    flagged = []
    for _ in range(12):
        lapsed = review(state, "d", "c", Rating.Again, state.due)
        flagged.append(became_leech(state, lapsed))
        state = review(lapsed, "d", "c", Rating.Good, lapsed.due)
        assert not became_leech(lapsed, state)  # relearning: no new lapse
    assert state.lapses == 12
    # Flagged at 8 lapses, then again at 12, as Anki does.
    assert [i + 1 for i, f in enumerate(flagged) if f] == [LEECH_LAPSES, 12]
    assert state.is_leech


def test_study_days_start_at_four_in_the_morning() -> None:
    assert study_day(datetime(2026, 3, 2, 3, 59, tzinfo=UTC), UTC) == date(2026, 3, 1)
    assert study_day(datetime(2026, 3, 2, 4, 0, tzinfo=UTC), UTC) == date(2026, 3, 2)
    assert day_start(date(2026, 3, 2), UTC) == datetime(2026, 3, 2, 4, tzinfo=UTC)


def test_parse_interview_date() -> None:
    assert parse_interview_date(" 2026-12-15 ") == date(2026, 12, 15)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_interview_date("15/12/2026")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_interview_date("2026-02-30")


# --- the session queue --------------------------------------------------------------------------


def learned(key: str, due: datetime, state: State = State.Review) -> CardState:
    deck, card = key.split("/")
    return CardState(deck, card, state, None, 5.0, 5.0, due, due - timedelta(days=5), 3, 0)


def test_session_order_reviews_first_then_new_up_to_the_limit() -> None:
    cards = [("d", flash(c)) for c in "abcdefg"]
    states = {
        "d/a": learned("d/a", NOW - timedelta(days=1)),
        "d/b": learned("d/b", NOW - timedelta(days=3)),  # most overdue first
        "d/c": learned("d/c", NOW + timedelta(days=5)),  # not due
    }
    session = DrillSession.build(cards, states, NOW, new_limit=2, tz=UTC)
    assert session.review_queue == ["d/b", "d/a"]
    assert session.new_queue == ["d/d", "d/e"]
    assert session.counts(NOW) == QueueCounts(new=2, learning=0, review=2, later=0)
    shown = []
    moment = NOW
    while (card := session.next_card(moment)) is not None:
        shown.append(card.key)
        new_state = review(card.state, card.deck, card.card.id, Rating.Easy, moment)
        session.record(card.key, Rating.Easy, moment, new_state=new_state)
        moment += timedelta(seconds=10)
    assert shown == ["d/b", "d/a", "d/d", "d/e"]
    summary = session.summary()
    assert (summary.reviews, summary.cards, summary.new_cards) == (4, 4, 2)


def test_reviews_due_later_today_count_and_tomorrow_does_not() -> None:
    cards = [("d", flash(c)) for c in "ab"]
    states = {
        "d/a": learned("d/a", datetime(2026, 3, 3, 3, 0, tzinfo=UTC)),  # before the 04:00 roll
        "d/b": learned("d/b", datetime(2026, 3, 3, 5, 0, tzinfo=UTC)),
    }
    session = DrillSession.build(cards, states, NOW, new_limit=0, tz=UTC)
    assert session.review_queue == ["d/a"]


def test_learning_cards_come_back_within_the_session() -> None:
    cards = [("d", flash(c)) for c in "ab"]
    session = DrillSession.build(cards, {}, NOW, new_limit=5, tz=UTC)
    moment = NOW
    shown = []
    for _ in range(10):
        card = session.next_card(moment)
        if card is None:
            break
        shown.append((card.key, card.kind))
        state = review(card.state, card.deck, card.card.id, Rating.Good, moment)
        session.record(card.key, Rating.Good, moment, new_state=state)
        moment += timedelta(seconds=20)
    # New -> Good (10 min step) -> shown again early (learn-ahead) -> Good graduates.
    assert shown == [
        ("d/a", "new"),
        ("d/b", "new"),
        ("d/a", "learning"),
        ("d/b", "learning"),
    ]
    assert all(s.state == State.Review for s in session.states.values())


def test_learning_card_beyond_learn_ahead_waits() -> None:
    cards = [("d", flash("a"))]
    session = DrillSession.build(cards, {}, NOW, new_limit=1, tz=UTC)
    card = session.next_card(NOW)
    state = review(None, "d", "a", Rating.Again, NOW)  # due in 1 min
    session.record(card.key, Rating.Again, NOW, new_state=state)
    assert session.next_card(NOW).key == "d/a"  # within the learn-ahead limit
    state2 = review(state, "d", "a", Rating.Good, NOW)
    session.record("d/a", Rating.Good, NOW, new_state=state2)  # step 2: +10 min
    assert session.counts(NOW).learning == 1
    # An hour-long step (not the default, but a review learned elsewhere) waits:
    session.learning = [(NOW + timedelta(hours=1), "d/a")]
    assert session.next_card(NOW) is None
    assert session.counts(NOW).later == 1
    assert session.next_card(NOW + timedelta(minutes=41)).key == "d/a"


def test_undo_puts_the_card_and_queue_back() -> None:
    cards = [("d", flash(c)) for c in "ab"]
    session = DrillSession.build(cards, {}, NOW, new_limit=2, tz=UTC)
    card = session.next_card(NOW)
    state = review(None, "d", "a", Rating.Good, NOW)
    session.record(card.key, Rating.Good, NOW, new_state=state, review_id=7)
    assert session.next_card(NOW).key == "d/b"
    undone = session.undo()
    assert undone.review_id == 7
    assert session.next_card(NOW).key == "d/a"
    assert session.states == {}
    assert session.log == []
    assert not session.can_undo


def test_cram_keeps_states_and_repeats_misses() -> None:
    cards = [("d", flash(c)) for c in "abc"]
    strong = learned("d/a", NOW + timedelta(days=30))
    weak = learned("d/b", NOW - timedelta(days=10))
    states = {"d/a": strong, "d/b": weak}
    session = DrillSession.build(cards, states, NOW, new_limit=1, cram=True, tz=UTC)
    assert session.review_queue == ["d/b", "d/a"]  # weakest first, due or not
    assert session.new_queue == ["d/c"]
    moment = NOW
    shown = []
    while (card := session.next_card(moment)) is not None:
        shown.append(card.key)
        rating = Rating.Again if card.key == "d/b" and shown.count("d/b") == 1 else Rating.Good
        session.record(card.key, rating, moment)
        moment += timedelta(seconds=30)
    # The miss comes back a minute later, before the new card, as a learning step would.
    assert shown == ["d/b", "d/a", "d/b", "d/c"]
    assert session.states == states  # the schedule never moved


def test_new_cards_are_taken_round_robin_across_decks() -> None:
    cards = [("x", flash("a")), ("x", flash("b")), ("y", flash("c")), ("y", flash("d"))]
    session = DrillSession.build(cards, {}, NOW, new_limit=3, tz=UTC)
    assert session.new_queue == ["x/a", "y/c", "x/b"]


def generated(card_id: str) -> GeneratedCard:
    return GeneratedCard(id=card_id, type="generated", generator="affine-qparams")


def test_new_cards_spread_the_types_of_a_deck_so_a_generated_card_comes_early() -> None:
    # As int8-math: the generated cards are written last.
    cards = [("m", flash(f"f{i}")) for i in range(40)]
    cards += [("m", generated(f"g{i}")) for i in range(14)]
    session = DrillSession.build(cards, {}, NOW, new_limit=20, tz=UTC)
    queue = session.new_queue
    assert any(key.startswith("m/g") for key in queue[:3])
    assert sum(key.startswith("m/g") for key in queue) >= 4  # about 14/54 of twenty
    # Each type keeps the deck's own order.
    assert [k for k in queue if k.startswith("m/f")] == [f"m/f{i}" for i in range(15)]
    assert [k for k in queue if k.startswith("m/g")] == [f"m/g{i}" for i in range(5)]


def test_a_session_over_the_shipped_decks_shows_a_generated_card() -> None:
    from quizapp.core.due_cards import select_cards
    from quizapp.library import load_library

    decks = load_library().decks
    for deck in ("int8-math", None):  # one deck, and all of them
        cards = select_cards(decks, deck)
        session = DrillSession.build(cards, {}, NOW, new_limit=20, tz=UTC)
        kinds = [session.cards[key].card.type for key in session.new_queue]
        assert "generated" in kinds[: 10 if deck else 20], deck


def test_learn_ahead_is_the_sessions_own_limit() -> None:
    cards = [("d", flash("a"))]
    state = review(None, "d", "a", Rating.Good, NOW)  # the 10-minute step
    states = {"d/a": state}
    default = DrillSession.build(cards, states, NOW, new_limit=0, tz=UTC)
    card = default.next_card(NOW)
    assert card.key == "d/a"
    assert card.shown_early_by(NOW) == timedelta(minutes=10)
    strict = DrillSession.build(
        cards, states, NOW, new_limit=0, tz=UTC, learn_ahead=timedelta(minutes=5)
    )
    assert strict.next_card(NOW) is None
    assert strict.counts(NOW).later == 1
    assert strict.next_card(NOW + timedelta(minutes=5)).key == "d/a"
    assert (
        strict.next_card(NOW + timedelta(minutes=10)).shown_early_by(NOW + timedelta(minutes=10))
        is None
    )


def test_parse_learn_ahead_names_the_valid_range() -> None:
    assert parse_learn_ahead("20") == timedelta(minutes=20)
    assert parse_learn_ahead(" 0 ") == timedelta(0)
    for bad in ("-1", "1441"):
        with pytest.raises(ValueError, match="between 0 and 1440 minutes"):
            parse_learn_ahead(bad)
    with pytest.raises(ValueError, match="not a whole number of minutes"):
        parse_learn_ahead("soon")


def test_due_outlook_tells_minutes_later_today_and_tomorrow_apart() -> None:
    def step(card: str, due: datetime) -> CardState:
        return learned(f"d/{card}", due, State.Learning)

    states = [
        step("a", NOW + timedelta(minutes=1)),
        step("b", NOW + timedelta(minutes=10)),
        step("c", NOW - timedelta(minutes=2)),  # already due
        step("d", NOW + timedelta(hours=3)),
        learned("d/e", NOW + timedelta(hours=5)),  # a review due today: due now
        learned("d/f", NOW + timedelta(days=1)),
        learned("d/g", NOW + timedelta(days=3)),
    ]
    outlook = due_outlook(states, NOW, tz=UTC)
    assert (outlook.due_now, outlook.soon, outlook.tomorrow) == (2, (1, 10), 1)
    assert outlook.describe(UTC) == (
        "2 cards due now, 2 cards due again in 1-10 min, 1 later today (from 12:00); 1 tomorrow"
    )
    # A first session: every card learned a few minutes ago, nothing due tomorrow.
    first = due_outlook([step("a", NOW + timedelta(minutes=10))], NOW, tz=UTC)
    assert first.describe(UTC) == "1 card due again in 10 min; none tomorrow"
    assert due_outlook([], NOW, tz=UTC).describe(UTC) == "nothing more today; none tomorrow"


# --- the interview date ---------------------------------------------------------------------------


def test_new_card_quota_without_interview_is_the_session_limit() -> None:
    assert new_card_quota(20, unseen=500, today=date(2026, 3, 2), interview=None) == 20


def test_new_card_quota_paces_every_card_before_the_interview() -> None:
    today = date(2026, 3, 2)
    interview = date(2026, 3, 12)  # 10 study days: 2nd .. 11th
    assert new_card_quota(20, unseen=500, today=today, interview=interview) == 50
    # Already 30 introduced today: 20 more keep the pace (530 / 10 = 53 a day).
    assert (
        new_card_quota(0, unseen=500, introduced_today=30, today=today, interview=interview) == 23
    )
    assert new_card_quota(20, unseen=50, today=today, interview=interview) == 20
    assert new_card_quota(20, unseen=50, today=interview, interview=interview) == 20


@given(
    unseen=st.integers(0, 2000),
    days=st.integers(1, 120),
    limit=st.integers(0, 50),
)
def test_following_the_quota_sees_every_card_before_the_day(
    unseen: int, days: int, limit: int
) -> None:
    today = date(2026, 1, 1)
    interview = today + timedelta(days=days)
    left = unseen
    day = today
    while day < interview:
        left -= new_card_quota(limit, unseen=left, today=day, interview=interview)
        left = max(left, 0)
        day += timedelta(days=1)
    assert left == 0


def test_reviews_due_on_the_interview_day_are_pulled_to_the_eve() -> None:
    interview = date(2026, 3, 4)
    eve = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)
    assert review_cutoff(eve, None, UTC) == datetime(2026, 3, 4, 4, tzinfo=UTC)
    assert review_cutoff(eve, interview, UTC) == datetime(2026, 3, 5, 4, tzinfo=UTC)
    two_days_before = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    assert review_cutoff(two_days_before, interview, UTC) == datetime(2026, 3, 3, 4, tzinfo=UTC)
    cards = [("d", flash("a"))]
    on_the_day = {"d/a": learned("d/a", datetime(2026, 3, 4, 15, 0, tzinfo=UTC))}
    session = DrillSession.build(cards, on_the_day, eve, new_limit=0, interview=interview, tz=UTC)
    assert session.review_queue == ["d/a"]


def test_interview_plan_describes_the_pace() -> None:
    plan = interview_plan(date(2026, 3, 12), date(2026, 3, 2), 95)
    assert plan.new_per_day == math.ceil(95 / 10)
    assert "10 days to go" in plan.describe()
    assert "at least 10 new a day" in plan.describe()
    assert "passed" in interview_plan(date(2026, 3, 1), date(2026, 3, 2), 0).describe()
