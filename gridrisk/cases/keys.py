"""The key that lets a case event be upserted although the bundle gives events no id."""

import numpy as np
import pandas as pd


def event_keys(events: pd.DataFrame) -> pd.DataFrame:
    """A re-import's upsert key: a hash of the event's content plus which repeat of it this
    is, so two identical site visits on one day stay two events and re-importing adds
    neither again. Text is hashed as Python strings, so the key does not depend on how pandas
    stores them."""
    content = pd.DataFrame({
        "case_id": events["case_id"].astype(object),
        "at": events["at"].astype("int64"),
        "type": events["type"].astype(object),
        "level": events["level"].fillna("").astype(object),
        "parties": events["parties"].fillna(0).astype("int64"),
        "detail": events["detail"].fillna("").astype(object),
    })
    digest = pd.util.hash_pandas_object(content, index=False).to_numpy()
    return pd.DataFrame({
        "content_hash": digest.view(np.int64),
        "occurrence": content.groupby(list(content.columns), sort=False).cumcount().to_numpy(),
    }, index=events.index)
