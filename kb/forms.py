"""Helpers shared by every feature's forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import SelectChoice, SelectField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from kb.database import LabelledEnum


def enum_choices(enum_class: type[LabelledEnum]) -> list[SelectChoice]:
    return [SelectChoice(member.value, member.label) for member in enum_class]


def select_choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice rendered as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChoiceField(SelectField):
    """A select whose value is its default (the blank choice) when the browser sent nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            super().process_formdata(valuelist)
        else:
            self.data = self.default
