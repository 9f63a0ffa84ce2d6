"""The assessment stages, in order: prepare → recognize → align → featurize → score →
explain (see :mod:`accent_coach.engine.take`; ``engine.assess`` runs them)."""
