"""Search attributes that `list` and `inbox` query (registered by `up` and `worker`)."""

from temporalio.common import SearchAttributeKey

PHASE = SearchAttributeKey.for_keyword("SecPhase")
RELEASE_TYPE = SearchAttributeKey.for_keyword("SecReleaseType")
GO_LIVE = SearchAttributeKey.for_datetime("SecGoLive")
LAPSED = SearchAttributeKey.for_bool("SecLapsed")
OWES = SearchAttributeKey.for_keyword_list("SecOwes")

ALL = (PHASE, RELEASE_TYPE, GO_LIVE, LAPSED, OWES)

# For `temporal server start-dev --search-attribute NAME=TYPE`.
DEV_SERVER_TYPES = {
    "SecPhase": "Keyword",
    "SecReleaseType": "Keyword",
    "SecGoLive": "Datetime",
    "SecLapsed": "Bool",
    "SecOwes": "KeywordList",
}
