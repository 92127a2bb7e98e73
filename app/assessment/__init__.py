"""The monthly assessment: composite, grades, publish and adjustments (issue #13).

So far only the pure scoring (`scoring.py`); the blueprint, models and
services come with the month's close.
"""
