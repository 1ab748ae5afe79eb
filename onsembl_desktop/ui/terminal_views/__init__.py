"""Terminal widgets: the view that paints an engine, its panel (find, scroll), keys, the frame
clock that feeds and paints within a budget, and the terminals page (tabs, split, All)."""
