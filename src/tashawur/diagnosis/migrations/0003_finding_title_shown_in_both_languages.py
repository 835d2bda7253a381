"""A title set before titles had a language was shown in every language: keep showing it so."""

from django.db import migrations
from django.db.models import F


def copy_title_to_french(apps, schema_editor):
    Finding = apps.get_model("diagnosis", "Finding")
    Finding.objects.exclude(title_override_ar="").filter(title_override_fr="").update(
        title_override_fr=F("title_override_ar")
    )


class Migration(migrations.Migration):
    dependencies = [("diagnosis", "0002_finding_titles_per_language_curation_events")]

    operations = [migrations.RunPython(copy_title_to_french, migrations.RunPython.noop)]
