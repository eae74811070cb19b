"""tiny_rl: compress trained RL policies and measure what it costs."""

__version__ = "0.1.0"
