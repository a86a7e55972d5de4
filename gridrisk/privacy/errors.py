"""What can go wrong with contacts and the key that seals them."""

from gridrisk.errors import Unavailable


class KeyUnavailable(Unavailable):
    """The key file is missing, unsafe, unreadable, or not the key the contacts were sealed
    with: gridrisk will not read or write contacts until it is put right."""

    slug = "secret-key-unavailable"
    title = "Secret key unavailable"


class ContactUnreadable(Unavailable):
    """A stored contact does not open with the key: damaged, or sealed with another key."""

    slug = "contact-unreadable"
    title = "Contact cannot be opened"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"the contact of case {case_id} does not open with this key file: "
                         "it is damaged or was sealed with another key")
        self.case_id = case_id

