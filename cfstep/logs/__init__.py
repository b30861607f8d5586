"""A child's log: followed live while it runs, its last lines read when it has failed
(README, "Live logs of the child")."""
