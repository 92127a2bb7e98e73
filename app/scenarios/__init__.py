"""The scenario library: rubrics, branching drills and live role-play.

This package so far holds the pure parts (rubric scoring in ``rubric.py``,
rater agreement in ``stats.py``); files, pages and storage come next.
"""
