"""No 5xx from input: every route of the URLconf, as every role, with valid and hostile path
parameters, query parameters and form fields (Arabic-Indic, superscript and full-width digits,
numbers of 10,000 digits or beyond 64 bits, NUL, bidi controls, huge and empty strings).

Production's answer to an error is what is checked: DEBUG off and the test client's
``raise_request_exception`` off, so that an unhandled exception is seen as the 500 it would be.
A route added to the URLconf without a line in ``PATH_VALUES`` fails
`test_every_route_is_covered`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tashawur.consultations.models import Consultation
from tashawur.contributions.forms import (
    ContributionForm,
    FlagForm,
    ModerationForm,
    TranscriptionForm,
    VoteForm,
    WorkshopCloseForm,
)
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.diagnosis.forms import (
    DiagnosisEntryForm,
    DiagnosisEntryMoveForm,
    FindingMergeForm,
    FindingRenameForm,
    FindingSplitForm,
    FindingStatusForm,
)
from tashawur.diagnosis.models import DiagnosisEntry, Finding, FindingContribution
from tashawur.diagnosis.services import diagnosis_entry_create
from tashawur.programmes.models import Measure, Programme
from tashawur.web.forms import ConsentForm, ErasureForm, SignUpForm
from tashawur.web.workspace_forms import (
    AgendaItemForm,
    ConsultationForm,
    InvitationForm,
    MeetingForm,
    WorkshopForm,
)
from tests.programmes.factories import MeasureFactory, finding_make

from .world import World, build_world

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

#: What people and attackers type where a number, a slug or a text is expected.
HOSTILE = [
    "٣",  # Arabic-Indic three: int() reads it as 3
    "۳",  # Extended Arabic-Indic (Persian) three
    "²",  # superscript two: isdigit() is true, int() fails
    "３",  # full-width three
    "𝟙",  # mathematical bold one
    "1²",
    "0",
    "-1",
    "+1",
    " 1 ",
    "1.5",
    "1e400",
    "NaN",
    "9223372036854775807",  # the largest BigAutoField
    "9223372036854775808",  # one past it
    "9" * 25,
    "1" * 10_000,
    "\x00",
    "1\x00",
    "\u202e1\u202c",  # right-to-left override
    "\u2066x\u2069",
    "",
    " ",
    "[]",
    "{}",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "ب" * 20_000,
    "x" * 100_000,
]
#: A body far over DATA_UPLOAD_MAX_MEMORY_SIZE: a megabyte of Arabic (two megabytes in UTF-8).
HUGE = "ب" * 1_000_000

#: Values for a path parameter that the route's pattern may or may not accept.
HOSTILE_PATH = ["٣", "²", "0", "9223372036854775808", "1" * 5_000, "x" * 3_000]


def _form_fields() -> set[str]:
    forms: list[Any] = [
        ContributionForm(speakers=Consultation.objects.none()),  # with its "author" field
        WorkshopCloseForm(),
        TranscriptionForm(),
        VoteForm(),
        FlagForm(),
        ModerationForm(),
        FindingRenameForm(),
        FindingStatusForm(),
        FindingMergeForm(),
        FindingSplitForm(),
        DiagnosisEntryForm(),
        DiagnosisEntryMoveForm(),
        AuthenticationForm(),
        SignUpForm(),
        ConsentForm(),
        ErasureForm(),
        PasswordResetForm(),
        SetPasswordForm(None),
        ConsultationForm(),
        WorkshopForm(),
    ]
    # The workspace's meeting and invitation forms take their consultation; their agenda rows
    # are a formset (its management fields and a row's fields); an invitation is withdrawn by id.
    workspace = {
        *MeetingForm.base_fields,
        *InvitationForm.base_fields,
        *(f"agenda-{name}" for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MAX_NUM_FORMS")),
        *(f"agenda-0-{name}" for name in [*AgendaItemForm.base_fields, "DELETE"]),
        "withdraw",
    }
    return {name for form in forms for name in form.fields} | workspace


#: Every form field of the site's forms, and the query parameters its views read.
QUERY_PARAMETERS = {
    "page",
    "dimension",
    "next",
    "language",
    "hx-request",
    "workshop",
    "status",
    "speaker_q",
    "contribution",  # the voice note a transcription is for
}


@dataclass
class Site:
    world: World
    finding: Finding
    entry: DiagnosisEntry
    programme: Programme
    measure: Measure
    users: dict[str, User | None]


def _user(username: str, role: str, **extra: Any) -> User:
    return User.objects.create_user(username=username, password="x-pass-1", role=role, **extra)


def site_build() -> Site:
    world = build_world()
    consultation = world.consultation
    finding = finding_make(consultation, label_ar="الولوج إلى علامات الجودة")
    finding_make(consultation, label_ar="التسويق")
    for contribution in (world.challenge, world.tifinagh, world.proposal):
        FindingContribution.objects.create(
            run=finding.run, finding=finding, contribution=contribution
        )
    rapporteur = _user("rapporteur", Role.RAPPORTEUR)
    world.workshop.rapporteur = rapporteur
    world.workshop.save()
    analyst = _user("analyst", Role.ANALYST)
    if hasattr(consultation, "analysts"):
        consultation.analysts.add(analyst)
    regional = _user("regional", Role.REGIONAL_COORDINATOR)
    consultation.coordinators.add(regional)
    national = User.objects.create_superuser(
        "national", password="x-pass-1", role=Role.NATIONAL_COORDINATOR
    )
    entry = diagnosis_entry_create(
        consultation=consultation,
        user=national,
        dimension="challenge",
        statement_ar="كلفة الشهادة",
        contribution_ids=[world.proposal.pk],
    )
    measure = MeasureFactory(
        programme__consultation=consultation, code="1", budget=Decimal("1000.00")
    )
    MeasureFactory(programme=measure.programme, code="2", budget=Decimal("500.00"))
    return Site(
        world=world,
        finding=finding,
        entry=entry,
        programme=measure.programme,
        measure=measure,
        users={
            "anonymous": None,
            "participant": world.participant_user,
            "facilitator": world.facilitator,
            "rapporteur": rapporteur,
            "analyst": analyst,
            "regional_coordinator": regional,
            "national_coordinator": national,
        },
    )


ROLES = [
    "anonymous",
    "participant",
    "facilitator",
    "rapporteur",
    "analyst",
    "regional_coordinator",
    "national_coordinator",
]


def _consultation(site: Site) -> str:
    return site.world.consultation.slug


#: A valid value for each path parameter of each route (routes without parameters: {}).
PATH_VALUES: dict[str, dict[str, Callable[[Site], Any]]] = {
    "set_language": {},
    "api:consultations": {},
    "api:openapi": {},
    "api:open-data": {"slug": _consultation},
    "api:contributions": {"slug": _consultation},
    "api:strategy-rollup": {"slug": lambda s: s.world.consultation.strategy.slug},
    "api:inbound": {"gateway": lambda s: "twilio"},
    "api:workshop-contributions": {"pk": lambda s: s.world.workshop.pk},
    "api:workshop-imports": {"pk": lambda s: s.world.workshop.pk},
    "api:import": {"pk": lambda s: 1},
    "api:contribution-votes": {"pk": lambda s: s.world.proposal.pk},
    "core:login": {},
    "core:logout": {},
    "web:home": {},
    "web:consultation": {"slug": _consultation},
    "web:meeting": {"slug": lambda s: s.world.meeting.slug},
    "web:meeting_register": {"slug": lambda s: s.world.meeting.slug},
    "web:meeting_badge": {"slug": lambda s: s.world.meeting.slug},
    "web:meeting_checkin": {"slug": lambda s: s.world.meeting.slug},
    "web:meeting_attendance_xlsx": {"slug": lambda s: s.world.meeting.slug},
    "web:meeting_attendance_pdf": {"slug": lambda s: s.world.meeting.slug},
    "web:my_data": {},
    "web:signup": {},
    "web:me": {},
    "web:contribution": {"pk": lambda s: s.world.proposal.pk},
    "web:strategy": {"slug": lambda s: s.world.consultation.strategy.slug},
    "web:strategy_compare": {"slug": lambda s: s.world.consultation.strategy.slug},
    "web:strategy_pdf": {"slug": lambda s: s.world.consultation.strategy.slug},
    "web:strategy_rollup_run": {"slug": lambda s: s.world.consultation.strategy.slug},
    "web:me_consent": {},
    "web:me_erase": {},
    "web:me_tokens": {},
    "core:password_reset": {},
    "core:password_reset_done": {},
    "core:password_reset_confirm": {"uidb64": lambda s: "MQ", "token": lambda s: "set-password"},
    "core:password_reset_complete": {},
    "web:my_data_json": {},
    "web:my_data_csv": {},
    "contributions:workshop": {"pk": lambda s: s.world.workshop.pk},
    "contributions:submit": {"pk": lambda s: s.world.workshop.pk},
    "contributions:workshop_open": {"pk": lambda s: s.world.workshop.pk},
    "contributions:workshop_close": {"pk": lambda s: s.world.workshop.pk},
    "contributions:workshop_speakers": {"pk": lambda s: s.world.workshop.pk},
    "contributions:similar": {"pk": lambda s: s.world.workshop.pk},
    "contributions:workshop_import": {"pk": lambda s: s.world.workshop.pk},
    "contributions:workshop_import_status": {
        "pk": lambda s: s.world.workshop.pk,
        "import_id": lambda s: 1,
    },
    "contributions:workshop_import_template": {"pk": lambda s: s.world.workshop.pk},
    "contributions:voice_notes": {"pk": lambda s: s.world.workshop.pk},
    "contributions:audio": {"pk": lambda s: s.world.proposal.pk},
    "contributions:vote": {"pk": lambda s: s.world.proposal.pk},
    "contributions:capture": {},
    "contributions:capture_workshop": {"pk": lambda s: s.world.workshop.pk},
    "contributions:capture_sw": {},
    "contributions:capture_manifest": {},
    "contributions:flag": {"pk": lambda s: s.world.proposal.pk},
    "contributions:moderation": {"slug": _consultation},
    "contributions:moderate": {"slug": _consultation, "pk": lambda s: s.world.challenge.pk},
    "diagnosis:consultation": {"slug": _consultation},
    "diagnosis:run": {"slug": _consultation},
    "diagnosis:finding": {"slug": _consultation, "pk": lambda s: s.finding.pk},
    "diagnosis:finding_rename": {"slug": _consultation, "pk": lambda s: s.finding.pk},
    "diagnosis:finding_status": {"slug": _consultation, "pk": lambda s: s.finding.pk},
    "diagnosis:finding_merge": {"slug": _consultation, "pk": lambda s: s.finding.pk},
    "diagnosis:finding_split": {"slug": _consultation, "pk": lambda s: s.finding.pk},
    # No decision is open in this site: any id reaches the view, which answers 404.
    "diagnosis:carry_over_decide": {"slug": _consultation, "pk": lambda s: s.finding.pk},
    "diagnosis:published": {"slug": _consultation},
    "diagnosis:published_pdf": {"slug": _consultation},
    "diagnosis:findings_export": {"slug": _consultation},
    "diagnosis:breakdowns_export": {"slug": _consultation},
    "diagnosis:editor": {"slug": _consultation},
    "diagnosis:entry_create": {"slug": _consultation},
    "diagnosis:entry_edit": {"slug": _consultation, "pk": lambda s: s.entry.pk},
    "diagnosis:entry_update": {"slug": _consultation, "pk": lambda s: s.entry.pk},
    "diagnosis:entry_move": {"slug": _consultation, "pk": lambda s: s.entry.pk},
    "diagnosis:entry_delete": {"slug": _consultation, "pk": lambda s: s.entry.pk},
    "diagnosis:propose": {"slug": _consultation},
    "diagnosis:publish": {"slug": _consultation},
    "programmes:programme": {"slug": _consultation},
    "programmes:programme_pdf": {"slug": _consultation},
    "programmes:edit": {"slug": _consultation},
    "programmes:edit_adopt": {"slug": _consultation},
    "programmes:edit_measure_new": {"slug": _consultation},
    "programmes:edit_measure": {"slug": _consultation, "measure_id": lambda s: s.measure.pk},
    "programmes:edit_measure_move": {"slug": _consultation, "measure_id": lambda s: s.measure.pk},
    "programmes:edit_measure_delete": {"slug": _consultation, "measure_id": lambda s: s.measure.pk},
    "programmes:edit_funding": {"slug": _consultation, "measure_id": lambda s: s.measure.pk},
    "programmes:edit_findings": {"slug": _consultation, "measure_id": lambda s: s.measure.pk},
    "programmes:edit_indicator_new": {"slug": _consultation, "measure_id": lambda s: s.measure.pk},
    "programmes:edit_progress": {"slug": _consultation, "measure_id": lambda s: s.measure.pk},
    "programmes:edit_indicator": {"slug": _consultation, "indicator_id": lambda s: 1},
    "programmes:edit_indicator_value": {"slug": _consultation, "indicator_id": lambda s: 1},
    "programmes:evidence": {"slug": _consultation, "update_id": lambda s: 1},
    "programmes:measures_export": {"slug": _consultation},
    "programmes:measures_export_csv": {"slug": _consultation},
    "programmes:measures_template": {"slug": _consultation},
    "programmes:measures_import": {"slug": _consultation},
    "web:manage": {},
    "web:manage_tokens": {},
    "web:manage_consultation_new": {},
    "web:manage_consultation": {"slug": _consultation},
    "web:manage_meeting_new": {"slug": _consultation},
    "web:manage_invitations": {"slug": _consultation},
    "web:manage_meeting": {"slug": lambda s: s.world.meeting.slug},
    "web:manage_workshop_new": {"slug": lambda s: s.world.meeting.slug},
    "web:manage_workshop": {"pk": lambda s: s.world.workshop.pk},
    "web:invitation": {"token": lambda s: "no-such-invitation"},
}


def _patterns(
    resolvers: list[URLPattern | URLResolver], namespace: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    """Every named route of the URLconf with its namespaced name."""
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, inner)
        elif entry.name:
            yield f"{namespace}{entry.name}", entry


def site_routes() -> set[str]:
    """The URLconf's named routes, the admin's aside (`test_admin_sample_…`)."""
    return {name for name, _p in _patterns(get_resolver().url_patterns)} - admin_routes()


def admin_routes() -> set[str]:
    return {
        name for name, _p in _patterns(get_resolver().url_patterns) if name.startswith("admin:")
    }


def test_every_route_is_covered() -> None:
    assert site_routes() == set(PATH_VALUES)
    assert admin_routes()  # the admin is sampled on its own


def test_every_path_parameter_has_a_value() -> None:
    for name, pattern in _patterns(get_resolver().url_patterns):
        if name in PATH_VALUES:
            assert set(pattern.pattern.converters) == set(PATH_VALUES[name]), name


def _url(site: Site, name: str, hostile: tuple[str, str] | None = None) -> str:
    kwargs = {param: value(site) for param, value in PATH_VALUES[name].items()}
    if hostile is None:
        return reverse(name, kwargs=kwargs)
    # Reverse with a marker, then put the hostile value where the marker is: reverse() would
    # refuse a value that does not match the route.
    param, value = hostile
    marker = "7777777" if param == "pk" or param.endswith("_id") else "marker-slug"
    url = reverse(name, kwargs={**kwargs, param: marker})
    return url.replace(marker, quote(value, safe=""), 1)


def _client(site: Site, role: str) -> Client:
    client = Client(raise_request_exception=False)
    user = site.users[role]
    if user is not None:
        client.force_login(user, backend=MODEL_BACKEND)
    return client


#: The longest value sent in a query string: a server in front (gunicorn: 4,094 bytes a request
#: line) refuses longer addresses before Django sees them; bodies carry the huge values.
QUERY_VALUE_MAX = 10_000


def _send(client: Client, method: str, url: str, data: dict[str, Any], **extra: Any) -> int:
    if method == "GET":
        query = {k: v for k, v in data.items() if len(v) <= QUERY_VALUE_MAX}
        response = client.get(url, query, **extra)
    elif method == "POST-urlencoded":
        response = client.post(
            url,
            urlencode(data, doseq=True),
            content_type="application/x-www-form-urlencoded",
            **extra,
        )
    else:
        response = client.post(url, data, **extra)
    return response.status_code


def production_errors(settings: Any) -> None:
    """Production's error handling, limits off (a 429 would hide the view behind it) and the
    fast lexical embedder for a synthesis run that a coordinator's POST may start."""
    settings.DEBUG = False
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "lexical"
    for name in (
        "TASHAWUR_RATE_CONTRIBUTIONS",
        "TASHAWUR_RATE_CONTRIBUTIONS_RECORDED",
        "TASHAWUR_RATE_VOTES",
        "TASHAWUR_RATE_FLAGS",
        "TASHAWUR_RATE_SIMILAR",
        "TASHAWUR_RATE_DOWNLOADS",
        "TASHAWUR_RATE_ACCOUNTS",
    ):
        setattr(settings, name, None)


