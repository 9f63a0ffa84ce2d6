"""The learner's history on their own machine (or a school's database): SQLAlchemy 2 +
Alembic. Profiles, attempts (one transaction each), tutor conversations, and the
queries the Progress page and the weak-sounds scheduler use. Imports config and
errors only.
"""

from accent_coach.storage.attempts import (
    Saved,
    attempt_audio,
    attempt_texts,
    delete_profile_data,
    export_csv,
    export_json,
    load_attempt,
    save_attempt,
)
from accent_coach.storage.conversations import (
    list_conversations,
    load_conversation,
    save_conversation,
)
from accent_coach.storage.database import Storage, StorageError, close_all, open_storage
from accent_coach.storage.history import (
    Activity,
    Filters,
    PhoneDay,
    PhoneStat,
    accents_used,
    activity,
    daily_of,
    history_version,
    phone_daily,
    phone_days,
    phone_weakness,
    recent_attempts,
    score_trend,
    weakness_of,
)
from accent_coach.storage.profiles import (
    ProfileInfo,
    get_or_create_profile,
    get_profile,
    list_profiles,
    profile_for_subject,
)

__all__ = [
    "Activity", "Filters", "PhoneDay", "PhoneStat", "ProfileInfo", "Saved", "Storage",
    "StorageError", "accents_used", "activity", "attempt_audio", "attempt_texts", "close_all",
    "daily_of", "delete_profile_data", "export_csv", "export_json", "get_or_create_profile",
    "get_profile", "history_version", "list_conversations", "list_profiles", "load_attempt",
    "load_conversation", "open_storage", "phone_daily", "phone_days", "phone_weakness",
    "profile_for_subject", "recent_attempts", "save_attempt", "save_conversation", "score_trend",
    "weakness_of",
]
