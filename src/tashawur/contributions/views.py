"""The workshop page and its writes: a contribution and a vote. The page lists the workshop's
contributions with their votes and the form; each write authorises, calls one service and
renders a partial of the page (HTMX) or redirects back to it (no JS). Thin: parse → selector or
service → render (STYLE.md)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils import dateformat, formats
from django.utils.cache import patch_vary_headers
from django.utils.formats import get_format
from django.utils.html import conditional_escape, strip_spaces_between_tags
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext, ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from tashawur.actors.models import ActorType, Participant
from tashawur.consultations import rules as consultation_rules
from tashawur.consultations.models import Consultation, Dimension, Meeting, Workshop
from tashawur.consultations.selectors import (
    SPEAKERS_SHOWN,
    workshop_get_for_user,
    workshop_roster_by_actor_type,
    workshop_speakers,
    workshop_speakers_search,
)
from tashawur.contributions import rules, selectors
from tashawur.contributions.forms import ContributionForm, VoteForm, new_idempotency_key
from tashawur.contributions.generations import consultation_data_generation
from tashawur.contributions.models import (
    Channel,
    Contribution,
    ModerationEvent,
    ModerationReason,
    ModerationStatus,
    Vote,
)
from tashawur.contributions.services import (
    QuickBallot,
    contribution_submit,
    vote_cast,
    vote_cast_quick,
)
from tashawur.contributions.services.voice import voice_max_bytes, voice_too_large_error
from tashawur.core import limits
from tashawur.core.caching import cached_build, cached_many, version_key
from tashawur.core.csrf import response_token
from tashawur.core.errors import DomainError
from tashawur.core.htmx import HtmxHttpRequest
from tashawur.core.models import User
from tashawur.core.privacy import anonymity_k
from tashawur.core.text import BIDI_CONTROLS, clean_user_text
from tashawur.core.validation import page_number_parse

WORKSHOP_PAGE = "contributions/workshop.html"
CONTRIBUTIONS_PER_PAGE = 20
UNPROCESSABLE = 422
TOO_MANY_REQUESTS = 429
# A search for a speaker reads a name or a word or two of an organisation.
SPEAKER_QUERY_MAX_LENGTH = 100


# -- the workshop page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContributionCard:
    """What one card of the workshop page shows beside its contribution, worked out once in the
    view rather than by filters and choice lookups repeated in the template's loop (the cards are
    most of the page's rendering CPU, issue 15 item 1)."""

    contribution: Contribution
    own: bool
    who: selectors.AuthorDescription | None
    rejection: ModerationEvent | None
    flagged: bool
    dimension_label: str
    channel_label: str
    status_label: str
    # The links of a card by its contribution's pk (``card_urls_maker``), shared by the page.
    url_maker: Callable[[int], CardUrls] = field(repr=False, compare=False)
    # Its HTML when it was found in the cache (``cards_cached``), else "" (rendered in place).
    html: str = ""

    # Its links and its date are made only for a card rendered, not for one the cache gave
    # (a ``{% url %}`` or a ``|date`` per card costs 0.04 to 0.1 ms each, several per card).
    @cached_property
    def urls(self) -> CardUrls:
        return self.url_maker(self.contribution.pk)

    @cached_property
    def _created(self) -> datetime.datetime:
        return localtime(self.contribution.created_at)

    @cached_property
    def created_iso(self) -> str:
        return self._created.isoformat()

    @cached_property
    def created_shown(self) -> str:
        # As the template's |date:"DATE_FORMAT" and |time:"TIME_FORMAT" write it.
        return (
            f"{dateformat.format(self._created, get_format('DATE_FORMAT'))} "
            f"{dateformat.time_format(self._created, get_format('TIME_FORMAT'))}"
        )


@dataclass(frozen=True)
class CardUrls:
    """The links of one card: its page, its vote, its report, its voice note."""

    page: str
    vote: str
    flag: str
    audio: str


_URL_SENTINEL = 987654321987


