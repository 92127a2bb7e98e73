"""KPI data: the metric catalogue, imports from managers' files and the
push API, banded points. Pure parts: ``scoring.py`` (banding, month
aggregation, the dimension score) and ``parsing.py`` (cells of exports)."""
