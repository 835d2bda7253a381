"""Renderers for a consultation's open data: the selector's plain rows in, file bytes out.

The ZIP is written to a file, not streamed while it is built: a ZIP's central directory comes
last and the small-cell suppression needs every author before the first row is written. Each
CSV is written into the archive row by row (``open_data_zip_write``), so the build holds the rows
once, not their CSV text and its compressed copy besides. ``api.archives`` keeps the last one
built in a file and serves it from there; responses are public and cached for five minutes, so
a reverse proxy absorbs repeated downloads.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from django.utils import timezone

from tashawur.api.selectors import (
    CONTRIBUTION_FIELDS,
    FINDING_FIELDS,
    PSEUDONYM_HEX_DIGITS,
    PSEUDONYM_PREFIX,
    STATEMENT_FIELDS,
    OpenData,
)
from tashawur.consultations.models import Consultation, Dimension
from tashawur.contributions.models import Channel, Language
from tashawur.core.text import escape_formula

# Excel opens a CSV as UTF-8 (and so shows Arabic) only when it starts with a byte order mark.
CSV_ENCODING = "utf-8-sig"
LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}

# name → (Frictionless type, English description, French description, extra constraints)
_Field = tuple[str, str, str, dict[str, Any]]
_PSEUDONYM_PATTERN = f"^{PSEUDONYM_PREFIX}[0-9a-f]{{{PSEUDONYM_HEX_DIGITS}}}$"
_COUNT_CONSTRAINTS: dict[str, Any] = {"required": True, "minimum": 0}

CONTRIBUTION_SCHEMA: dict[str, _Field] = {
    "id": (
        "integer",
        "Identifier of the contribution (cited by findings.csv and votes.csv).",
        "Identifiant de la contribution (cité par findings.csv et votes.csv).",
        {"required": True, "unique": True},
    ),
    "workshop_id": (
        "integer",
        "Identifier of the round table where it was said; empty when none.",
        "Identifiant de la table ronde où elle a été exprimée ; vide s'il n'y en a pas.",
        {},
    ),
    "theme": (
        "string",
        "Theme or sub-theme identifier (themes.yaml).",
        "Identifiant du thème ou sous-thème (themes.yaml).",
        {},
    ),
    "dimension": (
        "string",
        "Facet of the diagnosis.",
        "Facette du diagnostic.",
        {"required": True, "enum": list(Dimension.values)},
    ),
    "language": (
        "string",
        "Language and script (BCP 47 style; 'und' when not determined).",
        "Langue et écriture (style BCP 47 ; « und » si indéterminée).",
        {"required": True, "enum": list(Language.values)},
    ),
    "channel": (
        "string",
        "How it was collected: web form, facilitator, file import, offline capture or API.",
        "Mode de collecte : formulaire web, animateur, import de fichier, saisie hors ligne "
        "ou API.",
        {"required": True, "enum": list(Channel.values)},
    ),
    "created_on": (
        "date",
        "Day it was recorded (Africa/Casablanca); the time of day is withheld.",
        "Jour de l'enregistrement (Africa/Casablanca) ; l'heure n'est pas publiée.",
        {"required": True},
    ),
    "text": (
        "string",
        "What was said or written, as published by moderation.",
        "Ce qui a été dit ou écrit, tel que publié après modération.",
        {"required": True},
    ),
    "translation_fr": (
        "string",
        "French translation, when one was made.",
        "Traduction française, lorsqu'elle existe.",
        {},
    ),
    "author_pseudonym": (
        "string",
        "Keyed hash of the author, stable within this consultation only; empty when the "
        "facilitator recorded it for the room.",
        "Empreinte à clé de l'auteur, stable au sein de cette seule consultation ; vide "
        "lorsque l'animateur l'a notée pour la salle.",
        {"pattern": _PSEUDONYM_PATTERN},
    ),
    "author_actor_type": (
        "string",
        "Type of the author's organisation (actor_types.yaml); empty when unknown or "
        "suppressed as a small cell.",
        "Type de l'organisation de l'auteur (actor_types.yaml) ; vide si inconnu ou masqué "
        "(petit effectif).",
        {},
    ),
    "author_province": (
        "string",
        "HCP code of the author's province; empty when unknown or suppressed as a small cell.",
        "Code HCP de la province de l'auteur ; vide si inconnu ou masqué (petit effectif).",
        {},
    ),
    "agree_count": ("integer", "Votes 'agree'.", "Votes « d'accord ».", _COUNT_CONSTRAINTS),
    "disagree_count": (
        "integer",
        "Votes 'disagree'.",
        "Votes « pas d'accord ».",
        _COUNT_CONSTRAINTS,
    ),
    "pass_count": ("integer", "Votes 'pass'.", "Votes « passer ».", _COUNT_CONSTRAINTS),
}
STATEMENT_SCHEMA: dict[str, _Field] = {
    "statement_id": (
        "integer",
        "Identifier of the proposal put to the vote (contributions.csv id).",
        "Identifiant de la proposition soumise au vote (id de contributions.csv).",
        {"required": True, "unique": True},
    ),
    "agree_count": ("integer", "Votes 'agree'.", "Votes « d'accord ».", _COUNT_CONSTRAINTS),
    "disagree_count": (
        "integer",
        "Votes 'disagree'.",
        "Votes « pas d'accord ».",
        _COUNT_CONSTRAINTS,
    ),
    "pass_count": ("integer", "Votes 'pass'.", "Votes « passer ».", _COUNT_CONSTRAINTS),
    "vote_count": ("integer", "All votes cast.", "Total des votes.", _COUNT_CONSTRAINTS),
}
FINDING_SCHEMA: dict[str, _Field] = {
    "finding_key": (
        "string",
        "Key of the finding, stable from one synthesis run to the next.",
        "Clé du constat, stable d'une synthèse à la suivante.",
        {"required": True, "unique": True},
    ),
    "dimension": (
        "string",
        "Dimension most of its contributions carry.",
        "Dimension portée par la plupart de ses contributions.",
        {"enum": list(Dimension.values)},
    ),
    "theme_key": ("string", "Key of its theme group.", "Clé de son groupe thématique.", {}),
    "theme_label_ar": ("string", "Theme label in Arabic.", "Libellé du thème en arabe.", {}),
    "theme_label_fr": ("string", "Theme label in French.", "Libellé du thème en français.", {}),
    "label_ar": (
        "string",
        "Label in Arabic (the analyst's title when set).",
        "Libellé en arabe (titre de l'analyste s'il existe).",
        {},
    ),
    "label_fr": (
        "string",
        "Label in French (the analyst's title when set).",
        "Libellé en français (titre de l'analyste s'il existe).",
        {},
    ),
    "size": (
        "integer",
        "Contributions the synthesis run grouped in it, including some not published here.",
        "Contributions regroupées par la synthèse, y compris certaines non publiées ici.",
        {"required": True, "minimum": 1},
    ),
    "contribution_ids": (
        "array",
        "JSON array of the ids of its contributions that are in contributions.csv.",
        "Tableau JSON des identifiants de ses contributions présentes dans contributions.csv.",
        {},
    ),
}
RESOURCES: dict[str, tuple[Sequence[str], dict[str, _Field], str, str]] = {
    "contributions": (
        CONTRIBUTION_FIELDS,
        CONTRIBUTION_SCHEMA,
        "Published contributions, pseudonymised.",
        "Contributions publiées, pseudonymisées.",
    ),
    "votes": (
        STATEMENT_FIELDS,
        STATEMENT_SCHEMA,
        "Votes on the proposals, aggregated per proposal.",
        "Votes sur les propositions, agrégés par proposition.",
    ),
    "findings": (
        FINDING_FIELDS,
        FINDING_SCHEMA,
        "Findings of the latest successful synthesis run.",
        "Constats de la dernière synthèse réussie.",
    ),
}


def file_stem(consultation: Consultation, day: dt.date) -> str:
    return f"tashawur-{consultation.slug}-open-data-{day.isoformat()}"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps(value)
    return escape_formula(str(value))


def open_data_csv_write(
    out: IO[str], columns: Sequence[str], rows: Iterable[dict[str, Any]]
) -> None:
    """Write the CSV rows to ``out`` (opened in ``CSV_ENCODING``); every cell formula-escaped."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[column]) for column in columns])


