"""Sphinx extension: bibliography labels that read like the citations in the text.

The book cites in author-year form ("Bottou et al., 2018"); pybtex's default labels are alphabetic
("BCN18"), so a reader could not find a citation in the list by its text. The ``author_year`` style
registered here labels every entry exactly as sphinxcontrib-bibtex's author-year citations print
it: one author "Cauchy", two "Robbins and Monro", more "Bottou et al.", then ", year"; entries are
sorted by that label. ``_config.yml`` selects it with ``bibtex_default_style``.
"""

from __future__ import annotations

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle


def _last_name(person) -> str:
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


def author_year_label(entry) -> str:
    """The citation text of ``entry``: "Name", "Name and Name" or "Name et al.", a comma, the year."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last_name(p) for p in people]
    if len(names) > 2:
        who = f"{names[0]} et al."
    else:
        who = " and ".join(names)
    return f"{who}, {entry.fields.get('year', '')}"


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            yield author_year_label(entry)


class ByLabel(BaseSortingStyle):
    def sorting_key(self, entry):
        return author_year_label(entry).casefold(), entry.fields.get("title", "").casefold()


class AuthorYearStyle(PlainStyle):
    default_label_style = "author_year"
    default_sorting_style = "author_year_label"


register_plugin("pybtex.style.labels", "author_year", AuthorYearLabels)
register_plugin("pybtex.style.sorting", "author_year_label", ByLabel)
register_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True}
