"""The planner console: pages for planners and buyers, refused to everyone else."""
