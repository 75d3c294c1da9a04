"""Every setting is declared once, in its config field: the command line's options, defaults,
help and choices are made from the fields, so they cannot drift from the pages' defaults."""

from __future__ import annotations

import dataclasses

import pytest

from core.cli import config_from_args, parser
from core.tasks import CLI_ORDER, TASKS


@pytest.mark.parametrize("task", CLI_ORDER)
def test_no_options_give_the_configs_defaults(task):
    cls = TASKS[task].config
    assert config_from_args(cls, parser().parse_args([task])) == cls()


@pytest.mark.parametrize("task", CLI_ORDER)
def test_every_field_has_an_option_with_its_help_and_choices(task):
    config = TASKS[task].config()
    actions = {}
    for a in parser().tasks[task]._actions:
        actions.setdefault(a.dest, a)  # the field's own option comes before an alias (--no-date-column)
    for part in (config, config.arch, config.train):
        for f in dataclasses.fields(part):
            if f.name in ("arch", "train"):
                continue
            action = actions[f.name]
            assert action.option_strings[0] == "--" + f.name.replace("_", "-")
            assert action.help, f"{task}: --{f.name} has no help"
            assert action.choices == (list(f.metadata["choices"]) if f.metadata.get("choices") else None)


def test_a_choice_outside_the_fields_choices_is_refused():
    from core.cli import UsageError

    with pytest.raises(UsageError, match="invalid choice"):
        parser().parse_args(["forecast", "--cell", "transformer"])