@pytest.fixture
def site(db: object, settings: Any) -> Site:
    production_errors(settings)
    return site_build()


def _fields() -> list[str]:
    return sorted(_form_fields() | QUERY_PARAMETERS)


#: One value of each kind, sent in every field at once to every route that takes the method.
KEY_VALUES = ["٣", "²", "1" * 10_000, "\x00\u202e1\u202c"]
#: Roles that get the key values too (the others, one request per route and method): the widest
#: access, and the roles that write contributions and votes.
KEY_ROLES = {"anonymous", "participant", "facilitator", "national_coordinator"}
#: Routes whose success would take away another route's object, or sign the user out: swept
#: last.
DESTRUCTIVE = {
    "diagnosis:entry_delete",
    "core:logout",
    "web:me_erase",
    "contributions:workshop_close",  # a closed round table takes no more contributions
}


def _sweep_order() -> list[str]:
    return sorted(PATH_VALUES, key=lambda name: (name in DESTRUCTIVE, name))


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_every_role_without_a_server_error(site: Site, role: str) -> None:
    """Each route, GET and POST (multipart and url-encoded), with every field set to a hostile
    value (a different one per field and request); for the key roles, then every field set to
    each key value; then, for the national coordinator, each path parameter replaced by each
    hostile value."""
    client = _client(site, role)
    fields = _fields()
    failures = []
    turn = 0

    def send(method: str, url: str, data: dict[str, Any]) -> int:
        status = _send(client, method, url, data)
        if status >= 500:
            failures.append((role, method, url[:80], status, sorted(data.items())[:2]))
        return status

    for name in _sweep_order():
        url = _url(site, name)
        for method in ("GET", "POST", "POST-urlencoded"):
            data = {field: HOSTILE[(turn + i) % len(HOSTILE)] for i, field in enumerate(fields)}
            turn += 1
            status = send(method, url, data)
            if status != 405 and method != "POST-urlencoded" and role in KEY_ROLES:
                for value in KEY_VALUES:
                    send(method, url, dict.fromkeys(fields, value))
        if role == "national_coordinator":  # the role that reaches furthest into every view
            for param in PATH_VALUES[name]:
                for value in HOSTILE_PATH:
                    send("GET", _url(site, name, (param, value)), {})
    assert failures == []


