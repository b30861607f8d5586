"""The step's inputs: the option table, the command line and the environment read into one
frozen `Config` before the first request (README, "Inputs")."""
