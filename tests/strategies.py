"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from mentorstd.crosswalk import RELATIONS

relations = st.sampled_from(RELATIONS)
relation_paths = st.lists(relations, min_size=1, max_size=6)
confidences = st.sampled_from(("low", "medium", "high"))
