"""What to post to a form: its fields read from the WTForms class the view uses and from the
page's HTML, and Hypothesis strategies for values that fit each field and values that do not.

A submission starts from what the browser would send for the untouched form, plus the values
that make it acceptable (tests/fuzz_targets.py), and then changes a few fields.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.core import UnboundField

from kb.imports.columns import KINDS
from tests.fuzz_html import HtmlForm
from tests.fuzz_values import (
    EDGE_DATES,
    EDGE_NUMBERS,
    hostile_scalar,
    hostile_text,
    plain_text,
    text_with_identity_number,
    xss_text,
)

# Most specific first: every field class the app uses must be a subclass of one of these, or
# tests/test_fuzz_coverage.py fails (a new kind of field needs a strategy here).
FIELD_KINDS: list[tuple[type, str]] = [
    (FileField, "file"),
    (SubmitField, "button"),
    (BooleanField, "bool"),
    (SelectMultipleField, "multi"),
    (RadioField, "choice"),
    (SelectField, "choice"),
    (DateField, "date"),
    (DateTimeField, "date"),
    (IntegerField, "number"),
    (DecimalField, "number"),
    (FloatField, "number"),
    (StringField, "text"),  # also TextArea, Hidden, Email and Password fields
]
HTML_KINDS = {
    "select": "choice",
    "radio": "choice",
    "select-multiple": "multi",
    "checkbox": "bool",
    "file": "file",
    "submit": "button",
    "button": "button",
    "date": "date",
    "number": "number",
}
CSRF = "csrf_token"


@dataclass(frozen=True)
class FieldSpec:
    kind: str
    options: tuple[str, ...] = ()
    hidden: bool = False  # an <input type=hidden>: keys and versions, not typed by anyone


def kind_of(field_class: type) -> str | None:
    for base, kind in FIELD_KINDS:
        if issubclass(field_class, base):
            return kind
    return None


def declared_fields(form_class: type[FlaskForm]) -> dict[str, type]:
    """The form class's fields by name (without instantiating it)."""
    fields = {}
    for name in dir(form_class):
        value = getattr(form_class, name, None)
        if isinstance(value, UnboundField) and name != CSRF:
            fields[name] = value.field_class
    return fields


def field_specs(form_class: type[FlaskForm] | None, html: HtmlForm) -> dict[str, FieldSpec]:
    """Every field the view reads or the page shows, with its kind and the page's options."""
    specs = {}
    for name, field in html.fields.items():
        if name == CSRF:
            continue
        kind = HTML_KINDS.get(field.kind, "text")
        if kind == "bool" and len(field.options) > 1:
            kind = "multi"
        specs[name] = FieldSpec(kind, tuple(field.options), field.kind == "hidden")
    for name, field_class in declared_fields(form_class).items() if form_class else []:
        shown = specs.get(name, FieldSpec(""))
        specs[name] = FieldSpec(kind_of(field_class) or "unknown", shown.options, shown.hidden)
    return specs


# --- Values -----------------------------------------------------------------------------------


def _dates() -> st.SearchStrategy[str]:
    return st.one_of(st.dates().map(lambda d: d.isoformat()), st.sampled_from(EDGE_DATES))


def _numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(EDGE_NUMBERS),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def _choice(spec: FieldSpec) -> st.SearchStrategy[str]:
    if spec.options:
        return st.one_of(st.sampled_from(spec.options), hostile_scalar())
    return hostile_scalar()


def upload(kind_key: str | None = None) -> st.SearchStrategy[tuple[bytes, str]]:
    """A file for an upload field: an import file with hostile cells, or garbage."""
    names = st.one_of(
        st.sampled_from(["a.csv", "A.CSV", "a.xlsx", "a.jsonl", "a.txt", "a.exe", "", ".csv"]),
        st.tuples(plain_text(30), st.sampled_from([".csv", ".jsonl", ".xlsx"])).map("".join),
    )
    garbage = st.binary(max_size=300)
    return st.tuples(st.one_of(import_file(kind_key), garbage), names)


@st.composite
def import_file(draw: st.DrawFn, kind_key: str | None) -> bytes:
    """A CSV or JSON Lines file for an import kind, each cell valid-looking or hostile."""
    kind = KINDS[kind_key] if kind_key in KINDS else draw(st.sampled_from(list(KINDS.values())))
    columns = kind.columns
    rows = []
    for _row in range(draw(st.integers(1, 3))):
        row = {}
        for column in columns:
            example = column.example or "ja"
            row[column.swedish] = draw(
                st.one_of(st.just(example), hostile_text(), text_with_identity_number())
            )
        rows.append(row)
    if draw(st.booleans()):
        lines = [";".join(c.swedish for c in columns)]
        lines += [";".join(r[c.swedish].replace(";", ",") for c in columns) for r in rows]
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
        return "\r\n".join(lines).encode(encoding, errors="replace")
    odd = st.one_of(st.none(), st.booleans(), st.integers(), st.lists(st.integers(), max_size=2))
    objects = [{k: draw(st.one_of(st.just(v), odd)) for k, v in r.items()} for r in rows]
    return "\n".join(json.dumps(o, ensure_ascii=False) for o in objects).encode()


