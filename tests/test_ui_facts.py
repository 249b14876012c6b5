"""One time zone and one date format (issue 12 point 6), and a live theme switch that recolours
what the palette colours (point 7): pure view code, real Qt widgets offscreen."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QPalette

from app.ui import labels, theme

pytestmark = pytest.mark.ui

SUMMER_EVENING = datetime(2026, 6, 30, 19, 26, tzinfo=UTC)  # 21:26 in Copenhagen (CEST)
WINTER_EVENING = datetime(2026, 12, 1, 20, 26)  # naive = UTC, as the cache stores it: 21:26


@pytest.fixture
def new_york_pc():
    """A PC whose own zone is not Denmark's: the UI must still show Danish time."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_every_view_formats_times_in_copenhagen_whatever_the_pc_zone(new_york_pc, qapp):
    from app.ui.header_panel import _local

    assert labels.datetime_text(SUMMER_EVENING) == "30.06.2026 21:26"
    assert labels.datetime_text(WINTER_EVENING) == "01.12.2026 21:26"
    assert _local(SUMMER_EVENING) == "30.06.2026 21:26"  # the preview header
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert labels.short_datetime_text(WINTER_EVENING, now) == "01.12. 21:26"  # inbox column
    new_year = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # already 2026 in Copenhagen
    assert labels.short_datetime_text(new_year, now) == "01.01. 00:30"
    assert labels.short_datetime_text(datetime(2025, 6, 1, 10, 0, tzinfo=UTC), now) == (
        "01.06.2025"  # another year: the date with its year
    )
    assert labels.date_text(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) == "02.12.2026"


def test_a_live_theme_switch_changes_the_palette_colours_views_use(qtbot, qapp):
    from PySide6.QtWidgets import QApplication

    from app.ui.backlog_view import KpiTile

    try:
        theme.apply(qapp, "light")
        tile = KpiTile("open", "Åbne")
        qtbot.addWidget(tile)
        tile.set("116")  # a backlog number, not an alert
        tile.show()
        assert tile.value.palette().color(QPalette.ColorRole.WindowText).lightness() < 80
        light_text = QApplication.palette().color(QPalette.ColorRole.Text)
        theme.apply(qapp, "dark")
        dark_text = QApplication.palette().color(QPalette.ColorRole.Text)
        assert dark_text.lightness() > 180 and light_text.lightness() < 80
        # The number follows the switch at once (no black digits on dark until a restart).
        assert tile.value.palette().color(QPalette.ColorRole.WindowText).lightness() > 180
        # Red alerts stay readable on the dark selection: the alert colour is lighter in dark.
        assert theme.alert_color().lightness() > theme.alert_color(dark=False).lightness()
    finally:
        theme.apply(qapp, "light")
