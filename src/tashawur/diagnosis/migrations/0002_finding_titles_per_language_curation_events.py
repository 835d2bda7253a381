import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("diagnosis", "0001_synthesis_runs_findings_opinion_groups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(
            model_name="finding", old_name="title_override", new_name="title_override_ar"
        ),
        migrations.AlterField(
            model_name="finding",
            name="title_override_ar",
            field=models.CharField(
                blank=True, max_length=300, verbose_name="title set by the analyst (Arabic)"
            ),
        ),
        migrations.AddField(
            model_name="finding",
            name="title_override_fr",
            field=models.CharField(
                blank=True, max_length=300, verbose_name="title set by the analyst (French)"
            ),
        ),
        migrations.CreateModel(
            name="CurationEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("rename", "Renamed"),
                            ("accept", "Accepted"),
                            ("reject", "Rejected"),
                            ("reset", "Set back to proposed"),
                            ("merge", "Merged"),
                            ("split", "Split"),
                        ],
                        max_length=16,
                        verbose_name="action",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="at")),
                ("details", models.JSONField(blank=True, default=dict, verbose_name="details")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "finding",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="curation_events",
                        to="diagnosis.finding",
                        verbose_name="finding",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="curation_events",
                        to="diagnosis.synthesisrun",
                        verbose_name="synthesis run",
                    ),
                ),
            ],
            options={
                "verbose_name": "curation event",
                "verbose_name_plural": "curation events",
                "ordering": ["run", "-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["run", "created_at"], name="curationevent_run_idx")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("action__in", ["rename", "accept", "reject", "reset", "merge", "split"])
                        ),
                        name="curationevent_action_valid",
                    )
                ],
            },
        ),
    ]
