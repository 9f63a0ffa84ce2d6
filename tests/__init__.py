"""The test suite, mirroring the packages of accent_coach/."""
