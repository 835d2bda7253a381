"""The demo's accounts: one per role (the contract's logins). Importable without Django set up,
so that ``tashawur demo`` can print them."""

DEMO_PASSWORD = "tashawur-2018"  # noqa: S105 - the demo's published password, printed at start

# username -> (role, first name, last name)
DEMO_USERS: dict[str, tuple[str, str, str]] = {
    "national": ("national_coordinator", "Coordination", "nationale"),
    "regional": ("regional_coordinator", "Coordination", "Souss-Massa"),
    "facilitator": ("facilitator", "Animation", "des tables rondes"),
    "rapporteur": ("rapporteur", "Rapport", "des tables rondes"),
    "analyst": ("analyst", "Analyse", ""),
    "participant": ("participant", "", ""),
}

#: The online round that follows the meeting (meeting.yaml's ``online_round``), open to visitors.
ONLINE_ROUND_SLUG = "souss-massa-2018-online"
