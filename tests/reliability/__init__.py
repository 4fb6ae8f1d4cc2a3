"""The reliability suite: kill -9, ambiguous sends, faults, outages, downtime, signals."""
