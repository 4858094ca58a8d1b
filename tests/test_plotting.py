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


def test_figures_fit_a_phone_with_legible_text():
    """At most two panels per row, at most FIGURE_WIDTH wide: 10 pt text stays >= 9 CSS px on a 390 px phone."""
    import io

    import matplotlib as mpl
    import pytest
    from PIL import Image

    plotting.use_style()
    content = 390 - 2 * 16  # the page's text column on a 390 px phone
    scale = min(1.0, content / (plotting.FIGURE_WIDTH * plotting.CSS_PX_PER_INCH))
    smallest = min(mpl.rcParams[k] for k in ("font.size", "xtick.labelsize", "ytick.labelsize", "legend.fontsize"))
    assert smallest / 72 * plotting.CSS_PX_PER_INCH * scale >= 9
    for ncols in (1, 2):
        fig, _ = plotting.subplots(2, ncols, height=2.0)
        assert fig.get_size_inches()[0] <= plotting.FIGURE_WIDTH
        data, meta = plotting.png_for_screen(fig)
        image = Image.open(io.BytesIO(data))
        # twice as many pixels as CSS pixels, and no fixed height (the page keeps the aspect ratio)
        assert meta == {"width": round(plotting.FIGURE_WIDTH * plotting.CSS_PX_PER_INCH)}
        assert abs(image.width - 2 * meta["width"]) <= 1
        assert abs(image.height - 2 * 4.0 * plotting.CSS_PX_PER_INCH) <= 1
    for bad in (dict(ncols=3), dict(nrows=0), dict(height=0)):
        with pytest.raises(ValueError):
            plotting.subplots(**bad)


def test_png_for_screen_keeps_continuous_colour_maps_unbanded():
    import io

    import numpy as np
    from PIL import Image

    plotting.use_style()
    fig, ax = plotting.subplots()
    ax.pcolormesh(np.linspace(0, 1, 400)[None, :].repeat(3, 0), cmap="cividis")
    image = Image.open(io.BytesIO(plotting.png_for_screen(fig)[0]))
    assert image.mode == "RGB" and len(image.getcolors(1 << 24)) > 256
    fig, ax = plotting.subplots()
    ax.plot([0, 1], [1, 0], color=plotting.COLORS["gd"])
    assert Image.open(io.BytesIO(plotting.png_for_screen(fig)[0])).mode == "P"


def test_region_and_rate_maps_colour_each_cell_by_its_value():
    import numpy as np

    plotting.use_style()
    fig, (ax1, ax2) = plotting.subplots(1, 2)
    codes = np.array([[0, 1, 2], [2, 1, 0]])
    mesh = plotting.stability_map(ax1, np.arange(3.0), np.array([0.0, 0.5]), codes)
    colours = mesh.to_rgba(np.ravel(mesh.get_array()))
    for code, (_, colour) in plotting.REGIONS.items():
        assert np.allclose(colours[codes.ravel() == code][:, :3], mcolors.to_rgb(colour))
    method_colours = {mcolors.to_hex(plotting.COLORS[m]) for m in plotting.METHOD_KEYS}
    assert not {mcolors.to_hex(c) for _, c in plotting.REGIONS.values()} & method_colours
    steps = np.array([[1.0, 10.0, np.nan]])
    heat = plotting.rate_heatmap(ax2, np.array([1.0, 2.0, 3.0]), np.array([0.5]), steps)
    rgba = heat.to_rgba(np.ma.masked_invalid(np.ravel(heat.get_array())))
    assert np.allclose(rgba[-1][:3], mcolors.to_rgb(plotting.COLORS["diverging"]))  # diverged: grey
    assert rgba[0][:3].sum() < rgba[1][:3].sum()  # fewer steps: darker
