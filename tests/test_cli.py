from tashawur.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"  {name}" in out


def test_unknown_command_exits_2_with_usage(capsys):
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_manage_says_its_settings_on_stderr_and_leaves_stdout_to_the_command(capsys):
    import django

    assert main(["manage", "version"]) == 0

    captured = capsys.readouterr()
    assert captured.out == f"{django.get_version()}\n"
    first, hint = captured.err.splitlines()
    assert first.startswith(
        "tashawur manage: settings tashawur.config.settings_test, TASHAWUR_ENV=test, database "
    )
    assert hint == (
        "  (the demo's data: TASHAWUR_ENV=demo TASHAWUR_DATA_DIR=<the var/ folder where "
        "`make demo` ran> tashawur manage …)"
    )