def open_data_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> bytes:
    """CSV in UTF-8 with a byte order mark; every cell formula-escaped."""
    buffer = io.StringIO()
    open_data_csv_write(buffer, columns, rows)
    return buffer.getvalue().encode(CSV_ENCODING)


def open_data_day(data: OpenData) -> dt.date:
    return timezone.localtime(data.generated_at).date()


def attribution(data: OpenData) -> dict[str, str]:
    c = data.consultation
    day = open_data_day(data).isoformat()
    return {
        "ar": f"تشاور — {c.title_ar} — معطيات مفتوحة بتاريخ {day}، رخصة CC BY 4.0",
        "fr": f"Tashawur — {c.title_fr} — données ouvertes du {day}, licence CC BY 4.0",
    }


def datapackage(data: OpenData) -> dict[str, Any]:
    """A Frictionless (tabular) Data Package descriptor, one resource per CSV."""
    c = data.consultation
    credit = attribution(data)
    return {
        "profile": "tabular-data-package",
        "name": f"tashawur-{c.slug}-open-data",
        "title": f"{c.title_fr} — {c.title_ar}",
        "description": (
            "Pseudonymised open data of a participatory consultation on the social and "
            "solidarity economy. / Données ouvertes pseudonymisées d'une consultation "
            "participative sur l'économie sociale et solidaire."
        ),
        "created": data.generated_at.isoformat(),
        # Which state of the data it reflects: the same in README.txt and in the ETag the
        # download is served with; a download may be a little older than the data
        # (``api.archives``), never older than a takedown.
        "version": data.version,
        "keywords": ["ESS", "Morocco", "Maroc", "participation", c.region.code],
        "licenses": [LICENCE],
        "attribution": credit,
        "k_anonymity": data.k,
        "synthesis_run": (
            None
            if data.run is None
            else {
                "id": data.run.pk,
                "engine_version": data.run.engine_version,
                "finished_at": data.run.finished_at.isoformat() if data.run.finished_at else None,
            }
        ),
        "resources": [
            {
                "name": name,
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                # The IANA name: readers that honour it skip the byte order mark.
                "encoding": "utf-8",
                "description": description_en,
                "description_fr": description_fr,
                "schema": {
                    "fields": [
                        {
                            "name": column,
                            "type": schema[column][0],
                            "description": schema[column][1],
                            "description_fr": schema[column][2],
                            **({"constraints": schema[column][3]} if schema[column][3] else {}),
                        }
                        for column in columns
                    ],
                    "missingValues": [""],
                },
            }
            for name, (columns, schema, description_en, description_fr) in RESOURCES.items()
        ],
    }


