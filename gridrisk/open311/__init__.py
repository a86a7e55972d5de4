"""Open311 GeoReport v2 for complainants: the services (case categories), a request's status
by the receipt token handed out when the case was received, and requests filed by partner
systems, which land as received cases a handler must accept."""
