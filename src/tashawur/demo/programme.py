"""The demo's regional action programme (``data/programme.yaml``) and its links to the diagnosis.

``demo_programme_sync()`` builds the programme through the programmes services, inside the
loader's transaction, and is idempotent: rows are found again by natural keys (the programme by
its consultation, measures by code, indicators by French name, progress updates by their
idempotency key ``demo-programme-<code>-<date>``), and a service is called only for what is
missing or different. Where the services offer no write, the demo writes the row itself, and
says so: a measure's status, the adoption date (2019, not the day of loading) and, once a
synthesis run has succeeded, the findings a measure cites.

``demo_programme_link_findings()`` links each leaf measure to the findings of a run that are
mostly about the ideas it answers (``ideas`` in programme.yaml, ``idea`` in contributions.yaml;
``demo.ideas`` reads them against the findings).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from django.db import transaction

from tashawur.actors.models import Organisation
from tashawur.consultations.models import Consultation
from tashawur.contributions.generations import consultation_pages_changed
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.demo.files import DemoDataError, default_data_dir, read_yaml
from tashawur.demo.ideas import MIN_SHARE, demo_findings_ideas
from tashawur.diagnosis.models import SynthesisRun
from tashawur.programmes.models import FundingLine, Indicator, Measure, Programme
from tashawur.programmes.services import (
    indicator_add,
    measure_add,
    measure_placement_check,
    measure_set_funding,
    measure_update,
    programme_adopt,
    programme_create,
    progress_record,
)

PROGRAMME_FILE = "programme.yaml"
UPDATE_KEY_PREFIX = "demo-programme-"


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _parent_code(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def _organisation(organisations: Mapping[str, Organisation], key: str, where: str) -> Organisation:
    try:
        return organisations[key]
    except KeyError:
        raise DemoDataError(f"{where}: unknown organisation {key!r}") from None


def demo_programme_sync(
    data: dict[str, Any],
    *,
    consultation: Consultation,
    organisations: Mapping[str, Organisation],
    ideas: Mapping[str, list[str]],
    recorded_by: User,
) -> tuple[Programme, int]:
    """Create what is missing of the programme; returns it and its number of measures.

    Call inside a transaction (``demo_load``'s): a service refusing a row raises
    ``DemoDataError`` naming the measure, and everything is rolled back.
    """
    info = data["programme"]
    programme = Programme.objects.filter(consultation=consultation).first()
    if programme is None:
        programme = _call(
            "programme",
            programme_create,
            consultation=consultation,
            title_ar=info["title_ar"],
            title_fr=info["title_fr"],
            starts_on=_date(info["starts_on"]),
            ends_on=_date(info["ends_on"]),
        )
    rows = sorted(data["measures"], key=lambda row: str(row["code"]).count("."))
    measures = {m.code: m for m in Measure.objects.filter(programme=programme)}
    for row in rows:
        code = str(row["code"])
        where = f"{PROGRAMME_FILE} {code}"
        unknown = [idea for idea in row.get("ideas") or [] if idea not in ideas]
        if unknown:
            raise DemoDataError(f"{where}: unknown ideas {unknown}")
        measure = measures.get(code)
        if measure is None:
            parent_code = _parent_code(code)
            if parent_code is not None and parent_code not in measures:
                raise DemoDataError(f"{where}: no measure {parent_code!r} to sit under")
            measure = _call(
                where,
                measure_add,
                programme=programme,
                code=code,
                title_ar=row["title_ar"],
                title_fr=row["title_fr"],
                description_ar=row.get("description_ar", "").strip(),
                description_fr=row.get("description_fr", "").strip(),
                parent=measures[parent_code] if parent_code else None,
                owner=_organisation(organisations, row["owner"], where),
                partners=[_organisation(organisations, k, where) for k in row.get("partners", [])],
                budget=row["budget"],
                starts_on=_date(row.get("starts_on")),
                ends_on=_date(row.get("ends_on")),
                weight=row.get("weight", 100),
            )
            measures[code] = measure
        _funding_sync(measure, row.get("funding") or {}, where)
        indicators = _indicators_sync(measure, row.get("indicators") or [], where)
        _updates_sync(measure, row.get("updates") or [], indicators, recorded_by, where)
        status = row.get("status", Measure.Status.PLANNED)
        if status not in Measure.Status.values:
            raise DemoDataError(f"{where}: unknown status {status!r}")
        if measure.status != status:
            measure = _call(
                where,
                measure_update,
                measure=measure,
                code=measure.code,
                title_ar=measure.title_ar,
                title_fr=measure.title_fr,
                description_ar=measure.description_ar,
                description_fr=measure.description_fr,
                owner=measure.owner,
                partners=list(measure.partners.all()),
                budget=measure.budget,
                starts_on=measure.starts_on,
                ends_on=measure.ends_on,
                weight=measure.weight,
                status=status,
                findings=list(measure.findings.all()),
            )
    if (
        info.get("status") == Programme.Status.ADOPTED
        and programme.status == Programme.Status.DRAFT
    ):
        programme = _call("programme", programme_adopt, programme=programme)
        adopted_on = _date(info.get("adopted_on"))
        if adopted_on is not None:
            # The service stamps the adoption now; the demo's programme was adopted in 2019.
            adopted_at = dt.datetime.combine(adopted_on, dt.time(12), tzinfo=dt.UTC)
            Programme.objects.filter(pk=programme.pk).update(adopted_at=adopted_at)
            consultation_pages_changed(programme.consultation_id)
            programme.adopted_at = adopted_at
    return programme, len(measures)


def _call(where: str, service: Any, **kwargs: Any) -> Any:
    try:
        return service(**kwargs)
    except DomainError as error:
        raise DemoDataError(f"{where}: {error.message}") from error


def _funding_sync(measure: Measure, funding: Mapping[str, Any], where: str) -> None:
    wanted = {source: Decimal(amount) for source, amount in funding.items() if amount}
    current = dict(FundingLine.objects.filter(measure=measure).values_list("source", "amount"))
    if current != wanted:
        _call(where, measure_set_funding, measure=measure, lines=funding)


def _indicators_sync(
    measure: Measure, rows: list[dict[str, Any]], where: str
) -> dict[str, Indicator]:
    existing = {i.name_fr: i for i in Indicator.objects.filter(measure=measure)}
    by_key: dict[str, Indicator] = {}
    for row in rows:
        indicator = existing.get(row["name_fr"])
        if indicator is None:
            indicator = _call(
                f"{where} indicator {row['key']}",
                indicator_add,
                measure=measure,
                name_ar=row["name_ar"],
                name_fr=row["name_fr"],
                unit=row.get("unit", ""),
                baseline=row["baseline"],
                target=row["target"],
                direction=row.get("direction", Indicator.Direction.UP),
            )
        by_key[row["key"]] = indicator
    return by_key


def _updates_sync(
    measure: Measure,
    rows: list[dict[str, Any]],
    indicators: Mapping[str, Indicator],
    recorded_by: User,
    where: str,
) -> None:
    for row in rows:
        on = _date(row["date"])
        assert on is not None
        indicator = None
        if row.get("indicator"):
            try:
                indicator = indicators[row["indicator"]]
            except KeyError:
                raise DemoDataError(f"{where}: unknown indicator {row['indicator']!r}") from None
        # A replayed key records nothing: the second load finds the first update.
        _call(
            f"{where} update {on.isoformat()}",
            progress_record,
            measure=measure,
            on=on,
            percent=row["percent"],
            recorded_by=recorded_by,
            note=row.get("note", ""),
            indicator=indicator,
            indicator_value=row.get("value"),
            idempotency_key=f"{UPDATE_KEY_PREFIX}{measure.code}-{on.isoformat()}",
        )


@transaction.atomic
def demo_programme_link_findings(
    *, run: SynthesisRun, data_dir: Traversable | Path | None = None
) -> int:
    """Make each leaf measure of the demo programme cite the findings of ``run`` that are mostly
    about the ideas it answers, in place of what it cited before; returns the number of links.

    A measure cites the findings whose contributions are more than ``MIN_SHARE`` of its ideas
    (``demo.ideas``), or, when none is, those with the largest share. Merged and rejected
    findings are left aside. Idempotent; does nothing when the run's consultation has no
    programme."""
    data_dir = data_dir or default_data_dir()
    programme = Programme.objects.filter(consultation_id=run.consultation_id).first()
    if programme is None:
        return 0
    measure_ideas = {
        str(row["code"]): row["ideas"]
        for row in read_yaml(data_dir, PROGRAMME_FILE)["measures"]
        if row.get("ideas")
    }
    found = demo_findings_ideas(run=run, data_dir=data_dir)
    links = 0
    for measure in Measure.objects.filter(programme=programme, code__in=list(measure_ideas)):
        share = {
            finding_id: part
            for finding_id, held in found.items()
            if (part := held.share(measure_ideas[measure.code]))
        }
        # The findings mostly about the measure's ideas; else those that are the most about them.
        wanted = {finding_id for finding_id, part in share.items() if part > MIN_SHARE}
        if not wanted and share:
            best = max(share.values())
            wanted = {finding_id for finding_id, part in share.items() if part == best}
        cited = [found[pk].finding for pk in sorted(wanted)]
        measure_placement_check(
            programme=programme,
            measure=measure,
            parent=measure.parent,
            starts_on=measure.starts_on,
            ends_on=measure.ends_on,
            findings=cited,
        )
        if set(measure.findings.values_list("pk", flat=True)) != wanted:
            # programmes.services sets findings only when it adds a measure: the demo links
            # them afterwards, once a run has found them.
            measure.findings.set(cited)
        links += len(cited)
    return links