def _url_of_pk(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` for many pks at the cost of one ``reverse``: the route's
    only argument is the pk, so the path around it is the same for all."""
    before, _, after = reverse(name, args=[_URL_SENTINEL]).partition(str(_URL_SENTINEL))
    return lambda pk: f"{before}{pk}{after}"


def card_urls_maker() -> Callable[[int], CardUrls]:
    """The links of a card by its contribution's pk (``CardUrls``), in the active language;
    the routes are reversed at the first card that asks (none when the cache had them all)."""
    makers: list[Callable[[int], str]] = []

    def urls(pk: int) -> CardUrls:
        if not makers:
            makers.extend(
                _url_of_pk(name)
                for name in (
                    "web:contribution",
                    "contributions:vote",
                    "contributions:flag",
                    "contributions:audio",
                )
            )
        page, vote, flag, audio = (make(pk) for make in makers)
        return CardUrls(page=page, vote=vote, flag=flag, audio=audio)

    return urls


def contribution_cards(
    contributions: Iterable[Contribution],
    *,
    own_author_id: int | None,
    authors: Mapping[int, selectors.AuthorDescription] | None = None,
    rejections: Mapping[int, ModerationEvent] | None = None,
    flagged: set[int] | frozenset[int] = frozenset(),
) -> list[ContributionCard]:
    # The choices' labels, translated once per page instead of a get_FOO_display per card.
    dimensions = {value: str(label) for value, label in Dimension.choices}
    channels = {value: str(label) for value, label in Channel.choices}
    statuses = {value: str(label) for value, label in ModerationStatus.choices}
    authors = authors or {}
    rejections = rejections or {}
    urls = card_urls_maker()
    return [
        ContributionCard(
            contribution=c,
            own=own_author_id is not None and c.author_id == own_author_id,
            who=authors.get(c.pk),
            rejection=rejections.get(c.pk),
            flagged=c.pk in flagged,
            dimension_label=dimensions.get(c.dimension, c.dimension),
            channel_label=channels.get(c.channel, c.channel),
            status_label=statuses.get(c.moderation_status, c.moderation_status),
            url_maker=urls,
        )
        for c in contributions
    ]


# Bumped when the card's template changes, so that no page mixes cards of two templates.
_CARD_TEMPLATE_VERSION = 2
_CSRF_INPUT = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(")')
_CSRF_PLACEHOLDER = "<tashawur:csrf>"
# Where a card's body takes its vote form (the template writes it when ``tally_apart``).
_TALLY_PLACEHOLDER = "<tashawur:tally>"


def _tally_apart(card: ContributionCard, context: Mapping[str, object]) -> bool:
    """Whether the card shows the reader's vote form (the ``vote`` partial), cached apart from
    the card's body: a vote moves its counters, and only this fragment is rendered again."""
    c = card.contribution
    return (
        bool(context["may_vote"])
        and c.is_votable
        and c.moderation_status == ModerationStatus.PUBLISHED
    )


def cards_cached(
    request: HttpRequest, cards: list[ContributionCard], context: Mapping[str, object]
) -> list[ContributionCard]:
    """The cards with their HTML from the cache (one round trip), the missing ones rendered
    once and stored. A card's key is everything its HTML is made of — the contribution's
    fields and counters, its author's description, its rejection, the language — and what the
    reader may do with it (vote, and their vote; report, and whether they did; hear it), so a
    change gives a new key and no card is ever stale nor another reader's; the CSRF token of
    its forms is stored as a placeholder and the reader's put in (a card renders 0.5 ms).

    A card with a vote form is cached in two parts: its body, without the counters and the
    reader's vote, and its vote form (the tally), keyed by them; a vote anywhere renders the
    tally of its card again (a tenth of the card), not the card."""
    if not cards:
        return cards
    user = request.user
    votes: Mapping[int, int] = context["votes"]  # type: ignore[assignment]
    language = get_language()
    reader = (
        language,
        user.is_authenticated,
        # Signed out, the card's "sign in to vote" link comes back to this address.
        "" if user.is_authenticated else request.get_full_path(),
        context["may_vote"],
        context["may_flag"],
        context["may_transcribe"],
    )
    own_author_id = context["own_author_id"]
    by_pk = {card.contribution.pk: card for card in cards}
    apart = {pk for pk, card in by_pk.items() if _tally_apart(card, context)}

    def counters(c: Contribution) -> tuple[int, int, int]:
        return (c.agree_count, c.disagree_count, c.pass_count)

    def body_key(card: ContributionCard) -> str:
        c = card.contribution
        rejection = card.rejection
        # Its counters and the reader's vote are the tally's when it is cached apart.
        shown = None if c.pk in apart else (counters(c), votes.get(c.pk))
        # One tuple, hashed as one part (its repr is as unambiguous as each part's): twenty
        # parts hashed one by one cost a page of cards a millisecond (issue 15, item 1).
        return version_key(
            "workshop-card",
            (
                _CARD_TEMPLATE_VERSION,
                *reader,
                c.pk,
                c.workshop_id,
                c.text,
                c.language,
                c.dimension,
                c.channel,
                c.moderation_status,
                c.author_id,
                str(c.audio),
                c.created_at,
                shown,
                card.own,
                # What the report form reads of its reader (not their id: readers share cards).
                c.author_id == own_author_id,
                card.flagged,
                card.who,
                None if rejection is None else (rejection.pk, rejection.reason, rejection.note),
            ),
        )

    def tally_key(card: ContributionCard) -> str:
        c = card.contribution
        return version_key(
            "workshop-tally", _CARD_TEMPLATE_VERSION, language, c.pk, counters(c), votes.get(c.pk)
        )

    keys: dict[tuple[str, int], str] = {("card", pk): body_key(card) for pk, card in by_pk.items()}
    keys.update({("tally", pk): tally_key(by_pk[pk]) for pk in apart})

    def render(parts: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
        rendered = {}
        for part, pk in parts:
            card = by_pk[pk]
            if part == "card":
                html = get_template(f"{WORKSHOP_PAGE}#card").render(
                    {**context, "card": card, "tally_apart": pk in apart}, request
                )
            else:
                # As the card's {% spaceless %} writes it in place.
                html = strip_spaces_between_tags(
                    get_template(f"{WORKSHOP_PAGE}#vote")
                    .render({**context, "card": card, "c": card.contribution}, request)
                    .strip()
                )
            rendered[part, pk] = _CSRF_INPUT.sub(rf"\g<1>{_CSRF_PLACEHOLDER}\g<2>", html)
        return rendered

    found = cached_many(keys, render)
    token = response_token(request)

    def html(pk: int) -> str:
        body = found["card", pk]
        if pk in apart:
            body = body.replace(_TALLY_PLACEHOLDER, found["tally", pk], 1)
        return body.replace(_CSRF_PLACEHOLDER, token)

    return [
        # Rendered by the template engine (escaped); the token is the reader's own.
        replace(card, html=mark_safe(html(card.contribution.pk)))  # noqa: S308
        for card in cards
    ]


class _Fragments:
    """Parts of the workshop page rendered once per process under everything they show (the
    key is the shown values themselves, so none is ever stale): the page's head and its list's
    filters, about a millisecond of template a page (issue 15, item 1). No cache round trip:
    a new key (a count moved, a title edited) renders once in each process. At most ``size``
    kept; rendered every time under DEBUG (templates reloaded)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self.kept: dict[tuple[object, ...], str] = {}

    def html(self, key: tuple[object, ...], render: Callable[[], str]) -> str:
        found = None if settings.DEBUG else self.kept.get(key)
        if found is None:
            found = render()
            if len(self.kept) >= self.size:
                self.kept.clear()
            self.kept[key] = found
        return found


_page_fragments = _Fragments()
# Where the head takes the closed round table's report (``workshop_report_cached``).
_REPORT_PLACEHOLDER = "<tashawur:report>"


def workshop_head_html(request: HttpRequest, context: Mapping[str, object]) -> str | None:
    """The page's head (its path, title, theme, status, facilitator, question, report and
    roster: the ``head`` partial) for a reader with nothing to do on the round table but
    contribute, vote and report (``None`` for its staff, whose head has forms and links of
    theirs); the report's HTML is put in."""
    if any(
        context[name] for name in ("may_open", "may_close", "may_moderate", "records_for_table")
    ):
        return None
    workshop: Workshop = context["workshop"]  # type: ignore[assignment]
    meeting: Meeting = context["meeting"]  # type: ignore[assignment]
    consultation: Consultation = context["consultation"]  # type: ignore[assignment]
    roster: list[tuple[ActorType, int]] = context["roster"]  # type: ignore[assignment]
    report_html = str(context["report_html"])
    key = (
        "head",
        get_language(),
        get_script_prefix(),
        consultation.slug,
        consultation.title,
        meeting.slug,
        meeting.title,
        workshop.pk,
        workshop.title,
        workshop.theme.label,
        workshop.status,
        str(workshop.facilitator) if workshop.facilitator else "",
        workshop.question,
        bool(report_html),
        tuple((actor_type.label, n) for actor_type, n in roster),
        context["roster_others"],
        context["anonymity_k"],
    )

    def render() -> str:
        # The placeholder as the report's HTML is written, unescaped.
        placeholder = mark_safe(_REPORT_PLACEHOLDER) if report_html else ""  # noqa: S308
        shown = {**context, "report_html": placeholder}
        return get_template(f"{WORKSHOP_PAGE}#head").render(shown, request)

    html = _page_fragments.html(key, render)
    # Rendered by the template engine (escaped); the report too (``workshop_report_cached``).
    return mark_safe(html.replace(_REPORT_PLACEHOLDER, report_html, 1))  # noqa: S308


def workshop_filters_html(request: HttpRequest, context: Mapping[str, object]) -> str:
    """The list's heading and its filters by dimension, with their counts (the ``filters``
    partial)."""
    workshop: Workshop = context["workshop"]  # type: ignore[assignment]
    filters: list[dict[str, object]] = context["filters"]  # type: ignore[assignment]
    key = (
        "filters",
        get_language(),
        get_script_prefix(),
        workshop.pk,
        context["dimension"],
        context["total_count"],
        tuple(f["count"] for f in filters),
    )

    def render() -> str:
        return get_template(f"{WORKSHOP_PAGE}#filters").render(dict(context), request)

    # Rendered by the template engine (escaped); nothing of a reader but their counts.
    return mark_safe(_page_fragments.html(key, render))  # noqa: S308


_IDEMPOTENCY_PLACEHOLDER = "tashawur-idempotency-key"


def contribution_form_cached(request: HttpRequest, context: Mapping[str, object]) -> str:
    """The blank contribution form of the workshop page (a participant's: no speaker picker, no
    errors), rendered once per process (``_page_fragments``): its HTML depends on the round
    table, the language and address prefix, the dimension chosen in the filters and the
    settings it shows (the longest voice note, which its help text says in the language), not
    on the data, so one rendering serves every reader (it cost 3 to 4 ms a page, issue 15
    item 1); no cache round trip, and the form itself is built only to render it (0.4 ms).
    Its CSRF token and its idempotency key (one per rendered form) are kept as placeholders
    and the reader's put in."""
    workshop: Workshop = context["workshop"]  # type: ignore[assignment]
    dimension = context["dimension"]
    key = (
        "form",
        get_language(),
        get_script_prefix(),
        workshop.pk,
        dimension,
        context["may_suggest"],
        int(settings.TASHAWUR_VOICE_MAX_SECONDS),
    )

    def render_form() -> str:
        form = ContributionForm(
            initial={"dimension": dimension, "idempotency_key": _IDEMPOTENCY_PLACEHOLDER}
        )
        html = get_template(f"{WORKSHOP_PAGE}#contribution-form").render(
            {**context, "form": form}, request
        )
        return _CSRF_INPUT.sub(rf"\g<1>{_CSRF_PLACEHOLDER}\g<2>", html)

    html = _page_fragments.html(key, render_form)
    # Rendered by the template engine (escaped); the token and the key are the reader's own.
    return mark_safe(  # noqa: S308
        html.replace(_CSRF_PLACEHOLDER, response_token(request)).replace(
            _IDEMPOTENCY_PLACEHOLDER, new_idempotency_key()
        )
    )


# Bumped when the report's template changes.
_REPORT_TEMPLATE_VERSION = 1


def workshop_report_cached(request: HttpRequest, workshop: Workshop) -> str:
    """The closed round table's report as its page shows it (``""``: none), from the cache: its
    text cut into parts and the published contributions it cites, the same for every reader
    (a tenth of the page's CPU, issue 15 item 1). Keyed by the report's text, the language and
    the generation of the consultation's contributions (``contributions.generations``: an edit,
    a moderation decision, a deletion bumps it), so that a change shows at once."""
    if workshop.status != Workshop.Status.CLOSED or not workshop.closing_report:
        return ""
    key = version_key(
        "workshop-report",
        _REPORT_TEMPLATE_VERSION,
        get_language(),
        workshop.pk,
        workshop.closing_report,
        *consultation_data_generation(workshop.meeting.consultation_id),
    )

    def render_report() -> str:
        report = selectors.workshop_report(workshop=workshop)
        if report is None:
            return ""
        return get_template(f"{WORKSHOP_PAGE}#report").render({"report": report}, request)

    html = cached_build(key, render_report, timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS))
    # Rendered by the template engine, which escaped what it was given; nothing of a reader.
    return mark_safe(html)  # noqa: S308


def _dimension_param(request: HttpRequest) -> str | None:
    value = request.GET.get("dimension", "")
    return value if value in Dimension.values else None


def _speaker_selected(form: ContributionForm) -> int | None:
    value = form["author"].value() if form.names_speaker else None
    if isinstance(value, Participant):
        return value.pk
    text = str(value) if isinstance(value, int | str) else ""
    # Only a plain id: "٣" or a 10,000-digit number names nobody.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def speaker_picker_context(
    request: HttpRequest, workshop: Workshop, form: ContributionForm | None = None
) -> dict[str, object]:
    """The facilitator's speaker picker: the first matches of ``?speaker_q=`` (people on the
    roster first) and, when a bound form named someone the search leaves out, them too."""
    # Only searched, never stored: control characters (NUL, which PostgreSQL refuses in a
    # text, and direction controls) are dropped rather than refused.
    raw = request.GET.get("speaker_q", "")[:SPEAKER_QUERY_MAX_LENGTH]
    query = "".join(ch for ch in clean_user_text(raw) if ch not in BIDI_CONTROLS)
    shown = workshop_speakers_search(workshop=workshop, query=query)
    selected = _speaker_selected(form) if form is not None else None
    if selected is not None and selected not in {p.pk for p in shown}:
        chosen = workshop_speakers_search(workshop=workshop, limit=1, only=selected)
        shown = chosen + shown
        if not chosen:
            selected = None  # not a speaker here: "not named" stays chosen, the error says why
    return {
        "speaker_q": query,
        "speaker_list": [
            {
                "pk": person.pk,
                "name": person.display_name,
                # Annotated by workshop_speakers: on the workshop's roster.
                "attends": bool(getattr(person, "attends", False)),
                "details": _speaker_details(person),
            }
            for person in shown
        ],
        "speaker_selected": selected,
        "speakers_more": len(shown) >= SPEAKERS_SHOWN,
    }


def _speaker_details(person: Participant) -> list[str]:
    """What tells two people of the same name apart: their organisations and actor types."""
    details = [organisation.name for organisation in person.organisations.all()]
    types = [organisation.actor_type.label for organisation in person.organisations.all()]
    if person.actor_type is not None:
        types.insert(0, person.actor_type.label)
    return details + list(dict.fromkeys(types))


def workshop_page_context(
    request: HttpRequest, workshop_id: int, *, form: ContributionForm | None = None
) -> dict[str, object]:
    """Everything the workshop page shows; the contribution and vote views reuse it to
    re-render the page (with a bound form) when JavaScript is off."""
    user = request.user
    workshop = workshop_get_for_user(workshop_id=workshop_id, user=user)
    dimension = _dimension_param(request)
    # The cards read the contributions' own rows (no joined row), counted by dimension and
    # sliced for the page in hand-written SQL (the ORM's build of the filters cost more).
    per_dimension = selectors.workshop_contributions_counted(workshop=workshop, user=user)
    # "٣" or "²" is refused (a translated 400), not read as 3; past the last: the last page.
    page_number = page_number_parse(request.GET.get("page"))
    paginator: Paginator[Contribution] = Paginator(
        _ContributionsSliced(workshop, user, dimension),  # type: ignore[arg-type]
        CONTRIBUTIONS_PER_PAGE,
    )
    # The count is the one just made by dimension (the same filters): no COUNT(*) again.
    paginator.count = per_dimension.get(dimension, 0) if dimension else sum(per_dimension.values())
    page = paginator.get_page(page_number)
    # A user without a linked Participant (staff, anonymous) has no votes to show.
    participant = getattr(user, "participant", None)
    may_vote = rules.can_vote(user, workshop)
    records_for_table = rules.can_record_for_others(user, workshop)
    may_contribute = records_for_table or rules.can_contribute(user, workshop)
    # The reader's votes and reports on the cards, their consent, the text in force: one query.
    marks = selectors.reader_marks(
        participant=participant,
        contribution_ids=[c.pk for c in page.object_list],
        votes=may_vote,
        flags=True,
        consent=may_contribute and not records_for_table,
    )
    votes = marks.votes
    consultation = workshop.meeting.consultation
    # No name on the page: a contribution shows its number and, where the public may read them,
    # its author's actor type and province; its own author sees that it is theirs.
    authors = selectors.contributions_authors_described(
        consultation=consultation,
        contributions=page.object_list,
        consent_text_in_force=[] if marks.consent_text_id is None else [marks.consent_text_id],
    )
    own_author_id = getattr(participant, "pk", None)
    rejections = selectors.contributions_rejections(contributions=page.object_list)
    flagged = marks.flagged
    roster = workshop_roster_by_actor_type(workshop=workshop)
    k = anonymity_k()
    # Only the facilitator's form names who is speaking.
    speakers = workshop_speakers(workshop=workshop) if records_for_table else None
    # A blank participant's form is the same for every reader: its HTML comes from the cache
    # (``contribution_form_cached``), and the form is built only when it renders it.
    form_blank = form is None and may_contribute and not records_for_table
    if form is None and may_contribute and not form_blank:
        form = ContributionForm(initial={"dimension": dimension}, speakers=speakers)
    filters = [
        {
            "value": value,
            "label": label,
            "count": per_dimension.get(value, 0),
            "current": value == dimension,
        }
        for value, label in Dimension.choices
    ]
    context: dict[str, object] = {
        "workshop": workshop,
        "meeting": workshop.meeting,
        "consultation": consultation,
        # Actor types of fewer than k people at the table are counted together, not named.
        "roster": [(t, n) for t, n in roster if n >= k],
        "roster_others": sum(n for _t, n in roster if n < k),
        "anonymity_k": k,
        "authors": authors,
        "own_author_id": own_author_id,
        "filters": filters,
        "dimension": dimension,
        "total_count": sum(per_dimension.values()),
        "page": page,
        "votes": votes,
        # Moderation: the reason an author (or a moderator) reads under a rejected item, the
        # items this participant reported, the report button and the queue's link.
        "cards": contribution_cards(
            page.object_list,
            own_author_id=own_author_id,
            authors=authors,
            rejections=rejections,
            flagged=flagged,
        ),
        "may_flag": rules.can_flag(user, workshop),
        # Translated once, not once per card's report form.
        "flag_reasons": [(value, str(label)) for value, label in ModerationReason.choices],
        "may_moderate": rules.can_moderate(user, workshop),
        # Voice notes: who plays them on the cards and transcribes them on their own page.
        "may_transcribe": (may_transcribe := rules.can_transcribe(user, workshop)),
        "voice_notes_awaiting": selectors.workshop_voice_notes_awaiting(workshop=workshop).count()
        if may_transcribe
        else 0,
        "may_vote": may_vote,
        "may_contribute": may_contribute,
        "records_for_table": records_for_table,
        # "Already said" suggestions under the text box (similar_views), participants only.
        "may_suggest": may_contribute and not records_for_table,
        **(speaker_picker_context(request, workshop, form) if records_for_table else {}),
        # Opening and closing the round table, and its report once closed.
        "may_open": consultation_rules.can_open_workshop(user, workshop),
        "may_close": consultation_rules.can_close_workshop(user, workshop),
        # Its HTML, the same for every reader, from the cache (``workshop_report_cached``).
        "report_html": workshop_report_cached(request, workshop),
        # Where to accept the participation terms, for a participant who has not yet.
        "needs_consent": may_contribute
        and not records_for_table
        and participant is not None
        and marks.consents is not True,
        # None for a blank participant's form, whose HTML is ``form_html``.
        "form": form,
        # The one token of the page's forms, cached parts and template alike.
        "csrf_token": response_token(request),
    }
    context["cards"] = cards_cached(request, context["cards"], context)  # type: ignore[arg-type]
    if form_blank:
        context["form_html"] = contribution_form_cached(request, context)
    context["head_html"] = workshop_head_html(request, context)
    context["filters_html"] = workshop_filters_html(request, context)
    return context


class _ContributionsSliced:
    """The page's slice of the contributions the reader may read (``Paginator`` slices it)."""

    def __init__(self, workshop: Workshop, user: Any, dimension: str | None) -> None:
        self.workshop, self.user, self.dimension = workshop, user, dimension

    def __getitem__(self, part: slice) -> list[Contribution]:
        offset = part.start or 0
        return selectors.workshop_contributions_slice(
            workshop=self.workshop,
            user=self.user,
            dimension=self.dimension,
            offset=offset,
            limit=part.stop - offset,
        )


@require_safe
def workshop_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    context = workshop_page_context(request, pk)
    template = WORKSHOP_PAGE
    if request.htmx and not request.htmx.history_restore_request:
        # Filter links and the pager swap only the list of contributions.
        template += "#contribution-list"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# -- writes from the workshop page ---------------------------------------------------------------


def _workshop_url(workshop_id: int, contribution_id: int | None = None) -> str:
    url = reverse("contributions:workshop", args=[workshop_id])
    return f"{url}#c-{contribution_id}" if contribution_id else url


# Fields that show their own errors; any other (the hidden idempotency key) shows above the form.
_VISIBLE_FIELDS = frozenset({"text", "dimension", "language", "author", "oral_consent", "audio"})


def _add_domain_error(form: ContributionForm, error: DomainError) -> None:
    form.add_error(error.field if error.field in _VISIBLE_FIELDS else None, error.message)


def _contribution_rate_message(limited: limits.Limited) -> str:
    return ngettext(
        "You are sending contributions too fast. Wait %(minutes)s minute, then send again: "
        "your text is still here.",
        "You are sending contributions too fast. Wait %(minutes)s minutes, then send again: "
        "your text is still here.",
        limited.minutes,
    ) % {"minutes": limited.minutes}


def _vote_rate_message(limited: limits.Limited) -> str:
    return ngettext(
        "You are voting too fast. Wait %(minutes)s minute, then vote again.",
        "You are voting too fast. Wait %(minutes)s minutes, then vote again.",
        limited.minutes,
    ) % {"minutes": limited.minutes}


def _retry_after(response: HttpResponse, limited: limits.Limited | None) -> None:
    if limited is not None:
        response["Retry-After"] = str(limited.retry_after)


def _oral_consent_given(form: ContributionForm) -> bool:
    """A facilitator who names the speaker confirms, by a tick, that they agreed aloud; the
    service records that consent. Without the tick, the form says so next to it."""
    if not form.names_speaker or form.cleaned_data.get("author") is None:
        return True
    if form.cleaned_data.get("oral_consent"):
        return True
    form.add_error(
        "oral_consent",
        gettext(
            "Tick the box once the speaker has agreed aloud to take part: without it, their "
            "words cannot be recorded under their name."
        ),
    )
    return False


def _recorded_message(contribution: Contribution, channel: str) -> str:
    """What a facilitator reads once it is stored: whom they recorded for (the public never
    reads the name; the facilitator chose it)."""
    author = contribution.author
    if author is None:
        message = gettext("Recorded for the round table, without naming the speaker.")
    else:
        message = gettext("Recorded for %(speaker)s.") % {"speaker": author.display_name}
    if not contribution.text:
        message += " " + gettext("Its voice note will be published once it is transcribed.")
    elif contribution.moderation_status == ModerationStatus.PENDING:
        message += " " + gettext("It will be published once a moderator has read it.")
    return message


class VoiceNoteLimit(FileUploadHandler):
    """Stops keeping an uploaded voice note as soon as it passes the size limit, before the
    rest of it is stored anywhere; the view then says it is too large."""

    exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.field_name == "audio" and start + len(raw_data) > voice_max_bytes():
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@csrf_exempt  # checked by _submit, once the size limit below is in place (Django's way)
@require_POST
@login_required
def submit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    limit = VoiceNoteLimit(request)
    request.upload_handlers.insert(0, limit)
    return _submit(request, pk, limit)


@csrf_protect
def _submit(request: HtmxHttpRequest, pk: int, limit: VoiceNoteLimit) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required
    workshop = workshop_get_for_user(workshop_id=pk, user=user)
    participant = getattr(user, "participant", None)
    speakers = None
    if rules.can_record_for_others(user, workshop):
        # The facilitator may name who is speaking; the form offers only those at the workshop.
        author, recorded_by, channel = None, user, Channel.FACILITATOR
        speakers = workshop_speakers(workshop=workshop)
    elif participant is not None and (
        rules.can_contribute(user, workshop) or workshop.status != Workshop.Status.OPEN
    ):
        # A workshop that is not open is refused by the service, whose translated message
        # tells the participant why; the rule alone would only give a bare 403.
        author, recorded_by, channel = participant, None, Channel.WEB
    else:
        raise PermissionDenied

    form = ContributionForm(request.POST, request.FILES, speakers=speakers)
    contribution, created = None, False
    # Counted per account (a workshop shares one address); a facilitator has a rate of their own.
    limited = limits.contribution_limited(request, recorded_for_others=recorded_by is not None)
    status = UNPROCESSABLE
    if limited is not None:
        form.add_error(None, _contribution_rate_message(limited))
        status = TOO_MANY_REQUESTS
    elif limit.exceeded:
        form.add_error("audio", voice_too_large_error().message)
    elif form.is_valid() and _oral_consent_given(form):
        if form.names_speaker:
            author = form.cleaned_data["author"]
        try:
            submission = contribution_submit(
                workshop=workshop,
                text=form.cleaned_data["text"],
                dimension=form.cleaned_data["dimension"],
                language=form.cleaned_data["language"] or None,
                channel=channel,
                author=author,
                recorded_by=recorded_by,
                idempotency_key=form.cleaned_data["idempotency_key"] or None,
                audio=form.cleaned_data.get("audio"),
            )
        except DomainError as error:
            _add_domain_error(form, error)
        else:
            contribution, created = submission.contribution, submission.created

    if contribution is None and not request.htmx:
        # Without JavaScript: the whole page again, with the errors next to the fields.
        context = workshop_page_context(request, pk, form=form)
        response = render(request, WORKSHOP_PAGE, context, status=status)
    elif contribution is None:
        context = {
            "workshop": workshop,
            "form": form,
            "records_for_table": channel == Channel.FACILITATOR,
            "may_suggest": channel == Channel.WEB,
            **(speaker_picker_context(request, workshop, form) if speakers is not None else {}),
        }
        response = render(request, f"{WORKSHOP_PAGE}#contribution-form", context, status=status)
    elif request.htmx:
        # A fresh form (new idempotency key) and, when something was stored, its card.
        fresh = None
        form_context: dict[str, object]
        if channel == Channel.WEB:
            # A participant's is the same for all but its tokens: from the cache.
            form_context = {"form_html": _created_form_cached(request, workshop, contribution)}
        else:
            fresh = ContributionForm(speakers=speakers)
            form_context = {
                "form": fresh,
                "records_for_table": True,
                "may_suggest": False,
                **(
                    speaker_picker_context(request, workshop, fresh) if speakers is not None else {}
                ),
                "recorded_message": _recorded_message(contribution, channel),
            }
        context = {
            "workshop": workshop,
            **form_context,
            "contribution": contribution,
            "created_card": contribution_cards(
                [contribution], own_author_id=getattr(participant, "pk", None)
            )[0],
            "own_author_id": getattr(participant, "pk", None),
            "created": created,
            "may_vote": rules.can_vote(user, workshop),
            "votes": {},
        }
        if created:
            context["created_card"] = _created_card_filled(request, context)
        response = render(request, f"{WORKSHOP_PAGE}#contribution-created", context)
    elif channel == Channel.FACILITATOR:
        messages.success(request, _recorded_message(contribution, channel))
        response = HttpResponseRedirect(_workshop_url(workshop.pk, contribution.pk))
    else:
        messages.success(
            request,
            gettext(
                "Thank you: your voice note is recorded. It will be published once it is "
                "transcribed."
            )
            if not contribution.text
            else gettext(
                "Thank you: your contribution is recorded. It will be published once a "
                "moderator has read it."
            )
            if contribution.moderation_status == ModerationStatus.PENDING
            else gettext("Thank you: your contribution is recorded."),
        )
        response = HttpResponseRedirect(_workshop_url(workshop.pk, contribution.pk))
    _retry_after(response, limited)
    patch_vary_headers(response, ["HX-Request"])
    return response


# What VoteForm accepts, as it reads it (its TypedChoiceField compares the text exactly).
_VOTE_VALUES = {str(value): int(value) for value in Vote.Value.values}


def _created_form_cached(
    request: HttpRequest, workshop: Workshop, contribution: Contribution
) -> str:
    """The fresh form a participant's stored contribution is answered with, its thanks above
    it, rendered once per process (``_page_fragments``): as the blank form of the page
    (``contribution_form_cached``), its HTML depends on the round table, the language and
    address prefix and the settings it shows, and here on which thanks it says (a voice note,
    a text awaiting moderation, a text published), not on the reader nor on what they wrote;
    no cache round trip (0.25 ms a contribution, issue 15 item 1). Its CSRF token and its new
    idempotency key are put in."""
    if not contribution.text:
        thanks = "voice"
    elif contribution.moderation_status == ModerationStatus.PENDING:
        thanks = "pending"
    else:
        thanks = "published"
    key = (
        "created-form",
        get_language(),
        get_script_prefix(),
        workshop.pk,
        thanks,
        int(settings.TASHAWUR_VOICE_MAX_SECONDS),
    )

    def render_form() -> str:
        context = {
            "workshop": workshop,
            "form": ContributionForm(initial={"idempotency_key": _IDEMPOTENCY_PLACEHOLDER}),
            "records_for_table": False,
            "may_suggest": True,
            "recorded_message": None,
            "contribution": contribution,
            "created": True,  # any but None: the thanks is shown
        }
        html = get_template(f"{WORKSHOP_PAGE}#contribution-form").render(context, request)
        return _CSRF_INPUT.sub(rf"\g<1>{_CSRF_PLACEHOLDER}\g<2>", html)

    html = _page_fragments.html(key, render_form)
    # Rendered by the template engine (escaped); the token and the key are the reader's own.
    return mark_safe(  # noqa: S308
        html.replace(_CSRF_PLACEHOLDER, response_token(request)).replace(
            _IDEMPOTENCY_PLACEHOLDER, new_idempotency_key()
        )
    )


# The card of a contribution just stored as rendered for a stand-in (``_created_card_filled``).
_STAND_IN_TEXT = "tashawurstandintext"
_STAND_IN_CREATED = datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)
_card_skeletons: dict[tuple[object, ...], tuple[str, str, str]] = {}


def _created_card_filled(request: HttpRequest, context: Mapping[str, object]) -> ContributionCard:
    """The card of the contribution just stored (``created_card``) with its HTML, put together
    from a skeleton: the card rendered once per process for a stand-in of the same kind (its
    language, dimension, channel, status, whether it has a text, a voice note, an author; what
    the reader may do with it), its number, counters, time and text then put in (the template
    cost 2 ms a contribution, issue 15 item 1). Escaped as the template escapes them; the card
    unchanged (rendered by the template) under DEBUG, or for a text that the template's
    ``{% spaceless %}`` could touch (nothing but spaces)."""
    card: ContributionCard = context["created_card"]  # type: ignore[assignment]
    c = card.contribution
    workshop: Workshop = context["workshop"]  # type: ignore[assignment]
    if settings.DEBUG or (c.text and not c.text.strip()) or card.who or card.rejection:
        return card
    key = (
        get_language(),
        get_script_prefix(),
        c.language,
        c.dimension,
        c.channel,
        c.moderation_status,
        bool(c.text),
        bool(c.audio),
        c.author_id is None,
        card.own,
        card.flagged,
        context["may_vote"],
        workshop.status,
        request.user.is_authenticated,
    )
    skeleton = _card_skeletons.get(key)
    if skeleton is None:
        stand_in = Contribution(
            pk=_SKELETON_PK,
            workshop_id=c.workshop_id,
            text=_STAND_IN_TEXT if c.text else "",
            language=c.language,
            dimension=c.dimension,
            channel=c.channel,
            moderation_status=c.moderation_status,
            author_id=c.author_id,
            audio=c.audio.name if c.audio else "",
            agree_count=_SKELETON_COUNTS[0],
            disagree_count=_SKELETON_COUNTS[1],
            pass_count=_SKELETON_COUNTS[2],
            created_at=_STAND_IN_CREATED,
        )
        stand_in_card = replace(card, contribution=stand_in)
        html = get_template(f"{WORKSHOP_PAGE}#card").render(
            {**context, "card": stand_in_card}, request
        )
        html = _CSRF_INPUT.sub(rf"\g<1>{_CSRF_PLACEHOLDER}\g<2>", html)
        skeleton = _card_skeletons[key] = (
            html,
            stand_in_card.created_iso,
            stand_in_card.created_shown,
        )
    html, stand_in_iso, stand_in_shown = skeleton
    html = html.replace(stand_in_iso, card.created_iso).replace(stand_in_shown, card.created_shown)
    html = _stand_ins_filled(request, html, (c.pk, c.agree_count, c.disagree_count, c.pass_count))
    # The text last: nothing in it is taken for a stand-in.
    html = html.replace(_STAND_IN_TEXT, conditional_escape(c.text))
    # Rendered by the template engine; the text escaped as {{ c.text }} escapes it.
    return replace(card, html=mark_safe(html))  # noqa: S308


@require_POST
@login_required
def vote(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    # Counted before anything is read (a refused or unknown statement counts too).
    limited = limits.vote_limited(request)
    value = _VOTE_VALUES.get(request.POST.get("value"))  # type: ignore[arg-type]
    if limited is None and value is not None:
        # The common case in two statements; any other (a refusal, a draft, a moderator's
        # vote on an unpublished statement, a value VoteForm refuses…) takes the full path,
        # whose rules and form answer it.
        quick = vote_cast_quick(contribution_id=pk, user=request.user, value=value)
        if quick is not None:
            return _vote_answer(request, quick)
    return _vote_full(request, pk, VoteForm(request.POST), limited)


# The vote form of a statement (the ``vote`` partial) as rendered for a statement of this pk
# and these counters, whose numbers are put in its place (``_vote_form_html``).
_SKELETON_PK = 987654321987
_SKELETON_COUNTS = (987654321901, 987654321902, 987654321903)
_vote_skeletons: dict[tuple[str, str, int], str] = {}


def _vote_form_html(request: HttpRequest, ballot: QuickBallot) -> str:
    """The ``vote`` partial for the ballot just cast, as the template writes it: rendered once
    per process for each language, address prefix and vote with stand-in numbers (and the
    CSRF token as a placeholder), then the statement's own put in (the template cost about
    1 ms a vote, issue 15 item 1). Nothing in it is the reader's but their vote, a key of the
    skeleton, and their CSRF token. Rendered every time under DEBUG (templates reloaded)."""
    key = (get_language(), get_script_prefix(), ballot.value)
    skeleton = None if settings.DEBUG else _vote_skeletons.get(key)
    if skeleton is None:
        stand_in = {
            "pk": _SKELETON_PK,
            "agree_count": _SKELETON_COUNTS[0],
            "disagree_count": _SKELETON_COUNTS[1],
            "pass_count": _SKELETON_COUNTS[2],
        }
        html = get_template(f"{WORKSHOP_PAGE}#vote").render(
            {
                "c": stand_in,
                "card": {"urls": {"vote": reverse("contributions:vote", args=[_SKELETON_PK])}},
                "votes": {_SKELETON_PK: ballot.value},
                "vote_error": None,
            },
            request,
        )
        skeleton = _CSRF_INPUT.sub(rf"\g<1>{_CSRF_PLACEHOLDER}\g<2>", html)
        _vote_skeletons[key] = skeleton
    return _stand_ins_filled(
        request,
        skeleton,
        (ballot.pk, ballot.agree_count, ballot.disagree_count, ballot.pass_count),
    )


def _stand_ins_filled(request: HttpRequest, html: str, numbers: tuple[int, int, int, int]) -> str:
    """A skeleton's stand-in pk and counters replaced by ``numbers`` (pk, agree, disagree,
    pass), as the template writes a number (``{{ }}`` localises it: no change without a
    thousand separator), then the pk in the addresses, and its CSRF placeholder by the reader's
    token."""
    grouped = bool(settings.USE_THOUSAND_SEPARATOR)
    for stand_in_number, number in zip((_SKELETON_PK, *_SKELETON_COUNTS), numbers, strict=True):
        if grouped:
            html = html.replace(
                str(formats.localize(stand_in_number)), str(formats.localize(number))
            )
        else:
            html = html.replace(str(stand_in_number), str(number))
    html = html.replace(str(_SKELETON_PK), str(numbers[0]))
    return html.replace(_CSRF_PLACEHOLDER, response_token(request))


def _vote_answer(request: HtmxHttpRequest, ballot: QuickBallot) -> HttpResponse:
    response: HttpResponse
    if request.htmx:
        response = HttpResponse(_vote_form_html(request, ballot))
    else:
        response = HttpResponseRedirect(_workshop_url(ballot.workshop_id, ballot.pk))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _vote_full(
    request: HtmxHttpRequest, pk: int, form: VoteForm, limited: limits.Limited | None
) -> HttpResponse:
    user = request.user
    contribution = selectors.contribution_get_for_user(contribution_id=pk, user=user)
    workshop = contribution.workshop
    if workshop is None:
        raise Http404
    participant = getattr(user, "participant", None)
    if participant is None:
        raise PermissionDenied
    if not rules.can_vote(user, workshop) and workshop.status == Workshop.Status.OPEN:
        raise PermissionDenied

    error = None
    ballot = None
    if limited is not None:
        error = _vote_rate_message(limited)
    elif form.is_valid():
        try:
            ballot = vote_cast(
                contribution=contribution, participant=participant, value=form.cleaned_data["value"]
            )
        except DomainError as domain_error:
            error = domain_error.message
    else:
        error = str(form.errors["value"][0])

    if not request.htmx and limited is not None:
        # Without JavaScript: the page itself says why, with the status a client can act on.
        messages.error(request, _vote_rate_message(limited))
        context = workshop_page_context(request, workshop.pk)
        response: HttpResponse = render(request, WORKSHOP_PAGE, context, status=TOO_MANY_REQUESTS)
    elif not request.htmx:
        if error:
            messages.error(request, error)
        response = HttpResponseRedirect(_workshop_url(workshop.pk, contribution.pk))
    else:
        if ballot is None:
            # Refused: the counters as they are now (a cast vote left them on ``contribution``).
            contribution.refresh_from_db(fields=["agree_count", "disagree_count", "pass_count"])
        context = {
            "c": contribution,
            # The partial reads its form's address from its card.
            "card": {"urls": {"vote": reverse("contributions:vote", args=[contribution.pk])}},
            "workshop": workshop,
            "may_vote": True,
            # The vote just cast is the reader's vote: no need to read it back.
            "votes": {contribution.pk: ballot.vote.value}
            if ballot is not None
            else selectors.participant_votes_on(
                participant=participant, contributions=[contribution]
            ),
            "vote_error": error,
        }
        status = TOO_MANY_REQUESTS if limited else UNPROCESSABLE if error else 200
        response = render(request, f"{WORKSHOP_PAGE}#vote", context, status=status)
    _retry_after(response, limited)
    patch_vary_headers(response, ["HX-Request"])
    return response
