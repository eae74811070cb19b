"""The study's plan: the config and its validation, the agents, the expanded variants, the plan cache, and
settings chosen on selection episodes."""
