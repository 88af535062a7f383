"""Drill set-up: what to drill (all due cards, one deck, one tag), how many new cards, cram.

About ninety tags make a long list: `/` (or the palette) focuses a filter above it, and
typing narrows the decks and tags shown.

`quizapp drill --deck ID` opens this screen with `autostart=True`, which starts the session
at once (or says why there is nothing to drill).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from quizapp.core.drill_queue import DrillSession, parse_new_per_session
from quizapp.core.due_cards import ScopeCounts, due_outlook, scope_counts, select_cards
from quizapp.core.fsrs_scheduler import card_key
from quizapp.core.interview_pacing import interview_plan, new_card_quota, review_cutoff
from quizapp.core.loader import LoadResult
from quizapp.core.models import Deck
from quizapp.core.study_days import day_start, study_day
from quizapp.storage.db import Database, utc_now
from quizapp.storage.reviews import (
    get_interview_date,
    get_learn_ahead,
    get_new_per_session,
    introduced_since,
    load_states,
)
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.footer import QuickFooter

ALL = "all"
LABEL_WIDTH = 34  # longer deck titles are cut: the counts must fit 80 columns on one line


def interview_note(library: LoadResult, db: Database, now: datetime) -> str | None:
    """What the interview date means now (cards never seen, the pace), or None without one."""
    interview = get_interview_date(db)
    if interview is None:
        return None
    decks: Sequence[Deck] = library.decks
    states = load_states(db)
    unseen = sum(1 for d, c in select_cards(decks) if card_key(d, c.id) not in states)
    return interview_plan(interview, study_day(now), unseen).describe()


def scope_id(deck: str | None, tag: str | None) -> str:
    if deck is not None and tag is not None:
        return f"deck:{deck}+tag:{tag}"
    if deck is not None:
        return f"deck:{deck}"
    if tag is not None:
        return f"tag:{tag}"
    return ALL


def parse_scope(option_id: str) -> tuple[str | None, str | None]:
    deck = tag = None
    for part in option_id.split("+"):
        kind, _, value = part.partition(":")
        if kind == "deck":
            deck = value
        elif kind == "tag":
            tag = value
    return deck, tag


class DrillSetupScreen(QuizScreen[None]):
    CSS_PATH = "setup.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="setup-back"),
        Binding("enter", "start", "Start", id="setup-start", priority=False),
        Binding("slash", "filter", "Filter", key_display="/", id="setup-filter"),
        Binding("c", "toggle_cram", "Cram", id="setup-cram"),
        Binding("n", "focus_limit", "New cards", id="setup-new"),
        Binding("i", "app.set_interview_date", "Interview date", id="setup-interview"),
    ]

    def __init__(
        self,
        deck: str | None = None,
        tag: str | None = None,
        cram: bool = False,
        new_limit: int | None = None,
        autostart: bool = False,
        clock: Callable[[], datetime] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        self.initial_scope = scope_id(deck, tag)
        self.initial_cram = cram
        self.initial_limit = new_limit
        self.autostart = autostart
        self.clock = clock or utc_now
        self.seed = seed
        self.counts: dict[str, ScopeCounts] = {}
        self.labels: dict[str, str] = {}
        self.scopes: list[tuple[str, str]] = []  # (scope id, label), all of them

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="setup-body"):
            yield Static("What to drill  (↑↓ choose, enter starts)", classes="section-title")
            yield Static(id="setup-interview", classes="dim")
            yield Input(
                placeholder="/ filters decks and tags: type part of a name",
                compact=True,  # one line: the list below needs the room at 80x24
                id="scope-filter",
            )
            yield OptionList(id="scopes")
            with Horizontal(id="setup-options"):
                yield Label("New cards this session", id="new-limit-label")
                yield Input(id="new-limit", type="integer", max_length=4)
                yield Checkbox(
                    "Cram (the schedule does not move)",
                    value=self.initial_cram,
                    id="cram",
                )
            yield Static(id="setup-note", classes="dim")
        yield QuickFooter()

    def on_mount(self) -> None:
        self.sub_title = "Drill"
        limit = self.initial_limit
        if limit is None:
            limit = get_new_per_session(self.app.db)
        self.query_one("#new-limit", Input).value = str(limit)
        self.refresh_scopes(self.initial_scope)
        self.query_one("#scopes", OptionList).focus()
        self._update_note()
        if self.autostart:
            self.autostart = False
            self.call_after_refresh(self.start, self.initial_scope)

    def on_screen_resume(self) -> None:
        scopes = self.query_one("#scopes", OptionList)
        highlighted = scopes.highlighted_option
        self.refresh_scopes(highlighted.id if highlighted and highlighted.id else ALL)

    # --- the list of scopes -----------------------------------------------------------------

    def refresh_scopes(self, selected: str) -> None:
        app = self.app
        library = app.library
        db = app.db
        now = self.clock()
        states = load_states(db)
        interview = get_interview_date(db)
        cutoff = review_cutoff(now, interview)
        learn_ahead = get_learn_ahead(db)

        scopes: list[tuple[str, str]] = [(ALL, "All decks")]
        scopes += [(scope_id(d.deck, None), f"{d.deck}  ·  {d.title}") for d in library.decks]
        tags = sorted({t for d in library.decks for c in d.cards for t in c.tags})
        scopes += [(scope_id(None, t), f"#{t}") for t in tags]
        if selected not in {s for s, _ in scopes}:
            deck, tag = parse_scope(selected)
            scopes.append((selected, f"{deck} #{tag}" if deck and tag else selected))
        self.counts = {}
        self.labels = {}
        for sid, label in scopes:
            deck, tag = parse_scope(sid)
            cards = select_cards(library.decks, deck, tag)
            self.counts[sid] = scope_counts(cards, states, now, cutoff, learn_ahead)
            self.labels[sid] = label
        self.scopes = scopes
        self.show_scopes(selected)

        unseen = self.counts[ALL].new
        line = self.query_one("#setup-interview", Static)
        if interview is None:
            line.update(
                "No interview date set (i sets one: the pace then sees every card in time)."
            )
        else:
            line.update(interview_plan(interview, study_day(now), unseen).describe())

    def show_scopes(self, selected: str | None = None) -> None:
        """The list of scopes, narrowed to those whose name holds the filter's text."""
        option_list = self.query_one("#scopes", OptionList)
        if selected is None:
            highlighted = option_list.highlighted_option
            selected = highlighted.id if highlighted and highlighted.id else ALL
        wanted = self.query_one("#scope-filter", Input).value.strip().lower()
        shown = [(sid, label) for sid, label in self.scopes if wanted in label.lower()]
        longest = max((len(label) for label in self.labels.values()), default=0)
        width = min(longest, LABEL_WIDTH) + 2
        options: list[Option | None] = []
        previous_kind = ALL
        for sid, label in shown:
            kind = sid.split(":")[0]
            if kind != previous_kind and options:
                options.append(None)  # a separator between all / decks / tags
            previous_kind = kind
            options.append(Option(self._option_text(label, self.counts[sid], width), id=sid))
        if not shown:
            options = [
                Option(Text(f"No deck or tag holds {wanted!r}.", style="dim"), disabled=True)
            ]
        option_list.clear_options()
        option_list.add_options(options)
        if not shown:
            return
        ids = [sid for sid, _ in shown]
        option_list.highlighted = option_list.get_option_index(
            selected if selected in ids else ids[0]
        )

    # --- the filter -------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one("#scope-filter", Input).focus()

    @on(Input.Changed, "#scope-filter")
    def _filter_changed(self) -> None:
        self.show_scopes()

    @on(Input.Submitted, "#scope-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    def on_key(self, event: events.Key) -> None:
        """In the filter: down moves to the list, escape clears the filter (then leaves)."""
        field = self.query_one("#scope-filter", Input)
        if self.focused is not field:
            return
        if event.key == "down":
            event.stop()
            self.query_one("#scopes", OptionList).focus()
        elif event.key == "escape" and field.value:
            event.stop()
            event.prevent_default()
            field.value = ""
            self.query_one("#scopes", OptionList).focus()

    @staticmethod
    def _option_text(label: str, counts: ScopeCounts, width: int) -> Text:
        if len(label) > width - 2:
            label = label[: width - 3] + "…"
        text = Text(label.ljust(width))
        text.append(f"{counts.due:>4} due", style="bold green" if counts.due else "dim")
        text.append("   ")
        text.append(f"{counts.new:>4} new", style="bold blue" if counts.new else "dim")
        text.append(f"   {counts.cards:>4} card{'s' * (counts.cards != 1)}", style="dim")
        return text

    # --- options ----------------------------------------------------------------------------

    def action_toggle_cram(self) -> None:
        box = self.query_one("#cram", Checkbox)
        box.value = not box.value

    def action_focus_limit(self) -> None:
        self.query_one("#new-limit", Input).focus()

    @on(Checkbox.Changed, "#cram")
    def _cram_changed(self) -> None:
        self._update_note()

    def _update_note(self) -> None:
        cram = self.query_one("#cram", Checkbox).value
        note = (
            "Cram: every card of the choice, weakest first, then new ones up to the limit. "
            "Ratings are logged; the schedule does not move."
            if cram
            else "Due reviews first (most overdue first), then new cards up to the limit; "
            "cards in learning come back within the session."
        )
        self.query_one("#setup-note", Static).update(note)

    def new_limit(self) -> int | str:
        """The new-card limit typed, or why it is refused (the rule `config` and `drill
        --limit` use, with its range)."""
        try:
            return parse_new_per_session(self.query_one("#new-limit", Input).value)
        except ValueError as exc:
            return str(exc)

    # --- starting -----------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#scopes")
    def _scope_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.start(event.option.id or ALL)

    @on(Input.Submitted, "#new-limit")
    def _limit_entered(self) -> None:
        self.action_start()

    def action_start(self) -> None:
        scopes = self.query_one("#scopes", OptionList)
        if not any(option.id for option in scopes.options):
            self.notify("No deck or tag matches the filter.", severity="warning")
            return
        highlighted = scopes.highlighted_option
        self.start(highlighted.id if highlighted and highlighted.id else ALL)

    def start(self, sid: str) -> None:
        from quizapp.tui.screens.drill.session import DrillScreen

        app = self.app
        library, db = app.library, app.db
        limit = self.new_limit()
        if isinstance(limit, str):
            self.notify(f"New cards: {limit}.", severity="error")
            self.query_one("#new-limit", Input).focus()
            return
        cram = self.query_one("#cram", Checkbox).value
        deck, tag = parse_scope(sid)
        cards = select_cards(library.decks, deck, tag)
        now = self.clock()
        states = load_states(db)
        interview = get_interview_date(db)
        quota = limit
        if not cram and interview is not None:
            today = study_day(now)
            unseen = sum(1 for d, c in cards if card_key(d, c.id) not in states)
            quota = new_card_quota(
                limit,
                unseen=unseen,
                introduced_today=introduced_since(db, day_start(today)),
                today=today,
                interview=interview,
            )
            if quota > limit:
                self.notify(
                    f"{quota} new cards this session (not {limit}) to keep the pace for "
                    f"the interview on {interview.isoformat()}.",
                    timeout=6,
                )
        session = DrillSession.build(
            cards,
            states,
            now,
            new_limit=quota,
            cram=cram,
            interview=interview,
            learn_ahead=get_learn_ahead(db),
        )
        label = self.labels.get(sid, sid)
        if session.next_card(now) is None:
            keys = {card_key(d, c.id) for d, c in cards}
            outlook = due_outlook(
                [s for k, s in states.items() if k in keys], now, interview=interview
            )
            self.notify(
                f"Nothing to drill in {label} now ({outlook.describe()}). "
                "Press c for cram to go over it anyway.",
                title="All done",
                timeout=8,
            )
            return
        plan = interview_note(library, db, now)
        self.app.push_screen(
            DrillScreen(
                session,
                database=db,
                title=label.split("  ·  ")[0],
                clock=self.clock,
                seed=self.seed,
                interview_note=plan,
            )
        )
