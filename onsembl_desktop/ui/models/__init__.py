"""Qt item models: the agents table and the generic rows model the pages and managers list with."""