README = """\
{title_ar}
معطيات مفتوحة مُستعارة الهوية — {day}
=====================================
أُعدّت في {built_at} (إصدار المعطيات {version}). قد لا تتضمن بعدُ الأصوات والمساهمات الأخيرة،
فتُعاد صياغتها بعد دقائق؛ أما المساهمات المسحوبة فلا تظهر في أي نسخة بعد سحبها.

محتوى الملف
- contributions.csv: المساهمات المنشورة بعد الإشراف، بنصها وترجمتها الفرنسية إن وُجدت.
- votes.csv: الأصوات على المقترحات، مجمّعة لكل مقترح (موافق، غير موافق، امتناع).
- findings.csv: خلاصات آخر تركيب ناجح، مع أرقام المساهمات المنشورة التي تستند إليها.
- datapackage.json: وصف الملفات وحقولها (معيار Frictionless Data Package).

ما الذي يُنشر
- فقط المساهمات المنشورة بعد الإشراف، لمشاركين وافقوا على المشاركة ونشر مساهماتهم؛ والمساهمات
  التي دوّنها الميسّر باسم القاعة دون ذكر صاحبها.
- إذا سحب المشارك موافقته أو طلب محو معطياته، تبقى مساهماته منشورة دون أي رابط بهويته (كما
  تنص الموافقة): بلا اسم مستعار ولا نوع هيئة ولا إقليم.
- لا يُنشر أي اسم أو بريد إلكتروني أو هاتف أو اسم هيئة أو جنس أو فئة عمرية أو تسجيل صوتي.

الاسم المستعار
- يُعوَّض كل مؤلف برمز (p_ متبوعا بـ 16 حرفا) محسوب ببصمة HMAC-SHA256 بمفتاح سري خاص بكل
  تشاور: الرمز نفسه لنفس الشخص داخل هذا التشاور، ولا يمكن ربطه بتشاور آخر.
- التواريخ باليوم فقط.
- يُحذف نوع الهيئة والإقليم لكل مؤلف يشترك معه في هذا المزيج أقل من {k} مؤلفين.

حدود
- النص نفسه قد يكشف هوية صاحبه إن ذكر فيه تفاصيل شخصية؛ يرجى عدم محاولة التعرف على الأشخاص.
- تتغير المعطيات مع الإشراف: قد يختفي سطر من نسخة إلى أخرى، ويفقد سطر اسمه المستعار بعد سحب
  الموافقة أو المحو.
- الأصوات مجمّعة عمدا: أصوات شخص واحد مجتمعة تكشف آراءه وقد تسمح بالتعرف عليه.
- «الحجم» في findings.csv يعدّ كل ما جمعه التركيب، بما في ذلك ما لم يُنشر هنا؛ وعناوين
  الخلاصات مستخرجة من كل ما قرأه التركيب.

الرخصة: المشاع الإبداعي، نسب المصنف 4.0 (CC BY 4.0)
https://creativecommons.org/licenses/by/4.0/deed.ar
النسب: {attribution_ar}


{title_fr}
Données ouvertes pseudonymisées — {day}
=====================================
Produites le {built_at} (version des données {version}). Les votes et contributions les plus
récents peuvent y manquer : le fichier est refait quelques minutes plus tard ; une contribution
retirée n'apparaît dans aucune version produite après son retrait.

Contenu
- contributions.csv : les contributions publiées après modération, avec leur texte et leur
  traduction française le cas échéant.
- votes.csv : les votes sur les propositions, agrégés par proposition (d'accord, pas d'accord,
  passer).
- findings.csv : les constats de la dernière synthèse réussie, avec les identifiants des
  contributions publiées sur lesquelles ils reposent.
- datapackage.json : la description des fichiers et de leurs champs (Frictionless Data Package).

Ce qui est publié
- Seules les contributions publiées après modération, de participants qui ont consenti à
  participer et à voir leurs contributions publiées ; ainsi que celles notées par l'animateur
  pour la salle, sans auteur.
- Si un participant retire son consentement ou fait effacer ses données, ses contributions
  restent publiées sans aucun lien avec son identité (comme le dit le consentement) : sans
  pseudonyme, type d'organisation ni province.
- Aucun nom, courriel, téléphone, nom d'organisation, genre, tranche d'âge ni enregistrement
  vocal n'est publié.

Pseudonyme
- Chaque auteur est remplacé par un code (p_ suivi de 16 caractères), empreinte HMAC-SHA256 sous
  une clé secrète propre à chaque consultation : le même code pour la même personne dans cette
  consultation, impossible à relier à une autre consultation.
- Les dates sont données au jour près.
- Le type d'organisation et la province d'un auteur sont masqués lorsque moins de {k} auteurs
  partagent cette combinaison.

Limites
- Le texte lui-même peut révéler son auteur s'il y a mis des détails personnels ; merci de ne pas
  chercher à identifier les personnes.
- Les données évoluent avec la modération : une ligne peut disparaître d'une version à l'autre,
  et perdre son pseudonyme après un retrait de consentement ou un effacement.
- Les votes sont agrégés à dessein : l'ensemble des votes d'une personne révèle ses opinions et
  peut permettre de la reconnaître.
- La « taille » dans findings.csv compte tout ce que la synthèse a regroupé, y compris ce qui
  n'est pas publié ici ; les libellés des constats sont tirés de tout ce qu'elle a lu.

Licence : Creative Commons Attribution 4.0 International (CC BY 4.0)
https://creativecommons.org/licenses/by/4.0/deed.fr
Attribution : {attribution_fr}
"""


