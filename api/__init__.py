"""gridrisk's HTTP service: an app factory, one router per resource."""
