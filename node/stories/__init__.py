"""Our own stories through their life: the desk's drafts and their workflow, publishing, revisions and
corrections, kills, embargo, the audience and fan-out of each activity, ninjs in and out, the story tables and the
editor API's story routes."""

__all__ = [
    "audience", "documents", "draft_models", "drafts", "embargo", "errors", "fanout", "kills", "models", "ninjs", "publishing", "queries",
    "revisions", "routes",
]
