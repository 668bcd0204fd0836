"""Command centre: the one map (clusters, layers, other networks' grids) and the big screen."""
