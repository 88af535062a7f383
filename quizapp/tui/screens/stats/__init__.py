"""The stats screen (`screen.py`) and its five tabs, one module each.

The screen gathers the figures (a `core.stats.StatsReport`) and sets each tab page's
`report`; each page's views render from it (see `report_view.py`).
"""