def readme(data: OpenData) -> str:
    credit = attribution(data)
    return README.format(
        title_ar=data.consultation.title_ar,
        title_fr=data.consultation.title_fr,
        day=open_data_day(data).isoformat(),
        built_at=timezone.localtime(data.generated_at).isoformat(timespec="seconds"),
        version=data.version or "-",
        k=data.k,
        attribution_ar=credit["ar"],
        attribution_fr=credit["fr"],
    )


# Part of the ZIP's cache key (``api.views``): an upgrade that changes how the files are written
# must not be answered with a ZIP written by the previous code.
OPEN_DATA_RENDERER = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def open_data_zip_write(data: OpenData, out: IO[bytes]) -> None:
    """Write the ZIP to ``out``: three CSVs, ``datapackage.json`` and ``README.txt`` in a dated
    folder. The CSVs go into the archive row by row, never whole in memory."""
    day = open_data_day(data)
    folder = file_stem(data.consultation, day)
    stamp = (day.year, day.month, day.day, 0, 0, 0)
    tables = {
        "contributions.csv": (CONTRIBUTION_FIELDS, data.contributions),
        "votes.csv": (STATEMENT_FIELDS, data.statements),
        "findings.csv": (FINDING_FIELDS, data.findings),
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def entry(name: str) -> zipfile.ZipInfo:
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            return info

        archive.writestr(entry("README.txt"), readme(data).encode())
        archive.writestr(
            entry("datapackage.json"),
            json.dumps(datapackage(data), ensure_ascii=False, indent=2).encode(),
        )
        for name, (columns, rows) in tables.items():
            with (
                archive.open(entry(name), "w") as raw,
                io.TextIOWrapper(raw, encoding=CSV_ENCODING, newline="") as text,
            ):
                open_data_csv_write(text, columns, rows)


def open_data_zip(data: OpenData) -> bytes:
    """The ZIP as bytes (``open_data_zip_write``)."""
    buffer = io.BytesIO()
    open_data_zip_write(data, buffer)
    return buffer.getvalue()