@pytest.mark.parametrize("name", ["contributions:submit", "diagnosis:entry_create"])
@pytest.mark.parametrize("text", [HUGE, "x" * 1_000_000], ids=["arabic", "ascii"])
def test_a_megabyte_of_text_gets_the_translated_too_long_page(
    site: Site, name: str, text: str
) -> None:
    client = _client(
        site, "facilitator" if name == "contributions:submit" else "national_coordinator"
    )
    response = client.post(
        _url(site, name), {"text": text, "statement_ar": text, "dimension": "challenge"}
    )
    assert response.status_code == 413
    assert "ما أرسلته طويل جدًا" in response.content.decode()


def test_a_megabyte_posted_to_the_api_gets_its_json_error(site: Site) -> None:
    # The API only reads: it refuses the method without reading the body.
    client = _client(site, "anonymous")
    response = client.post(reverse("api:consultations"), {"q": HUGE}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"


text_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers().map(str),
    st.lists(st.sampled_from(HOSTILE[:20]), max_size=3),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_input_to_any_route_as_any_role_is_never_a_server_error(
    site: Site, data: st.DataObject
) -> None:
    role = data.draw(st.sampled_from(ROLES), label="role")
    name = data.draw(st.sampled_from(sorted(PATH_VALUES)), label="route")
    method = data.draw(st.sampled_from(["GET", "POST", "POST-urlencoded"]), label="method")
    params = data.draw(
        st.dictionaries(st.sampled_from(_fields()), text_values, max_size=6), label="params"
    )
    hostile_path = None
    if PATH_VALUES[name] and data.draw(st.booleans(), label="hostile path"):
        param = data.draw(st.sampled_from(sorted(PATH_VALUES[name])), label="param")
        hostile_path = (param, data.draw(st.sampled_from(HOSTILE_PATH), label="value"))
    htmx = {"HTTP_HX_REQUEST": "true"} if data.draw(st.booleans(), label="htmx") else {}
    status = _send(_client(site, role), method, _url(site, name, hostile_path), params, **htmx)
    assert status < 500


ADMIN_PARAMETERS = ["q", "o", "p", "e", "all", "id__exact", "pk__in", "_changelist_filters"]


def test_admin_sample_answers_the_superuser_without_a_server_error(site: Site) -> None:
    """Each model's list with hostile filters, ordering and page, and its change page with a
    hostile id (the admin is Django's own: a sample, as the superuser)."""
    client = _client(site, "national_coordinator")
    failures = []
    changelists = sorted(name for name in admin_routes() if name.endswith("_changelist"))
    assert changelists
    for turn, name in enumerate(changelists):
        url = reverse(name)
        params = {p: HOSTILE[(turn + i) % len(HOSTILE)] for i, p in enumerate(ADMIN_PARAMETERS)}
        status = _send(client, "GET", url, params)
        if status >= 500:
            failures.append((name, status, params))
        for value in ("٣", "²", "9" * 25, "\x00"):
            change = f"{url}{quote(value, safe='')}/change/"
            status = _send(client, "GET", change, {})
            if status >= 500:
                failures.append((change[:80], status))
    assert failures == []


def test_a_superscript_measure_code_does_not_break_the_programme_page(site: Site) -> None:
    # A code written before the check, or by a raw write: the page and the PDF still answer.
    Measure.objects.filter(pk=site.measure.pk).update(code="2.²")
    client = _client(site, "national_coordinator")  # may read the draft programme
    page = client.get(_url(site, "programmes:programme"))
    assert page.status_code == 200
    assert "2.²" in page.content.decode()
    assert client.get(_url(site, "programmes:programme_pdf")).status_code == 200
