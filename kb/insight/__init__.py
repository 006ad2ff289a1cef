"""Insight pages: scorecards, agreement-area overviews and the learning-loop dashboard (issue 7).

The modules here are pure building blocks: statistics for "round against round", server-rendered
SVG charts and CSV export. They take plain values, never ORM rows.
"""
