"""nagcore.plotting: one colour per method across the book."""

import matplotlib.colors as mcolors

from nagcore import plotting


def test_every_method_has_its_own_colour():
    colours = [mcolors.to_hex(plotting.COLORS[m]) for m in plotting.METHOD_KEYS]
    assert len(set(colours)) == len(colours), dict(zip(plotting.METHOD_KEYS, colours))


def test_no_other_key_reuses_a_method_colour():
    method_colours = {mcolors.to_hex(plotting.COLORS[m]) for m in plotting.METHOD_KEYS}
    others = {k: mcolors.to_hex(v) for k, v in plotting.COLORS.items() if k not in plotting.METHOD_KEYS}
    assert not method_colours & set(others.values()), others
