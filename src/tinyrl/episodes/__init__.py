"""Playing environments: gymnasium and Atari set-up, batched rollouts, and the observation sets."""
