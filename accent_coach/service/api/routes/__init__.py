"""One router per resource: health, assess (and transcribe), models, cache, jobs."""