@st.composite
def import_with_texts(draw: st.DrawFn, texts: st.SearchStrategy[str], known: dict) -> tuple:
    """(kind, upload): a supplier or unit import that would save, with text cells from
    ``texts``. ``known`` gives the values that must match the world (organisation numbers)."""
    kind_key = draw(st.sampled_from(["suppliers", "units"]))
    columns = [c for c in KINDS[kind_key].columns if c.key != "agreement_areas"]
    row = {c.swedish: known.get(c.key) or c.example for c in columns}
    text_columns = [c.swedish for c in columns if c.is_text]
    for name in draw(st.lists(st.sampled_from(text_columns), min_size=1, max_size=3, unique=True)):
        row[name] = draw(texts)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerows([list(row), list(row.values())])
    return kind_key, (out.getvalue().encode(), "import.csv")


def appropriate(spec: FieldSpec) -> st.SearchStrategy:
    """A value of the field's kind, hostile inside that kind."""
    if spec.kind == "text":
        return hostile_text()
    if spec.kind == "date":
        return _dates()
    if spec.kind == "number":
        return _numbers()
    if spec.kind == "choice":
        return _choice(spec)
    if spec.kind == "multi":
        return st.lists(_choice(spec), max_size=4)
    if spec.kind == "bool":
        return st.sampled_from(["y", "on", "", "false", "0", "1", "yes"])
    if spec.kind == "file":
        return upload()
    if spec.kind == "button":
        return st.sampled_from([*spec.options, "", "x"]) if spec.options else st.just("x")
    return hostile_scalar()


def inappropriate(spec: FieldSpec) -> st.SearchStrategy:
    """A value of the wrong kind: text for a number, a file for a text, several for one."""
    return st.one_of(
        hostile_scalar(),
        upload() if spec.kind != "file" else hostile_text(),
        st.lists(hostile_scalar(), min_size=2, max_size=3),
    )


# --- Submissions ------------------------------------------------------------------------------

MISSING = object()


def _set(data: dict[str, list], name: str, value: object) -> None:
    if value is MISSING:
        data.pop(name, None)
    elif isinstance(value, list):
        data[name] = list(value)
    else:
        data[name] = [value]


@st.composite
def hostile_submission(draw: st.DrawFn, base: dict, specs: dict[str, FieldSpec]) -> dict:
    """A few fields changed in any hostile way: fitting, unfitting, missing or repeated; now
    and then an unknown field, and a missing or broken CSRF token."""
    data = {name: list(values) for name, values in base.items()}
    names = sorted(specs)
    for name in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)) if names else []:
        spec = specs[name]
        value = draw(
            st.one_of(
                appropriate(spec),
                inappropriate(spec),
                st.just(MISSING),
                st.lists(appropriate(spec), min_size=2, max_size=3),
            )
        )
        _set(data, name, value)
    if draw(st.integers(0, 9)) == 0:
        _set(data, draw(plain_text(20)) or "okänt", draw(hostile_text()))
    return _with_csrf(draw, data, rarely_broken=True)


@st.composite
def text_submission(draw: st.DrawFn, base: dict, specs: dict, texts, fields=(), known=None):
    """An acceptable form with one or more text fields (or an import file's text cells) set
    from ``texts``; the privacy box is ticked, so warnings about e-mail addresses do not stop
    the save."""
    data = {name: list(values) for name, values in base.items()}
    for name in [name for name, spec in specs.items() if spec.kind == "file"]:
        kind, upload = draw(import_with_texts(texts, known or {}))
        _set(data, "kind", kind)
        _set(data, name, upload)
    candidates = [name for name, spec in specs.items() if spec.kind == "text"]
    if draw(st.integers(0, 4)):  # mostly what a person types; now and then a hidden field
        candidates = [name for name in candidates if not specs[name].hidden] or candidates
    preferred = [name for name in fields if name in candidates] or candidates
    if not preferred:
        return _with_csrf(draw, data, rarely_broken=False)
    chosen = draw(st.lists(st.sampled_from(sorted(preferred)), min_size=1, max_size=3, unique=True))
    for name in chosen:
        _set(data, name, draw(texts))
    if "privacy_confirmed" in specs:
        _set(data, "privacy_confirmed", "y")
    return _with_csrf(draw, data, rarely_broken=False)


def identity_submission(base: dict, specs: dict, known: dict) -> st.SearchStrategy[dict]:
    return text_submission(base, specs, text_with_identity_number(), known=known)


def xss_submission(
    base: dict, specs: dict, markdown: tuple[str, ...], known: dict
) -> st.SearchStrategy:
    return text_submission(base, specs, xss_text(), markdown, known)


def _with_csrf(draw: st.DrawFn, data: dict, rarely_broken: bool) -> dict:
    if rarely_broken and draw(st.integers(0, 19)) == 0:
        broken = draw(st.sampled_from([MISSING, "", "x" * 200, ["a", "b"], "ImlzIg.Zm9v.YmFy"]))
        _set(data, CSRF, broken)
    return data


def _as_upload(value: tuple[bytes, str]) -> FileStorage:
    return FileStorage(io.BytesIO(value[0]), value[1])


def encoded_form(data: dict) -> dict:
    """Keyword arguments for the test client: the fields URL-encoded, or with files a
    multipart body built in memory (the test client spools a body over 500 kB to a temporary
    file it never closes, which fails the suite with a ResourceWarning)."""
    items = [(name, value) for name, values in data.items() for value in values]
    if not any(isinstance(value, tuple) for _name, value in items):
        return {"data": MultiDict(items)}
    parts = MultiDict(
        [(name, _as_upload(value) if isinstance(value, tuple) else value) for name, value in items]
    )
    boundary, body = encode_multipart(parts)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}
