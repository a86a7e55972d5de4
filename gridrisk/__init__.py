"""gridrisk: grievance cases and dispute screenings on grid cells, ranked by escalation risk."""

__version__ = "0.1.0"
